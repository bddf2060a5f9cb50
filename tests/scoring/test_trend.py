"""The score over time (:func:`leadgate.scoring.lookup.trend_of`) runs the evaluator at
each time through :meth:`LeadData.raws`: for a lead without an account, one context and
no population passes. Each time's numbers must be :meth:`LeadData.raw`'s, whatever the
definition (roll-ups, intent, windows, decay) and the lead."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.scoring.evaluate import Scorer
from leadgate.scoring.lookup import LeadData

from .strategies import AS_OF_US, DAY_US, definitions, populations


def as_loaded(lead, leads, accounts, events, intent) -> LeadData:  # type: ignore[no-untyped-def]
    """The lead as :func:`leadgate.scoring.lookup.load_lead` reads it: its account's
    leads, the account, their events and the account's intent; alone without one."""
    account_id = lead["account_id"]
    if account_id is None:
        return LeadData(lead, [lead], {}, {lead["lead_id"]: events[lead["lead_id"]]}, {})
    population = [p for p in leads if p["account_id"] == account_id]
    return LeadData(
        lead,
        population,
        {account_id: accounts[account_id]},
        {p["lead_id"]: events[p["lead_id"]] for p in population},
        {account_id: intent[account_id]},
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    definitions(),
    populations(),
    st.lists(st.integers(-120 * DAY_US, 5 * DAY_US), min_size=1, max_size=14),
)
def test_the_scores_at_many_times_are_each_time_s_score(c, population, offsets) -> None:  # type: ignore[no-untyped-def]
    leads, accounts, events, intent = population
    scorer = Scorer(c)
    times = [AS_OF_US + offset for offset in offsets]
    for lead in leads:
        data = as_loaded(lead, leads, accounts, events, intent)
        assert data.raws(scorer, times) == [data.raw(scorer, t) for t in times]
