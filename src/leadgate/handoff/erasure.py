"""``leadgate forget EMAIL``: remove a person from every table, keep only that it happened.

A person is every lead whose email is ``EMAIL`` (trimmed, any case), with every id any
source gave them (``lead_aliases``) and every visitor id linked to them. In one transaction:

* **deleted**: the leads, their aliases, visitor links, events (by lead or visitor), outcomes,
  scores, SLA times (``lead_handoff``), routing misses and merge records;
* **kept without the person**: ``stage_transitions`` and ``assignments`` keep their rows,
  so the funnel's counts and the reps' history stay true, but the lead id becomes a
  pseudonym (``erased_`` + random hex, one per lead, linked to nothing) and a free-text
  column of theirs that names the person (a reason, an actor) becomes ``[erased]``;
* **the outbox**: a message about the person not yet delivered (pending, failed, dead) is
  deleted with its tries: sending a person's data after they were forgotten would undo the
  erasure. A delivered one keeps its row (the delivery log stays true) but its body's
  ``data`` becomes ``{"erased": true}`` and its ``lead_id`` NULL: a replay sends nothing
  personal;
* **other leads' rows that name the person** (a transition's reason "same buyer as
  ana@acme.com", a message about that transition, an event's property) are kept, the
  mention replaced by ``[erased]`` and the rest of the text as it was: forgetting one
  person must not take another lead's history or an undelivered message about them;
* **every other table** (those other parts of leadgate add later included) is swept: a row
  with a text column naming the email or one of the ids is deleted. The definitions and
  the plans made from them are not swept: a definition is the company's rules, and a rule
  that names a person is edited in the definition, as a new version.

The person is named by the email as a whole address, in any case, and by their ids as whole
words: forgetting ``ana@acme.co`` leaves ``diana@acme.co`` and ``ana@acme.com`` alone, and
forgetting lead ``L1`` leaves ``L12``. The sweep reads every text column of every table
once: on a store of 50 million events it takes a while, which an erasure can afford.

``erasures`` then records the erasure: its id, when, by whom, how many rows of each table
went, and ``subject_check``, a PBKDF2 hash of the email with a random salt of its own (see
:func:`subject_check`): no email, no lead id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..errors import LeadgateError
from ..store import Store
from .stages import check_actor

ITERATIONS = 200_000
PERSON = "_lg_forget_ids"
# Tables handled one by one (see the module) before the sweep of every other table.
DELETED = {
    "leads": "lead_id",
    "lead_aliases": "lead_id",
    "visitor_links": "lead_id",
    "outcomes": "lead_id",
    "scores": "lead_id",
    "lead_handoff": "lead_id",
    "routing_misses": "lead_id",
}
PSEUDONYMOUS = ("stage_transitions", "assignments")
# Rows never deleted by the sweep: a mention of the person in them is replaced.
KEPT = (*PSEUDONYMOUS, "outbox", "outbox_deliveries", "definition_activations")
NOT_SWEPT = ("erasures", "_migrations", "definitions", "plans")
ERASED = "[erased]"
# What may not stand before an address or an id without making it part of a longer one: a
# letter, a digit or anything else an address's local part may hold (RFC 5322's atext), but
# quotes, which in prose quote the address ('ana@acme.com').
_TOUCHING = "A-Za-z0-9.!#$%&*+/=?^_{|}~"


class NothingToForget(LeadgateError, LookupError):
    """No lead has that email: nothing was erased, nothing recorded."""

    code = "LG680"


class BadEmail(LeadgateError, ValueError):
    """What was given to forget is not an email address."""

    code = "LG681"


@dataclass(frozen=True)
class Erasure:
    """What :meth:`Project.forget` did; it names no one (the caller knows whom)."""

    erasure_id: str
    erased_at: dt.datetime
    actor: str
    leads: int
    rows_removed: dict[str, int] = field(default_factory=dict)
    rows_pseudonymised: dict[str, int] = field(default_factory=dict)
    messages_deleted: int = 0
    messages_rewritten: int = 0
    rows_redacted: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "erasure_id": self.erasure_id,
            "erased_at": self.erased_at.isoformat(),
            "actor": self.actor,
            "leads": self.leads,
            "rows_removed": dict(self.rows_removed),
            "rows_pseudonymised": dict(self.rows_pseudonymised),
            "messages_deleted": self.messages_deleted,
            "messages_rewritten": self.messages_rewritten,
            "rows_redacted": dict(self.rows_redacted),
        }


def normal_email(email: str) -> str:
    """The email as identity compares it (trimmed, lower case), or :class:`BadEmail`."""
    text = email.strip().lower()
    if "@" not in text or text.startswith("@") or text.endswith("@") or " " in text:
        raise BadEmail(f"{email!r} is not an email address: forget takes one, e.g. ana@acme.com.")
    return text


def subject_check(email: str, salt: str | None = None) -> str:
    """``pbkdf2_sha256$ITERATIONS$SALT$HASH`` of the normalised email.

    Why a hash at all: when the person asks again ("did you erase me?"), the operator can
    check the address they give against the record. Why salted per record and slow: the
    table alone must not tell whom it is about; without a salt, or with one salt for all,
    hashing a list of known emails once would name every erased person, where here each
    guess costs ~0.1 s per record.

    >>> check = subject_check("Ana@Acme.com ", salt="00")
    >>> check.split("$")[:3], matches(check, "ana@acme.com"), matches(check, "bo@acme.com")
    (['pbkdf2_sha256', '200000', '00'], True, False)
    """
    salt = salt if salt is not None else secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", normal_email(email).encode(), salt.encode(), ITERATIONS)
    return f"pbkdf2_sha256${ITERATIONS}${salt}${digest.hex()}"


def matches(check: str, email: str) -> bool:
    """Whether ``check`` (a :func:`subject_check`) is of ``email``."""
    _, _, salt, _ = check.split("$")
    return secrets.compare_digest(subject_check(email, salt), check)


class Mention:
    """The person as text: their email as a whole address, in any case, or one of their ids
    as a whole word. :meth:`where` finds it in a column (SQL), :meth:`redact` replaces it."""

    def __init__(self, email: str, ids: list[str]) -> None:
        self.email, self.ids = email, sorted(set(ids))
        wide = r"\x{80}-\x{10FFFF}"  # RE2's spelling; Python's below
        names = "|".join([f"(?i:{_re2_literal(email)})", *map(_re2_literal, self.ids)])
        self.pattern = (
            f"(?:^|[^{_TOUCHING}{wide}-])(?:{names})"
            f"(?:$|[^A-Za-z0-9_{wide}.-]|\\.(?:$|[^A-Za-z0-9_{wide}-]))"
        )
        wide = "\u0080-\U0010ffff"
        names = "|".join([f"(?i:{re.escape(email)})", *map(re.escape, self.ids)])
        after = f"[A-Za-z0-9_{wide}-]"
        self._python = re.compile(f"(?<![{_TOUCHING}{wide}-])(?:{names})(?!{after})(?!\\.{after})")

    def where(self, column: str) -> tuple[str, list[Any]]:
        """SQL true where ``column`` names the person, and its parameters. A plain
        ``contains`` of each name goes first: the pattern runs only on its few hits."""
        text = f"CAST({column} AS VARCHAR)"
        cheap = " OR ".join(
            [f"contains(lower({text}), ?)", *(f"contains({text}, ?)" for _ in self.ids)]
        )
        return f"(({cheap}) AND regexp_matches({text}, ?))", [self.email, *self.ids, self.pattern]

    def where_any(self, columns: list[str]) -> tuple[str, list[Any]]:
        """SQL true where any of ``columns`` names the person, and its parameters."""
        named = [self.where(f'"{c}"') for c in columns]
        return " OR ".join(sql for sql, _ in named), [p for _, params in named for p in params]

    def redact(self, text: str) -> str:
        """``text`` with every mention of the person replaced by ``[erased]``."""
        return self._python.sub(ERASED, text)


def _re2_literal(text: str) -> str:
    """``text`` matched literally by RE2 (``\\Q...\\E``, a ``\\E`` inside it spelled out)."""
    return "\\Q" + text.replace("\\E", "\\E\\\\E\\Q") + "\\E"


def forget(store: Store, email: str, *, actor: str) -> Erasure:
    """Erase the person ``email`` names (see the module), in one transaction."""
    check_actor(actor)
    wanted = normal_email(email)
    with store.atomic():
        ids = _person(store, wanted)
        if not ids["leads"]:
            store.execute(f"DROP TABLE {PERSON}")
            raise NothingToForget(f"No lead has the email {email.strip()!r}: nothing to forget.")
        named = store.execute(f"SELECT id FROM {PERSON}").fetchall()
        person = Mention(wanted, [str(r[0]) for r in named])
        deleted, rewritten = _outbox(store, person)
        pseudonymised = _pseudonymise(store, person)
        texts = _text_columns(store)
        removed = _delete(store, wanted, person, texts)
        redacted = _redact(store, person, texts)
        store.execute(f"DROP TABLE {PERSON}")
        erasure = Erasure(
            uuid.uuid4().hex, store.now(), actor, ids["leads"],
            {t: n for t, n in removed.items() if n}, pseudonymised, deleted, rewritten,
            redacted,
        )  # fmt: skip
        store.execute(
            "INSERT INTO erasures VALUES (?, ?, ?, ?, ?)",
            [erasure.erasure_id, erasure.erased_at, actor, subject_check(wanted),
             json.dumps(erasure.rows_removed | {"outbox": deleted})],
        )  # fmt: skip
    return erasure


def _person(store: Store, email: str) -> dict[str, int]:
    """Every id of the person (``PERSON``: ``id``, ``kind``): their leads, the aliases
    of those, their visitors. Returns how many of each kind."""
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {PERSON} AS WITH leads_of AS (SELECT lead_id FROM "
        "leads WHERE lower(trim(email)) = ?) SELECT lead_id AS id, 'leads' AS kind FROM "
        "leads_of UNION SELECT alias, 'aliases' FROM lead_aliases WHERE lead_id IN "
        "(SELECT lead_id FROM leads_of) UNION SELECT visitor_id, 'visitors' FROM "
        "visitor_links WHERE lead_id IN (SELECT lead_id FROM leads_of)",
        [email],
    )
    rows = store.execute(f"SELECT kind, count(*) FROM {PERSON} GROUP BY kind").fetchall()
    return {"leads": 0} | {str(k): int(n) for k, n in rows}


def _theirs(column: str) -> str:
    """SQL: ``column`` is one of the person's ids."""
    return f"{column} IN (SELECT id FROM {PERSON})"


