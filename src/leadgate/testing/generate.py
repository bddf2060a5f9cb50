"""Vectorised generation of accounts, leads, events and intent signals.

Everything is drawn with one seeded :func:`numpy.random.default_rng`, column by column, so
20,000 leads with their year of events take about a second and the same seed gives the same
data. Events are never produced by a per-row loop: each lead's count is drawn, leads are
repeated that many times, and types and times are drawn for all rows at once; that is also
what lets ``bench/gen_data.py`` stream 50 million events in chunks.

Behaviour follows a hidden *interest* per lead (a standard normal draw): it scales the
lead's activity, and the most interested leads get a buying burst (pricing, demo, case
studies, contact sales) in the three weeks before their buying moment. Anonymous visits
before a lead's first form come under the visitor id only; the ``form_submit`` that
identifies the lead carries both ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..vocabulary import STANDARD_EVENT_TYPES
from . import catalog as c

DAY_US = 86_400_000_000
Columns = dict[str, Any]

#: Background activity: event type → share of a lead's ordinary events.
BACKGROUND_MIX = {
    "page_view": 30,
    "blog_view": 14,
    "email_open": 18,
    "email_click": 6,
    "pricing_page": 3,
    "content_download": 4,
    "webinar_registration": 2,
    "webinar_attended": 1.2,
    "case_study_view": 2,
    "careers_page": 1.5,
    "chat": 1,
    "event_attended": 0.5,
    "product_signup": 0.5,
    "product_active": 2,
    "unsubscribe": 0.4,
    "email_bounce": 0.4,
    "demo_request": 0.25,
    "contact_sales": 0.2,
    "trial_signup": 0.4,
    "live_demo": 0.1,
    "form_submit": 1.0,
}
#: The buying burst's mix: what people do in the weeks before they talk to sales.
BURST_MIX = {
    "pricing_page": 30,
    "demo_request": 14,
    "case_study_view": 14,
    "page_view": 18,
    "contact_sales": 8,
    "live_demo": 7,
    "trial_signup": 5,
    "webinar_attended": 4,
}
ANONYMOUS_TYPES = ("page_view", "blog_view", "pricing_page", "case_study_view", "careers_page")

assert set(BACKGROUND_MIX) | set(BURST_MIX) <= set(STANDARD_EVENT_TYPES)


def pick(rng: np.random.Generator, table: Any, n: int) -> np.ndarray:
    """Draw ``n`` values from ``((value, weight), ...)`` (or a plain sequence, uniformly)."""
    if table and isinstance(table[0], tuple):
        values = np.array([row[0] for row in table], dtype=object)
        weights = np.array([row[1] for row in table], dtype=float)
        return values[rng.choice(len(values), size=n, p=weights / weights.sum())]
    return np.array(table, dtype=object)[rng.integers(0, len(table), size=n)]


def _to_us(when: dt.datetime) -> int:
    return int(np.datetime64(when.replace(tzinfo=None), "us").astype(np.int64))


def window(end: dt.datetime, months: int) -> tuple[int, int]:
    """(start, end) in epoch microseconds, ``months`` of 30.44 days before ``end``."""
    stop = _to_us(end)
    return stop - int(months * 30.44 * DAY_US), stop


def make_accounts(rng: np.random.Generator, n: int, end: dt.datetime, months: int) -> Columns:
    """``n`` companies: unique domain, name, lognormal size, industry, country, tech..."""
    a, b = pick(rng, c.NAME_PARTS_A, n), pick(rng, c.NAME_PARTS_B, n)
    name = a + " " + b
    # Same name twice is real (two "Acme Labs"), same domain is not: number the repeats.
    domain = unique(np.char.lower((a + b).astype(str)).astype(object)) + "." + pick(rng, c.TLDS, n)
    size = np.clip(rng.lognormal(np.log(60), 1.7, n), 1, 400_000).astype(np.int64)
    industry_idx = rng.choice(len(c.INDUSTRIES), n, p=_weights([w for _, w, _ in c.INDUSTRIES]))
    revenue = size * rng.lognormal(np.log(160_000), 0.5, n)
    tech = pick(rng, c.TECH, n) + ";" + pick(rng, c.TECH, n)
    flags = rng.random(n)
    start, stop = window(end, months)
    return {
        "account_id": domain,
        "domain": domain,
        "name": name,
        "company_size": np.where(rng.random(n) < 0.08, -1, size),  # -1: unknown (NULL)
        "industry": np.array([i for i, _, _ in c.INDUSTRIES], dtype=object)[industry_idx],
        "industry_fit": np.array([f for _, _, f in c.INDUSTRIES])[industry_idx],
        "true_size": size,
        "country": pick(rng, c.COUNTRIES, n),
        "annual_revenue": np.where(rng.random(n) < 0.3, np.nan, revenue.round(-3)),
        "tech": np.where(rng.random(n) < 0.25, None, tech),
        "is_customer": flags < 0.03,
        "is_competitor": (flags >= 0.03) & (flags < 0.036),
        "created_at": rng.integers(start - 365 * DAY_US, start, n),
    }


def repeats(values: np.ndarray) -> np.ndarray:
    """True for every value that already appeared earlier in ``values`` (vectorised)."""
    _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    out: np.ndarray = np.arange(len(values)) != first[inverse.ravel()]
    return out


def _numbered(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    out = values.copy()
    out[where] = out[where] + np.char.mod("%d", np.arange(len(values))[where]).astype(object)
    return out


def unique(values: np.ndarray) -> np.ndarray:
    """``values`` with a number appended to every repeat after the first.

    >>> unique(np.array(["acme", "initech", "acme"], dtype=object)).tolist()
    ['acme', 'initech', 'acme2']
    """
    return _numbered(values, repeats(values))


def blank(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` as objects with None (a missing value) where ``mask`` is true."""
    out: np.ndarray = values.astype(object)
    out[mask] = None
    return out


