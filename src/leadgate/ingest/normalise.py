"""Typed, normalised values from raw file columns, as SQL: one pass, no Python per row.

:func:`stage_sql` turns a resolved mapping into one ``SELECT`` over the file that yields,
for every record, the store-ready value of each field plus ``_rej`` (the number of the first
check it fails, NULL when it is good) and ``_raw`` (the offending value). The checks:

* a value that does not cast to its column's type (``TRY_CAST`` gives NULL where the text
  was not empty);
* a missing key (a lead with neither id nor email; an event with neither lead nor visitor);
* a value outside its vocabulary (event types, outcomes) or range (intent strength 0..100).

Timestamps: the statement runs with the session ``TimeZone`` set to the import's zone, so
``TRY_CAST(text AS TIMESTAMPTZ)`` reads a naive value as local time there and honours an
explicit offset (``+02:00``, ``Z``) when there is one; ``timezone('UTC', ...)`` then stores
naive UTC, as the schema requires.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from ..enrich.domains import normalise_domain_sql
from ..identity.aliases import email_sql, lead_sql, resolve_sql, shared_email_check
from ..store import Store
from .dates import DateRead, iso_expr
from .kinds import OUTCOMES, Kind
from .mapping import Resolved
from .readers import Source, quote_ident, quote_literal
from .values import ValueMap

Has = Callable[[str], bool]
TYPE_WORDS = {
    "BIGINT": "not a whole number",
    "DOUBLE": "not a number",
    "BOOLEAN": "not true or false",
    "TIMESTAMP": "not a date or time",
}
# The shapes of text that are a whole number and a number (see number_expr).
INTEGER_RE = r"[+-]?[0-9]+"
NUMBER_RE = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_INTEGER_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER")
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
# From this many file columns on, statements are planned without DuckDB's common
# subexpression pass (see wide_statements).
WIDE_COLUMNS = 100


def wide_statements(store: Store, columns: int) -> str | None:
    """Plan a wide file's statements without the common subexpression pass; return the
    setting to give back to :func:`restore_statements`, None when nothing changed.

    That pass compares the expressions of a statement pairwise where their hashes collide,
    as every ``AND``/``OR`` does: with a few per column, planning one staging statement took
    time in the square of the columns (18 s for 1,200, 74 s for 2,400). Without it the
    time grows about linearly. Narrow files keep it: it saves them work per row.
    """
    if columns < WIDE_COLUMNS:
        return None
    before = str(store.scalar("SELECT current_setting('disabled_optimizers')") or "")
    wanted = ",".join(filter(None, [before, "common_subexpressions"]))
    store.execute(f"SET disabled_optimizers = {quote_literal(wanted)}")
    return before


def restore_statements(store: Store, before: str | None) -> None:
    """Undo :func:`wide_statements`."""
    if before is not None:
        store.execute(f"SET disabled_optimizers = {quote_literal(before)}")


@dataclass(frozen=True)
class Check:
    """A rule a record must pass; ``cond`` is true when it fails."""

    column: str | None
    cond: str
    reason: str  # plain text, or SQL when ``reason_sql``
    raw: str = "NULL"
    reason_sql: bool = False


@dataclass
class StagePlan:
    sql: str
    fields: list[str]  # the store columns the stage carries, in order
    checks: list[Check] = field(default_factory=list)
    # A typed file's column the key is, as it stands, whenever it is not empty: a check for
    # repeated keys can then read that one column (see .append).
    key_column: str | None = None
    # The key, as SQL over a row's ``_same`` alone (see _content).
    key_of_same: str = "_same"
    # Leads: a row's id (``_alias``) may name another lead than its key (by email), so a
    # repeated id is a duplicate too.
    alias_dups: bool = False

    def reason_case(self) -> str:
        """SQL giving each rejected row's reason from its ``_rej`` number."""
        whens = "".join(
            f" WHEN {n} THEN {c.reason if c.reason_sql else quote_literal(c.reason)}"
            for n, c in enumerate(self.checks, 1)
        )
        return f"CASE _rej{whens} END"

    def column_case(self) -> str:
        whens = "".join(
            f" WHEN {n} THEN {quote_literal(c.column)}"
            for n, c in enumerate(self.checks, 1)
            if c.column
        )
        return f"CASE _rej{whens} END" if whens else "NULL"


