"""A leadgate project on disk: ``leadgate.toml``, ``definition.yaml`` and ``leadgate.duckdb``.

>>> import tempfile
>>> project = init_project(tempfile.mkdtemp())
>>> project.timezone, project.definition_path.name
('UTC', 'definition.yaml')

``leadgate.toml`` holds what is particular to one company's data:

* ``timezone``: the zone naive timestamps in imported files are read in;
* ``definition``: the MQL definition file;
* ``memory_limit``: DuckDB's memory (default 3.5GB; work beyond it spills to disk);
* ``[mappings.NAME]``: column mappings (``target = "Source Column"``, optional ``kind``)
  for ``leadgate import ... --mapping NAME``;
* ``[segments]``: ``name = "rule expression"``;
* ``[enrich]``: ``firmographics`` (a CSV/Parquet keyed by domain), ``competitor_domains``
  and ``customer_domains``, handed to enrichment after each leads import.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ImportFailed, ProjectNotFound, StoreError
from .ingest import ImportReport
from .store import Store
from .store.db import Tracer
from .vocabulary import STANDARD_EVENT_TYPES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_FILE = "leadgate.toml"
STORE_FILE = "leadgate.duckdb"
DEFINITION_FILE = "definition.yaml"
# Shipped inside the package so `leadgate init` works from an installed wheel too;
# examples/definitions/b2b_saas.yaml is a link to it.
EXAMPLE_DEFINITION = Path(__file__).resolve().parent / "definition/templates/b2b_saas.yaml"

# DuckDB takes up to 80 % of the machine's memory by default. A project asks for less, so that
# an import of 50 million events (whose duplicate check is a hash table of every key) stays
# under 4 GiB and spills the rest to disk beside the store.
DEFAULT_MEMORY_LIMIT = "3.5GB"

CONFIG_TEMPLATE = """\
# leadgate project settings.
timezone = "UTC"                # naive timestamps in imported files are read in this zone
definition = "definition.yaml"  # the agreed MQL definition
memory_limit = "3.5GB"          # DuckDB's memory; larger imports and scores spill to disk

# Column mappings for `leadgate import KIND FILE --mapping NAME`: field = "Source Column".
# [mappings.crm_leads]
# kind = "leads"
# lead_id = "Contact ID"
# email = "E-mail"
# source = { const = "webinar list" }

[segments]
# enterprise = "company_size >= 1000"