def _weights(w: list[float]) -> np.ndarray:
    arr: np.ndarray = np.asarray(w, dtype=float)
    out: np.ndarray = arr / arr.sum()
    return out


def _titles(
    rng: np.random.Generator,
    seniority: np.ndarray,
    dept: np.ndarray,
    country: np.ndarray,
    kind: np.ndarray,
) -> np.ndarray:
    """Titles in many forms for the true (seniority, department); students and seekers too."""
    n = len(seniority)
    title = np.empty(n, dtype=object)
    for s in ("manager", "director", "vp"):
        for d, word in c.DEPT_WORD.items():
            m = (seniority == s) & (dept == d)
            forms = pick(rng, c.TITLE_FORMS[s], int(m.sum()))
            title[m] = [f.format(d=word) for f in forms]
    for d in c.DEPT_WORD:
        for s, table in (("ic", c.IC_TITLES), ("cxo", c.CXO_TITLES)):
            m = (seniority == s) & (dept == d)
            title[m] = pick(rng, table[d], int(m.sum()))
    for code, local in c.LOCAL_TITLES.items():
        m = (country == code) & (rng.random(n) < 0.35)
        title[m] = pick(rng, local, int(m.sum()))
    students = (kind == "student") & (rng.random(n) < 0.7)
    title[students] = pick(rng, c.STUDENT_TITLES, int(students.sum()))
    seekers = (kind == "personal") & (rng.random(n) < 0.08)
    title[seekers] = pick(rng, c.JOB_SEEKER_TITLES, int(seekers.sum()))
    noise = rng.random(n)
    title[noise < 0.05] = np.char.lower(title[noise < 0.05].astype(str))
    title[(noise >= 0.05) & (noise < 0.07)] = np.char.upper(
        title[(noise >= 0.05) & (noise < 0.07)].astype(str)
    )
    title[(noise >= 0.07) & (noise < 0.15)] = None  # missing on purpose
    return title