def text_expr(col: str, src_type: str, text: bool = True, nulls: Sequence[str] = ()) -> str:
    """A column as text, NULL when empty; trimmed when it came from a text file.

    In a text file a cell that is, trimmed and in any case, one of ``nulls`` (a CRM's
    placeholders such as ``N/A`` or ``Select``) is NULL too: not filled in.
    Parquet strings are typed data, not cells a person typed: they are taken as they are,
    which also saves a ``trim`` per value on the largest files.
    """
    if src_type != "VARCHAR":
        return f"CAST({col} AS VARCHAR)"
    if not text:
        return f"nullif({col}, '')"
    # trim() copies every string; testing the ends first leaves the usual clean value as it
    # is, which makes staging a large CSV several times cheaper.
    return (
        f"CASE WHEN prefix({col}, ' ') OR suffix({col}, ' ') "
        f"THEN {_unless_null(f'trim({col})', nulls)} ELSE {_unless_null(col, nulls)} END"
    )


def _unless_null(value: str, nulls: Sequence[str]) -> str:
    """``value``, or NULL when it is empty or one of ``nulls`` (in any case)."""
    if not nulls:
        return f"nullif({value}, '')"
    words = sorted({n.strip().lower() for n in nulls})
    # The length test first: most cells are longer than any placeholder and skip lower().
    longest = max(len(w) for w in words)
    listed = ", ".join(quote_literal(w) for w in words)
    return (
        f"CASE WHEN length({value}) <= {longest} AND lower({value}) IN ({listed}) THEN NULL "
        f"ELSE nullif({value}, '') END"
    )


def typed_expr(
    col: str,
    src_type: str,
    target_type: str,
    timezone: str,
    is_text: bool = True,
    nulls: Sequence[str] = (),
    text: str | None = None,
    dates: DateRead | None = None,
) -> str:
    """A column cast to ``target_type``; NULL where the value does not fit.

    ``text`` is the column's :func:`text_expr` when the caller has it already. A text
    column of dates not in ISO 8601 is read by ``dates`` (see :mod:`.dates`).
    """
    text = text or text_expr(col, src_type, is_text, nulls)
    if target_type == "TIMESTAMP":
        if src_type == "TIMESTAMP" and timezone == "UTC":
            return col  # already naive UTC: skip the zone arithmetic on the hot path
        if src_type.startswith("TIMESTAMP") or src_type == "DATE":
            return f"timezone('UTC', CAST({col} AS TIMESTAMPTZ))"
        iso = iso_expr(text, timezone)
        # Other shapes only where the ISO cast failed: COALESCE runs its second argument
        # for those rows alone, so an ISO file pays nothing for them.
        other = dates.sql(text, timezone) if dates is not None else None
        return f"coalesce({iso}, {other})" if other else iso
    if target_type == "BOOLEAN" and src_type == "VARCHAR":
        return (
            f"CASE WHEN lower({text}) IN ('yes', 'y') THEN true "
            f"WHEN lower({text}) IN ('no', 'n') THEN false "
            f"ELSE TRY_CAST({text} AS BOOLEAN) END"
        )
    if target_type in ("VARCHAR", "JSON"):
        return text
    if src_type == target_type:
        return col
    if target_type in ("BIGINT", "DOUBLE"):
        return number_expr(col, src_type, text, target_type)
    return f"TRY_CAST({text} AS {target_type})"


