"""Load one file into the store, in whole batches.

Events, outcomes and intent (append kinds) are checked in one pass and then written once,
straight from the file: see :mod:`.append`. Leads and accounts (upserts, smaller files
whose rows are compared with the stored ones) take the staged path here:

1. **Stage.** One ``CREATE TEMP TABLE ... AS SELECT`` reads the file through DuckDB's own
   reader, casts and checks every value (:mod:`.normalise`). Nothing is read into Python
   row by row, so a file larger than memory streams (DuckDB spills the temp table to disk).
2. **Duplicates.** Within the file the *first* occurrence of a key wins; every later one is
   rejected as a duplicate (deterministic whatever the thread count, because ``_row`` is
   the record's position in the file).
3. **Batches.** Rows ``[lo, hi)`` by position, each batch in one ``store.atomic()``
   transaction: its good rows, its rejects and the progress in ``imports`` commit together.
   A ``kill -9`` leaves the store as it was or with whole batches; running the import again
   finishes the job, because loaded rows now count as unchanged.
4. **Write once.** A batch's rows are merged over the stored ones, enriched (leads) from
   that, and written in one INSERT: see :mod:`.upsert` for why not write, then enrich.

Keys: leads by the lead their ``lead_id`` names (their own, or the one it is an alias of),
else by the email (trimmed, lower-cased: the lead already holding it, the row's id then
becoming an alias of it), else their ``lead_id`` or the derived id
``'e_' || left(md5(email), 20)``: see :mod:`leadgate.identity.aliases`; accounts by
normalised domain;
events, outcomes and intent by their id column, else an md5 of their content.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import uuid
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..clock import MAX_FUTURE_SKEW
from ..enrich import EnrichReport
from ..enrich.fill import CHANGES, ensure_columns
from ..errors import (
    BAD_OPTION,
    MISSING_COLUMN,
    UNKNOWN_TIME_ZONE,
    UNREADABLE_FILE,
    ImportFailed,
)
from ..handoff import imported as imported_stages
from ..identity.aliases import (
    has_aliases,
    own_ids,
    record_aliases,
    shared_emails,
    trusted_sources,
)
from ..store import Store
from ..vocabulary import STANDARD_EVENT_TYPES, suggest
from . import readers
from .append import TEMP_TABLES, load_append
from .columns import infer_extras, target_types
from .date_columns import plan_dates
from .dates import DateOptions, DateRead, date_formats_of
from .history import interrupted_before, interrupted_notice, record_failure, source_path
from .kinds import BATCH_ROWS, Kind, kind_named
from .mapping import MappingSpec, null_values_of, resolve
from .normalise import StagePlan, restore_statements, stage_sql, text_expr, wide_statements
from .outcomes import next_new_row, outcomes_loaded, with_outcome, with_outcome_time
from .presets import PRESET_VALUES, attribute_names
from .progress import Meter, Progress
from .rejects import (
    LINES,
    SUGGEST,
    csv_reject_count,
    finish,
    record_csv_rejects,
    record_loaded,
    reject_sql,
)
from .report import ImportReport
from .row_ids import row_ids_notice, with_row_ids
from .upsert import MERGED, STAGE, write_batch
from .values import ValueMap, fit_value_maps, keep_mapped_columns, value_maps_of

DUPS = "_lg_dups"
FOOTER = readers.CSV_FOOTER
# Keys of a mapping that are settings of the import, not field = "Column" pairs.
NOT_COLUMNS = ("kind", "null_values", "date_format", "date_formats", "values")
# The fields without which a kind's rows mean nothing: a file lacking them all fails at once.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "leads": (("lead_id", "email"),),
    "accounts": (("account_id", "domain"),),
    "events": (("lead_id", "email", "visitor_id"), ("type",), ("ts",)),
    "outcomes": (("lead_id", "email"), ("outcome",), ("ts",)),
    "intent": (("account_id",), ("topic",), ("strength",), ("ts",)),
}


def import_file(
    store: Store,
    path: str | Path,
    kind: str,
    *,
    preset: str | None = None,
    mapping: MappingSpec | None = None,
    timezone: str = "UTC",
    fmt: str | None = None,
    allowed_event_types: Iterable[str] | None = None,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
    enrich: Mapping[str, Any] | bool = True,
    null_values: Iterable[str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    outcome_time: str | None = None,
    outcome: str | None = None,
    date_format: str | None = None,
    date_formats: Mapping[str, str] | None = None,
    date_order: str | None = None,
    id_from_row: str | bool | None = None,
    source_name: str | None = None,
    prefer: Sequence[str] = (),
    max_future: dt.timedelta = MAX_FUTURE_SKEW,
) -> ImportReport:
    """Import one CSV, JSON Lines or Parquet file of ``kind`` into ``store``.

    ``kind`` is leads | accounts | events | outcomes | intent. ``mapping`` maps a store
    field to a file column (``{"lead_id": "Record ID"}``); ``preset`` names a CRM export
    layout. Naive timestamps are read in ``timezone``. ``progress(done, total, unit)`` is
    called while the import runs (see :mod:`leadgate.ingest.progress`): in ``"rows"`` for
    Parquet, in ``"bytes"`` for CSV and JSON Lines, first with ``done = 0``, last with
    ``done == total``. Rows are written in batches of ``batch_rows`` (an events, outcomes or
    intent file in CSV or JSON Lines is one batch: it cannot be read from the middle;
    Parquet batches of 122,880 rows or more are rounded to whole row groups of the store).
    For leads, ``enrich`` (the project's ``[enrich]`` settings, or ``False``) enriches the
    imported leads as each batch is written: the same result as
    :func:`leadgate.enrich.enrich_leads` over them after the import, in one write instead
    of two. In a CSV or JSON Lines file a cell that is one of ``null_values`` (trimmed, any
    case; default the mapping's ``null_values``, else
    :data:`leadgate.config.DEFAULT_NULL_VALUES`) is missing. ``values`` are value maps
    (``{"stage": {"Marketing Qualified Lead": "mql"}}``), laid over the preset's and the
    mapping's ``values`` (see :mod:`leadgate.ingest.values`). ``outcome_time`` (outcomes
    only) is the time of every outcome of a file that has none, read in ``timezone``;
    ``outcome`` (outcomes only, e.g. ``"won"``) the outcome of every row of a file that
    has no outcome column (a file of closed deals).

    A leads row's id is recorded as an alias of its lead under ``source_name`` (default:
    the preset, else the file's name); with ``prefer`` (source names, most trusted first),
    a lead a source more trusted than this one holds keeps its values, and this file fills
    only its blanks.

    Dates in ISO 8601 and the unambiguous common shapes are read without help (see
    :mod:`leadgate.ingest.dates`); ``date_format`` (every date column) and ``date_formats``
    (``{field: format}``) give strptime formats, over the mapping's ``date_format`` and
    ``date_formats``; ``date_order`` (``"mdy"`` or ``"dmy"``) reads a column of day/month
    dates that does not show its own order.

    An event dated more than ``max_future`` after the store's clock is rejected, as the
    API refuses it (``[api] max_future_skew``): stored, it would count once scored.

    ``id_from_row`` (leads and outcomes of a file without an id or email: ``True``, or the
    prefix) keys each record by its place in the file, ``PREFIX-N`` (see
    :mod:`leadgate.ingest.row_ids`).

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "leads.csv"
    >>> _ = f.write_text("email,Plan\\nana@acme.com,pro\\nbo@x.io,free\\n")
    >>> report = import_file(Store(":memory:"), f, "leads", enrich=False)
    >>> report.rows_loaded, report.columns_added
    (2, ['plan'])
    """
    started = time.perf_counter()
    spec = kind_named(kind)
    _check_zone(timezone)
    if batch_rows < 1:
        raise ImportFailed("batch_rows must be at least 1.", code=BAD_OPTION)
    event_types = list(allowed_event_types or STANDARD_EVENT_TYPES)
    source = readers.open_source(store, path, fmt)
    meter = Meter.for_source(store, source, progress)
    report = ImportReport(uuid.uuid4().hex, spec.name, str(path))
    nulls = null_values_of(null_values, mapping)
    mapping = with_outcome_time(store, spec.name, mapping, outcome_time)
    mapping = with_outcome(spec.name, mapping, outcome)
    mapping, row_prefix = with_row_ids(spec.name, mapping, path, id_from_row)
    if row_prefix is not None:
        source.unordered = source.relation  # every read numbers the records, in file order
    maps = value_maps_of(spec.name, PRESET_VALUES.get(preset or ""), _values(mapping), values)
    dated = DateOptions(date_formats_of(date_format, date_formats, mapping), date_order)
    plan = _plan(
        store,
        spec,
        source,
        report,
        preset,
        mapping,
        timezone,
        event_types,
        nulls,
        dated,
        maps,
        store.now() + max_future,
    )
    report.notices += [source.footer.notice()] if source.footer else []
    report.notices += [row_ids_notice(row_prefix)] if row_prefix is not None else []
    notice = interrupted_notice(interrupted_before(store, path))
    report.notices += [notice] if notice else []
    with store.atomic():
        store.execute(
            "INSERT INTO imports (import_id, kind, file, started_at, rows_read, rows_loaded, "
            "rows_rejected, source_path) VALUES (?, ?, ?, ?, 0, 0, 0, ?)",
            [report.import_id, spec.name, str(path), store.now(), source_path(path)],
        )
    meter.start()
    optimizers = wide_statements(store, len(source.columns))
    try:
        if spec.mode == "append":
            readers.clear_csv_errors(store)
            first = next_new_row(store, spec)
            with _session_zone(store, timezone):
                load_append(store, spec, plan, source, report, batch_rows, meter, event_types)
            report.outcomes = outcomes_loaded(store, spec, first)
        else:
            settings = None
            if spec.name == "leads" and enrich is not False:
                settings = {} if enrich is True else enrich
                ensure_columns(store)  # before the batches: they write `enriched` with the rows
            with meter.watching(store, meter.share(0.5)):
                _stage(store, spec, plan, source, timezone)
            tick = meter.in_rows(0.5, 1.0)
            _load_batches(
                store,
                spec,
                plan,
                source,
                report,
                batch_rows,
                tick,
                event_types,
                settings,
                *trusted_sources(source_name or preset or Path(str(path)).name, prefer),
            )
            if spec.name == "leads" and "email" in plan.fields:
                report.shared_emails = shared_emails(store, STAGE)
        finish(store, report)
        meter.finish()
    except Exception as exc:
        record_failure(store, report.import_id, exc)
        raise
    finally:
        restore_statements(store, optimizers)
        for table in (STAGE, MERGED, CHANGES, LINES, DUPS, SUGGEST, *TEMP_TABLES, FOOTER):
            store.execute(f"DROP TABLE IF EXISTS temp.{table}")
        readers.clear_csv_errors(store)
    report.seconds = time.perf_counter() - started
    return report


def _plan(
    store: Store,
    spec: Kind,
    source: readers.Source,
    report: ImportReport,
    preset: str | None,
    mapping: MappingSpec | None,
    timezone: str,
    event_types: list[str],
    nulls: tuple[str, ...] = (),
    dated: DateOptions | None = None,
    maps: dict[str, ValueMap] | None = None,
    latest: dt.datetime | None = None,
) -> StagePlan:
    """Resolve the mapping, add the custom columns, and write the staging SQL."""
    mapping = {k: v for k, v in (mapping or {}).items() if k not in NOT_COLUMNS}
    dated = dated or DateOptions()
    types = target_types(store, spec)
    resolved = resolve(source.columns, types, kind=spec.name, preset=preset, mapping=mapping)
    _check_required(spec, resolved.has, source)
    maps = fit_value_maps(maps or {}, resolved, types)
    kept = {}
    if spec.extras == "columns":
        kept = keep_mapped_columns(resolved, maps, source.columns, types)
    properties: list[str] | None = None
    read: dict[str, DateRead] = {}
    if spec.extras == "columns" and resolved.unmapped:
        taken = set(types) | set(resolved.sources)
        names = attribute_names(preset, resolved.unmapped, taken) | kept
        extras, report.columns_ignored, (read, told) = infer_extras(
            store, source, resolved.unmapped, taken, nulls, names, dated
        )
        report.notices += told
        report.columns_added = store.add_columns(
            spec.table, {name: dtype for name, (dtype, _) in extras.items()}
        )
        for name, (_, col) in extras.items():
            resolved.sources[name] = col
        types = target_types(store, spec)
    elif spec.extras == "properties":
        properties = resolved.unmapped
    else:
        report.columns_ignored = resolved.unmapped
    # The custom columns of dates are read as inference decided, not profiled again.
    sources = {t: c for t, c in resolved.sources.items() if t not in read}
    dates = _dates(store, source, sources, types, dated or DateOptions(), nulls, report) | read
    report.date_orders = [
        {"field": f, "order": r.order, "why": r.why, "example": r.example}
        for f, r in dates.items()
        if r.why
    ]
    return stage_sql(
        spec,
        resolved,
        source,
        types,
        timezone=timezone,
        event_types=event_types,
        properties=properties,
        null_values=nulls,
        dates=dates,
        value_maps=maps,
        aliases=spec.name in ("events", "outcomes") and has_aliases(store),
        latest=latest,
    )


def _values(mapping: MappingSpec | None) -> object:
    """A mapping's ``values`` table (see :mod:`.values`), if it has one."""
    return (mapping or {}).get("values")


