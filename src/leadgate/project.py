"""The front door: a leadgate project on disk and every operation on it.

A project is a folder with ``leadgate.toml`` (settings), ``definition.yaml`` (the agreed MQL
definition) and ``leadgate.duckdb`` (the store). Every command of the CLI, and every route of
the HTTP API and the dashboard, is one call on :class:`Project`; each returns a typed result
with ``as_dict()`` (what ``--json`` prints), so the three interfaces never disagree.

>>> import tempfile, datetime as dt
>>> from leadgate.clock import FixedClock
>>> project = init_project(tempfile.mkdtemp(), clock=FixedClock(dt.datetime(2026, 11, 2)))
>>> project.validate().ok
True
>>> project.score().leads  # nothing imported yet
0

The clock is the project's (:mod:`leadgate.clock`): "now" for a default as-of time, "today"
for a definition's ``review_by``, the time stored with a run. Settings are documented in
:mod:`leadgate.config`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .clock import Clock, SystemClock, naive_utc, store_time
from .config import (
    CONFIG_FILE,
    DEFAULT_MEMORY_LIMIT,
    STORE_FILE,
    ProjectConfig,
    init_files,
    read_config,
)
from .errors import (
    UNKNOWN_MAPPING,
    ConfigError,
    DefinitionError,
    ImportFailed,
    LeadgateError,
    ProjectNotFound,
    ScoringError,
    SegmentNotFound,
)
from .results import (
    CoverageReport,
    ImportList,
    LeadList,
    MergeReport,
    PlanText,
    Publication,
    RepList,
    RouteTest,
    RoutingRun,
)
from .store import Store
from .store.db import Tracer
from .vocabulary import STANDARD_EVENT_TYPES

if TYPE_CHECKING:
    from .analytics.backtest import BacktestResult
    from .analytics.compare import CompareResult
    from .analytics.diagnostics import Diagnosis
    from .analytics.forecast import Forecast
    from .analytics.funnel import Funnel
    from .analytics.lift import LiftReport
    from .api.keys import ApiKey, KeyList, NewKey
    from .calibrate import Calibration
    from .definition import CompiledDefinition, Validation
    from .definition.versions import Activation, DefinitionDetail, DefinitionList
    from .engines.spark import SparkRun
    from .handoff.erasure import Erasure
    from .handoff.export import MqlExport
    from .handoff.lead import ActionResult, LeadActivity, LeadDetail
    from .handoff.outbox import Message, MessageDetail, OutboxList
    from .handoff.queue import Queue, Reason
    from .handoff.queue_order import KeptOrder
    from .handoff.reads import ActivityRead, LeadRead, QueueRead
    from .handoff.routing import RoutingSetup
    from .handoff.schemas import EventSchemas
    from .handoff.sla import Periods, SlaClock, SlaReport, SlaSetup
    from .handoff.sla_config import SlaSettings
    from .handoff.sweep import SweepReport
    from .handoff.transitions import History, Move
    from .handoff.webhooks import DeliveryReport, Endpoint
    from .ingest import ImportReport
    from .ingest.progress import Progress
    from .report import Report
    from .scoring import BatchReport, Score
    from .scoring.evaluate import Scorer
    from .scoring.lookup import LeadData
    from .web.people import User, UserList


@dataclass
class Project:
    """An opened project: its folder, its settings, and the clock it reads."""

    root: Path
    config: ProjectConfig = field(default_factory=ProjectConfig)
    tracer: Tracer | None = None
    clock: Clock = field(default_factory=SystemClock)
    #: The store a long-running process holds open (:meth:`serving`), else None.
    _held: Store | None = field(default=None, init=False, repr=False, compare=False)
    #: The last compiled definition, by the text and date it was compiled from (shared
    #: with the project's read views, :meth:`reading`): see :meth:`_compile`.
    _compiled: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    #: The queue order a server keeps in memory, for its readers' views (:meth:`reading`).
    _queue_order: KeptOrder | None = field(default=None, init=False, repr=False, compare=False)
    #: Each definition's pure evaluator, by its hash (shared with the read views).
    _scorers: dict[str, Scorer] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def open(
        cls,
        directory: str | Path | None = None,
        *,
        tracer: Tracer | None = None,
        clock: Clock | None = None,
    ) -> Project:
        """The project in ``directory`` (or the current folder, or one of its parents).

        >>> Project.open("/nonexistent")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        leadgate.errors.ProjectNotFound: No leadgate project in /nonexistent ...
        """
        start = Path(directory or Path.cwd()).resolve()
        candidates = [start] if directory is not None else [start, *start.parents]
        for root in candidates:
            if (root / CONFIG_FILE).is_file():
                config = read_config(root / CONFIG_FILE)
                return cls(root, config, tracer, clock or SystemClock())
        raise ProjectNotFound(
            f"No leadgate project in {start} (no {CONFIG_FILE}). Run `leadgate init` there, "
            "or point at the project with -C DIR."
        )

    # -- settings ---------------------------------------------------------------------------
    @property
    def timezone(self) -> str:
        return self.config.timezone

    @property
    def memory_limit(self) -> str:
        """DuckDB's memory limit for this project (beyond it, work spills to disk)."""
        return self.config.memory_limit

    @property
    def definition_path(self) -> Path:
        return self.root / self.config.definition

    @property
    def store_path(self) -> Path:
        return self.root / STORE_FILE

    @property
    def mappings(self) -> dict[str, dict[str, Any]]:
        return {name: dict(table) for name, table in self.config.mappings.items()}

    @property
    def segments(self) -> dict[str, str]:
        return dict(self.config.segments)

    @property
    def enrich(self) -> dict[str, Any]:
        """The ``[enrich]`` settings with ``firmographics`` resolved against the project."""
        settings = dict(self.config.enrich)
        if settings.get("firmographics"):
            settings["firmographics"] = str(self.root / settings["firmographics"])
        return settings

    def store(self, *, read_only: bool = False) -> Store:
        """Open the project's store (close it, or use it as a context manager). Inside
        :meth:`serving`, the store held open, which closing leaves open."""
        if self._held is not None:
            return self._held
        if _journal_waits(self.store_path):  # a server stopped before writing it all
            from .api.behind import recover

            with Store(self.store_path, tracer=self.tracer, memory_limit=self.memory_limit,
                       clock=self.clock) as store:  # fmt: skip
                recover(store, self.store_path)
        return Store(
            self.store_path,
            tracer=self.tracer,
            read_only=read_only,
            memory_limit=self.memory_limit,
            clock=self.clock,
        )

    def mapping(self, name: str) -> dict[str, Any]:
        """The ``[mappings.NAME]`` table, or :class:`ImportFailed` naming the ones there are."""
        try:
            return dict(self.mappings[name])
        except KeyError:
            known = ", ".join(self.mappings) or "none yet"
            raise ImportFailed(
                f"No mapping {name!r} in {self.root / CONFIG_FILE} (known: {known}).",
                code=UNKNOWN_MAPPING,
            ) from None

    def segment(self, name: str) -> str:
        """The condition of the segment ``name`` of ``[segments]``."""
        try:
            return self.segments[name]
        except KeyError:
            known = ", ".join(self.segments) or "none yet"
            raise SegmentNotFound(
                f"No segment {name!r} in {self.root / CONFIG_FILE} [segments] (known: {known})."
            ) from None

    # -- the definition ---------------------------------------------------------------------
    def validate(self, definition: str | Path | None = None) -> Validation:
        """Every problem of the definition (the project's, or the file given) at once."""
        from .definition import validate

        return validate(self._definition_file(definition), today=self.clock.today())

    def compiled(self, definition: str | Path | None = None) -> CompiledDefinition:
        """The compiled definition, or :class:`DefinitionError` listing every problem."""
        return self._compile(definition)[0]

    def _compile(self, definition: str | Path | None) -> tuple[CompiledDefinition, list[str]]:
        """The compiled definition and its warnings (e.g. past its ``review_by``).

        The project's own definition is kept compiled, by its file's bytes and today's
        date: parsing and checking the YAML costs 10-30 ms, and a server's every page
        needs it. A changed file (or a new day, for the review warning) compiles again."""
        if definition is None:
            path = self.definition_path
            try:
                key = (path.read_bytes(), self.clock.today())
            except OSError:
                return self._compile_now(path)  # the error names the file
            kept = self._compiled.get(str(path))
            if kept is None or kept[0] != key:
                kept = (key, self._compile_now(path))
                self._compiled[str(path)] = kept
            compiled, warnings = kept[1]
            return compiled, list(warnings)  # a caller may add to its list
        return self._compile_now(definition)

    def _compile_now(self, definition: str | Path) -> tuple[CompiledDefinition, list[str]]:
        from .definition import compile_definition

        result = self.validate(definition)
        if not result.ok or result.definition is None:
            raise DefinitionError(result.problems, result.source)
        warnings = [p.format(result.source) for p in result.warnings]
        return compile_definition(result.definition), warnings

    def publish(self, fmt: str = "markdown", definition: str | Path | None = None) -> Publication:
        """The definition as a page both teams read (``markdown`` or ``html``)."""
        from .publish import to_html, to_markdown

        render = {"markdown": to_markdown, "html": to_html}.get(fmt)
        if render is None:
            raise ValueError(f"Unknown format {fmt!r}; use markdown or html.")
        compiled = self.compiled(definition)
        return Publication(fmt, render(compiled, self.clock.today()), compiled.hash)

    def event_types(self) -> list[str]:
        """Event types an import accepts: the standard ones and the definition's own."""
        try:
            return sorted(self.compiled().event_types)
        except (DefinitionError, OSError):
            # An invalid definition must not block imports; its own types wait until fixed.
            return list(STANDARD_EVENT_TYPES)

    def _max_future_skew(self) -> dt.timedelta:
        """How far ahead of the clock an event may be dated: the API's ``[api]
        max_future_skew``, so an import refuses what the API refuses."""
        from .api.settings import ApiSettings  # the [api] table's reader, no web parts

        return ApiSettings.from_table(self.config.api).max_future_skew

    # -- data -------------------------------------------------------------------------------
    def import_file(
        self,
        path: str | Path,
        kind: str,
        *,
        mapping: dict[str, Any] | None = None,
        mapping_name: str | None = None,
        timezone: str | None = None,
        progress: Progress | None = None,
        **options: Any,
    ) -> ImportReport:
        """Import a file with the project's zone, named mapping and enrichment settings.

        An explicit ``mapping`` is laid over the named one. Dates: ``date_format`` (every
        date column, e.g. ``"%m/%d/%Y %I:%M %p"``) and ``date_formats`` (``{field: format}``)
        over the mapping's; ``date_order`` over the project's. See
        :func:`leadgate.ingest.import_file` for the other options, among them ``values``
        (value maps, laid over the mapping's ``values``), ``outcome_time``, ``outcome`` and
        ``id_from_row`` (a lead table without an id or email, keyed by row positions).
        """
        merged = self.mapping(mapping_name) if mapping_name else {}
        wanted = merged.pop("kind", kind)
        if wanted != kind:
            raise ImportFailed(
                f"The mapping {mapping_name!r} is for {wanted}, not {kind}.", code=UNKNOWN_MAPPING
            )
        merged.update(mapping or {})
        # The placeholders: the import's own, else the mapping's, else the project's.
        options.setdefault("null_values", merged.pop("null_values", self.config.null_values))
        options.setdefault("date_order", self.config.date_order)
        if kind == "leads":  # whose values a lead keeps (leadgate.identity)
            options.setdefault("source_name", mapping_name)
            options.setdefault("prefer", self.config.identity.get("prefer", ()))
        if kind == "events":
            options.setdefault("allowed_event_types", self.event_types())
            options.setdefault("max_future", self._max_future_skew())
        from .ingest.loader import import_file  # the import machinery, on first use

        with self.store() as store:
            return import_file(
                store,
                path,
                kind,
                mapping=merged,
                timezone=timezone or self.timezone,
                progress=progress,
                enrich=self.enrich,
                **options,
            )

    def imports(self, *, limit: int | None = None) -> ImportList:
        """The imports on record, the latest first: finished, failed, or interrupted (a
        crash or a ``kill -9`` part way; importing the same file again completes it)."""
        from .ingest.history import list_imports

        with self.store() as store:
            return ImportList(list_imports(store, limit))

    # -- scores -----------------------------------------------------------------------------
    def score(
        self,
        as_of: dt.datetime | None = None,
        *,
        details: bool = False,
        definition: str | Path | None = None,
        buckets: int | None = None,
    ) -> BatchReport:
        """Score every lead as of ``as_of`` (default: now) and keep the scores with the hash.

        With ``details``, each score keeps every rule's points; ``explain`` rebuilds them
        for any one lead either way. ``buckets``: the plan's passes over whole accounts
        (default: as the store's size needs in ``memory_limit``, :mod:`leadgate.scoring.buckets`).
        """
        from .handoff.routing_store import check_conditions, route_waiting
        from .handoff.transitions import enter_mql
        from .scoring import score_store

        path = self._definition_file(definition)
        compiled, warnings = self._compile(path)
        when = as_of or self.clock.now()
        sales_tiers = [t.name for t in compiled.tiers if t.sales]
        setup = self.routing
        if setup.rules:  # checked before anything is written
            check_conditions(setup, compiled)
        with self.store() as store, store.atomic():
            source = path.read_text(encoding="utf-8")
            report = score_store(
                store, compiled, when, source=source, details=details, buckets=buckets
            )
            # Leads of a sales tier enter mql in the same transaction as their scores, and
            # are routed in it too: the reps' availability is the real now's.
            lifecycle = compiled.definition.lifecycle  # re-entry: leadgate.handoff.lifecycle
            report.entered_mql = enter_mql(
                store, compiled.hash, report.as_of, sales_tiers,
                reentry_events=lifecycle.reentry_events if lifecycle else None,
            )  # fmt: skip
            if setup.rules:
                routed = route_waiting(store, setup, compiled, self.clock.now(), apply=True)
                report.routed = sum(r.routed for r in routed)
                report.unrouted = len(routed) - report.routed
        report.warnings = warnings
        return report

    def leads(
        self,
        *,
        tier: str | None = None,
        where: str | None = None,
        segment: str | None = None,
        limit: int | None = 50,
        as_of: dt.datetime | None = None,
    ) -> LeadList:
        """Scored leads, best first, by tier and/or a condition (``where``, a ``segment``).

        Each row's ``sla_due`` and ``sla_status`` are its lead's SLA clock as ``leadgate
        sla`` counts it, at ``as_of`` (default now); none for a lead in no MQL period. (A
        score's stored ``sla_due``, its scoring time plus the SLA, moves with every run:
        sales cannot act by it.)"""
        from .scoring.lookup import latest_as_of, list_leads

        conditions = [self.segment(segment)] if segment else []
        conditions += [where] if where else []
        # One condition is used as written, so an error's position points into it.
        if len(conditions) > 1:
            condition: str | None = " and ".join(f"({c})" for c in conditions)
        else:
            condition = conditions[0] if conditions else None
        compiled = self.compiled()
        with self.store() as store:
            when = as_of or latest_as_of(store, compiled)
            rows = list_leads(store, compiled, tier=tier, where=condition, limit=limit, as_of=as_of)
        clocks = self.sla_clocks([r["lead_id"] for r in rows], at=as_of)
        for row in rows:
            clock = clocks.get(row["lead_id"])
            row["sla_due"] = None if clock is None else store_time(clock.due_at)
            row["sla_status"] = None if clock is None else clock.status
        return LeadList(rows, when, compiled.hash, tier, condition, limit)

    def explain(self, lead: str, *, as_of: dt.datetime | None = None) -> Score:
        """Every contribution to ``lead``'s score (by id, alias or email), adding up to the
        total; :class:`~leadgate.errors.AmbiguousLead` when the key names several leads."""
        from .scoring.lookup import explain_lead

        compiled = self.compiled()
        with self.store() as store:
            return explain_lead(store, compiled, lead, as_of)

    def merge(self, *, apply: bool = False) -> MergeReport:
        """The leads that share an email, merged into one each with ``apply`` (else only
        reported): see :mod:`leadgate.identity.merge`. Running it again changes nothing."""
        from .identity import merge_leads

        with self.store() as store:
            return merge_leads(store, apply=apply, prefer=self.config.identity.get("prefer", ()))

    def coverage(self, *, as_of: dt.datetime | None = None) -> CoverageReport:
        """Per rule: how many leads it could not judge, before and after enrichment."""
        from .scoring.coverage import rule_coverage

        compiled = self.compiled()
        when = as_of or self.clock.now()
        with self.store() as store:
            return CoverageReport(rule_coverage(store, compiled, when), when, compiled.hash)

    # -- the handoff ------------------------------------------------------------------------
    @property
    def reject_reasons(self) -> tuple[str, ...]:
        """The reasons sales may reject a lead with (``[handoff] reject_reasons``)."""
        from .handoff.stages import DEFAULT_REJECT_REASONS

        return tuple(self.config.handoff.get("reject_reasons", DEFAULT_REJECT_REASONS))

    def move(
        self,
        lead: str,
        to: str,
        *,
        actor: str,
        reason: str | None = None,
        amount: float | None = None,
    ) -> Move:
        """Move ``lead`` (id, alias or email) to the stage ``to``, recorded with who and why;
        an illegal move raises :class:`~leadgate.handoff.stages.IllegalMove` naming the
        legal next stages (see :mod:`leadgate.handoff.stages`)."""
        from .handoff.transitions import move

        with self.store() as store:
            return move(
                store, lead, to, actor=actor, reason=reason, amount=amount,
                reject_reasons=self.reject_reasons,
            )  # fmt: skip

    def contacted(self, lead: str) -> History:
        """Record ``lead``'s first sales touch (stops its SLA); the stage stays."""
        from .handoff.transitions import touch

        with self.store() as store:
            return touch(store, lead)

    def history(self, lead: str) -> History:
        """``lead``'s stage, MQL entry, first touch and every stage transition."""
        from .handoff.transitions import history

        with self.store() as store:
            return history(store, lead)

    # -- the outbox (leadgate.handoff) ----------------------------------------------------------
    @property
    def webhooks(self) -> list[Endpoint]:
        """The ``[[webhooks]]`` endpoints of ``leadgate.toml``."""
        from .handoff.webhooks import Endpoint

        return [Endpoint.from_config(table) for table in self.config.webhooks]

    def outbox(self, *, state: str | None = None, limit: int | None = 50) -> OutboxList:
        """Outbox messages, the newest first (``state``: pending, failed, delivered, dead)."""
        from .handoff.outbox import OutboxList, list_messages, state_counts

        with self.store() as store:
            messages = list_messages(store, state=state, limit=limit)
            return OutboxList(messages, state_counts(store), state)

    def outbox_message(self, message_id: str) -> MessageDetail:
        """One message and every try of it on every endpoint."""
        from .handoff.outbox import MessageDetail, deliveries, get_message

        with self.store() as store:
            return MessageDetail(get_message(store, message_id), deliveries(store, message_id))

    def replay(self, message_id: str) -> Message:
        """Send a message again, with the same ``webhook-id``, to every endpoint."""
        from .handoff.outbox import replay

        with self.store() as store:
            return replay(store, message_id)

    def enable_webhook(self, url: str) -> bool:
        """Let a webhook that answered 410 Gone receive again (False: it was not disabled)."""
        from .handoff.webhooks import enable_endpoint

        with self.store() as store:
            return enable_endpoint(store, url)

    def deliver(
        self, *, until_empty: bool = False, sleep: Callable[[float], None] = time.sleep
    ) -> DeliveryReport:
        """Post the messages due now to the webhooks (one pass), see
        :mod:`leadgate.handoff.webhooks`. With ``until_empty``, pass again, sleeping (with
        ``sleep``) until the next message is due, until none is left to deliver: with a
        receiver that is down, that takes up to the retry schedule's day. The store is closed
        while it sleeps, so other commands can use the project."""
        from .handoff.webhooks import DeliveryReport, deliver_due

        endpoints = self.webhooks
        total = DeliveryReport(endpoints=len(endpoints))
        while True:
            with self.store() as store:
                total.add(deliver_due(store, endpoints))
                now = store.now()
            if not until_empty or not endpoints or total.next_due is None:
                return total
            wait = (total.next_due - now).total_seconds()
            if wait > 0:
                sleep(wait)

    # -- routing ----------------------------------------------------------------------------
    @property
    def routing(self) -> RoutingSetup:
        """The reps and routing rules of ``leadgate.toml`` (see :mod:`leadgate.handoff`)."""
        from .handoff.routing import load_setup

        return load_setup(self.config.reps, self.config.routing)

    def reps(self, *, at: dt.datetime | None = None) -> RepList:
        """Every rep: available at ``at`` (default now) or why not, caps, open MQLs."""
        from .handoff.routing_store import rep_states, rep_statuses

        when = at or self.clock.now()
        setup = self.routing
        with self.store() as store:
            states = rep_states(store, setup)
        return RepList(rep_statuses(setup, states, when), when)

    def route_test(self, lead: str, *, at: dt.datetime | None = None) -> RouteTest:
        """Where ``lead`` (id, alias or email) would be routed at ``at`` and why; nothing
        is written, so the reps' turns are as they stand."""
        from .handoff.routing import assign
        from .handoff.routing_store import lead_values, on_record, rep_states
        from .scoring.lookup import find_lead

        when = at or self.clock.now()
        setup, compiled = self._routing_checked()
        with self.store() as store:
            values = lead_values(store, compiled, find_lead(store, lead), setup.account_owner_field)
            states = rep_states(store, setup)
            recorded = on_record(store, values["lead_id"])  # handoff lane: what was stored
        routed, _ = assign([values], setup, states, when)
        return RouteTest(routed[0], values, list(setup.rules), when, recorded)

    def route(self, *, apply: bool = False, at: dt.datetime | None = None) -> RoutingRun:
        """Route every MQL (stage ``mql``) that has no owner yet, in the order they entered
        MQL; with ``apply``, store the assignments and the reps' turns (else only report).
        Each lead is assigned once: a later run skips it."""
        from .handoff.routing_store import route_waiting

        when = at or self.clock.now()
        setup, compiled = self._routing_checked()
        with self.store() as store, store.atomic():
            routed = route_waiting(store, setup, compiled, when, apply=apply)
        return RoutingRun(routed, when, apply, compiled.hash)

    # -- serving (leadgate.api) -------------------------------------------------------------
    @contextlib.contextmanager
    def serving(self) -> Iterator[Store]:
        """Hold the store open for a long-running process (``leadgate serve``): every call
        on this project uses that one connection until the block ends. DuckDB lets one
        process write a file, so the server is the store's writer, and its calls must come
        from one thread at a time (:class:`leadgate.api.writer.Writer` sees to that)."""
        store = self.store()
        store.keep_open = True
        self._held = store
        try:
            yield store
        finally:
            self._held = None
            store.release()

    def reading(self, store: Store, queue_order: KeptOrder | None = None) -> Project:
        """This project bound to ``store`` (a reader's :class:`~leadgate.store.snapshot.
        Snapshot`): every call on the view reads through it, on the reader's thread, while
        this project's held store stays the writer's. The view shares the settings, the
        clock and the kept compiled definition; :meth:`queue` reads its order from
        ``queue_order`` (:mod:`leadgate.handoff.queue_order`) when given."""
        view = Project(self.root, self.config, self.tracer, self.clock)
        view._held = store
        view._compiled = self._compiled
        view._queue_order = queue_order
        view._scorers = self._scorers
        return view

    def keys(self) -> KeyList:
        """The HTTP API's keys (never the keys themselves: only their ids)."""
        from .api.keys import KeyList, list_keys

        with self.store() as store:
            return KeyList(list_keys(store))

    def create_key(self, name: str, role: str) -> NewKey:
        """A new API key with ``role``; the key is in the result, and nowhere else, ever."""
        from .api.keys import create_key

        with self.store() as store:
            return create_key(store, name, role)

    def revoke_key(self, key_id: str) -> ApiKey:
        """Revoke a key: requests with it are refused from now on."""
        from .api.keys import revoke_key

        with self.store() as store:
            return revoke_key(store, key_id)

    # -- other engines (leadgate.engines) ----------------------------------------------------
    def score_spark(
        self,
        as_of: dt.datetime | None = None,
        *,
        definition: str | Path | None = None,
        spark: Any = None,
    ) -> SparkRun:
        """Score the inputs of ``[engine.tables]`` on Spark as of ``as_of`` and write the
        scores to ``[engine] output`` (Parquet); ``import_scores`` loads them into the store.
        ``spark``: a session to use (default: one for ``[engine] master``)."""
        from .engines.spark import SparkSettings, score_on_spark, session
        from .scoring.dialects import check_engine

        path = self._definition_file(definition)
        compiled, _ = self._compile(path)
        check_engine(compiled, "spark")
        settings = SparkSettings.from_config(self.config.engine, self.root)
        spark = spark if spark is not None else session(settings)
        when = as_of or self.clock.now()
        return score_on_spark(
            spark, compiled, when, settings, source=path.read_text(encoding="utf-8")
        )

    def plan(
        self,
        dialect: str = "duckdb",
        as_of: dt.datetime | None = None,
        *,
        definition: str | Path | None = None,
        tables: dict[str, str] | None = None,
        details: bool = True,
    ) -> PlanText:
        """The scoring query in ``dialect`` for the columns of this project's store, reading
        ``tables`` (leads, accounts, events, intent: the relations' names, by default the
        store's), whose rows are the ``scores`` table's."""
        from .scoring.dialects import warehouse_sql
        from .scoring.plans import DEFAULT_TABLES, Tables

        compiled, _ = self._compile(self._definition_file(definition))
        names = {**asdict(DEFAULT_TABLES), **(tables or {})}
        unknown = sorted(set(names) - set(asdict(DEFAULT_TABLES)))
        if unknown:
            raise ConfigError(f"Unknown table {', '.join(unknown)}: name leads, accounts, "
                              "events or intent.")  # fmt: skip
        when = as_of or self.clock.now()
        with self.store() as store:
            leads, accounts = store.table_columns("leads"), store.table_columns("accounts")
        sql = warehouse_sql(
            compiled, when, dialect, lead_columns=leads, account_columns=accounts,
            tables=Tables(**names), details=details,
        )  # fmt: skip
        return PlanText(dialect, compiled.hash, when, sql)

    def import_scores(self, folder: str | Path) -> BatchReport:
        """Load the scores another engine wrote to ``folder`` (and its manifest) into the
        store, replacing that definition's scores as of that time; leads of a sales tier
        enter MQL as after ``score``."""
        from .engines.imported import load_scores
        from .handoff.transitions import enter_mql
        from .scoring import BatchReport

        started = time.perf_counter()
        with self.store() as store, store.atomic():
            manifest, loaded = load_scores(store, Path(folder))
            as_of = dt.datetime.fromisoformat(manifest["as_of"])
            sales = self._sales_tiers(manifest["source"])
            entered = enter_mql(store, manifest["definition_hash"], as_of, sales)
        return BatchReport(
            manifest["definition_hash"],
            as_of,
            loaded,
            time.perf_counter() - started,
            dict(manifest.get("tiers", {})),
            int(manifest.get("disqualified", 0)),
            entered_mql=entered,
        )

    def _sales_tiers(self, source: str) -> list[str]:
        from .definition import load_compiled

        return [t.name for t in load_compiled(text=source).tiers if t.sales]

    def _routing_checked(self) -> tuple[RoutingSetup, CompiledDefinition]:
        """The routing setup with its conditions checked against the definition."""
        from .handoff.routing_store import check_conditions

        setup, compiled = self.routing, self.compiled()
        if not setup.rules:
            raise ConfigError(
                f"No [routing] rules in {self.root / CONFIG_FILE}: add [[reps]] and "
                "[routing] rules (see the README's routing section)."
            )
        check_conditions(setup, compiled)
        return setup, compiled

    def _definition_file(self, given: str | Path | None) -> Path:
        return Path(given) if given is not None else self.definition_path

    # -- sla ---------------------------------------------------------------------------------
    @property
    def sla_settings(self) -> SlaSettings:
        """The ``[sla]`` settings of ``leadgate.toml`` (see :mod:`leadgate.handoff.sla_config`)."""
        from .handoff.sla_config import load_sla

        return load_sla(self.config.sla, self.timezone)

    def sla(
        self, *, at: dt.datetime | None = None, tier: str | None = None, owner: str | None = None
    ) -> SlaReport:
        """The MQLs whose SLA clock runs at ``at`` (default now): breached, due soon, due,
        with owner and time left; and speed to lead per rep and per tier (system delay,
        entry → assignment; rep delay, assignment → first touch). See
        :mod:`leadgate.handoff.sla`."""
        from .handoff.sla import sla_report, sla_setup

        when = at or self.clock.now()
        setup = sla_setup(self.compiled(), self.routing, self.sla_settings)
        with self.store() as store:
            return sla_report(store, setup, when, tier=tier, owner=owner)

    def sla_clocks(
        self, lead_ids: list[str], *, at: dt.datetime | None = None
    ) -> dict[str, SlaClock]:
        """The SLA clock at ``at`` (default now) of each of ``lead_ids`` in an MQL period,
        as :meth:`sla` counts it (business hours included); leads in none are absent.
        What ``leadgate leads`` and ``explain`` show, not a score's ``sla_due``."""
        from .handoff.sla import clocks_of, sla_setup

        when = at or self.clock.now()
        setup = sla_setup(self.compiled(), self.routing, self.sla_settings)
        with self.store() as store:
            return clocks_of(store, setup, lead_ids, when)

    def sweep(self, *, at: dt.datetime | None = None, apply: bool = False) -> SweepReport:
        """As of ``at`` (default now): recycle the MQLs the definition's lifecycle rules say,
        then record each new SLA breach once with its events, escalation and reassignment
        (``[sla] on_breach``). Without ``apply`` only report. See
        :mod:`leadgate.handoff.sweep`."""
        from .handoff.sla import sla_setup
        from .handoff.sweep import sweep

        when = at or self.clock.now()
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        compiled = self.compiled()
        setup = sla_setup(compiled, self.routing, self.sla_settings)
        with self.store() as store:
            return sweep(store, compiled, setup, when, apply=apply)

    # -- handoff (lane handoff: erasure, schemas, export) ---------------------------------------
    def forget(self, email: str, *, actor: str) -> Erasure:
        """Remove the person ``email`` names from every table, in one transaction, and record
        only that an erasure happened, when and by whom (see :mod:`leadgate.handoff.erasure`)."""
        from .handoff.erasure import forget

        with self.store() as store:
            return forget(store, email, actor=actor)

    def schemas(self, event_type: str | None = None) -> EventSchemas:
        """The JSON Schema of each webhook event type's body (or of ``event_type`` only)."""
        from .handoff.schemas import event_schemas

        return event_schemas(event_type)

    def export_mqls(
        self,
        out: str | Path,
        *,
        fmt: str = "csv",
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> MqlExport:
        """Write the MQL entries since ``since`` (and before ``until``) to the file ``out``,
        as CSV or JSON for a CRM import, values exact (see :mod:`leadgate.handoff.export`)."""
        from .handoff.export import export_mqls

        with self.store() as store:
            return export_mqls(store, out, fmt=fmt, since=since, until=until)

    # -- api-routes: a lead, the queue, sales actions, definition versions ------------------
    def lead(self, lead: str) -> LeadDetail:
        """Everything about ``lead`` (id, alias or email): attributes, the score and its
        explanation, stage and history, owner and routing reason, SLA."""
        return self.lead_read(lead).at(naive_utc(self.clock))

    def lead_read(self, lead: str) -> LeadRead:
        """What :meth:`lead` reads from the store, to be judged as of a time (``.at(now)``:
        its SLA); a server keeps it until its next write (:mod:`leadgate.handoff.reads`).
        Each table is read once, by the lead's id (:mod:`leadgate.handoff.one_lead`)."""
        from .handoff.lead import account_of, every_event
        from .handoff.one_lead import read_lead_rows
        from .handoff.reads import LeadRead
        from .scoring.lookup import explain_loaded, find_lead, live_as_of, load_lead

        warnings: list[str] = []
        compiled = self._compiled_or_none(warnings)
        with self.store() as store:
            row = find_lead(store, lead)
            lead_id = row["lead_id"]
            rows = read_lead_rows(store, row)
            score, data, timeline = None, None, None
            if compiled is not None:
                # A lead without an account: its events read once, for its score and page.
                timeline = every_event(store, lead_id) if row.get("account_id") is None else None
                data = load_lead(store, lead_id, row, timeline)
                # As of its live score when the server scored it after the last batch run:
                # the page explains the total the queue shows.
                live = live_as_of(store, compiled, lead_id)
                try:
                    score = explain_loaded(
                        store, compiled, data, as_of=live, scorer=self._scorer(compiled)
                    )
                except ScoringError as exc:
                    warnings.append(str(exc))
            account = account_of(store, row) if data is None else _plain_account(data)
            setup = self._sla_setup_or_none(compiled, warnings)
        periods = None if setup is None else rows.periods(setup)
        return LeadRead(
            lead_id, row, account, score, rows.history, rows.owner, rows.tier, periods, data,
            warnings, timeline,
        )  # fmt: skip

    def lead_activity(self, lead: str, *, days: int = 90, limit: int = 50) -> LeadActivity:
        """What a lead's page adds to :meth:`lead`: its ``limit`` newest events and its
        score and tier over the last ``days`` (14 times, by the active definition, each
        as of that time: see :func:`leadgate.scoring.lookup.score_trend`)."""
        return self.lead_activity_read(lead, limit=limit).at(store_time(self.clock.now()), days)

    def lead_activity_read(
        self,
        lead: str,
        *,
        limit: int = 50,
        data: LeadData | None = None,
        timeline: list[dict[str, Any]] | None = None,
    ) -> ActivityRead:
        """What :meth:`lead_activity` reads, to be judged as of a time (its score over the
        days up to then); ``data`` and ``timeline``: the lead's scoring data and all its
        events, when read already (:meth:`lead_read`)."""
        from .handoff.lead import newest_events, recent_events
        from .handoff.reads import ActivityRead
        from .scoring.lookup import find_lead, load_lead

        compiled = self._compiled_or_none()
        with self.store() as store:
            row = find_lead(store, lead) if data is None else data.lead
            lead_id = row["lead_id"]
            if timeline is None:
                events, total = recent_events(store, lead_id, limit)
            else:
                events, total = newest_events(timeline, limit)
            if compiled is not None and data is None:
                data = load_lead(store, lead_id, row)
        scorer = None if compiled is None else self._scorer(compiled)
        return ActivityRead(lead_id, events, total, data, scorer)

    def lead_reads(
        self, keys: Sequence[str], *, limit: int = 50
    ) -> dict[str, tuple[LeadRead, ActivityRead] | LeadgateError]:
        """:meth:`lead_read` and then :meth:`lead_activity_read` (with what the first read)
        of each of ``keys``, by key, read together: each equal to what those two read for
        it alone (a test compares them lead by lead), an unknown or ambiguous key's error
        in its place. A server reads the leads asked for in the same moment this way
        (:mod:`leadgate.api.batched`).

        A key that is a lead's id and nobody's alias, of a lead without an account, with a
        definition to score by (a lead page's link, nearly always): one statement per table
        for all of them (:func:`leadgate.handoff.many_leads.read_together`), about the
        time of one lead's. Any other key is read alone, in the same transaction."""
        from .handoff.many_leads import find_ids, read_together

        warnings: list[str] = []
        compiled = self._compiled_or_none(warnings)
        keys = list(dict.fromkeys(keys))
        out: dict[str, tuple[LeadRead, ActivityRead] | LeadgateError] = {}
        with self.store() as store:
            found = find_ids(store, keys) if compiled is not None else {}
            rows = [r for r in found.values() if r.get("account_id") is None]
            if compiled is not None and rows:
                setup_warnings: list[str] = []
                setup = self._sla_setup_or_none(compiled, setup_warnings)
                out.update(
                    read_together(
                        store, compiled, self._scorer(compiled), rows, warnings, setup,
                        setup_warnings, limit,
                    )
                )  # fmt: skip
            for key in keys:
                if key in out:
                    continue
                try:
                    lead = self.lead_read(key)
                    out[key] = (
                        lead,
                        self.lead_activity_read(
                            lead.lead_id, limit=limit, data=lead.data, timeline=lead.timeline
                        ),
                    )
                except LeadgateError as exc:
                    out[key] = exc
        return {key: out[key] for key in keys}

    def _scorer(self, compiled: CompiledDefinition) -> Scorer:
        """The pure evaluator of ``compiled``, built once per definition (1-2 ms each)."""
        from .scoring.evaluate import Scorer

        kept = self._scorers.get(compiled.hash)
        if kept is None:
            kept = self._scorers[compiled.hash] = Scorer(compiled)
        return kept

    def act(
        self,
        lead: str,
        action: str,
        *,
        actor: str,
        reason: str | None = None,
        amount: float | None = None,
        stage: str | None = None,
    ) -> ActionResult:
        """A sales action on ``lead``: accept, reject (with a reason from
        :attr:`reject_reasons`; ``stage`` recycled or disqualified), contacted, sql,
        opportunity, won (an ``amount``), lost (a reason). All checked before anything is
        written; see :data:`leadgate.handoff.lead.ACTIONS`."""
        from .handoff.lead import ActionResult, action_stage
        from .handoff.stages import check_actor

        to = action_stage(action, stage)
        check_actor(actor)
        if to is None:
            return ActionResult(action, actor, None, self.contacted(lead))
        done = self.move(lead, to, actor=actor, reason=reason, amount=amount)
        return ActionResult(action, actor, done, self.history(done.transition.lead_id))

    def queue(
        self,
        *,
        tier: str | None = None,
        owner: str | None = None,
        stage: str | None = None,
        source: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        q: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Queue:
        """The MQL queue (stages mql and sal), hot first then by MQL entry, a page of
        ``limit`` rows after ``cursor`` (the previous page's ``next_cursor``); see
        :mod:`leadgate.handoff.queue`."""
        return self.queue_read(
            tier=tier, owner=owner, stage=stage, source=source, since=since, until=until,
            q=q, limit=limit, cursor=cursor,
        ).at(naive_utc(self.clock))  # fmt: skip

    def queue_read(
        self,
        *,
        tier: str | None = None,
        owner: str | None = None,
        stage: str | None = None,
        source: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        q: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> QueueRead:
        """What :meth:`queue` reads from the store, to be judged as of a time (``.at(now)``:
        each row's SLA); a server keeps it until its next write
        (:mod:`leadgate.handoff.reads`)."""
        from .handoff.queue import QueueFilter, owners, stored_reasons
        from .handoff.queue_page import queue_page
        from .handoff.reads import QueueRead
        from .scoring.lookup import latest_as_of

        compiled = self._compiled_or_none()
        rep = self.routing.rep(owner) if owner else None
        filters = QueueFilter(tier, rep.name if rep else owner, stage, source, since, until, q)
        with self.store() as store:
            rows, following = queue_page(
                store, compiled, filters, limit=limit, cursor=cursor, now=store.now(),
                order=self._kept_order(store), reps=[r.name for r in self.routing.reps],
            )  # fmt: skip
            ids = [r["lead_id"] for r in rows]
            owned = owners(store, ids)
            periods = self._sla_periods(store, compiled, ids)
            totals: dict[str, float] = {}
            reasons: dict[str, list[Reason]] = {}
            if compiled is not None:
                when = latest_as_of(store, compiled)
                totals, reasons = stored_reasons(store, compiled, when, ids)
                reasons |= self._rebuilt_reasons(store, compiled, set(totals) - set(reasons))
        return QueueRead(rows, following, filters, limit, owned, totals, reasons, periods)

    def definitions(self) -> DefinitionList:
        """Every definition version known, which is active, who activated what and when."""
        from .definition.versions import list_versions

        with self.store() as store:
            return list_versions(store, self.definition_path, self.clock.today())

    def definition_version(self, key: str) -> DefinitionDetail:
        """One version (its hash, or a prefix of 6 or more), with its text and validation."""
        from .definition.versions import get_version

        with self.store() as store:
            return get_version(store, self.definition_path, key, self.clock.today())

    def add_definition(self, text: str) -> DefinitionDetail:
        """Keep ``text`` as a new version (not active until :meth:`activate`); a text with
        problems raises :class:`~leadgate.errors.DefinitionError` listing every one."""
        from .definition.versions import add_version, get_version

        today = self.clock.today()
        with self.store() as store:
            found = add_version(store, text, today)
            return get_version(store, self.definition_path, found, today)

    def activate(self, key: str, *, actor: str) -> Activation:
        """Make the version ``key`` the project's definition (its text goes to the
        definition file; the file's text before is kept), recorded with ``actor``."""
        from .definition.versions import activate

        with self.store() as store:
            return activate(store, self.definition_path, key, actor, self.clock.today())

    def _kept_order(self, store: Store) -> tuple[KeptOrder, int] | None:
        """The server's kept queue order with the writer generation of ``store``'s
        snapshot (:mod:`leadgate.handoff.queue_order`), when this is a reader's view."""
        generation = getattr(store, "generation", None)
        if self._queue_order is None or generation is None:
            return None
        return self._queue_order, generation

    def _rebuilt_reasons(
        self, store: Store, compiled: CompiledDefinition, ids: set[str]
    ) -> dict[str, list[Reason]]:
        """The top reasons of leads whose stored score kept no contributions, rebuilt."""
        from .handoff.queue import top_reasons
        from .scoring.lookup import explain_lead

        out = {}
        for lead_id in sorted(ids):
            score = explain_lead(store, compiled, lead_id)
            out[lead_id] = top_reasons([(c.label, c.cents, c.detail) for c in score.contributions])
        return out

    def _sla_periods(
        self,
        store: Store,
        compiled: CompiledDefinition | None,
        ids: list[str],
        warnings: list[str] | None = None,
    ) -> Periods | None:
        """The MQL periods of ``ids``, to count when each lead's first touch is due, as
        ``leadgate sla`` and the breach sweep count it: from MQL entry, in business hours
        where the tier says so (:class:`~leadgate.handoff.sla.Periods`). None without a
        definition, and while ``[sla]`` is wrong (the problem goes to ``warnings``:
        reading must not fail for it): then no lead has a due time."""
        from .handoff.sla import read_periods

        setup = self._sla_setup_or_none(compiled, warnings)
        return None if setup is None else read_periods(store, setup, ids)

    def _sla_setup_or_none(
        self, compiled: CompiledDefinition | None, warnings: list[str] | None = None
    ) -> SlaSetup | None:
        """The SLA clocks' setup, or None without a definition or while ``[sla]`` or the
        reps are wrong (the problem goes to ``warnings``: reading must not fail for it)."""
        from .handoff.sla import sla_setup

        if compiled is None:
            return None
        try:
            return sla_setup(compiled, self.routing, self.sla_settings)
        except LeadgateError as exc:
            if warnings is not None:
                warnings.append(str(exc))
            return None

    # -- funnel ---------------------------------------------------------------------------
    def funnel(
        self,
        *,
        by: str | None = None,
        window: str | None = "90d",
        as_of: dt.datetime | None = None,
    ) -> Funnel:
        """Lead → MQL → SAL → SQL → opportunity → won, grouped ``by`` tier, source, cohort,
        owner or definition, counted within ``window`` after MQL (``None``: whenever); MQLs
        whose window is still open at ``as_of`` (default now) are censored, not failures.
        See :mod:`leadgate.analytics.funnel`."""
        from .analytics.funnel import compute_funnel

        when = store_time(as_of or self.clock.now())
        with self.store() as store:
            return compute_funnel(
                store, when, by=by, window=window, timezone=self.timezone,
                tier_order=self._tier_names(),
            )  # fmt: skip

    def lift(self, *, outcome: str = "won", as_of: dt.datetime | None = None) -> LiftReport:
        """For every criterion of the definition (fit and engagement rules, event types,
        disqualifiers, tiers): the conversion to ``outcome`` of the leads that met it, did
        not, and could not be judged, with 95 % intervals and a verdict. See
        :mod:`leadgate.analytics.lift`."""
        from .analytics.lift import compute_lift

        compiled = self.compiled()
        when = store_time(as_of or self.clock.now())
        with self.store() as store:
            return compute_lift(store, compiled, when, outcome=outcome, timezone=self.timezone)

    @property
    def sales_capacity(self) -> float | None:
        """MQLs sales can work a month: ``[sales] capacity_per_month``, else the reps'
        ``max_per_day`` caps over their working days (when every rep has one), else None."""
        stated = self.config.sales.get("capacity_per_month")
        if stated is not None:
            return float(stated)
        reps = self.routing.reps
        if not reps or any(r.max_per_day is None for r in reps):
            return None
        weeks_per_month = 52 / 12
        return sum(float(r.max_per_day or 0) * len(r.days) * weeks_per_month for r in reps)

    def diagnose(
        self, *, window: str | None = "90d", as_of: dt.datetime | None = None
    ) -> Diagnosis:
        """What the funnel's numbers say, in plain words: criteria too loose or too strict,
        lead quality, a dominant rejection reason and the rules behind it, a tier no better
        than the one below, SLA breaches, a definition past its ``review_by``. See
        :mod:`leadgate.analytics.diagnostics`."""
        from .analytics.diagnostics import diagnose
        from .analytics.funnel import compute_funnel

        compiled = self._compiled_or_none()
        tiers = [t.name for t in compiled.tiers] if compiled is not None else []
        when = store_time(as_of or self.clock.now())
        with self.store() as store:
            found = compute_funnel(
                store, when, by="tier", window=window, timezone=self.timezone, tier_order=tiers
            )
            return diagnose(
                store, found, compiled, capacity=self.sales_capacity, today=self.clock.today(),
                sla=self._sla_setup_or_none(compiled),
            )  # fmt: skip

    def forecast(
        self,
        *,
        plan: str | dict[str, int] | None = None,
        months: int = 3,
        window: str | None = "90d",
        revenue_target: float | None = None,
        deal_size: float | None = None,
        as_of: dt.datetime | None = None,
    ) -> Forecast:
        """The MQLs, SQLs and deals to expect per month from lead volume and the funnel's
        measured rates, whether sales capacity covers them, and (with ``revenue_target``, a
        month's) the leads needed. ``plan``: ``"2027-01=5000,..."``, a CSV path or a dict;
        without it, the next ``months`` at the recent months' mean volume. See
        :mod:`leadgate.analytics.forecast`."""
        from .analytics.forecast import compute_forecast
        from .analytics.plan import read_plan

        volume = read_plan(plan) if isinstance(plan, str) else plan
        when = store_time(as_of or self.clock.now())
        with self.store() as store:
            return compute_forecast(
                store, when, plan=volume, months=months, window=window,
                timezone=self.timezone, tiers=self._tier_names(),
                sales_tiers=self._tier_names(sales_only=True), capacity=self.sales_capacity,
                revenue_target=revenue_target, deal_size=deal_size,
            )  # fmt: skip

    def report(
        self,
        out: str | Path,
        *,
        window: str | None = "90d",
        calibrate: str | None = None,
        compare: tuple[str | Path, str | Path] | None = None,
        as_of: dt.datetime | None = None,
    ) -> Report:
        """Write one self-contained HTML file to ``out``: funnel, conversion by source,
        cohort conversion, lift per criterion, conversion by score decile; the reliability
        curve with ``calibrate`` (an outcome); the backtest comparison with ``compare``
        (two definitions). See :mod:`leadgate.report`."""
        from .report import Report, render
        from .report.build import build

        when = store_time(as_of or self.clock.now())
        data = build(self, when, window=window, calibrate=calibrate, compare=compare)
        text = render(data)
        path = Path(out)
        path.write_text(text, encoding="utf-8")
        return Report(path.resolve(), len(text.encode("utf-8")), data)

    def _compiled_or_none(self, warnings: list[str] | None = None) -> CompiledDefinition | None:
        """The definition, or None when it is missing or invalid, its problem added to
        ``warnings`` when given: reading a lead or the queue must not fail because the
        definition file is being edited, and a funnel of imported outcomes needs none
        (``leadgate validate`` says what is wrong)."""
        try:
            return self.compiled()
        except (DefinitionError, OSError) as exc:
            if warnings is not None:
                warnings.append(str(exc))
            return None

    def _tier_names(self, *, sales_only: bool = False) -> list[str]:
        """The definition's tiers (or its sales tiers), best first (none without a valid
        definition)."""
        compiled = self._compiled_or_none()
        tiers = compiled.tiers if compiled is not None else []
        return [t.name for t in tiers if t.sales or not sales_only]

    # -- backtest -----------------------------------------------------------------------------
    def backtest(
        self,
        definition: str | Path | None = None,
        *,
        start: dt.date | None = None,
        end: dt.date | None = None,
        step: str = "day",
        outcomes: tuple[str, ...] = ("won",),
        window_days: int = 90,
        engine: str | None = None,
        spark: Any = None,
    ) -> BacktestResult:
        """Replay a definition (default: the project's) as of each day, without the
        future, and measure its MQLs against the outcomes (:mod:`leadgate.analytics.backtest`).

        Default span: the year up to the last day with data (events or outcomes).
        ``engine``: ``spark`` replays the inputs of ``[engine.tables]`` on Spark
        (:mod:`leadgate.engines.backtest`; default: ``[engine] name``, else duckdb);
        ``spark``: a session to use.
        """
        from .analytics.backtest import backtest

        compiled = self.compiled(definition)
        with self.store() as store:
            first, last = self._backtest_span(store, start, end)
            if self._engine(engine) == "spark":
                from .engines.backtest import spark_backtest

                session, inputs = self._spark(spark)
                return spark_backtest(
                    session, store, compiled, inputs, first, last,
                    step=step, outcomes=outcomes, window_days=window_days,
                )  # fmt: skip
            return backtest(
                store, compiled, first, last,
                step=step, outcomes=outcomes, window_days=window_days,
            )  # fmt: skip

    def _engine(self, engine: str | None) -> str:
        """The engine asked for, else ``[engine] name``, else duckdb."""
        chosen = engine or str(self.config.engine.get("name", "duckdb"))
        if chosen not in ("duckdb", "spark"):
            raise ConfigError(f"The engine must be duckdb or spark. Got {chosen!r} instead.")
        return chosen

    def _spark(self, spark: Any = None) -> tuple[Any, dict[str, str]]:
        """A Spark session (``spark``, else one for ``[engine] master``) and the inputs of
        ``[engine.tables]``."""
        from .engines.spark import SparkSettings, session

        settings = SparkSettings.from_config(self.config.engine, self.root)
        return (spark if spark is not None else session(settings)), settings.inputs

    def compare(
        self,
        a: str | Path | None,
        b: str | Path,
        *,
        start: dt.date | None = None,
        end: dt.date | None = None,
        step: str = "day",
        outcomes: tuple[str, ...] = ("won",),
        window_days: int = 90,
    ) -> CompareResult:
        """Backtest two definitions side by side: the leads that change tier and the
        rules that moved them (:mod:`leadgate.analytics.compare`)."""
        from .analytics.compare import compare

        current, proposed = self.compiled(a), self.compiled(b)
        with self.store() as store:
            first, last = self._backtest_span(store, start, end)
            return compare(
                store, current, proposed, first, last,
                step=step, outcomes=outcomes, window_days=window_days,
            )  # fmt: skip

    def _backtest_span(
        self, store: Store, start: dt.date | None, end: dt.date | None
    ) -> tuple[dt.date, dt.date]:
        if end is None:
            latest = store.scalar(
                "SELECT greatest((SELECT max(ts) FROM events), (SELECT max(ts) FROM outcomes))"
            )
            end = min(latest.date(), self.clock.today()) if latest else self.clock.today()
        if start is None:
            start = end - dt.timedelta(days=364)
        return start, end

    # -- calibrate ---------------------------------------------------------------------------
    def calibrate(
        self,
        *,
        outcome: str = "won",
        split_by: str | None = None,
        exclude: tuple[str, ...] | list[str] = (),
        folds: int | None = None,
        capacity: str | None = None,
        target_rate: float | None = None,
        penalty: str = "l2",
        min_age_days: int | None = None,
        as_of: dt.datetime | None = None,
        definition: str | Path | None = None,
        out: str | Path | None = None,
        engine: str | None = None,
        spark: Any = None,
    ) -> Calibration:
        """Learn from the outcomes which criteria predict ``outcome`` (an outcome kind, or a
        lead column holding 0/1, yes/no, won/lost) and propose the next version of the
        definition: integer points, thresholds for ``capacity`` (``"400/month"``) or
        ``target_rate``, leakage and drift warnings. ``min_age_days``: leave out the leads
        younger than that at the as-of time (no time to convert yet). With ``out``, the
        proposal's YAML is written there (it passes ``validate``). ``engine``: ``spark``
        extracts the features from the inputs of ``[engine.tables]`` on Spark
        (:mod:`leadgate.engines.features`; the fitting stays here); ``spark``: a session
        to use. See :mod:`leadgate.calibrate`."""
        from .calibrate import Options, calibrate

        path = self._definition_file(definition)
        compiled, _ = self._compile(path)
        options = Options(
            outcome=outcome, split_by=split_by, exclude=tuple(exclude), folds=folds,
            capacity=capacity, target_rate=target_rate, penalty=penalty,
            min_age_days=min_age_days,
        )  # fmt: skip
        when = as_of or self.clock.now()
        with self.store() as store:
            extraction = None
            if self._engine(engine) == "spark":
                from .engines.features import SparkExtraction

                extraction = SparkExtraction(*self._spark(spark), store)
            text = path.read_text(encoding="utf-8")
            result = calibrate(store, compiled, text, when, options, extraction)
        if out is not None:
            Path(out).write_text(result.proposed_yaml, encoding="utf-8")
        return result

    # -- web (leadgate.web: the dashboard's people) -----------------------------------------
    def users(self) -> UserList:
        """The dashboard's people, with their roles (never their passwords)."""
        from .web.people import UserList, list_users

        with self.store() as store:
            return UserList(list_users(store))

    def add_user(self, name: str, role: str, password: str | None = None) -> User:
        """A new dashboard user with ``role`` (admin, marketing, sales, read); without a
        ``password`` they cannot sign in until one is set (:meth:`set_password`)."""
        from .web.people import add_user

        with self.store() as store:
            return add_user(store, name, role, password)

    def disable_user(self, name: str) -> User:
        """Disable a user: they cannot sign in, and their open sessions end now."""
        from .web.people import disable_user

        with self.store() as store:
            return disable_user(store, name)

    def set_password(self, name: str, password: str) -> User:
        """Set a user's password (argon2id); their open sessions end."""
        from .web.people import set_password

        with self.store() as store:
            return set_password(store, name, password)


def _plain_account(data: LeadData) -> dict[str, Any] | None:
    """The lead's account as :func:`leadgate.handoff.lead.account_of` reads it, from what
    its score read already."""
    account = data.account if data.lead.get("account_id") else None
    return None if account is None else dict(account)


def init_project(directory: str | Path = ".", *, clock: Clock | None = None) -> Project:
    """Create a project in ``directory``; files already there are kept as they are.

    Writes ``leadgate.toml``, a ``definition.yaml`` to start from and an empty
    ``leadgate.duckdb`` with the current schema.
    """
    root = Path(directory).resolve()
    init_files(root)
    project = Project.open(root, clock=clock)
    project.store().close()  # creates the file and applies the migrations
    return project


def _journal_waits(store_path: Path) -> bool:
    """Whether the server's write-behind journal (:mod:`leadgate.api.behind`) holds records
    the store may lack: one opening the store must write them first."""
    return any(store_path.parent.glob(store_path.name + ".journal.*"))


__all__ = ["CONFIG_FILE", "DEFAULT_MEMORY_LIMIT", "Project", "init_project"]