def number_expr(col: str, src_type: str, text: str, target_type: str) -> str:
    """``col`` as a BIGINT or DOUBLE, NULL (a reject) unless the value is exactly that.

    DuckDB's cast rounds ('2.5' AS BIGINT is 3) and reads more than numbers ('0x1F',
    '1_000', 'inf'), so text must first have the shape of the type: a whole number is
    ``[+-]digits`` ('007' is 7, '-0' is 0), a number adds a fraction and an exponent
    ('1e3', '.5'). '1,234' is neither: a thousands separator cannot be told from a decimal
    comma, so such a value is not a number. A typed (Parquet) value fits a BIGINT column
    only when it has no fraction.
    """
    if src_type in _INTEGER_TYPES:
        return f"TRY_CAST({col} AS {target_type})"
    if src_type in _FLOAT_TYPES or src_type.startswith("DECIMAL"):
        if target_type == "DOUBLE":
            return f"TRY_CAST({col} AS DOUBLE)"
        return f"CASE WHEN {col} = trunc({col}) THEN TRY_CAST({col} AS BIGINT) END"
    if target_type == "BIGINT":
        whole = f"regexp_full_match({text}, '{INTEGER_RE}')"
        return f"CASE WHEN {whole} THEN TRY_CAST({text} AS BIGINT) END"
    # A finite number only: '1e999' casts to infinity.
    return (
        f"CASE WHEN regexp_full_match({text}, '{NUMBER_RE}') "
        f"THEN nullif(nullif(TRY_CAST({text} AS DOUBLE), 'inf'::DOUBLE), '-inf'::DOUBLE) END"
    )


def domain_expr(value: str) -> str:
    """A company domain, lower case, without scheme, ``www.`` or path.

    Enrichment derives ``leads.account_id`` with the same function, so accounts imported
    here and leads enriched there meet on the same key.
    """
    return normalise_domain_sql(value)


def event_type_expr(value: str, allowed: str) -> str:
    """An event type in snake_case ("Page View" → page_view); known spellings pass as is.

    ``allowed`` is a MAP literal: ``map_contains`` stays a plain function, where DuckDB turns
    a long ``IN (...)`` (and ``list_contains``) into a hash join per occurrence, which cost
    more than all the other checks together on a large file.
    """
    return (
        f"CASE WHEN map_contains({allowed}, {value}) THEN {value} "
        f"ELSE replace(replace(lower({value}), ' ', '_'), '-', '_') END"
    )