def make_leads(
    rng: np.random.Generator, accounts: Columns, n: int, end: dt.datetime, months: int
) -> Columns:
    """``n`` people at the accounts (bigger companies have more), with the mess of real forms.

    Hidden columns (``true_*``, ``interest``, ``account_idx``) feed the ground truth and
    are not written to the lead files.
    """
    n_acc = len(accounts["account_id"])
    weight = np.sqrt(accounts["true_size"].astype(float))
    account_idx = rng.choice(n_acc, size=n, p=weight / weight.sum())
    kind = pick(rng, c.EMAIL_KINDS, n)
    seniority = pick(rng, c.SENIORITY, n)
    # Small companies are run by their founders: more executives among them.
    small = accounts["true_size"][account_idx] < 20
    seniority[small & (rng.random(n) < 0.25)] = "cxo"
    dept = pick(rng, c.DEPARTMENTS, n)
    first, last = pick(rng, c.FIRST_NAMES, n), pick(rng, c.LAST_NAMES, n)
    local = np.char.lower((first + "." + last).astype(str)).astype(object)
    alt = rng.random(n)
    local = np.where(alt < 0.3, np.char.lower((first + last).astype(str)).astype(object), local)
    domain = accounts["domain"][account_idx].copy()
    for k, table in (
        ("personal", c.PERSONAL_DOMAINS),
        ("student", c.STUDENT_DOMAINS),
        ("disposable", c.DISPOSABLE_DOMAINS),
    ):
        m = kind == k
        domain[m] = pick(rng, table, int(m.sum()))
    country = np.where(
        rng.random(n) < 0.8, accounts["country"][account_idx], pick(rng, c.COUNTRIES, n)
    )
    start, stop = window(end, months)
    # Lead creation grows through the year, as a marketing programme ramps up.
    created = start + (np.sqrt(rng.random(n)) * (stop - start - DAY_US)).astype(np.int64)
    company_known = (kind == "business") | (rng.random(n) < 0.3)
    form_idx = rng.integers(0, len(c.FORM_ANSWERS), n)
    form_idx[kind == "student"] = 4  # "student project"
    no_form = rng.random(n) < 0.35
    interest = rng.standard_normal(n)
    true_dept = np.where((seniority == "cxo") & (dept == "other"), "executive", dept)
    return {
        "lead_id": np.char.mod("L%07d", np.arange(1, n + 1)).astype(object),
        "email": _numbered(local, repeats(local + "@" + domain)) + "@" + domain,
        "first_name": blank(rng.random(n) < 0.03, first),
        "last_name": blank(rng.random(n) < 0.06, last),
        "title": _titles(rng, seniority, dept, country, kind),
        "company": np.where(company_known, accounts["name"][account_idx], None),
        "company_domain": np.where(
            company_known & (rng.random(n) < 0.6), accounts["domain"][account_idx], None
        ),
        "country": blank(rng.random(n) < 0.1, country),
        "source": pick(rng, c.SOURCES, n),
        "created_at": created,
        "visitor_id": np.char.mod("v%08x", rng.permutation(n) + 0x100000).astype(object),
        "persona": blank(
            rng.random(n) < 0.4, np.vectorize(c.PERSONAS.get, otypes=[object])(seniority)
        ),
        "form_answer": blank(
            no_form, np.array([a for a, _ in c.FORM_ANSWERS], dtype=object)[form_idx]
        ),
        "form_effect": np.where(no_form, 0.0, np.array([e for _, e in c.FORM_ANSWERS])[form_idx]),
        "true_seniority": seniority,
        "true_department": true_dept,
        "email_kind": kind,
        "account_idx": account_idx,
        "interest": interest,
    }


TYPE_NAMES = np.array(STANDARD_EVENT_TYPES, dtype=object)
_CODE = {t: k for k, t in enumerate(STANDARD_EVENT_TYPES)}
#: Full URL per event type code (None for events that are not page visits).
URL_BY_CODE = np.array(
    [
        f"https://example-vendor.com{c.URL_PATHS[t]}" if t in c.URL_PATHS else None
        for t in STANDARD_EVENT_TYPES
    ],
    dtype=object,
)
HAS_URL = np.array([t in c.URL_PATHS for t in STANDARD_EVENT_TYPES])


def _draw_codes(rng: np.random.Generator, mix: Mapping[str, float], n: int) -> np.ndarray:
    """Event type codes (indexes into STANDARD_EVENT_TYPES): cheap to draw, index and map."""
    codes = np.array([_CODE[t] for t in mix], dtype=np.int16)
    return codes[rng.choice(len(codes), size=n, p=_weights(list(mix.values())))]


