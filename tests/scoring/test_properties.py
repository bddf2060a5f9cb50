"""Invariants of scoring, on random definitions and random histories (Hypothesis).

* the Python evaluator and the SQL plan in DuckDB give identical results;
* an explanation adds up to the total, to the hundredth;
* event order does not matter; batch equals one-event-at-a-time;
* adding a positive-point event never lowers engagement;
* a disqualified lead is never in a tier.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.scoring import Scorer, names, plan_sql, store_select
from leadgate.scoring.incremental import LeadState
from leadgate.scoring.plans import DEFAULT_TABLES, AsOf, Tables, scoring_template
from leadgate.scoring.rollups import score_population
from leadgate.scoring.steps import PlanBuilder
from leadgate.store import Store

from .strategies import (
    AS_OF,
    AS_OF_US,
    DAY_US,
    definitions,
    engagement_fields,
    event_lists,
    populations,
)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# An export's engagement fields, stored as the importer types them.
ENGAGEMENT_COLUMNS = {
    "num_pageviews": "BIGINT",
    "num_sessions": "DOUBLE",
    "last_activity_date": "TIMESTAMP",
}
LEAD = {
    "lead_id": "x",
    "num_pageviews": 14,
    "num_sessions": 2.5,
    "last_activity_date": AS_OF - dt.timedelta(days=12, hours=6),
    "company_size": 120,
    "industry": "software",
    "seniority": "vp",
    "country": "US",
    "email_domain_type": "business",
    "title": "VP Finance",
}


def load(store: Store, leads, accounts, events, intent) -> None:  # type: ignore[no-untyped-def]
    for a in accounts.values():
        store.execute(
            "INSERT INTO accounts (account_id, industry, annual_revenue) VALUES (?,?,?)",
            [a["account_id"], a["industry"], a["annual_revenue"]],
        )
    store.add_columns("leads", {"persona": "VARCHAR", **ENGAGEMENT_COLUMNS})
    n = 0
    for lead in leads:
        columns = (
            "lead_id",
            "account_id",
            "company_size",
            "industry",
            "seniority",
            "country",
            "email_domain_type",
            "title",
            "persona",
            *ENGAGEMENT_COLUMNS,
        )
        store.execute(
            f"INSERT INTO leads ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [lead[k] for k in columns],
        )
        for etype, ts in events[lead["lead_id"]]:
            n += 1
            store.execute(
                "INSERT INTO events (event_id, lead_id, type, ts) VALUES "
                "(?, ?, ?, make_timestamp(?))",
                [str(n), lead["lead_id"], etype, ts],
            )
    for account_id, signals in intent.items():
        for topic, strength, ts in signals:
            n += 1
            store.execute(
                "INSERT INTO intent_signals VALUES (?, ?, ?, ?, make_timestamp(?))",
                [str(n), account_id, topic, strength, ts],
            )


def plan_in_shape(  # type: ignore[no-untyped-def]
    c,
    store: Store,
    pivoted: bool,
    by_window: bool = False,
    explained: bool = True,
    tables: Tables = DEFAULT_TABLES,
) -> str:
    """The plan with its event steps in the shape asked (the pivot needs event rules) and
    engaged contacts counted where asked (a window over the lead rows, or their own CTE),
    so every shape meets the evaluator whatever the definition or the dialect would choose;
    ``explained`` off, the scores without each rule's columns (the server's plan)."""
    builder = PlanBuilder(
        c,
        AsOf(AS_OF_US),
        store.table_columns("leads"),
        store.table_columns("accounts"),
        tables,
        "duckdb",
        explained,
    )
    builder.events.pivoted = pivoted and bool(c.event_rules)
    builder.events.contacts_by_window = by_window and builder.events.contacts
    return builder.query()


@SETTINGS
@given(
    st.booleans().flatmap(lambda r: definitions(rollup=r)),
    populations(),
    st.data(),
    st.booleans(),
    st.booleans(),
)
def test_a_plan_scoring_some_leads_scores_each_as_over_all(
    c, population, data, pivoted, by_window
) -> None:  # type: ignore[no-untyped-def]
    """``Tables.scored`` (the server's plan over a group's accounts): the plan scores those
    leads alone, each as the plan over every lead does, every value a condition reads the
    same (``account.engagement`` among them: its roll-up still reads all of the account's
    leads, engagement rules' points included)."""
    leads, accounts, events, intent = population
    store = Store(":memory:")
    load(store, leads, accounts, events, intent)
    ids = [lead["lead_id"] for lead in leads]
    chosen = data.draw(st.lists(st.sampled_from(ids), unique=True)) if ids else []
    store.execute("CREATE TABLE chosen_leads (lead_id VARCHAR)")
    for lead_id in chosen:
        store.execute("INSERT INTO chosen_leads VALUES (?)", [lead_id])

    def plan(tables: Tables) -> str:  # each lead's values before the tier: all but the last step
        text = plan_in_shape(c, store, pivoted, by_window, explained=False, tables=tables)
        return text[: text.rindex("\nSELECT ")] + "\nSELECT * FROM verdicts"

    every = {r["lead_id"]: r for r in store.query(plan(DEFAULT_TABLES))}
    some = store.query(plan(dataclasses.replace(DEFAULT_TABLES, scored="chosen_leads")))
    assert sorted(r["lead_id"] for r in some) == sorted(chosen)
    for row in some:
        assert row == every[row["lead_id"]]
    hypothesis.event(f"reads account.engagement: {c.uses_rollup}")


@SETTINGS
@given(definitions(), populations(), st.booleans(), st.booleans(), st.booleans())
def test_python_evaluator_and_sql_plan_agree(c, population, pivoted, by_window, explained) -> None:  # type: ignore[no-untyped-def]
    leads, accounts, events, intent = population
    scorer = Scorer(c)
    expected = score_population(scorer, leads, accounts, events, intent, AS_OF_US)
    store = Store(":memory:")
    load(store, leads, accounts, events, intent)
    plan = plan_in_shape(c, store, pivoted, by_window, explained)
    rows = {r["lead_id"]: r for r in store.query(plan)}
    for lead_id, raw in expected.items():
        row = rows[lead_id]
        # Every value of the RawScore, column by column under the shared names.
        spread = {
            names.fit_rule: raw.fit_verdicts,
            names.event_capped: raw.event_capped,
            names.event_count: raw.event_counts,
            names.engagement_rule: raw.engagement_rules,
        }
        for field, value in raw._asdict().items():
            if isinstance(value, tuple):
                name = next(f for f, v in spread.items() if v is value)
                if not explained:  # the scores alone: no rule's column is there
                    assert not {name(i) for i in range(len(value))} & set(row), lead_id
                    continue
                assert tuple(row[name(i)] for i in range(len(value))) == value, lead_id
            else:
                assert row[field] == value, (lead_id, field)
        for rule, cents in zip(c.engagement_rules, raw.engagement_rules, strict=True):
            # What the case exercised (see --hypothesis-show-statistics).
            held = cents is not None and rule.cap_cents is not None and abs(cents) == rule.cap_cents
            hypothesis.event(
                "engagement rule: "
                + ("not judged" if cents is None else "held at its cap" if held else "judged")
            )
    stored = {r["lead_id"]: r for r in store.query(store_select(c, plan, AS_OF, details=explained))}
    for lead_id, raw in expected.items():
        score = scorer.to_score(
            raw,
            next(x for x in leads if x["lead_id"] == lead_id),
            accounts.get(next(x for x in leads if x["lead_id"] == lead_id).get("account_id") or ""),
            AS_OF_US,
        )
        row = stored[lead_id]
        assert row["tier"] == score.tier and row["disqualified"] == score.disqualified
        assert round(row["total"] * 100) == score.total_cents
        if not explained:
            assert row["contributions"] is None
            continue
        by_key = {x.key: x for x in score.contributions}
        for key, cents in zip(c.rule_keys, row["contributions"], strict=True):
            assert (by_key[key].cents if by_key[key].status != "not judged" else None) == cents


@SETTINGS
@given(definitions(), event_lists, engagement_fields())
def test_explanation_adds_up_and_disqualified_is_never_in_a_tier(c, events, fields) -> None:  # type: ignore[no-untyped-def]
    score = Scorer(c).score({**LEAD, **fields}, events, as_of=AS_OF_US)
    assert sum(x.cents for x in score.contributions) == score.total_cents
    assert score.check_sum()
    if score.disqualified:
        assert score.tier is None


@SETTINGS
@given(definitions(), event_lists, st.randoms(use_true_random=False))
def test_event_order_does_not_matter(c, events, rnd) -> None:  # type: ignore[no-untyped-def]
    scorer = Scorer(c)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert scorer.raw(LEAD, events, AS_OF_US) == scorer.raw(LEAD, shuffled, AS_OF_US)


@SETTINGS
@given(definitions(positive_event=True), event_lists, st.integers(0, 100 * DAY_US))
def test_a_positive_event_never_lowers_engagement(c, events, age) -> None:  # type: ignore[no-untyped-def]
    scorer = Scorer(c)
    before = scorer.raw(LEAD, events, AS_OF_US)
    positive = [rule for rule in c.event_rules if rule.cents > 0]
    assert positive, "the strategy must give every definition a positive event rule"
    for rule in positive:
        after = scorer.raw(LEAD, [*events, (rule.type, AS_OF_US - age)], AS_OF_US)
        assert after.engagement >= before.engagement
        # What the case exercised (see --hypothesis-show-statistics): most must raise it.
        hypothesis.event("raised" if after.engagement > before.engagement else "held (cap/window)")


@SETTINGS
@given(definitions(), event_lists, st.randoms(use_true_random=False))
def test_batch_equals_one_event_at_a_time(c, events, rnd) -> None:  # type: ignore[no-untyped-def]
    scorer = Scorer(c)
    past = [(t, ts) for t, ts in events if ts <= AS_OF_US]
    rnd.shuffle(past)
    state = LeadState(scorer, LEAD)
    for t, ts in past:
        state.apply(t, ts)
    assert state.score(AS_OF_US).as_dict() == scorer.score(LEAD, events, as_of=AS_OF_US).as_dict()


@SETTINGS
@given(definitions(), st.integers(min_value=0, max_value=4_000_000_000_000_000), st.booleans())
def test_a_kept_plan_renders_what_the_generator_writes(c, as_of_us, details) -> None:  # type: ignore[no-untyped-def]
    store = Store(":memory:")
    store.add_columns("leads", {"persona": "VARCHAR"})
    template = scoring_template(store, c, details=details)
    fresh = store_select(
        c,
        plan_sql(
            c,
            as_of_us,
            lead_columns=store.table_columns("leads"),
            account_columns=store.table_columns("accounts"),
        ),
        as_of_us,
        details=details,
    )
    assert template.render(as_of_us) == fresh