def stage_sql(
    kind: Kind,
    resolved: Resolved,
    source: Source,
    target_types: dict[str, str],
    *,
    timezone: str,
    event_types: Iterable[str],
    properties: list[str] | None = None,
    null_values: Sequence[str] = (),
    value_maps: Mapping[str, ValueMap] | None = None,
    dates: Mapping[str, DateRead] | None = None,
    aliases: bool = False,
    latest: dt.datetime | None = None,
) -> StagePlan:
    """The staging ``SELECT`` for one file (see the module docstring).

    ``null_values`` are the placeholders that mean "not filled in" (see :func:`text_expr`).
    A field with one of ``value_maps`` (text fields only) takes its value from the map, and
    a value the map lacks is a reject (see :mod:`.values`).
    ``dates`` reads a date field's text beyond ISO 8601 (see :mod:`.dates`).
    With ``aliases`` (some lead has an alias besides its own id), an event's or outcome's
    lead id that is an alias is stored as its lead's. An event dated after ``latest``
    (naive UTC: the import's clock and the tolerance) is a reject (see :func:`_future`).
    """
    dates = dates or {}
    nulls = null_values
    inner = ["_row", "_line", "_malformed"]
    # A text file's cells are trimmed and checked once, a level below their casts: written
    # inside each cast, that work ran two or three times per cell once wide files are
    # planned without the common subexpression pass (see wide_statements).
    texts = ["_row", "_line", "_malformed"] if source.text else inner
    malformed = "malformed line: not a JSON object"
    checks = [Check(None, "_malformed IS NOT NULL", malformed, "_malformed")]
    for target, col in resolved.sources.items():
        src_type = source.columns[col]
        ref = quote_ident(col)
        raw_text = text_expr(ref, src_type, source.text, nulls)
        r_name = quote_ident("r_" + target)
        texts.append(f"{raw_text} AS {r_name}")
        ttype = target_types[target]
        read = dates.get(target)
        if source.text:
            inner.append(r_name)
        vmap = (value_maps or {}).get(target)
        if vmap is not None:
            typed = vmap.lookup_sql(r_name if source.text else raw_text)
            checks.append(Check(target, _missed(target), vmap.reason(), f'"r_{target}"'))
        elif source.text:
            typed = typed_expr(ref, src_type, ttype, timezone, True, nulls, r_name, read)
        else:
            typed = typed_expr(ref, src_type, ttype, timezone, False, nulls, dates=read)
        inner.append(f"{typed} AS {quote_ident('t_' + target)}")
        if ttype in TYPE_WORDS and not (src_type == ttype) and vmap is None:
            reason, is_sql = _reason(ttype, read, timezone)
            checks.append(Check(target, _missed(target), reason, f'"r_{target}"', is_sql))
    for target, value in resolved.constants.items():
        lit = quote_literal(str(value))
        inner.append(f"{lit} AS {quote_ident('r_' + target)}")
        # Read like a cell of the file: a stated time is in the import's zone too.
        typed = typed_expr(lit, "VARCHAR", target_types[target], timezone, False, text=lit)
        inner.append(f"{typed} AS {quote_ident('t_' + target)}")
    if properties:
        pairs = ", ".join(
            f"{quote_literal(name)}, "
            f"{text_expr(quote_ident(name), source.columns[name], source.text, nulls)}"
            for name in properties
        )
        texts.append(f"json_object({pairs}) AS t_properties")
        if texts is not inner:
            inner.append("t_properties")

    has = resolved.has
    values: dict[str, str] = {t: f'"t_{t}"' for t in (*resolved.sources, *resolved.constants)}
    if properties:
        values["properties"] = "t_properties"
    for target, prefix in resolved.row_ids.items():  # the record's number in the file
        values[target] = f"{quote_literal(prefix + '-')} || CAST(_row AS VARCHAR)"
    join, alias = "", None
    if has("email"):
        values["email"] = email_sql('"t_email"')
    if has("email") and kind.name in ("events", "outcomes") or kind.name == "leads":
        # Name the lead: by alias, email or id (see leadgate.identity.aliases).
        own = values.get("lead_id", '"t_lead_id"')
        join, values["lead_id"], alias = lead_sql(kind.name, has, own, email_sql('"t_email"'))
        if has("email"):
            named = None  # leads: a row whose id names a stored lead is that lead
            if kind.name == "leads":
                stored = f"lead_alias.lead_id IS NOT NULL OR {own} IN (SELECT lead_id FROM leads)"
                named = stored if has("lead_id") else "false"
            shared, reason = shared_email_check(own if has("lead_id") else "NULL", named=named)
            checks.append(Check("email", shared, reason, '"r_email"', reason_sql=True))
    for target in ("company_domain", "domain"):
        if has(target):
            values[target] = domain_expr(values[target])
    key = _KIND_RULES[kind.name](values, has, checks, list(event_types))
    if kind.name == "events" and has("ts") and latest is not None:
        checks.append(_future(values["ts"], latest))
    if aliases and "lead_id" in values and kind.name in ("events", "outcomes"):
        # After the content key, which stays on the id as the file gives it.
        alias_join, values["lead_id"] = resolve_sql(values["lead_id"])
        join += alias_join
    fields = [f for f in values if f != kind.key]
    outer = ["_row", "_line", f"{key.sql} AS _key"]
    if kind.name == "leads":
        outer.append(f"{alias or key.sql} AS _alias")  # the id the row gave, an alias of _key
    if kind.mode == "append":
        outer.append(f"{key.same} AS _same")  # compares like _key, for less (see _content)
        outer.append(f"{key.hashed or f'hash({key.same})'} AS _hash")
    outer += [f"{values[f]} AS {quote_ident(f)}" for f in fields]
    rej = "".join(f" WHEN {c.cond} THEN {n}" for n, c in enumerate(checks, 1))
    raw = "".join(f" WHEN {c.cond} THEN {c.raw}" for c in checks if c.raw != "NULL")
    outer.append(f"CASE{rej} END::SMALLINT AS _rej")
    outer.append(f"CASE{raw} END AS _raw" if raw else "NULL::VARCHAR AS _raw")
    relation = source.relation
    if texts is not inner:
        relation = f"SELECT {', '.join(texts)} FROM ({relation})"
    sql = f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM ({relation})) AS i{join}"
    key_column = resolved.sources.get(kind.key)
    if source.text or kind.mode != "append" or key_column is None:
        key_column = None  # text is trimmed before it is a key: the raw cell is not the key
    plan = StagePlan(sql, fields, checks, key_column, key.of_same)
    plan.alias_dups = kind.name == "leads" and has("lead_id") and has("email")
    return plan


