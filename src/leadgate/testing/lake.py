"""Lake-sized synthetic inputs, written by DuckDB SQL straight to Parquet.

Why not :func:`leadgate.testing.generate`: it draws a realistic history with a known truth
in numpy, a few seconds per hundred thousand leads. Comparing two engines at scale needs
volume and awkward values, not realism, and generating millions of events in Python would
cost more than scoring them. Here each column is a deterministic function of the row number
(DuckDB's ``hash``), so the same arguments always write the same files, in seconds.

What the rows hold, on purpose:

- times to the microsecond, events exactly on the edges of the usual windows (1.5, 7, 14,
  30 and 90 days) and at the as-of instant, and events after it (never counted);
- events skewed over the leads (a few leads with hundreds, a fifth with none of their
  own), anonymous events of visitors (``visitor_links`` names the lead of some, not all);
- missing values in every attribute, text in mixed case, fractional revenues and sessions;
- intent signals on many topics and strengths, some after the as-of time.

>>> import tempfile, duckdb
>>> folder = tempfile.mkdtemp()
>>> paths = write_lake(folder, leads=100, events=1_000)
>>> duckdb.sql(f"SELECT count(*) FROM '{paths['events']}'").fetchall()
[(1000,)]
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from ..store import Store

#: The as-of time the generated histories lead up to (UTC).
LAKE_AS_OF = dt.datetime(2026, 6, 1, 12, 0)
EVENT_TYPES = (
    "page_view",
    "blog_view",
    "email_open",
    "email_click",
    "pricing_page",
    "demo_request",
    "contact_sales",
    "webinar_attended",
    "content_download",
    "case_study_view",
    "chat",
    "trial_signup",
    "careers_page",
    "unsubscribe",
    "form_submit",
)
#: Custom lead attributes the lake's leads carry (name → DuckDB type).
LEAD_ATTRIBUTES = {
    "persona": "VARCHAR",
    "num_sessions": "DOUBLE",
    "last_activity_date": "TIMESTAMP",
}


def _pick(values: tuple[str | None, ...], salt: str) -> str:
    """SQL: one of ``values`` for row ``i`` (NULL where a value is None)."""
    items = ", ".join("NULL" if v is None else "'" + v.replace("'", "''") + "'" for v in values)
    return f"[{items}][1 + {_mod(salt, len(values))}]"


def _mod(salt: str, n: int) -> str:
    """SQL: a whole number in [0, n) for row ``i``, the same on every run."""
    return f"CAST(hash(i, '{salt}') % {n} AS BIGINT)"


def _unit(salt: str) -> str:
    """SQL: a number in [0, 1) for row ``i``."""
    return f"{_mod(salt, 1_000_000)} / 1000000.0"


def _accounts_sql(n: int) -> str:
    industries = ("software", "Software", "fintech", "financial services", "retail", None)
    return f"""
        SELECT 'a' || i || '.example' AS account_id, 'a' || i || '.example' AS domain,
          'Company ' || i AS name,
          CASE WHEN {_unit("acs")} < 0.1 THEN NULL ELSE CAST(1 + {_mod("as", 20000)} AS BIGINT)
            END AS company_size,
          {_pick(industries, "ai")} AS industry,
          {_pick(("US", "DE", "GB", "BR", "us", None), "ac")} AS country,
          CASE WHEN {_unit("arn")} < 0.15 THEN NULL
            ELSE round(({_mod("ar", 100000000)}) / 7.0, 4) END AS annual_revenue,
          CAST(NULL AS VARCHAR) AS tech,
          CASE WHEN {_unit("cu")} < 0.2 THEN NULL ELSE {_unit("cv")} < 0.04 END AS is_customer,
          CASE WHEN {_unit("co")} < 0.2 THEN NULL ELSE {_unit("cp")} < 0.02 END AS is_competitor
        FROM range({n}) t(i)"""


def _leads_sql(n: int, accounts: int, as_of_us: int) -> str:
    day = 86_400_000_000
    titles = ("Head of Finance", "VP Sales", "analyst", "Chief Financial Officer", "Intern", None)
    return f"""
        SELECT 'L' || lpad(CAST(i AS VARCHAR), 8, '0') AS lead_id,
          CASE WHEN {_unit("la")} < 0.05 THEN NULL
            ELSE 'a' || ({_mod("lb", accounts)}) || '.example' END AS account_id,
          {_pick(("business", "business", "personal", "student", "competitor", None), "ld")}
            AS email_domain_type,
          {_pick(("ic", "manager", "director", "vp", "cxo", None), "ls")} AS seniority,
          {_pick(("finance", "sales", "it", None), "lp")} AS department,
          {_pick(titles, "lt")} AS title,
          {_pick(("job_seeker", "student", None, None, None, None), "lf")} AS title_flag,
          CASE WHEN {_unit("lcs")} < 0.2 THEN NULL ELSE CAST(1 + {_mod("lc", 8000)} AS BIGINT)
            END AS company_size,
          {_pick(("software", "fintech", "Retail", "saas", None), "li")} AS industry,
          {_pick(("US", "CA", "DE", "FR", "BR", None), "ln")} AS country,
          {_pick(("web", "event", "paid", None), "lo")} AS source,
          {_pick(("finance", "ops", "contact me about pricing", None), "lq")} AS persona,
          CASE WHEN {_unit("lns")} < 0.3 THEN NULL ELSE round({_unit("lnv")} * 40, 3) END
            AS num_sessions,
          CASE WHEN {_unit("lad")} < 0.3 THEN NULL
            ELSE make_timestamp({as_of_us} - {_mod("laa", 120 * day)} + {2 * day}) END
            AS last_activity_date
        FROM range({n}) t(i)"""


def _events_sql(n: int, leads: int, as_of_us: int) -> str:
    day = 86_400_000_000
    edges = ", ".join(str(int(d * day)) for d in (0, 1.5, 7, 14, 30, 90))
    # A tenth of the events on the first hundredth of the leads; the rest spread over the
    # first four fifths; the last fifth has none of its own.
    hot, spread = max(leads // 100, 1), max(leads * 4 // 5, 1)
    lead = f"CASE WHEN {_unit('eh')} < 0.1 THEN {_mod('el', hot)} ELSE {_mod('em', spread)} END"
    age = f"""CASE WHEN {_unit("ek")} < 0.05 THEN [{edges}][1 + {_mod("ee", 6)}]
          WHEN {_unit("ek")} < 0.08 THEN -CAST({_mod("ef", 3 * day)} AS BIGINT)
          ELSE CAST({_mod("eg", 200 * day)} AS BIGINT) END"""
    anonymous = f"{_unit('ev')} < 0.02"
    return f"""
        SELECT 'e' || i AS event_id,
          CASE WHEN {anonymous} THEN NULL ELSE 'L' || lpad(CAST({lead} AS VARCHAR), 8, '0')
            END AS lead_id,
          CASE WHEN {anonymous} THEN 'v' || ({_mod("ew", max(leads // 10, 1))}) END
            AS visitor_id,
          {_pick(EVENT_TYPES, "et")} AS type,
          make_timestamp({as_of_us} - ({age})) AS ts
        FROM range({n}) t(i)"""


def _visitor_links_sql(leads: int) -> str:
    # Two visitors in three are identified; the others' events belong to no lead.
    return f"""
        SELECT 'v' || i AS visitor_id, 'L' || lpad(CAST({_mod("vl", leads)} AS VARCHAR), 8,
          '0') AS lead_id
        FROM range({max(leads // 10, 1)}) t(i) WHERE i % 3 <> 2"""


def _intent_sql(n: int, accounts: int, as_of_us: int) -> str:
    day = 86_400_000_000
    topics = ("accounts payable automation", "Accounts Payable Automation", "crm", "erp")
    return f"""
        SELECT 's' || i AS signal_id, 'a' || ({_mod("sa", accounts)}) || '.example'
          AS account_id, {_pick(topics, "st")} AS topic,
          CAST({_mod("ss", 101)} AS DOUBLE) AS strength,
          make_timestamp({as_of_us} - CAST({_mod("sd", 70 * day)} AS BIGINT) + {day})
            AS ts
        FROM range({n}) t(i)"""


def write_lake(
    folder: str | Path,
    *,
    leads: int,
    events: int,
    accounts: int | None = None,
    intent: int | None = None,
    as_of: dt.datetime = LAKE_AS_OF,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> dict[str, str]:
    """Write leads, accounts, events, visitor_links and intent as Parquet files in
    ``folder``; return each input's path (``[engine.tables]`` for them).

    Each file is one ``COPY (SELECT ... FROM range(n)) TO`` that DuckDB streams row group by
    row group, so memory stays flat whatever ``events`` is;
    ``memory_limit`` caps it further (DuckDB's setting, e.g. ``"2GB"``)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    as_of_us = int(as_of.replace(tzinfo=dt.timezone.utc).timestamp() * 1_000_000)
    n_accounts = accounts if accounts is not None else max(leads // 5, 1)
    n_intent = intent if intent is not None else n_accounts
    queries = {
        "accounts": _accounts_sql(n_accounts),
        "leads": _leads_sql(leads, n_accounts, as_of_us),
        "events": _events_sql(events, leads, as_of_us),
        "visitor_links": _visitor_links_sql(leads),
        "intent": _intent_sql(n_intent, n_accounts, as_of_us),
    }
    paths = {}
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute("SET memory_limit = ?", [memory_limit])
        for name, query in queries.items():
            path = out / f"{name}.parquet"
            con.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet)")
            paths[name] = str(path)
    return paths


#: The store's relations an engine reads, by the name ``[engine.tables]`` gives each.
STORE_INPUTS = {
    "leads": "leads",
    "accounts": "accounts",
    "events": "lead_events",
    "intent": "intent_signals",
}


def export_store(store: Store, folder: str | Path) -> dict[str, str]:
    """A project store's inputs as Parquet files in ``folder`` (the ``[engine.tables]``
    for them): what the tests and benchmarks give Spark to compare it with the store."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, relation in STORE_INPUTS.items():
        path = out / f"{name}.parquet"
        columns = "lead_id, type, ts" if name == "events" else "*"
        store.execute(f"COPY (SELECT {columns} FROM {relation}) TO '{path}' (FORMAT parquet)")
        paths[name] = str(path)
    return paths


#: The definition the engines are compared on: every kind of rule the plan has.
LAKE_DEFINITION = """\
name: lake-scale
version: "1"
attributes: {persona: text, num_sessions: number, last_activity_date: date}
fit:
  cap: 60
  floor: -20
  rules:
    - {name: manager or above, when: "seniority in ['manager', 'director', 'vp', 'cxo']",
       points: 15}
    - {name: finance buyer, when: "department = 'finance'", points: 10.5}
    - {name: mid-market, when: "company_size >= 50 and company_size <= 5000", points: 10}
    - {name: account industry, when: "account.industry in ['software', 'fintech']",
       points: 7.25}
    - {name: big revenue, when: "account.annual_revenue / 1000 > 6000", points: 5}
    - {name: same industry, when: "account.industry = industry", points: 3}
    - {name: researching, when: "intent('accounts payable automation', 30d) >= 60",
       points: 10}
    - {name: senior title, when: "title matches '(?i)(head|chief|vp)'", points: 4}
    - {name: finance title, when: "title contains 'finance'", points: 2}
    - {name: scaled size, when: "coalesce(company_size, 0) * 2 - 10 >= 3000", points: 1.5}
    - {name: pricing twice, when: "count(pricing_page, 30d) >= 2", points: 6}
    - {name: personal email, when: "email_domain_type = 'personal'", points: -10}
    - {name: job seeker, when: "title_flag = 'job_seeker'", points: -30}
engagement:
  cap: 80
  floor: -15
  half_life: 30d
  window: 90d
  events:
    - {type: demo_request, points: 30, half_life: none}
    - {type: contact_sales, points: 30, half_life: none, window: 14d}
    - {type: pricing_page, points: 20, cap: 40}
    - {type: trial_signup, points: 20, half_life: 7d}
    - {type: webinar_attended, points: 10, cap: 20, window: 36h}
    - {type: content_download, points: 5, cap: 15}
    - {type: case_study_view, points: 4.5, cap: 12}
    - {type: blog_view, points: 2, cap: 10}
    - {type: email_click, points: 2, cap: 10, half_life: 2w}
    - {type: email_open, points: 0.25, cap: 5}
    - {type: careers_page, points: -10}
    - {type: unsubscribe, points: -20, half_life: none}
  rules:
    - {name: recent activity, when: "days_since(last_activity_date) <= 14", points: 5}
    - {name: sessions, per: num_sessions, points: 1.5, cap: 12}
    - {name: pricing persona, when: "persona contains 'pricing'", per: num_sessions,
       points: 0.5, cap: 6}
disqualifiers:
  - {name: competitor, when: "email_domain_type = 'competitor' or account.is_competitor = true",
     reason: works for a competitor}
  - {name: student, when: "email_domain_type = 'student' or title_flag = 'student'",
     reason: student}
  - {name: customer, when: "account.is_customer = true", reason: existing customer}
  - {name: job hunting, when: "has(careers_page, 7d) and seniority = 'ic'", reason: job hunting}
grades:
  - {grade: A, min_fit: 40}
  - {grade: B, min_fit: 25}
  - {grade: C, min_fit: 10}
  - {grade: D}
bands:
  - {band: 1, min_engagement: 40}
  - {band: 2, min_engagement: 20}
  - {band: 3, min_engagement: 5}
  - {band: 4}
tiers:
  - name: hot
    when: "fit >= 25 and (has(demo_request, 14d) or has(contact_sales, 14d)
      or (has(pricing_page, 7d) and has(chat, 7d)))"
    sla: 1h
    route: ae
  - name: mql
    when: "fit >= 25 and score >= 50 and count(*, 30d) >= 3
      or (grade = 'A' and engaged_contacts(30d) >= 3)"
    sla: 24h
    route: sdr
  - name: warm
    when: "days_since(pricing_page) <= 7 or account.engagement >= 60 or band <= 2"
    sla: 72h
    route: nurture
    sales: false
"""


def load_lake(store: Store, paths: dict[str, str]) -> None:
    """Copy the lake's files into a project store (its own tables, its ``lead_events``
    view), as an import would leave them: the DuckDB side of an engine comparison."""
    store.add_columns("leads", LEAD_ATTRIBUTES)
    targets = {
        "accounts": "accounts",
        "leads": "leads",
        "events": "events",
        "visitor_links": "visitor_links",
        "intent": "intent_signals",
    }
    with store.atomic():
        for name, table in targets.items():
            if name in paths:
                store.execute(
                    f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)", [paths[name]]
                )
