"""The five things leadgate imports and the fields each one understands.

``leads`` and ``accounts`` are *upserted* on their primary key: a re-import updates the
attributes that changed and leaves identical rows alone. ``events``, ``outcomes`` and
``intent`` are *appended* once per key (an id from the file, or a content hash), so importing
the same file twice adds nothing.

Field names are the store's column names; a file header that reads the same once put in
snake_case (``"Company Size"`` → ``company_size``) maps itself, and ``ALIASES`` lists the
other common spellings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OUTCOMES: tuple[str, ...] = ("accepted", "rejected", "sql", "opportunity", "won", "lost")

#: Rows per commit. Every batch costs a commit and a pass over the file's visitor links: at
#: 500,000 rows those were a tenth of a 50M-event import, at 2,000,000 (16 of DuckDB's row
#: groups) a fortieth. A ``kill -9`` loses at most one batch of work, never a part of one.
BATCH_ROWS = 2_000_000


@dataclass(frozen=True)
class Kind:
    """How one kind of file lands in the store."""

    name: str
    table: str
    key: str  # the table's key column
    mode: str  # "upsert" (PK table) or "append" (keyed by anti-join)
    # Fields not read from the table's own columns (append kinds list all of theirs here).
    fields: dict[str, str] = field(default_factory=dict)
    # Targets that never become a column but steer the load (e.g. email on events).
    extras: str = "ignore"  # what happens to unmapped columns: columns | properties | ignore


KINDS: dict[str, Kind] = {
    "leads": Kind(
        "leads", "leads", "lead_id", "upsert", {"visitor_id": "VARCHAR"}, extras="columns"
    ),
    "accounts": Kind("accounts", "accounts", "account_id", "upsert", extras="columns"),
    "events": Kind(
        "events",
        "events",
        "event_id",
        "append",
        {
            "event_id": "VARCHAR",
            "lead_id": "VARCHAR",
            "email": "VARCHAR",
            "visitor_id": "VARCHAR",
            "type": "VARCHAR",
            "ts": "TIMESTAMP",
            "url": "VARCHAR",
        },
        extras="properties",
    ),
    "outcomes": Kind(
        "outcomes",
        "outcomes",
        "outcome_id",
        "append",
        {
            "outcome_id": "VARCHAR",
            "lead_id": "VARCHAR",
            "email": "VARCHAR",
            "outcome": "VARCHAR",
            "reason": "VARCHAR",
            "value": "DOUBLE",
            "ts": "TIMESTAMP",
        },
    ),
    "intent": Kind(
        "intent",
        "intent_signals",
        "signal_id",
        "append",
        {
            "signal_id": "VARCHAR",
            "account_id": "VARCHAR",
            "topic": "VARCHAR",
            "strength": "DOUBLE",
            "ts": "TIMESTAMP",
        },
    ),
}

# Other spellings of a field seen in real exports, after snake_case. The first header
# present wins; an explicit mapping always wins over these.
ALIASES: dict[str, tuple[str, ...]] = {
    "lead_id": ("id", "contact_id", "record_id", "mql_id", "lead"),
    "email": ("email_address", "e_mail", "work_email"),
    "visitor_id": ("anonymous_id", "anon_id", "cookie_id", "visitor"),
    "type": ("event_type", "event", "activity_type", "action"),
    "ts": ("timestamp", "occurred_at", "event_time", "time", "date", "created_at"),
    "url": ("page_url", "page", "link"),
    "title": ("job_title",),
    "company": ("company_name", "organization"),
    "company_domain": ("website", "domain", "company_website"),
    "company_size": ("employees", "number_of_employees", "num_employees", "headcount"),
    "account_id": ("domain", "company_domain", "website"),
    "domain": ("website", "company_domain"),
    "name": ("company_name", "company"),
    "created_at": ("create_date", "created", "created_date"),
    "updated_at": ("last_modified_date", "updated"),
    "strength": ("score", "intent_score"),
    "topic": ("intent_topic",),
    "value": ("amount", "deal_value"),
    "outcome": ("result", "status"),
}


def kind_named(name: str) -> Kind:
    """The :class:`Kind` called ``name``, or :class:`~leadgate.errors.ImportFailed`.

    >>> kind_named("events").mode
    'append'
    """
    from ..errors import UNKNOWN_KIND, ImportFailed
    from ..vocabulary import suggest

    try:
        return KINDS[name]
    except KeyError:
        hint = suggest(name, KINDS)
        extra = f" Did you mean {hint!r}?" if hint else ""
        raise ImportFailed(
            f"Unknown import kind {name!r}; use one of {', '.join(KINDS)}.{extra}",
            code=UNKNOWN_KIND,
        ) from None
