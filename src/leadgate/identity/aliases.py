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
    """A join naming ``known.lid``, the lead already holding ``email`` (the first by id),
    and ``known.leads``, how many hold it (see :func:`shared_email_check`)."""
    return (
        f" LEFT JOIN (SELECT {email_sql('email')} AS em, min(lead_id) AS lid, "
        "count(DISTINCT lead_id) AS leads FROM leads "
        f"WHERE email IS NOT NULL GROUP BY 1) AS known ON known.em = {email}"
    )


def shared_email_check(own: str, *, named: str | None = None) -> tuple[str, str]:
    """For a stage: SQL true when a row names its lead by an email several leads hold
    (``own``: the row's lead id, NULL when it gives none), and the reject's reason as SQL
    over ``s._raw`` (the email), naming the leads. Never a guess: ``explain`` and the API
    refuse such an email too (LG405).

    ``named`` (leads): SQL true when the row's id names a stored lead, by its own id or an
    alias; such a row is that lead whatever its email. A new id beside a shared email is
    as ambiguous as no id (which of the leads is it the new id of?)."""
    if named is not None:
        return f"known.leads > 1 AND NOT coalesce({named}, false)", _shared_reason()
    return f"{own} IS NULL AND known.leads > 1", _shared_reason()


def _shared_reason() -> str:
    return (
        "(SELECT 'the email names ' || count(*) || ' leads: ' "
        "|| string_agg(lead_id, ', ' ORDER BY lead_id) || '; give the lead_id of the one "
        "meant, or merge the leads that share the email (leadgate merge --apply)' "
        f"FROM leads WHERE {email_sql('email')} = {email_sql('s._raw')})"
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
        # Only the aliases that name another lead (few): a row whose id is a lead's own but
        # whose email another lead holds is set right after staging (own_ids), which costs
        # far less than joining every lead's id to every row.
        join = resolve_sql(lead_id)[0] + join
        lead = f"coalesce(lead_alias.lead_id, {known}, {own}, {derived})"
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


def own_ids(store: Store, stage: str) -> int:
    """Staged leads whose id is a stored lead's own, keyed by email to another lead: the id
    wins (a lead whose email changed is still that lead). Returns how many rows name a
    lead by another id than their own (0: each row's id is its key)."""
    others = int(store.scalar(f"SELECT count(*) FROM {stage} WHERE _key <> _alias"))
    if others:
        store.execute(
            f"UPDATE {stage} SET _key = _alias WHERE _key <> _alias "
            "AND _alias IN (SELECT lead_id FROM leads)"
        )
    return others


def has_aliases(store: Store) -> bool:
    """Whether any lead has an alias besides its own id (else events need no resolving)."""
    return bool(
        store.scalar(
            "SELECT count(*) FROM (SELECT 1 FROM lead_aliases WHERE alias <> lead_id LIMIT 1)"
        )
    )


def record_aliases(store: Store, merged: str, import_id: str, source: str) -> int:
    """Record the ids a batch of leads gave (``merged``: the batch as written, with each
    row's id in ``_lg_alias``): a new lead's own id, and each id first seen naming another
    lead, whose events and outcomes then move to it. Returns how many of those were new."""
    values = [source, import_id, store.now()]
    # A new lead's id is no alias yet: it would have named its lead.
    store.execute(
        f"INSERT INTO lead_aliases SELECT _lg_alias, lead_id, ?, ?, ? FROM {merged} WHERE _lg_new",
        values,
    )
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {NEW_ALIASES} AS SELECT _lg_alias AS alias, lead_id "
        f"FROM {merged} WHERE _lg_alias <> lead_id"
    )
    if not store.scalar(f"SELECT count(*) FROM {NEW_ALIASES}"):
        return 0
    store.execute(f"DELETE FROM {NEW_ALIASES} WHERE alias IN (SELECT alias FROM lead_aliases)")
    store.execute(
        f"INSERT INTO lead_aliases SELECT alias, lead_id, ?, ?, ? FROM {NEW_ALIASES}", values
    )
    others = int(store.scalar(f"SELECT count(*) FROM {NEW_ALIASES}"))
    repoint(store, NEW_ALIASES)
    store.execute(f"DROP TABLE IF EXISTS {NEW_ALIASES}")
    return others


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
    """Every lead ``key`` names: as a lead id, as an alias, or as an email (normalised).

    The email comparison reads every lead's email (it is normalised, so no index serves
    it): it is skipped for a key without ``@`` that names a lead by id or alias already,
    which keeps a lead page on a million leads from scanning them all.
    """
    by_id = store.execute(
        "SELECT lead_id FROM leads WHERE lead_id = ? UNION "
        "SELECT a.lead_id FROM lead_aliases a JOIN leads USING (lead_id) WHERE a.alias = ?",
        [key, key],
    ).fetchall()
    found = {r[0] for r in by_id}
    if "@" in key or not found:
        rows = store.execute(
            f"SELECT lead_id FROM leads WHERE {email_sql('email')} = {email_sql('?')}", [key]
        ).fetchall()
        found |= {r[0] for r in rows}
    return sorted(found)


def shared_emails(store: Store, stage: str) -> int:
    """How many emails of a staged file it gave to more than one lead (two ids of one
    person in one file): what ``leadgate merge`` would merge."""
    return int(
        store.scalar(
            f"SELECT count(*) FROM (SELECT email FROM {stage} WHERE _rej IS NULL AND email "
            "IS NOT NULL GROUP BY email HAVING min(_key) <> max(_key))"
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