[enrich]
firmographics = ""  # a CSV/Parquet file keyed by company domain, e.g. "data/firmographics.csv"
competitor_domains = []
customer_domains = []
"""

DEFINITION_PLACEHOLDER = """\
# The MQL definition for this project: fit rules, engagement points, tiers.
# Start from examples/definitions/ in the leadgate repository, then run
# `leadgate validate` to check it.
"""


@dataclass
class Project:
    """An opened project: its folder and its settings."""

    root: Path
    config: dict[str, Any] = field(default_factory=dict)
    tracer: Tracer | None = None

    @classmethod
    def open(cls, directory: str | Path | None = None, *, tracer: Tracer | None = None) -> Project:
        """The project in ``directory`` (or the current folder, or one of its parents).

        >>> Project.open("/nonexistent")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        leadgate.errors.ProjectNotFound: No leadgate project in /nonexistent ...
        """
        start = Path(directory or Path.cwd()).resolve()
        candidates = [start] if directory is not None else [start, *start.parents]
        for root in candidates:
            if (root / CONFIG_FILE).is_file():
                return cls(root, _read_config(root / CONFIG_FILE), tracer)
        raise ProjectNotFound(
            f"No leadgate project in {start} (no {CONFIG_FILE}). Run `leadgate init` there, "
            "or point at the project with --project DIR."
        )

    @property
    def timezone(self) -> str:
        return str(self.config.get("timezone", "UTC"))

    @property
    def memory_limit(self) -> str:
        """DuckDB's memory limit for this project (beyond it, work spills to disk)."""
        return str(self.config.get("memory_limit", DEFAULT_MEMORY_LIMIT))

    @property
    def definition_path(self) -> Path:
        return self.root / str(self.config.get("definition", DEFINITION_FILE))

    @property
    def store_path(self) -> Path:
        return self.root / STORE_FILE

    @property
    def mappings(self) -> dict[str, dict[str, Any]]:
        return dict(self.config.get("mappings", {}))

    @property
    def segments(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.config.get("segments", {}).items()}

    @property
    def enrich(self) -> dict[str, Any]:
        """The ``[enrich]`` settings with ``firmographics`` resolved against the project."""
        settings = dict(self.config.get("enrich", {}))
        if settings.get("firmographics"):
            settings["firmographics"] = str(self.root / settings["firmographics"])
        return settings

    def event_types(self) -> list[str]:
        """Event types an import accepts: the standard ones and the definition's own."""
        return _declared_event_types(self.definition_path)

    def store(self, *, read_only: bool = False) -> Store:
        """Open the project's store (close it, or use it as a context manager)."""
        return Store(
            self.store_path,
            tracer=self.tracer,
            read_only=read_only,
            memory_limit=self.memory_limit,
        )

    def mapping(self, name: str) -> dict[str, Any]:
        """The ``[mappings.NAME]`` table, or :class:`ImportFailed` naming the ones there are."""
        try:
            return dict(self.mappings[name])
        except KeyError:
            known = ", ".join(self.mappings) or "none yet"
            raise ImportFailed(
                f"No mapping {name!r} in {self.root / CONFIG_FILE} (known: {known})."
            ) from None

    def import_file(
        self,
        path: str | Path,
        kind: str,
        *,
        mapping: dict[str, Any] | None = None,
        mapping_name: str | None = None,
        timezone: str | None = None,
        progress: Callable[[int, int, str], None] | None = None,
        **options: Any,
    ) -> ImportReport:
        """Import a file with the project's zone, named mapping and enrichment settings.

        An explicit ``mapping`` is laid over the named one. See
        :func:`leadgate.ingest.import_file` for the other options.
        """
        merged = self.mapping(mapping_name) if mapping_name else {}
        wanted = merged.pop("kind", kind)
        if wanted != kind:
            raise ImportFailed(f"The mapping {mapping_name!r} is for {wanted}, not {kind}.")
        merged.update(mapping or {})
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


def _declared_event_types(definition: Path) -> list[str]:
    """The event types the project's definition knows: standard ones plus its own."""
    from .definition import load_compiled
    from .errors import DefinitionError

    # Imported here: the definition package is heavier than an import needs otherwise.
    try:
        return sorted(load_compiled(definition).event_types)
    except (DefinitionError, OSError):
        # An invalid definition must not block imports; its own types wait until it is fixed.
        return list(STANDARD_EVENT_TYPES)


def init_project(directory: str | Path = ".") -> Project:
    """Create a project in ``directory``; files already there are kept as they are.

    Writes ``leadgate.toml``, a ``definition.yaml`` to start from and an empty
    ``leadgate.duckdb`` with the current schema.
    """
    root = Path(directory).resolve()
    root.mkdir(parents=True, exist_ok=True)
    config = root / CONFIG_FILE
    if not config.exists():
        config.write_text(CONFIG_TEMPLATE, encoding="utf-8")
    definition = root / DEFINITION_FILE
    if not definition.exists():
        if EXAMPLE_DEFINITION.is_file():
            shutil.copyfile(EXAMPLE_DEFINITION, definition)
        else:
            definition.write_text(DEFINITION_PLACEHOLDER, encoding="utf-8")
    project = Project.open(root)
    project.store().close()  # creates the file and applies the migrations
    return project


def _read_config(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise StoreError(f"Cannot read {path}: {exc}") from exc
