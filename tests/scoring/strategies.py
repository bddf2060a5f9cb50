"""Hypothesis strategies: random definitions, leads, accounts and event histories."""

from __future__ import annotations

import datetime as dt

import yaml
from hypothesis import strategies as st

from leadgate.definition import load_compiled

AS_OF = dt.datetime(2026, 6, 1, 12, 0)
AS_OF_US = int(AS_OF.replace(tzinfo=dt.timezone.utc).timestamp()) * 1_000_000
DAY_US = 86_400_000_000
TYPES = [
    "pricing_page",
    "demo_request",
    "webinar_attended",
    "blog_view",
    "email_open",
    "chat",
    "unsubscribe",
    "careers_page",
]
INDUSTRIES = ["software", "Software", "retail", "fintech", None]
SENIORITIES = ["ic", "manager", "director", "vp", "cxo", None]
COUNTRIES = ["US", "DE", "BR", None]
DOMAIN_TYPES = ["business", "personal", "competitor", "student", None]

FIT_CONDITIONS = [
    "company_size >= {n}",
    "company_size < {n} or country = 'US'",
    "industry in ['software', 'fintech']",
    "not (industry = 'retail')",
    "seniority in ['director', 'vp', 'cxo']",
    "seniority = 'manager' and company_size > {n}",
    "title matches '(?i)(head|chief|vp)'",
    "title contains 'finance'",
    "email_domain_type = 'personal'",
    "persona is null",
    "account.annual_revenue / 1000 > {n}",
    "account.industry = industry",
    "intent('crm', 30d) >= {n}",
    "coalesce(company_size, 0) * 2 - 10 >= {n}",
    "abs(-company_size) <= {n}",
    "count(pricing_page, 30d) >= 2",
    "lower(country) != 'br'",
]
TIER_CONDITIONS = [
    "fit >= {n} and has(demo_request, 14d)",
    "score >= {n}",
    "fit >= {n} and count([pricing_page, chat], 7d) >= 2",
    "engagement >= {n} or grade = 'A'",
    "band <= 2 and fit > 0",
    "days_since(pricing_page) <= 7",
    "engaged_contacts(30d) >= 2",
    "account.engagement >= {n}",
    "count(*, 30d) >= 3",
    "days_since(last_activity_date) <= {n}",
    "true",
]
# Engagement from the lead's own fields (an export's counts and dates): conditions, and the
# numbers a per-unit rule counts. No event functions: a positive event must never lower
# engagement (test_a_positive_event_never_lowers_engagement).
ENGAGEMENT_CONDITIONS = [
    "days_since(last_activity_date) <= {n}",
    "days_since(last_activity_date) > {n} and num_sessions >= 2",
    "last_activity_date is not null",
    "num_pageviews >= {n}",
    "num_sessions < 2.5 or days_since(last_activity_date) < 1.5",
]
PER_UNIT = ["num_sessions", "num_pageviews", "days_since(last_activity_date)", "num_pageviews / 3"]
#: Counts compared with small numbers, for the carried replay's saturations
#: (:mod:`leadgate.analytics.saturation`): literals on either side, every comparison, a
#: fraction, ``has``, and a count read through arithmetic (which does not saturate).
COUNT_CONDITIONS = [
    "count(*, 7d) >= {c}",
    "{c} < count([pricing_page, demo_request], 14d)",
    "count(pricing_page, 36h) = {c} or fit >= {n}",
    "count(email_open, 30d) != {c} and engagement >= 0",
    "count(*, 2w) <= {c}.5",
    "count(blog_view) * 2 >= {c} + 3",
    "not has(chat, 7d) and engagement >= {n}",
    "count(webinar_attended, 90d) > {c} and count(webinar_attended, 90d) < {c} + 3",
]
DQ_CONDITIONS = [
    "email_domain_type = 'competitor'",
    "email_domain_type = 'student' or seniority = 'ic' and fit < 5",
    "has(careers_page, 30d)",
]

cents = st.integers(-5000, 5000).map(lambda c: c / 100)
durations = st.sampled_from(["7d", "14d", "30d", "90d", "36h", "2w"])


#: What a definition the replay carries (:mod:`leadgate.analytics.carry`) cannot read:
#: dates and days since (they move every day), the account's intent, contacts, engagement.
MOVING = ("days_since", "last_activity_date", "intent(", "engaged_contacts", "account.engagement")


def steady(conditions: list[str]) -> list[str]:
    return [cond for cond in conditions if not any(word in cond for word in MOVING)]


