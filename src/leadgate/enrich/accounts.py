"""Leads → accounts, and firmographics from a local file keyed by domain.

A lead's account is its company's domain: the normalised ``company_domain`` the user gave,
else the domain of a business email. A personal, student or disposable domain never makes
an account (a thousand Gmail users are not one company), and neither does a
``company_domain`` that is itself such a domain (people type "gmail.com" into the company
field). Missing ``accounts`` rows are created with ``account_id = domain`` and nothing
else; existing rows keep every attribute they have.

Firmographics come from a CSV / Parquet / JSON file with one row a domain, of the kind a
data vendor exports. Column names vary between vendors, so each account attribute accepts
a few aliases (``employees`` for ``company_size``, ``revenue`` for ``annual_revenue``...).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ImportFailed
from ..store import Store
from .domains import NON_COMPANY_TYPES, normalise_domain_sql
from .fill import fill, quote, run

#: account column → accepted firmographics column names, first present wins.
FIRMOGRAPHIC_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "company", "company_name"),
    "company_size": ("company_size", "employees", "employee_count", "num_employees", "size"),
    "industry": ("industry", "sector"),
    "country": ("country", "hq_country", "country_code"),
    "annual_revenue": ("annual_revenue", "revenue", "annual_revenue_usd"),
    "tech": ("tech", "technologies", "tech_stack", "technographics"),
}
#: Lead columns filled from the lead's account when the lead has no value of its own.
LEAD_FROM_ACCOUNT: tuple[str, ...] = ("company_size", "industry", "country")

_NON_COMPANY = "(" + ", ".join(f"'{t}'" for t in sorted(NON_COMPANY_TYPES)) + ")"


def account_case(target: str, company_type: str, email_type: str) -> str:
    """The SQL CASE giving a lead's account: its company domain, else its email domain, when
    that domain's type (``company_type.domain_type``, ``email_type.domain_type``) is one a
    company can have."""
    return (
        f"CASE WHEN {company_type}.domain_type NOT IN {_NON_COMPANY} THEN "
        f"{target}.company_domain WHEN {email_type}.domain_type NOT IN {_NON_COMPANY} "
        f"THEN {target}.email_domain END"
    )


def account_id_sql(targets: str, domain_types: str) -> str:
    """A query giving ``(lead_id, account_id)``: the account each target lead belongs to.

    ``targets`` has ``lead_id, email_domain, company_domain`` (normalised);
    ``domain_types`` has ``domain, domain_type``. The pipeline joins this into its one
    UPDATE of the leads; :func:`link_accounts` runs it alone.
    """
    return f"""
        SELECT t.lead_id, {account_case("t", "cd", "ed")} AS account_id
        FROM {targets} t
        LEFT JOIN {domain_types} cd ON cd.domain = t.company_domain
        LEFT JOIN {domain_types} ed ON ed.domain = t.email_domain
    """


def create_missing_accounts(store: Store, links: str) -> int:
    """Insert an ``accounts`` row (id = domain, nothing else) for each new ``account_id`` of
    the table ``links``; existing accounts are not touched. Returns the rows created."""
    now = store.now()
    created = run(
        store,
        f"""
        INSERT INTO accounts (account_id, domain, created_at, updated_at)
        SELECT DISTINCT l.account_id, l.account_id, ?::TIMESTAMP, ?::TIMESTAMP
        FROM {links} l
        WHERE l.account_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = l.account_id)
        """,
        [now, now],
    )
    return int(created[0][0]) if created else 0


def link_accounts(store: Store, targets: str, domain_types: str) -> tuple[dict[str, int], int]:
    """Set ``leads.account_id`` for the leads in ``targets``; create the missing accounts.

    Returns (filled counts, accounts created).
    """
    run(
        store,
        "CREATE OR REPLACE TEMP TABLE _lg_account_link AS " + account_id_sql(targets, domain_types),
    )
    filled = fill(store, "leads", "lead_id", "_lg_account_link", ["account_id"])
    return filled, create_missing_accounts(store, "leads")


def _read_firmographics(store: Store, path: str | Path) -> str:
    """Load the file into ``_lg_firmo`` (account_id + account columns); return its name."""
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"The firmographics file {path} does not exist.")
    reader = {".parquet": "read_parquet", ".json": "read_json_auto", ".jsonl": "read_json_auto"}
    fn = reader.get(path.suffix.lower(), "read_csv_auto")
    run(store, f"CREATE OR REPLACE TEMP TABLE _lg_firmo_raw AS SELECT * FROM {fn}(?)", [str(path)])
    have = {c.lower(): c for c in store.table_columns("_lg_firmo_raw")}
    key = next(
        (have[k] for k in ("domain", "company_domain", "website", "account_id") if k in have), None
    )
    if key is None:
        raise ImportFailed(
            f"The firmographics file {path} has no 'domain' column. "
            f"Got {sorted(have.values())} instead."
        )
    selects = [f"{normalise_domain_sql(quote(key))} AS account_id"]
    for column, aliases in FIRMOGRAPHIC_ALIASES.items():
        source = next((have[a] for a in aliases if a in have), None)
        selects.append(f"{quote(source) if source else 'NULL'} AS {column}")
    # A domain listed twice keeps one row: any of them, the file has no better order to trust.
    run(
        store,
        f"CREATE OR REPLACE TEMP TABLE _lg_firmo AS SELECT * FROM "
        f"(SELECT {', '.join(selects)} FROM _lg_firmo_raw) WHERE account_id IS NOT NULL "
        f"QUALIFY row_number() OVER (PARTITION BY account_id) = 1",
    )
    return "_lg_firmo"


def apply_firmographics(store: Store, path: str | Path) -> dict[str, int]:
    """Fill account attributes from the file at ``path`` where the account has none.

    Only accounts that exist are filled (the file is a lookup, not a list of prospects).
    Returns account column → accounts filled.

    >>> import tempfile, os
    >>> store = Store(":memory:")
    >>> from .fill import ensure_columns; ensure_columns(store)
    >>> _ = run(store, "INSERT INTO accounts (account_id, industry) VALUES ('acme.com', 'Retail')")
    >>> csv = os.path.join(tempfile.mkdtemp(), "firmo.csv")
    >>> _ = open(csv, "w").write("domain,employees,industry\\nwww.acme.com,250,Software\\n")
    >>> apply_firmographics(store, csv)["company_size"]
    1
    >>> run(store, "SELECT company_size, industry FROM accounts")
    [(250, 'Retail')]
    """
    source = _read_firmographics(store, path)
    return fill(store, "accounts", "account_id", source, list(FIRMOGRAPHIC_ALIASES))


def leads_from_accounts(store: Store, targets: str) -> dict[str, int]:
    """Fill the target leads' company_size, industry and country from their account."""
    cols = ", ".join(f"a.{c}" for c in LEAD_FROM_ACCOUNT)
    run(
        store,
        f"CREATE OR REPLACE TEMP TABLE _lg_lead_firmo AS SELECT l.lead_id, {cols} "
        f"FROM leads l JOIN {targets} t USING (lead_id) JOIN accounts a USING (account_id)",
    )
    return fill(store, "leads", "lead_id", "_lg_lead_firmo", LEAD_FROM_ACCOUNT)


__all__ = [
    "FIRMOGRAPHIC_ALIASES",
    "account_case",
    "account_id_sql",
    "create_missing_accounts",
    "LEAD_FROM_ACCOUNT",
    "apply_firmographics",
    "leads_from_accounts",
    "link_accounts",
]
