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
    account_id_sql,
    apply_firmographics,
    create_missing_accounts,
    leads_from_accounts,
)
from .domains import classify_domains_sql, load_domain_lists, normalise_domain_sql
from .fill import ensure_columns, fill, run
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
    report = EnrichReport()
    with store.atomic():
        ensure_columns(store)
        where = f"WHERE ({lead_filter_sql})" if lead_filter_sql else ""
        run(
            store,
            f"""
            CREATE OR REPLACE TEMP TABLE {TARGETS} AS
            SELECT lead_id, title,
                   coalesce({normalise_domain_sql("email_domain")},
                            CASE WHEN email LIKE '%@%' THEN {normalise_domain_sql("email")} END)
                       AS email_domain,
                   {normalise_domain_sql("company_domain")} AS company_domain
            FROM leads {where}
            """,
        )
        report.leads = int(run(store, f"SELECT count(*) FROM {TARGETS}")[0][0])

        # 1. email domain type, over every distinct email and company domain at once.
        load_domain_lists(store.conn, competitor_domains, customer_domains)
        domains = (
            f"SELECT email_domain AS domain FROM {TARGETS} "
            f"UNION SELECT company_domain FROM {TARGETS}"
        )
        run(
            store, f"CREATE OR REPLACE TEMP TABLE {DOMAIN_TYPES} AS {classify_domains_sql(domains)}"
        )
        run(
            store,
            f"""
            CREATE OR REPLACE TEMP TABLE _lg_title_class AS
            SELECT title, {title_sql("seniority")} AS seniority,
                   {title_sql("department")} AS department, {title_sql("flag")} AS title_flag
            FROM (SELECT DISTINCT title FROM {TARGETS} WHERE title IS NOT NULL)
            """,
        )
        # 2. titles, classified once per distinct title; 3. accounts. Steps 1-3 land in one
        # UPDATE: DuckDB rewrites each row whose list column changes, so one pass, not three.
        run(
            store,
            f"""
            CREATE OR REPLACE TEMP TABLE _lg_lead_new AS
            SELECT t.lead_id, t.email_domain, d.domain_type AS email_domain_type,
                   c.seniority, c.department, c.title_flag, a.account_id
            FROM {TARGETS} t
            LEFT JOIN {DOMAIN_TYPES} d ON d.domain = t.email_domain
            LEFT JOIN _lg_title_class c ON c.title = t.title
            LEFT JOIN ({account_id_sql(TARGETS, DOMAIN_TYPES)}) a ON a.lead_id = t.lead_id
            """,
        )
        report.filled.update(fill(store, "leads", "lead_id", "_lg_lead_new", LEAD_FIELDS))
        report.domain_types = dict(
            run(
                store,
                "SELECT email_domain_type, count(*) FROM _lg_lead_new "
                "WHERE email_domain_type IS NOT NULL GROUP BY ALL",
            )
        )

        report.accounts_created = create_missing_accounts(store, TARGETS)
        # 4. firmographics on the accounts, then the leads' own fields from their account.
        if firmographics is not None:
            report.accounts_filled = apply_firmographics(store, firmographics)
        report.filled.update(leads_from_accounts(store, TARGETS))
        for table in (TARGETS, DOMAIN_TYPES, "_lg_lead_new", "_lg_title_class"):
            run(store, f"DROP TABLE IF EXISTS {table}")
    return report


__all__ = ["EnrichReport", "enrich_leads"]