#: Tier conditions that ask for more of what falls as events age, and some that do not
#: (a backtest evaluates only event days when every sales tier's condition rises:
#: :mod:`leadgate.analytics.entries`).
FALLING_TIERS = [
    "score >= {n}",
    "fit >= {n} and has(demo_request, 14d)",
    "engagement >= {n} or grade = 'A'",
    "count(*, 7d) >= {c} and fit >= {n}",
    "{c} < count([pricing_page, demo_request], 14d) + engagement",
    "engagement > {n} and count(blog_view) >= {c}",
    "true",
    "score < {n}",
    "not has(chat, 7d) and engagement >= {n}",
    "count(email_open, 30d) = {c}",
    "score <= {c} * 5",
    "not (engagement >= {n})",
    "fit >= 0 and engagement < {c} * 10",
    "engaged_contacts(30d) >= {c}",
    "account.engagement >= {n} and fit > 0",
    "grade = 'A' and intent('crm', 30d) >= {n}",
    "grade = 'B' or score >= {n}",
]


def falling_fit(conditions: list[str]) -> list[str]:
    """Fit conditions that read no date (days since one grows every day)."""
    return [cond for cond in conditions if "days_since" not in cond and "_date" not in cond]


@st.composite
def definitions(draw, positive_event=False, carried=False, falling=False, rollup=False):  # type: ignore[no-untyped-def]
    """A random compiled definition; with ``positive_event``, one with a positive event rule;
    with ``rollup``, one whose first tier reads ``account.engagement``;
    with ``carried``, one the replay carries: no half-life and nothing of :data:`MOVING`;
    with ``falling``, one that reads no date, with nurture tiers and tiers from
    :data:`FALLING_TIERS` (a backtest may evaluate it on event days only)."""
    n = st.integers(0, 200)
    pick = falling_fit if falling else steady if carried else list
    fit_rules = [
        {
            "name": f"rule {i}",
            "when": draw(st.sampled_from(pick(FIT_CONDITIONS))).format(n=draw(n)),
            "points": draw(cents),
        }
        for i in range(draw(st.integers(0, 6)))
    ]
    events = []
    for t in draw(st.lists(st.sampled_from(TYPES), unique=True, max_size=6)):
        rule = {"type": t, "points": draw(cents)}
        if rule["points"] == 0:
            rule["points"] = 1
        if carried and draw(st.booleans()):  # a cap a few events reach exactly
            rule["cap"] = abs(rule["points"]) * draw(st.integers(1, 3))
        elif draw(st.booleans()):
            rule["cap"] = draw(st.integers(1, 100))
        if draw(st.booleans()):
            rule["window"] = draw(durations)
        if not carried and draw(st.booleans()):
            rule["half_life"] = draw(durations)
        events.append(rule)
    if positive_event and not any(rule["points"] > 0 for rule in events):
        if not events:
            events.append({"type": draw(st.sampled_from(TYPES))})
        events[0]["points"] = draw(st.integers(1, 5000)) / 100
    weighted = draw(st.booleans())
    tiers = steady(TIER_CONDITIONS) + COUNT_CONDITIONS if carried else TIER_CONDITIONS
    if falling:
        tiers = FALLING_TIERS
    fit: dict = {"rules": fit_rules}
    engagement: dict = {"events": events}
    rules = [draw(engagement_rules(i, carried or falling)) for i in range(draw(st.integers(0, 4)))]
    if rules:
        engagement["rules"] = rules
    if weighted or draw(st.booleans()):
        fit["cap"] = draw(st.integers(1, 120))
    if weighted or draw(st.booleans()):
        engagement["cap"] = draw(st.integers(1, 120))
    if draw(st.booleans()):
        fit["floor"] = -draw(st.integers(0, 50))
    if draw(st.booleans()):
        engagement["floor"] = -draw(st.integers(0, 50))
    doc: dict = {
        "name": "random",
        "version": "1",
        "attributes": {
            "persona": "text",
            "num_sessions": "number",
            "num_pageviews": "number",
            "last_activity_date": "date",
        },
        "fit": fit,
        "engagement": engagement,
        "disqualifiers": [
            {"name": f"dq {i}", "when": cond}
            for i, cond in enumerate(
                draw(
                    st.lists(
                        st.sampled_from(DQ_CONDITIONS),
                        unique=True,
                        max_size=2,
                    )
                )
            )
        ],
        "grades": [{"grade": "A", "min_fit": 30}, {"grade": "B", "min_fit": 10}, {"grade": "C"}],
        "bands": [
            {"band": 1, "min_engagement": 40},
            {"band": 2, "min_engagement": 10},
            {"band": 3},
        ],
        "tiers": [
            {
                "name": f"tier {i}",
                "when": cond.format(n=draw(st.integers(0, 80)), c=draw(st.integers(0, 4))),
                "sla": "24h",
                **({"sales": draw(st.booleans())} if falling else {}),
            }
            for i, cond in enumerate(
                (["account.engagement >= {n}"] if rollup else [])
                + sorted(
                    draw(st.lists(st.sampled_from(tiers), unique=True, max_size=4)),
                    key=lambda cond: cond == "true",
                )
            )  # a catch-all tier can only come last
        ],
    }
    if weighted:
        doc["score"] = {
            "method": "weighted",
            "weights": {"fit": draw(st.integers(0, 100)), "engagement": draw(st.integers(0, 100))},
        }
    return load_compiled(text=yaml.safe_dump(doc))


