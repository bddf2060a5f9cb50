"""``enrich_leads``: every enrichment step, set-based, over all leads or one import's leads.

Order matters: domain types first (accounts need them), titles, then accounts, then
firmographics on the accounts, then the leads' own firmographic fields from their accounts.
All of it runs in one transaction, so a failed step leaves the store as it was.

Every step works on *distinct* values (domains, titles) and joins back, so the cost grows
with the number of distinct titles and domains rather than with leads: a million leads
enrich in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..store import Store
from .accounts import (
    LEAD_FROM_ACCOUNT,
    account_case,
    apply_firmographics,
    create_missing_accounts,
)
from .domains import classify_domains_sql, load_domain_lists, normalise_domain_sql
from .fill import CHANGES, ENRICHED, append_names, changes, ensure_columns, run
from .titles import title_sql

TARGETS = "_lg_targets"
DOMAIN_TYPES = "_lg_domain_types"
LEAD_FIELDS = (
    "email_domain",
    "email_domain_type",
    "seniority",
    "department",
    "title_flag",
    "account_id",
)
#: Every lead field enrichment writes, in the order of ``CHANGES.v0, v1, ...``.
ENRICHED_FIELDS = (*LEAD_FIELDS, *LEAD_FROM_ACCOUNT)


@dataclass
class EnrichReport:
    """What one :func:`enrich_leads` run did.

    ``filled`` maps a lead field to the number of leads whose value enrichment wrote or
    corrected this run; ``accounts_filled`` the same for account attributes.
    """

    leads: int = 0
    filled: dict[str, int] = field(default_factory=dict)
    accounts_created: int = 0
    accounts_filled: dict[str, int] = field(default_factory=dict)
    domain_types: dict[str, int] = field(default_factory=dict)

    def add(self, other: EnrichReport) -> None:
        """Add the counts of ``other`` (one more batch of the same import) to these."""
        self.leads += other.leads
        self.accounts_created += other.accounts_created
        for mine, theirs in (
            (self.filled, other.filled),
            (self.accounts_filled, other.accounts_filled),
            (self.domain_types, other.domain_types),
        ):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n

    def summary(self) -> str:
        """One line for logs and the CLI."""
        parts = [f"{k} {v}" for k, v in self.filled.items() if v]
        return (
            f"enriched {self.leads} leads: "
            + (", ".join(parts) or "nothing new")
            + f"; {self.accounts_created} accounts created"
        )


def enrich_leads(
    store: Store,
    *,
    competitor_domains: Iterable[str] = (),
    customer_domains: Iterable[str] = (),
    firmographics: str | Path | None = None,
    lead_filter_sql: str | None = None,
) -> EnrichReport:
    """Enrich the leads in the store (or those matching ``lead_filter_sql``).

    ``lead_filter_sql`` is a trusted SQL predicate over ``leads`` columns, e.g.
    ``"lead_id IN (SELECT lead_id FROM _import_batch)"``; it is pasted into the query, so
    never build it from user input. ``firmographics`` is a CSV/Parquet/JSON file keyed by
    domain (see :mod:`leadgate.enrich.accounts`).

    >>> store = Store(":memory:")
    >>> _ = store.execute("INSERT INTO leads (lead_id, email, title) VALUES "
    ...                   "('1', 'ana@acme.com', 'VP Marketing'), ('2', 'bo@gmail.com', NULL)")
    >>> report = enrich_leads(store, competitor_domains=["rival.io"])
    >>> report.filled["seniority"], report.accounts_created
    (1, 1)
    >>> store.execute("SELECT email_domain_type, seniority, department, account_id "
    ...               "FROM leads ORDER BY lead_id").fetchall()
    [('business', 'vp', 'marketing', 'acme.com'), ('personal', None, None, None)]
    """
    with store.atomic():
        ensure_columns(store)
        where = f"WHERE ({lead_filter_sql})" if lead_filter_sql else ""
        report = enrich_changes(
            store,
            f"(SELECT * FROM leads {where})",
            competitor_domains=competitor_domains,
            customer_domains=customer_domains,
            firmographics=firmographics,
        )
        sets = ", ".join(
            f"{f} = coalesce(c._lg_v{i}, t.{f})" for i, f in enumerate(ENRICHED_FIELDS)
        )
        run(store, f"UPDATE leads AS t SET {sets} FROM {CHANGES} AS c WHERE t.lead_id = c._lg_k")
        append_names(store, "leads", "lead_id")
    return report


def enrich_changes(
    store: Store,
    leads: str,
    *,
    competitor_domains: Iterable[str] = (),
    customer_domains: Iterable[str] = (),
    firmographics: str | Path | None = None,
    carry: bool = False,
) -> EnrichReport:
    """Every step of :func:`enrich_leads` but the last: the lead values it would write are
    left in the temp table :data:`~.fill.CHANGES` (see :func:`.fill.changes`).

    ``leads`` is a relation with the ``leads`` columns, one row a lead to enrich: the stored
    rows, or the rows an import is about to write (which then writes both at once). Accounts
    are created and firmographics filled for real. Call inside a transaction. ``carry``: see
    :func:`.fill.changes`.
    """
    report = EnrichReport()
    ensure_columns(store)
    _targets(store, leads)
    report.leads = int(run(store, f"SELECT count(*) FROM {TARGETS}")[0][0])

    # 1. email domain type, over every distinct email and company domain at once.
    load_domain_lists(store, competitor_domains, customer_domains)
    domains = (
        f"SELECT email_domain AS domain FROM {TARGETS} UNION SELECT company_domain FROM {TARGETS}"
    )
    run(store, f"CREATE OR REPLACE TEMP TABLE {DOMAIN_TYPES} AS {classify_domains_sql(domains)}")
    run(
        store,
        f"""
        CREATE OR REPLACE TEMP TABLE _lg_title_class AS
        SELECT title, {title_sql("seniority")} AS seniority,
               {title_sql("department")} AS department, {title_sql("flag")} AS title_flag
        FROM (SELECT DISTINCT title FROM {TARGETS} WHERE title IS NOT NULL)
        """,
    )
    # 2. titles, classified once per distinct title; 3. the account each lead belongs to
    # (the user's own account_id wins over the one derived from its domains).
    run(
        store,
        f"""
        CREATE OR REPLACE TEMP TABLE _lg_lead_new AS
        SELECT t.lead_id, t.email_domain, d.domain_type AS email_domain_type,
               c.seniority, c.department, c.title_flag,
               CASE WHEN t.account_id IS NULL
                      OR list_contains(coalesce(t.{ENRICHED}, []), 'account_id')
                    THEN coalesce({account_case("t", "cd", "d")}, t.account_id)
                    ELSE t.account_id END AS account_id
        FROM {TARGETS} t
        LEFT JOIN {DOMAIN_TYPES} d ON d.domain = t.email_domain
        LEFT JOIN {DOMAIN_TYPES} cd ON cd.domain = t.company_domain
        LEFT JOIN _lg_title_class c ON c.title = t.title
        """,
    )
    report.domain_types = dict(
        run(
            store,
            "SELECT email_domain_type, count(*) FROM _lg_lead_new "
            "WHERE email_domain_type IS NOT NULL GROUP BY ALL",
        )
    )
    # 4. accounts rows, firmographics on them, then the lead fields they fill.
    report.accounts_created = create_missing_accounts(store, "_lg_lead_new")
    if firmographics is not None:
        report.accounts_filled = apply_firmographics(store, firmographics)
    from_account = ", ".join(f"acc.{f}" for f in LEAD_FROM_ACCOUNT)
    run(
        store,
        f"CREATE OR REPLACE TEMP TABLE _lg_lead_all AS SELECT n.*, {from_account} "
        f"FROM _lg_lead_new n LEFT JOIN accounts acc ON acc.account_id = n.account_id",
    )
    report.filled = changes(
        store, "leads", "lead_id", "_lg_lead_all", ENRICHED_FIELDS, current=leads, carry=carry
    )
    for table in (TARGETS, DOMAIN_TYPES, "_lg_lead_new", "_lg_lead_all", "_lg_title_class"):
        run(store, f"DROP TABLE IF EXISTS {table}")
    return report


def _targets(store: Store, leads: str) -> None:
    """The leads to enrich with their normalised domains, in the temp table ``TARGETS``."""
    # Domains repeat (a thousand leads at gmail.com), so each distinct raw value is
    # normalised once and joined back: the regexes run on thousands of rows, not 1M.
    # An email domain enrichment wrote follows the email (a lead whose address changed
    # from a disposable one is judged by the new one); one the user imported is kept.
    from_email = "CASE WHEN email LIKE '%@%' THEN string_split(email, '@')[-1] END"
    theirs = f"NOT coalesce(list_contains({ENRICHED}, 'email_domain'), false)"
    raw = (
        f"SELECT lead_id, title, account_id, {ENRICHED}, company_domain AS raw_company, "
        f"CASE WHEN email_domain IS NOT NULL AND {theirs} THEN email_domain "
        f"ELSE coalesce({from_email}, email_domain) END AS raw_email "
        f"FROM {leads}"
    )
    run(
        store,
        f"""
        CREATE OR REPLACE TEMP TABLE {TARGETS} AS
        WITH r AS ({raw}),
        norm AS (
            SELECT raw, {normalise_domain_sql("raw")} AS domain FROM (
                SELECT raw_email AS raw FROM r UNION SELECT raw_company FROM r)
        )
        SELECT r.lead_id, r.title, r.account_id, r.{ENRICHED}, e.domain AS email_domain,
               c.domain AS company_domain
        FROM r LEFT JOIN norm e ON e.raw = r.raw_email
               LEFT JOIN norm c ON c.raw = r.raw_company
        """,
    )


__all__ = ["ENRICHED_FIELDS", "EnrichReport", "enrich_changes", "enrich_leads"]