def _dates(
    store: Store,
    source: readers.Source,
    sources: dict[str, str],
    types: dict[str, str],
    options: DateOptions,
    nulls: tuple[str, ...],
    report: ImportReport,
) -> dict[str, DateRead]:
    """How each date field held as text is read (see :mod:`.dates`); notices to the report."""
    columns = {
        t: c
        for t, c in sources.items()
        if types.get(t) == "TIMESTAMP" and source.columns[c] == "VARCHAR"
    }
    texts = {
        t: text_expr(readers.quote_ident(c), "VARCHAR", source.text, nulls)
        for t, c in columns.items()
    }
    reads, notices = plan_dates(store, source, columns, options, texts)
    unused = [f for f in options.formats if f and f not in columns]
    if unused:
        notices.append(
            f"The date format for {', '.join(unused)} is not used: the file has no such date "
            f"column written as text (its date columns: {', '.join(columns) or 'none'})."
        )
    report.notices += notices
    return reads


def _check_zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = suggest(name, zoneinfo.available_timezones())
        raise ImportFailed(
            f"Unknown time zone {name!r}." + (f" Did you mean {hint!r}?" if hint else ""),
            code=UNKNOWN_TIME_ZONE,
        ) from None


#: A required field a whole file may state instead of a column: how, said after the --map.
STATED_INSTEAD = {
    ("outcomes", "outcome"): ", or state one for every row with --outcome won (or lost, ...)",
    ("outcomes", "ts"): ", or state one time for every row with --outcome-time 2025-06-30",
}