def make_events(
    rng: np.random.Generator,
    leads: Columns,
    end: dt.datetime,
    months: int,
    *,
    per_lead: float = 30.0,
    first_id: int = 0,
) -> Columns:
    """Events for ``leads`` (any slice of :func:`make_leads`' columns), about ``per_lead`` each.

    Returns columns ``event_id`` (a number, numbered from ``first_id``), ``lead_id``,
    ``visitor_id``, ``type``, ``ts`` (epoch us), ``url``, plus the hidden ``lead_idx`` (row
    in ``leads``). Strings are shared objects picked from small tables, so a chunk of a few
    million events costs little more than its integer columns.
    """
    n = len(leads["lead_id"])
    _, stop = window(end, months)
    created = leads["created_at"]
    interest = leads["interest"]
    rate = np.exp(0.7 * interest - 0.245)  # mean 1 over the standard normal interest
    life_days = (stop - created) / DAY_US
    base = rng.poisson(per_lead * 0.8 * rate * np.clip(life_days / 180, 0.05, 2.0))
    # A buying moment for the most interested: a burst in the three weeks before it.
    buyer = interest + 0.5 * rng.standard_normal(n) > 1.2
    buy_at = np.where(buyer, created + (rng.random(n) * (stop - created)).astype(np.int64), -1)
    burst = np.where(buyer, rng.poisson(per_lead * 0.35, n), 0)
    anon = rng.poisson(per_lead * 0.08, n)
    anon_codes = np.array([_CODE[t] for t in ANONYMOUS_TYPES], dtype=np.int16)
    idx_b, idx_u, idx_a = (np.repeat(np.arange(n), k) for k in (base, burst, anon))
    ts_b = created[idx_b] + (rng.random(len(idx_b)) * (stop - created[idx_b])).astype(np.int64)
    ts_u = buy_at[idx_u] - (rng.random(len(idx_u)) * 21 * DAY_US).astype(np.int64)
    # Before identification: visits known only by the visitor cookie, up to a month early.
    ts_a = created[idx_a] - (rng.random(len(idx_a)) * 30 * DAY_US).astype(np.int64) - 1_000_000
    # The form that identifies each lead carries both ids, at its creation time.
    idx = np.concatenate([idx_b, idx_u, idx_a, np.arange(n)])
    ts = np.concatenate([ts_b, np.maximum(ts_u, created[idx_u]), ts_a, created])
    codes = np.concatenate(
        [
            _draw_codes(rng, BACKGROUND_MIX, len(idx_b)),
            _draw_codes(rng, BURST_MIX, len(idx_u)),
            anon_codes[rng.integers(0, len(anon_codes), len(idx_a))],
            np.full(n, _CODE["form_submit"], dtype=np.int16),
        ]
    )
    anonymous = np.zeros(len(idx), dtype=bool)
    anonymous[len(idx_b) + len(idx_u) : len(idx) - n] = True
    web = HAS_URL[codes] | anonymous
    web[len(idx) - n :] = True
    return {
        "event_id": np.arange(first_id, first_id + len(idx), dtype=np.int64),
        "lead_id": np.where(anonymous, None, leads["lead_id"][idx]),
        "visitor_id": np.where(web, leads["visitor_id"][idx], None),
        "type": TYPE_NAMES[codes],
        "ts": ts,
        "url": URL_BY_CODE[codes],
        "lead_idx": idx,
    }


def make_intent(
    rng: np.random.Generator, accounts: Columns, leads: Columns, end: dt.datetime, months: int
) -> Columns:
    """Third-party intent signals: accounts whose people are interested research more."""
    n_acc = len(accounts["account_id"])
    pull = np.bincount(
        leads["account_idx"], weights=np.maximum(leads["interest"], 0), minlength=n_acc
    )
    counts = rng.poisson(0.8 + 1.5 * np.tanh(pull))
    idx = np.repeat(np.arange(n_acc), counts)
    m = len(idx)
    start, stop = window(end, months)
    strength = np.clip(rng.normal(35 + 30 * np.tanh(pull[idx]), 15), 0, 100).round(1)
    return {
        "account_id": accounts["account_id"][idx],
        "topic": pick(rng, c.INTENT_TOPICS, m),
        "strength": strength,
        "ts": start + (rng.random(m) * (stop - start)).astype(np.int64),
        "account_idx": idx,
    }
