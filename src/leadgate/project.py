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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .clock import Clock, SystemClock
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
    ProjectNotFound,
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
    from .api.keys import ApiKey, KeyList, NewKey
    from .definition import CompiledDefinition, Validation
    from .engines.spark import SparkRun
    from .handoff.outbox import Message, MessageDetail, OutboxList
    from .handoff.routing import RoutingSetup
    from .handoff.transitions import History, Move
    from .handoff.webhooks import DeliveryReport, Endpoint
    from .ingest import ImportReport
    from .ingest.progress import Progress
    from .scoring import BatchReport, Score


@dataclass
class Project:
    """An opened project: its folder, its settings, and the clock it reads."""

    root: Path
    config: ProjectConfig = field(default_factory=ProjectConfig)
    tracer: Tracer | None = None
    clock: Clock = field(default_factory=SystemClock)
    #: The store a long-running process holds open (:meth:`serving`), else None.
    _held: Store | None = field(default=None, init=False, repr=False, compare=False)

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
        """The compiled definition and its warnings (e.g. past its ``review_by``)."""
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
        (value maps, laid over the mapping's ``values``), ``outcome_time`` and
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
    ) -> BatchReport:
        """Score every lead as of ``as_of`` (default: now) and keep the scores with the hash.

        With ``details``, each score keeps every rule's points; ``explain`` rebuilds them
        for any one lead either way.
        """
        from .handoff.transitions import enter_mql
        from .scoring import score_store

        path = self._definition_file(definition)
        compiled, warnings = self._compile(path)
        when = as_of or self.clock.now()
        sales_tiers = [t.name for t in compiled.tiers if t.sales]
        with self.store() as store, store.atomic():
            report = score_store(
                store, compiled, when, source=path.read_text(encoding="utf-8"), details=details
            )
            # Leads of a sales tier enter mql in the same transaction as their scores.
            report.entered_mql = enter_mql(store, compiled.hash, report.as_of, sales_tiers)
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
        """Scored leads, best first, by tier and/or a condition (``where``, a ``segment``)."""
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
            rows = list_leads(store, compiled, tier=tier, where=condition, limit=limit, as_of=when)
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
        from .handoff.routing_store import lead_values, rep_states
        from .scoring.lookup import find_lead

        when = at or self.clock.now()
        setup, compiled = self._routing_checked()
        with self.store() as store:
            values = lead_values(store, compiled, find_lead(store, lead), setup.account_owner_field)
            states = rep_states(store, setup)
        routed, _ = assign([values], setup, states, when)
        return RouteTest(routed[0], values, list(setup.rules), when)

    def route(self, *, apply: bool = False, at: dt.datetime | None = None) -> RoutingRun:
        """Route every MQL (stage ``mql``) that has no owner yet, in the order they entered
        MQL; with ``apply``, store the assignments and the reps' turns (else only report).
        Each lead is assigned once: a later run skips it."""
        from .handoff.routing import assign
        from .handoff.routing_store import (
            lead_values,
            rep_states,
            save_assignments,
            unassigned_mqls,
        )

        when = at or self.clock.now()
        setup, compiled = self._routing_checked()
        with self.store() as store:
            owner = setup.account_owner_field
            waiting = unassigned_mqls(store)
            leads = [lead_values(store, compiled, lead, owner) for lead in waiting]
            routed, states = assign(leads, setup, rep_states(store, setup), when)
            if apply:
                save_assignments(store, routed, states, when, compiled.hash)
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


__all__ = ["CONFIG_FILE", "DEFAULT_MEMORY_LIMIT", "Project", "init_project"]