def _check_required(spec: Kind, has: Callable[[str], bool], source: readers.Source) -> None:
    for group in REQUIRED[spec.name]:
        if not any(has(f) for f in group):
            cols = ", ".join(source.columns) or "none"
            stated = STATED_INSTEAD.get((spec.name, group[0]), "")
            raise ImportFailed(
                f"{spec.name.capitalize()} need a column for {' or '.join(group)}; the file "
                f"{source.path} has {cols}. Map one with --map {group[0]}=<column>{stated}.",
                code=MISSING_COLUMN,
            )


@contextlib.contextmanager
def _session_zone(store: Store, timezone: str) -> Iterator[None]:
    """Run statements with the session zone set to the file's (see normalise.py)."""
    store.execute(f"SET TimeZone = {readers.quote_literal(timezone)}")
    try:
        yield
    finally:
        store.execute("SET TimeZone = 'UTC'")


def _stage(store: Store, spec: Kind, plan: StagePlan, source: readers.Source, tz: str) -> None:
    readers.clear_csv_errors(store)
    select = plan.sql
    with _session_zone(store, tz):
        try:
            store.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS {select}")
        except Exception as exc:  # duckdb's IO/conversion errors: the file cannot be read
            raise ImportFailed(f"Cannot read {source.path}: {exc}", code=UNREADABLE_FILE) from exc
    # Duplicates: find the few repeated keys first, so the UPDATE (a join over the whole
    # stage) only runs when there is something to mark. A lead's id is a key too, when
    # some row's is not its key: two rows with one id must not name two leads.
    by_alias = spec.name == "leads" and own_ids(store, STAGE) > 0 and plan.alias_dups
    for key in ("_key", "_alias") if by_alias else ("_key",):
        store.execute(
            f"CREATE OR REPLACE TEMP TABLE {DUPS} AS SELECT {key} AS k, min(_row) AS first "
            f"FROM {STAGE} WHERE _rej IS NULL GROUP BY {key} HAVING count(*) > 1"
        )
        if store.scalar(f"SELECT count(*) FROM {DUPS}"):
            store.execute(
                f"UPDATE {STAGE} SET _rej = {len(plan.checks) + 1}, _raw = {STAGE}.{key} "
                f"FROM {DUPS} AS f WHERE {STAGE}.{key} = f.k AND {STAGE}._row > f.first "
                f"AND {STAGE}._rej IS NULL"
            )