def _future(ts: str, latest: dt.datetime) -> Check:
    """The check that an event is not dated after ``latest``: one stored ahead of the
    clock would count as soon as it is stored, and a later as-of would be taken from it."""
    stamp = latest.isoformat(sep=" ")
    reason = (
        f"dated after {stamp} UTC (the import's clock and the [api] max_future_skew "
        "tolerance): check the time's zone and the source's clock, or import the event "
        "once it has happened"
    )
    return Check("ts", f"{ts} > TIMESTAMP {quote_literal(stamp)}", reason, '"r_ts"')


def _reason(ttype: str, read: DateRead | None, timezone: str) -> tuple[str, bool]:
    """A failed cast's reason, and whether it is SQL (over ``s._raw``): a date says what
    the cast would have changed; a whole number beyond 64 bits says so, not that it is
    none."""
    if ttype == "TIMESTAMP":
        return (read or DateRead()).reason(timezone)
    if ttype == "BIGINT":
        return (
            f"CASE WHEN regexp_full_match(trim(s._raw), '{INTEGER_RE}') THEN "
            "'a whole number too large for a 64-bit integer (-9223372036854775808 to "
            "9223372036854775807); check the value in the source' "
            f"ELSE {quote_literal(TYPE_WORDS[ttype])} END",
            True,
        )
    return TYPE_WORDS[ttype], False


def _missed(target: str) -> str:
    """SQL: the row has a value for ``target`` that did not become one (a failed cast, a
    value its map lacks)."""
    return f'"r_{target}" IS NOT NULL AND "t_{target}" IS NULL'


class Key(NamedTuple):
    """How a kind's rows are keyed, as SQL over the staged values."""

    sql: str  # the key that is stored
    same: str  # compares like the key, for less
    of_same: str = "_same"  # the key again, from a row's ``_same`` alone
    hashed: str = ""  # a 64-bit hash of ``same``'s parts, when cheaper than ``hash(same)``


def _content(who: str, what: str, ts: str, *rest: str) -> Key:
    """A row's content key, what to compare instead of it, and the key again from that.

    The key is the md5 of the parts as text, joined by ``|``: it is stored, so it must stay
    the same across DuckDB versions and processes (``hash()`` does not promise that). md5
    is dear, though (it and the text it hashes cost as much as writing the row), so the
    passes that only ask whether two rows have the same key (the duplicate check, see
    :mod:`.check_pass`) compare ``_same``, a STRUCT of the typed parts, instead: md5 then
    runs once per row, in the ``INSERT``, and a duplicate's key, for its reject, is worked
    out from its ``_same``. The two agree except on a crafted row whose lead or URL holds
    ``|`` so that its joined text matches another row's: such rows count as two here but
    share one key. The check pass groups by ``hash()`` of the parts themselves, not of the
    STRUCT: building a STRUCT of each row costs a fifth of the whole check.
    """
    parts = [who, what, ts, *rest]

    def md5_of(values: list[str]) -> str:
        text = [*values[:2], f"CAST({values[2]} AS VARCHAR)", *values[3:]]
        return f"md5(concat_ws('|', {', '.join(text)}))"

    fields = ", ".join(f"p{n}: {p}" for n, p in enumerate(parts))
    of_same = md5_of([f"_same.p{n}" for n in range(len(parts))])
    return Key(md5_of(parts), f"{{{fields}}}", of_same, f"hash({', '.join(parts)})")


def _keyed(values: dict[str, str], id_field: str, content: Key) -> Key:
    """The key (the file's id, else the content key) and what compares like it."""
    id_value = values.pop(id_field, None)
    if id_value is None:
        return content
    key = f"coalesce({id_value}, {content.sql})"
    return Key(key, key)


def _require(checks: list[Check], cond: str, reason: str, column: str | None = None) -> None:
    checks.append(Check(column, cond, reason))