@st.composite
def engagement_rules(draw, i, carried=False):  # type: ignore[no-untyped-def]
    """An engagement rule on the lead's fields: a condition, points per unit, or both
    (``carried``: none that reads a date)."""
    pick = steady if carried else list
    rule: dict = {"name": f"engaged {i}", "points": draw(cents)}
    shape = draw(st.sampled_from(["when", "per", "both"]))
    if shape != "per":
        rule["when"] = draw(st.sampled_from(pick(ENGAGEMENT_CONDITIONS))).format(
            n=draw(st.integers(0, 60))
        )
    if shape != "when":
        rule["per"] = draw(st.sampled_from(pick(PER_UNIT)))
        rule["cap"] = draw(st.integers(1, 100))
    return rule


# Whole days and hours often, so events fall exactly on window edges as well as between.
offsets = st.one_of(
    st.integers(-200 * DAY_US, 5 * DAY_US),
    st.integers(-200, 5).map(lambda d: d * DAY_US),
    st.integers(-200 * 24, 5 * 24).map(lambda h: h * DAY_US // 24),
    st.sampled_from([7, 14, 30, 90, 1.5]).map(lambda d: -int(d * DAY_US)),  # window edges
    # The last microsecond of a day (AS_OF is noon): a replay day's as-of instant, so an
    # event a whole window before one is exactly on that window's edge.
    st.integers(-200, 5).map(lambda d: d * DAY_US + DAY_US // 2 - 1),
)
event_lists = st.lists(
    st.tuples(st.sampled_from(TYPES), offsets),
    max_size=25,
).map(lambda evs: [(t, AS_OF_US + offset) for t, offset in evs])


@st.composite
def populations(draw):  # type: ignore[no-untyped-def]
    accounts = {
        f"acct{i}.com": {
            "account_id": f"acct{i}.com",
            "industry": draw(st.sampled_from(INDUSTRIES)),
            "annual_revenue": draw(st.one_of(st.none(), st.floats(0, 1e6))),
        }
        for i in range(draw(st.integers(0, 3)))
    }
    leads = []
    for i in range(draw(st.integers(1, 8))):
        leads.append(
            {
                "lead_id": f"L{i}",
                "account_id": draw(
                    st.one_of(st.none(), st.sampled_from(sorted(accounts) or [None]))
                ),
                "company_size": draw(st.one_of(st.none(), st.integers(1, 5000))),
                "industry": draw(st.sampled_from(INDUSTRIES)),
                "seniority": draw(st.sampled_from(SENIORITIES)),
                "country": draw(st.sampled_from(COUNTRIES)),
                "email_domain_type": draw(st.sampled_from(DOMAIN_TYPES)),
                "title": draw(
                    st.sampled_from(
                        ["Head of Finance", "VP Sales", "analyst", "Chief Financial Officer", None]
                    )
                ),
                "persona": draw(st.sampled_from(["finance", None])),
                **draw(engagement_fields()),
            }
        )
    events = {lead["lead_id"]: draw(event_lists) for lead in leads}
    intent = {
        a: [
            (
                draw(st.sampled_from(["crm", "CRM", "erp"])),
                float(draw(st.integers(0, 100))),
                AS_OF_US - draw(st.integers(-2, 60)) * DAY_US,
            )
            for _ in range(draw(st.integers(0, 3)))
        ]
        for a in accounts
    }
    return leads, accounts, events, intent


# Dates on whole days and on the edges of the conditions' bounds, between them, after the
# as-of time (not judged), and missing.
dates = st.one_of(
    st.none(),
    st.integers(-90, 3).map(lambda d: AS_OF - dt.timedelta(days=d)),
    st.integers(-90 * 24, 3 * 24).map(lambda h: AS_OF - dt.timedelta(hours=h)),
    st.integers(-90 * DAY_US, 2 * DAY_US).map(lambda us: AS_OF - dt.timedelta(microseconds=us)),
)
counts = st.one_of(st.none(), st.integers(0, 60), st.integers(0, 10**15))
rates = st.one_of(
    st.none(),
    st.floats(0, 100, allow_nan=False),
    st.sampled_from([0.1, 2.5, 0.005, 1 / 3, 12.345]),
)


@st.composite
def engagement_fields(draw):  # type: ignore[no-untyped-def]
    """An export's engagement fields: a count (BIGINT), a rate (DOUBLE), a last activity."""
    return {
        "num_pageviews": draw(counts),
        "num_sessions": draw(rates),
        "last_activity_date": draw(dates),
    }
