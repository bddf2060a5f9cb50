"""Scoring: the pure per-lead evaluator, the SQL plan for batch, explanations, incremental.

The two engines share one contract (see :mod:`leadgate.scoring.codegen`) and are checked
against each other by property tests.
"""

from .batch import BatchReport, score_store
from .evaluate import Scorer, from_micros, score_lead, to_micros
from .result import Contribution, Score
from .sql import Tables, plan_sql, store_select

__all__ = [
    "BatchReport",
    "Contribution",
    "Score",
    "Scorer",
    "Tables",
    "from_micros",
    "plan_sql",
    "score_lead",
    "score_store",
    "store_select",
    "to_micros",
]
