"""One naming legend for the values both engines compute: Python locals and SQL columns.

The generated Python function (:mod:`leadgate.scoring.codegen`) and the SQL plan
(:mod:`leadgate.scoring.sql`) compute the same values in the same steps; they call each
value by the same name, so a reader can follow one engine with the other beside it and a
test can compare them column by column. Indexes follow the compiled definition's lists:
``i`` a fit rule, event rule or disqualifier, ``j`` an aggregate (in the order of
``CompiledDefinition.aggregates``), ``k`` a field (in sorted order of ``fields_used``).

>>> event_points(2), event_capped(2), fit_rule(0), aggregate(1), field(3)
('event_2_points', 'event_2_capped', 'fit_rule_0', 'aggregate_1', 'field_3')
"""

from __future__ import annotations

# -- totals, in hundredths of a point --------------------------------------------------------
FIT_RAW = "fit_raw"  # sum of the matched fit rules
FIT = "fit"  # FIT_RAW held between the fit floor and cap
ENGAGEMENT_RAW = "engagement_raw"  # sum of the capped event rules and engagement rules
EVENT_RAW = "event_raw"  # the capped event rules' sum, when engagement rules add to it
ENGAGEMENT = "engagement"  # ENGAGEMENT_RAW held between the engagement floor and cap
FIT_WEIGHTED = "fit_weighted"  # FIT as the weighted method scales it (else FIT)
ENGAGEMENT_WEIGHTED = "engagement_weighted"
TOTAL = "total"  # FIT_WEIGHTED + ENGAGEMENT_WEIGHTED

# -- labels and verdicts -----------------------------------------------------------------------
GRADE = "grade"  # the fit ladder's label, or NULL
BAND = "band"  # the engagement ladder's label, or NULL
DISQUALIFIER = "disqualifier"  # index of the first disqualifier that holds, else -1
TIER = "tier"  # index of the first tier that holds (never when disqualified), else -1

# -- the scores conditions may read, in points (a DOUBLE: hundredths / 100) --------------------
FIT_POINTS = "fit_points"
ENGAGEMENT_POINTS = "engagement_points"
SCORE_POINTS = "score_points"
ACCOUNT_ENGAGEMENT_POINTS = "account_engagement_points"

#: What a condition names (``fit >= 25``) → the value that holds it, in both engines.
SCORE_VALUES = {
    "fit": FIT_POINTS,
    "engagement": ENGAGEMENT_POINTS,
    "score": SCORE_POINTS,
    "grade": GRADE,
    "band": BAND,
    "account.engagement": ACCOUNT_ENGAGEMENT_POINTS,
}


def field(k: int) -> str:
    """The k-th field the definition reads, with the type the definition declares."""
    return f"field_{k}"


def aggregate(j: int) -> str:
    """Aggregate j's value: an event count, days since the last event, intent, contacts."""
    return f"aggregate_{j}"


def days(k: int) -> str:
    """Days from the k-th field (a date) to the as-of time; None/NULL: missing or later."""
    return f"days_{k}"


def engagement_rule(i: int) -> str:
    """Engagement rule i's points, held to its cap; None/NULL: a value it reads is missing."""
    return f"engagement_rule_{i}"


def fit_rule(i: int) -> str:
    """Fit rule i's verdict: true, false, or NULL/None when a value it reads is missing."""
    return f"fit_rule_{i}"


def event_points(i: int) -> str:
    """Event rule i's points (decayed, signed), summed over the events it counts."""
    return f"event_{i}_points"


def event_capped(i: int) -> str:
    """Event rule i's points held to its cap (what engagement adds up)."""
    return f"event_{i}_capped"


def event_count(i: int) -> str:
    """How many events event rule i counted."""
    return f"event_{i}_count"


def disqualifier(i: int) -> str:
    """Disqualifier i's own verdict (NULL: could not judge), for coverage reports."""
    return f"disqualifier_{i}"
