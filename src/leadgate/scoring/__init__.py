"""Scoring: the pure per-lead evaluator, the SQL plan for batch, explanations, incremental.

The two engines share one contract (see :mod:`leadgate.scoring.codegen`) and are checked
against each other by property tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .batch import BatchReport, score_store
from .evaluate import Scorer, from_micros, score_lead, to_micros
from .plans import Tables
from .result import Contribution, Score

if TYPE_CHECKING:
    from .sql import plan_sql, store_select


def __getattr__(name: str) -> Any:
    """The SQL generator (and SQLGlot) loads on first use: a stored plan needs neither."""
    if name in ("plan_sql", "store_select"):
        from . import sql

        return getattr(sql, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
