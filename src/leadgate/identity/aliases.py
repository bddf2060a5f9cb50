"""A lead's aliases: every id a source gave it, its own id included (``lead_aliases``).

Which lead a leads row is (:func:`lead_sql`), in order:

1. the lead its id is an alias of (an id seen before is that lead, whatever its email);
2. the lead already holding its email (the same person from another source: the row's id
   becomes an alias of that lead);
3. its own id, else an id derived from its email (a new lead).

The email is trimmed and lower-cased, nothing more: ``ana.b+x@gmail.com`` and
``anab@gmail.com`` are two people, because a company's mail server may treat dots and
``+`` tags as it likes, and two leads merged wrongly cannot be told apart again.

Events and outcomes keep their content key on the id as the file gives it, so importing
the same file twice still changes nothing, and store the lead the id is an alias of
(:func:`resolve_sql`). Events or outcomes stored before their id became an alias are moved
to the lead when it does (:func:`repoint`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..store import Store

Has = Callable[[str], bool]
# Leads import and merge both fill these; the scoring reads lead_events (events.lead_id).
MOVED_TABLES = ("events", "outcomes", "visitor_links")
NEW_ALIASES = "_lg_new_aliases"
# What a lead's email resolves to when no lead carries it yet: a stable id derived from the
# normalised address, so the same person imported twice by email is one lead.
DERIVED_ID = "'e_' || left(md5({email}), 20)"


def email_sql(value: str) -> str:
    """A stored or imported email as identity compares it: trimmed, lower case."""
    return f"lower(trim({value}))"


def known_emails_join(email: str) -> str:
    """A join naming ``known.lid``: the lead already holding ``email`` (the first by id)."""
    return (
        f" LEFT JOIN (SELECT {email_sql('email')} AS em, min(lead_id) AS lid FROM leads "
        f"WHERE email IS NOT NULL GROUP BY 1) AS known ON known.em = {email}"
    )


def lead_sql(kind: str, has: Has, lead_id: str, email: str) -> tuple[str, str, str]:
    """For a leads, events or outcomes stage: the joins, the lead's id, and the alias.

    ``lead_id`` and ``email`` are the staged values' SQL. For leads the order is alias,
    email, own id (see the module); for events and outcomes the file's id as given, else
    the email's lead (aliases are resolved later, by :func:`resolve_sql`, so that their
    content keys do not move when an alias appears).
    """
    join = known_emails_join(email) if has("email") else ""
    derived = DERIVED_ID.format(email=email) if has("email") else "NULL"
    own = lead_id if has("lead_id") else "NULL"
    known = "known.lid" if has("email") else "NULL"
    if kind != "leads":
        return join, f"coalesce({own}, {known}, {derived})", own
    if has("lead_id"):
        # A lead's own id from the leads table, so that leads written without an alias row
        # (by SQL, by hand) are found by id too; the other aliases from lead_aliases (none
        # of them is a lead's id: the id of a lead is never made an alias of another).
        ids = (
            "(SELECT lead_id AS alias, lead_id FROM leads UNION ALL "
            "SELECT alias, lead_id FROM lead_aliases WHERE alias <> lead_id)"
        )
        join = f" LEFT JOIN {ids} AS alias ON alias.alias = {lead_id}" + join
        lead = f"coalesce(alias.lead_id, {known}, {own}, {derived})"
        return join, lead, f"coalesce({own}, {lead})"
    lead = f"coalesce({known}, {derived})"
    return join, lead, lead


def resolve_sql(lead: str) -> tuple[str, str]:
    """An event's or outcome's lead, an alias resolved: the join and the lead's id."""
    join = (
        " LEFT JOIN (SELECT alias, lead_id FROM lead_aliases WHERE alias <> lead_id) "
        f"AS lead_alias ON lead_alias.alias = {lead}"
    )
    return join, f"coalesce(lead_alias.lead_id, {lead})"


def has_aliases(store: Store) -> bool:
    """Whether any lead has an alias besides its own id (else events need no resolving)."""
    return bool(
        store.scalar(
            "SELECT count(*) FROM (SELECT 1 FROM lead_aliases WHERE alias <> lead_id LIMIT 1)"
        )
    )


def record_aliases(store: Store, stage: str, rows: str, import_id: str, source: str) -> int:
    """Record the ids a batch of staged leads gave (``_alias`` → ``_key``); move what was
    keyed by those that name another lead. Returns how many such aliases were new."""
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {NEW_ALIASES} AS SELECT s._alias AS alias, "
        f"s._key AS lead_id FROM {stage} AS s WHERE {rows} AND s._rej IS NULL "
        "AND s._alias NOT IN (SELECT alias FROM lead_aliases)"
    )
    store.execute(
        f"INSERT INTO lead_aliases SELECT alias, lead_id, ?, ?, ? FROM {NEW_ALIASES}",
        [source, import_id, store.now()],
    )
    others = store.scalar(f"SELECT count(*) FROM {NEW_ALIASES} WHERE alias <> lead_id")
    if others:
        repoint(store, f"(SELECT alias, lead_id FROM {NEW_ALIASES} WHERE alias <> lead_id)")
    store.execute(f"DROP TABLE IF EXISTS {NEW_ALIASES}")
    return int(others)


def repoint(store: Store, moves: str) -> dict[str, int]:
    """Give the events, outcomes and visitor links keyed by an old id (``moves``: rows of
    ``alias``, ``lead_id``) to its lead; return how many of each moved."""
    moved = {}
    for table in MOVED_TABLES:
        cur = store.execute(
            f"UPDATE {table} SET lead_id = m.lead_id FROM {moves} AS m "
            f"WHERE {table}.lead_id = m.alias"
        )
        moved[table] = int(cur.fetchall()[0][0])
    return moved


def candidates(store: Store, key: str) -> list[str]:
    """Every lead ``key`` names: as a lead id, as an alias, or as an email (normalised)."""
    rows = store.execute(
        "SELECT lead_id FROM leads WHERE lead_id = ? UNION "
        "SELECT a.lead_id FROM lead_aliases a JOIN leads USING (lead_id) WHERE a.alias = ? "
        f"UNION SELECT lead_id FROM leads WHERE {email_sql('email')} = {email_sql('?')} "
        "ORDER BY 1",
        [key, key, key],
    ).fetchall()
    return [r[0] for r in rows]


def shared_emails(store: Store) -> int:
    """How many emails more than one lead holds: what ``leadgate merge`` would merge."""
    return int(
        store.scalar(
            f"SELECT count(*) FROM (SELECT {email_sql('email')} AS em FROM leads "
            "WHERE email IS NOT NULL GROUP BY em HAVING count(*) > 1)"
        )
    )


def trusted_sources(source: str, prefer: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """``source`` and the sources ``prefer`` (most trusted first) ranks above it: all of
    them when it is not listed; none without ``prefer`` (the last import wins).

    >>> trusted_sources("hubspot_contacts", ["salesforce_leads", "hubspot_contacts"])
    ('hubspot_contacts', ('salesforce_leads',))
    >>> trusted_sources("list.csv", ["salesforce_leads"])
    ('list.csv', ('salesforce_leads',))
    """
    above = prefer[: prefer.index(source)] if source in prefer else prefer
    return source, tuple(above)
