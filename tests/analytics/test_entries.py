"""A backtest evaluated on event days only gives what the every-day replay gives."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from leadgate.analytics.backtest import summarize
from leadgate.analytics.entries import raising_types, why_not
from leadgate.analytics.replay import Grid, replay_path, replayed
from leadgate.definition import load_compiled
from leadgate.store import Store

from ..scoring.strategies import AS_OF_US, definitions, populations
from ..scoring.test_properties import load
from .test_replay import SETTINGS, START, created, hours


def first_sales(store: Store, c, grid: Grid, *, entries: bool) -> tuple[list[tuple], int]:  # type: ignore[no-untyped-def]
    """What a backtest reads of a replay (:func:`summarize`: each lead's first sales-tier
    day and its tier on the last day), and how many pairs were evaluated."""
    with replayed(store, c, grid, general=not entries, first_sales=entries):
        summarize(store, c, grid, "t_summary")
        pairs = int(store.scalar("SELECT count(*) FROM bt_states") or 0)
    rows = store.execute("SELECT lead_id, mql_k, end_tier FROM t_summary ORDER BY 1").fetchall()
    store.execute("DROP TABLE t_summary")
    return rows, pairs


def squeezed(population):  # type: ignore[no-untyped-def]
    """The population with its events six times closer to the as-of time: most of them
    around the replayed days, where a score rises and falls inside the replay."""
    leads, accounts, events, intent = population
    near = {
        lead: [(kind, AS_OF_US + (ts - AS_OF_US) // 6) for kind, ts in history]
        for lead, history in events.items()
    }
    return leads, accounts, near, intent


@settings(SETTINGS, max_examples=150)
@given(
    definitions(falling=True),
    st.one_of(populations(), populations().map(squeezed)),
    st.lists(hours, min_size=8, max_size=8),
)
def test_event_days_give_the_first_sales_day_of_every_day(c, population, offsets) -> None:  # type: ignore[no-untyped-def]
    """Decay, windows, caps, floors, weights, nurture tiers, counts: where the premise holds,
    each lead's first sales-tier day and last tier are those of the every-day replay."""
    assume(why_not(c) is None)
    grid = Grid.between(START, START + dt.timedelta(days=14))
    leads, accounts, events, intent = population
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store.duckdb")
        load(store, leads, accounts, events, intent)
        created(store, offsets[: len(leads)])
        fast, _ = first_sales(store, c, grid, entries=True)
        every_day, _ = first_sales(store, c, grid, entries=False)
        store.close()
    assert fast == every_day


DECAYING = """
name: d
version: '1'
engagement:
  events:
    - {type: pricing_page, points: 40, half_life: 7d, window: 60d}
tiers:
"""


def decaying(tiers: list[dict[str, object]]) -> object:
    return load_compiled(text=DECAYING + yaml.safe_dump(tiers))


def test_what_the_premise_refuses() -> None:
    assert why_not(decaying([{"name": "mql", "when": "score >= 20"}])) is None
    assert why_not(decaying([{"name": "mql", "when": "has(pricing_page, 7d)"}])) is None
    assert "does not ask only for more" in str(
        why_not(decaying([{"name": "mql", "when": "score < 20 and score > 5"}]))
    )
    assert "nurture tier 'warm'" in str(
        why_not(
            decaying(
                [
                    {"name": "warm", "when": "score >= 30", "sales": False},
                    {"name": "mql", "when": "score >= 10"},
                ]
            )  # fmt: skip
        )
    )
    # A nurture tier that reads nothing that moves may come first.
    assert (
        why_not(
            decaying(
                [
                    {"name": "warm", "when": "seniority = 'ic'", "sales": False},
                    {"name": "mql", "when": "score >= 10"},
                ]
            )  # fmt: skip
        )
        is None
    )
    # A band rises as the score falls: read at all, it is refused.
    assert "does not ask only for more" in str(
        why_not(decaying([{"name": "m", "when": "band <= 2"}]))
    )
    gone = "disqualifiers:\n  - {name: gone, when: 'has(unsubscribe, 30d)'}\nengagement:"
    text = DECAYING.replace("engagement:", gone) + "  - {name: mql, when: 'score >= 1'}"
    assert "disqualifier 'gone'" in str(why_not(load_compiled(text=text)))
    fit = "fit:\n  rules:\n    - {name: i, when: \"intent('crm', 30d) >= 50\", points: -5}"
    negative_fit = DECAYING.replace("engagement:", fit + "\nengagement:")
    assert "fit rule 'i'" in str(
        why_not(load_compiled(text=negative_fit + "  - {name: m, when: 'score >= 1'}"))
    )

    # Fit that reads intent moves the grade: the top grade is reached with more fit, a lower
    # one can be reached with less.
    rule = "    - {name: i, when: \"intent('crm', 30d) >= 50\", points: 20}"
    grades = "grades:\n  - {grade: A, min_fit: 10}\n  - {grade: B}"
    graded = DECAYING.replace("engagement:", f"fit:\n  rules:\n{rule}\n{grades}\nengagement:")
    assert why_not(load_compiled(text=graded + "  - {name: m, when: \"grade = 'A'\"}")) is None
    lower = load_compiled(text=graded + "  - {name: m, when: \"grade = 'B'\"}")
    assert "does not ask only for more" in str(why_not(lower))


def test_negative_points_that_age_are_evaluated_every_day_of_their_reach() -> None:
    """A careers page visit (-40, halving weekly) makes a lead's score rise as it ages: the
    lead enters the tier on a day without events, found all the same."""
    text = DECAYING.replace(
        "engagement:", "fit:\n  rules:\n    - {name: all, when: 'true', points: 30}\nengagement:"
    )
    text = text.replace("type: pricing_page, points: 40", "type: careers_page, points: -40")
    c = load_compiled(text=text + "  - {name: mql, when: 'score >= 20'}")
    assert why_not(c) is None and raising_types(c) == ("careers_page",)
    # 30 - 40 · 2^(-age/7d) >= 20 once 40 · 2^(-age/7d) <= 10: two half-lives, on the 16th.
    assert march_mql_day(c, "careers_page", created=True) == dt.date(2026, 3, 16)


def test_a_lead_that_decays_into_a_sales_tier_is_found_on_that_day() -> None:
    """The premise's reason: a sales tier entered by decay alone, on a day without events.
    The backtest replays such a definition every day, and finds the day."""
    c = decaying([{"name": "mql", "when": "score < 20 and score > 5"}])
    assert why_not(c) is not None and replay_path(c, first_sales=True).startswith("pairs")
    # 40 points halve every 7 days: under 20 from the 9th (40 · 2^(-7d 15h/7d) ≈ 18.9).
    assert march_mql_day(c, "pricing_page", created=False) == dt.date(2026, 3, 9)


def march_mql_day(c, kind: str, *, created: bool) -> dt.date:  # type: ignore[no-untyped-def]
    """The first sales day in March of a lead whose one event (of ``kind``) is on the 2nd
    at 09:00 (``created``: the lead created then, else there from the start)."""
    grid = Grid.between(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    when = dt.datetime(2026, 3, 2, 9)
    store = Store(":memory:")
    store.execute(
        "INSERT INTO leads (lead_id, created_at) VALUES ('a', ?)", [when if created else None]
    )
    store.execute(
        "INSERT INTO events (event_id, lead_id, type, ts) VALUES ('e1', 'a', ?, ?)", [kind, when]
    )
    ((lead, mql_k, _end),) = first_sales(store, c, grid, entries=True)[0]
    assert lead == "a" and mql_k is not None
    return grid.day(mql_k)