def _leads(values: dict[str, str], has: Has, checks: list[Check], _types: list[str]) -> Key:
    if has("account_id"):
        values["account_id"] = domain_expr(values["account_id"])
    key = values.get("lead_id", "NULL")
    values.pop("lead_id", None)
    _require(checks, f"{key} IS NULL", "missing key: a lead needs a lead_id or an email", "lead_id")
    return Key(key, key)


def _accounts(values: dict[str, str], has: Has, checks: list[Check], _types: list[str]) -> Key:
    parts = [values[t] for t in ("account_id", "domain") if has(t)]
    key = domain_expr(f"coalesce({', '.join(parts)})") if parts else "NULL"
    values.pop("account_id", None)
    _require(checks, f"{key} IS NULL", "missing key: an account needs a domain", "account_id")
    return Key(key, key)


def _events(values: dict[str, str], has: Has, checks: list[Check], types: list[str]) -> Key:
    allowed = "MAP {" + ", ".join(f"{quote_literal(t)}: true" for t in types) + "}"
    typ = event_type_expr(values["type"], allowed) if has("type") else "NULL"
    values["type"] = typ
    lead = values.get("lead_id", "NULL")
    visitor = values.get("visitor_id", "NULL")
    _require(
        checks,
        f"{lead} IS NULL AND {visitor} IS NULL",
        "missing key: an event needs a lead_id, an email or a visitor_id",
        "lead_id",
    )
    _require(checks, f"{typ} IS NULL", "missing event type", "type")
    _require(checks, f"{values.get('ts', 'NULL')} IS NULL", "missing timestamp", "ts")
    checks.append(
        Check("type", f"NOT map_contains({allowed}, {typ})", "unknown event type", '"r_type"')
    )
    who = [f'"r_{t}"' for t in ("lead_id", "email", "visitor_id") if has(t)] or ["NULL"]
    url = f"coalesce({values.get('url', 'NULL')}, '')"
    content = _content(f"coalesce({', '.join(who)})", typ, values.get("ts", "NULL"), url)
    values.pop("email", None)
    return _keyed(values, "event_id", content)


def _outcomes(values: dict[str, str], has: Has, checks: list[Check], _types: list[str]) -> Key:
    outcome = f"lower({values['outcome']})" if has("outcome") else "NULL"
    values["outcome"] = outcome
    lead = values.get("lead_id", "NULL")
    ts = values.get("ts", "NULL")
    _require(
        checks, f"{lead} IS NULL", "missing key: an outcome needs a lead_id or an email", "lead_id"
    )
    _require(checks, f"{outcome} IS NULL", "missing outcome", "outcome")
    _require(checks, f"{ts} IS NULL", "missing timestamp", "ts")
    allowed = ", ".join(quote_literal(o) for o in OUTCOMES)
    checks.append(
        Check(
            "outcome",
            f"{outcome} NOT IN ({allowed})",
            f"unknown outcome; use one of {', '.join(OUTCOMES)}",
            '"r_outcome"',
        )
    )
    values.pop("email", None)
    return _keyed(values, "outcome_id", _content(lead, outcome, ts))


def _intent(values: dict[str, str], has: Has, checks: list[Check], _types: list[str]) -> Key:
    account = domain_expr(values["account_id"]) if has("account_id") else "NULL"
    values["account_id"] = account
    strength, ts = values.get("strength", "NULL"), values.get("ts", "NULL")
    topic = values.get("topic", "NULL")
    _require(
        checks, f"{account} IS NULL", "missing key: a signal needs an account domain", "account_id"
    )
    _require(checks, f"{topic} IS NULL", "missing topic", "topic")
    _require(checks, f"{strength} IS NULL", "missing strength", "strength")
    _require(checks, f"{ts} IS NULL", "missing timestamp", "ts")
    checks.append(
        Check(
            "strength",
            f"NOT ({strength} BETWEEN 0 AND 100)",
            "strength must be between 0 and 100",
            'CAST("r_strength" AS VARCHAR)',
        )
    )
    return _keyed(values, "signal_id", _content(account, topic, ts))


_KIND_RULES = {
    "leads": _leads,
    "accounts": _accounts,
    "events": _events,
    "outcomes": _outcomes,
    "intent": _intent,
}