def _load_batches(
    store: Store,
    spec: Kind,
    plan: StagePlan,
    source: readers.Source,
    report: ImportReport,
    batch_rows: int,
    progress: Callable[[int, int], None] | None,
    types: list[str],
    enrich: Mapping[str, Any] | None = None,
    alias_source: str = "",
    trusted: Sequence[str] = (),
) -> None:
    """Write the stage in batches of rows, each in one transaction with its rejects.

    With ``enrich`` (leads), each batch's leads are enriched inside the batch's transaction:
    DuckDB rewrites a stored row whose list column (``enriched``) changes at ~0.2 ms a row,
    but a row written in the same transaction costs next to nothing, so enriching after the
    whole import took 100 s for a million new leads where this takes seconds.
    """
    last, good = store.one(
        f"SELECT coalesce(max(_row), 0), count(*) FILTER (_rej IS NULL) FROM {STAGE}"
    ) or (0, 0)
    csv_bad = source.fmt == "csv" and readers.csv_has_errors(store)
    rejected = store.scalar(f"SELECT count(*) FROM {STAGE} WHERE _rej IS NOT NULL")
    line, reasons, columns, file = reject_sql(store, source, plan, types, STAGE, rejected, spec.key)
    cols = list(plan.fields)
    watch = spec.name == "leads" and imported_stages.watches(cols)
    for lo in range(1, max(last, 1) + 1, batch_rows):
        hi = lo + batch_rows
        rows = f"s._row >= {lo} AND s._row < {hi}"
        with store.atomic():
            if watch:  # the CRM's stages become transitions (leadgate.handoff.imported)
                imported_stages.snapshot(store, STAGE, rows)
            loaded, enriched = write_batch(store, spec, plan, rows, enrich, trusted)
            if watch:
                report.add_stage_changes(*imported_stages.record(store, report.import_id, cols))
            if spec.name == "leads":
                report.aliases_added += record_aliases(
                    store, MERGED, report.import_id, alias_source
                )
            if enriched is not None:
                report.enrichment = report.enrichment or EnrichReport()
                report.enrichment.add(enriched)
            store.execute(
                f"INSERT INTO rejects SELECT ?, {file}, {line}, {columns}, {reasons}, s._raw "
                f"FROM {STAGE} AS s WHERE {rows} AND s._rej IS NOT NULL ORDER BY s._row",
                [report.import_id],
            )
            if lo == 1 and csv_bad:
                record_csv_rejects(store, report, file)
            record_loaded(store, report, loaded)
        report.rows_loaded += loaded
        if progress is not None:
            progress(min(hi - 1, last), last)
    report.rows_rejected = int(rejected) + csv_reject_count(store, csv_bad, readers.CSV_ERRORS)
    report.rows_read = int(good) + report.rows_rejected
    report.rows_unchanged = int(good) - report.rows_loaded