def _outbox(store: Store, person: Mention) -> tuple[int, int]:
    """Delete the messages about the person not yet delivered; blank the data of the
    delivered ones. (Another lead's message that names them is redacted, by ``_redact``.)"""
    store.execute(
        "CREATE OR REPLACE TEMP TABLE _lg_forget_msgs AS SELECT message_id, state FROM outbox "
        f"WHERE {_theirs('lead_id')}"
    )
    gone = "message_id IN (SELECT message_id FROM _lg_forget_msgs WHERE state <> 'delivered')"
    store.execute(f"DELETE FROM outbox_deliveries WHERE {gone}")
    deleted = store.one(f"DELETE FROM outbox WHERE {gone}")
    rewritten = store.one(
        "UPDATE outbox SET lead_id = NULL, body = '{\"type\":' || to_json(event_type) || "
        "',\"timestamp\":' || to_json(json_extract_string(body, '$.timestamp')) || "
        '\',"data":{"erased":true}}\' WHERE message_id IN (SELECT message_id FROM '
        "_lg_forget_msgs WHERE state = 'delivered')"
    )
    store.execute("DROP TABLE _lg_forget_msgs")
    return int(deleted[0]) if deleted else 0, int(rewritten[0]) if rewritten else 0


def _pseudonymise(store: Store, person: Mention) -> dict[str, int]:
    """Transitions and assignments keep their rows under a pseudonym per lead; a reason of
    theirs that names the person becomes ``[erased]`` whole (it may say more about them)."""
    store.execute(
        "CREATE OR REPLACE TEMP TABLE _lg_pseudonyms AS SELECT id, 'erased_' || "
        f"substr(md5(CAST(gen_random_uuid() AS VARCHAR)), 1, 16) AS alias FROM {PERSON} "
        "WHERE kind = 'leads'"
    )
    named, params = person.where("reason")
    done = {}
    for table in PSEUDONYMOUS:
        changed = store.one(
            f"UPDATE {table} SET lead_id = p.alias, reason = CASE WHEN {named} THEN "
            f"'{ERASED}' ELSE reason END FROM _lg_pseudonyms p WHERE {table}.lead_id = p.id",
            params,
        )
        done[table] = int(changed[0]) if changed else 0
    store.execute("DROP TABLE _lg_pseudonyms")
    return {t: n for t, n in done.items() if n}


def _delete(
    store: Store, email: str, person: Mention, texts: dict[str, list[str]]
) -> dict[str, int]:
    """Delete the person's rows: the known tables by id, then a sweep of every table but
    those whose rows are kept (``KEPT``), and but other leads' rows."""
    removed: dict[str, int] = {}

    def count(table: str, where: str, params: list[Any]) -> None:
        done = store.one(f"DELETE FROM {table} WHERE {where}", params)
        removed[table] = removed.get(table, 0) + (int(done[0]) if done else 0)

    count("events", f"{_theirs('lead_id')} OR {_theirs('visitor_id')}", [])
    for table, column in DELETED.items():
        count(table, _theirs(column), [])
    count("lead_merges", f"{_theirs('lead_id')} OR {_theirs('merged_id')} OR email = ?",
          [email])  # fmt: skip
    for table, columns in texts.items():
        if table in KEPT:
            continue
        where, params = person.where_any(columns)
        if "lead_id" in columns:  # another lead's row that names them is redacted instead
            where = f"({where}) AND (lead_id IS NULL OR {_theirs('lead_id')})"
        count(table, where, params)
    return removed


def _redact(store: Store, person: Mention, texts: dict[str, list[str]]) -> dict[str, int]:
    """Every mention of the person left (in the kept tables, and in other leads' rows)
    replaced by ``[erased]``, the rest of each text as it was; rows changed by table."""
    redacted: dict[str, int] = {}
    for table, columns in texts.items():
        if table not in KEPT and "lead_id" not in columns:
            continue  # the sweep deleted what named them there
        where, params = person.where_any(columns)
        quoted = ", ".join(f'"{c}"' for c in columns)
        rows = store.execute(
            f'SELECT rowid, {quoted} FROM "{table}" WHERE {where}', params
        ).fetchall()
        for rowid, *values in rows:
            for column, value in zip(columns, values, strict=True):
                if isinstance(value, str) and (new := person.redact(value)) != value:
                    store.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?',
                                  [new, rowid])  # fmt: skip
        if rows:
            redacted[table] = len(rows)
    return redacted


def _text_columns(store: Store) -> dict[str, list[str]]:
    """Every base table's text and JSON columns (the erasure's own record excepted)."""
    rows = store.execute(
        "SELECT c.table_name, list(c.column_name ORDER BY c.ordinal_position) FROM "
        "information_schema.columns c JOIN information_schema.tables t ON t.table_name = "
        "c.table_name AND t.table_schema = c.table_schema WHERE t.table_type = 'BASE TABLE' "
        "AND c.table_schema = 'main' AND (c.data_type = 'VARCHAR' OR c.data_type = 'JSON') "
        "GROUP BY c.table_name ORDER BY c.table_name"
    ).fetchall()
    return {str(t): list(cols) for t, cols in rows if t not in NOT_SWEPT}


__all__ = [
    "BadEmail",
    "Erasure",
    "Mention",
    "NothingToForget",
    "forget",
    "matches",
    "subject_check",
]
