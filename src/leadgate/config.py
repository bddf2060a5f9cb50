"""A project's settings: ``leadgate.toml``, read once and checked.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> init_files(root)
>>> read_config(root / CONFIG_FILE).timezone
'UTC'

``leadgate.toml`` holds what is particular to one company's data:

* ``timezone``: the zone naive timestamps in imported files are read in;
* ``definition``: the MQL definition file;
* ``memory_limit``: DuckDB's memory (default 3.5GB; work beyond it spills to disk);
* ``null_values``: the placeholders a CRM export writes in a cell nobody filled in
  (default :data:`DEFAULT_NULL_VALUES`); in a CSV or JSON Lines file such a cell, trimmed
  and in any case, is imported as missing. A ``[mappings.NAME]`` table may hold its own list,
  which replaces this one;
* ``date_order``: ``"mdy"`` (month first) or ``"dmy"`` (day first), for a column of dates
  such as ``01/05/2024`` none of which shows its order (a first number above 12 shows day
  first); not set, such a column is read month first and the import report says so;
* ``[mappings.NAME]``: column mappings (``target = "Source Column"``, optional ``kind``)
  for ``leadgate import ... --mapping NAME``; ``date_format = "%m/%d/%Y %I:%M %p"`` for every
  date column of the file, ``date_formats = {created_at = "%d.%m.%Y"}`` per field;
  ``[mappings.NAME.values.FIELD]`` maps the file's values of a field to leadgate's (see
  :mod:`leadgate.ingest.values`);
* ``[segments]``: ``name = "rule expression"``;
* ``[enrich]``: ``firmographics`` (a CSV/Parquet keyed by domain), ``competitor_domains``
  and ``customer_domains``, handed to enrichment after each leads import;
* ``[identity]``: ``prefer``, the sources (preset or mapping names, or file names) whose
  values a lead keeps, most trusted first: a leads import from a source ranked lower (or
  not listed) only fills the blanks of a lead one of them holds. Without it the last
  import wins (see :mod:`leadgate.identity`).
* ``[handoff]``: ``reject_reasons``, the reasons sales may give when rejecting a lead
  (``leadgate move LEAD disqualified --reason R``); default
  :data:`leadgate.handoff.stages.DEFAULT_REJECT_REASONS`.
* ``[[reps]]`` and ``[routing]``: the sales reps and the rules that route MQLs to them
  (see :mod:`leadgate.handoff.routing`); problems have codes LG640-LG659.
* ``[sla]``: when a running SLA clock is due soon, the project's business hours, and what a
  breach does (escalate, reassign); see :mod:`leadgate.handoff.sla_config` (LG660-LG662).
* ``[sales]``: ``capacity_per_month``, the MQLs sales can work a month (diagnostics
  compare the MQL volume with it; without it, the reps' ``max_per_day`` caps, if all set).

A key leadgate does not know is an error that names the near one, never silently ignored:
a misspelt ``timezon`` would otherwise read every file in UTC.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .handoff.routing import routing_problems
from .handoff.sla_config import sla_problems
from .vocabulary import suggest

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

# What CRM exports write for "not filled in": HubSpot's unset dropdown says "Select",
# report exports say "(blank)", hand-made sheets "N/A", "-", "--" or "null".
DEFAULT_NULL_VALUES = ("Select", "N/A", "-", "null", "(blank)", "--")

CONFIG_TEMPLATE = """\
# leadgate project settings.
timezone = "UTC"                # naive timestamps in imported files are read in this zone
definition = "definition.yaml"  # the agreed MQL definition
memory_limit = "3.5GB"          # DuckDB's memory; larger imports and scores spill to disk
# Cells that mean "not filled in" (any case, trimmed) are imported as missing.
null_values = ["Select", "N/A", "-", "null", "(blank)", "--"]
# Day/month order of dates such as 01/05/2024 when a column does not show it: "mdy" or "dmy".
# date_order = "mdy"

# Column mappings for `leadgate import KIND FILE --mapping NAME`: field = "Source Column".
# [mappings.crm_leads]
# kind = "leads"
# lead_id = "Contact ID"
# email = "E-mail"
# null_values = ["N/A", "unknown"]   # replaces the project's list for this mapping
# date_format = "%m/%d/%Y %I:%M %p"  # how the file writes its dates (strftime directives)
# date_formats = { created_at = "%m/%d/%Y" }  # per field, over date_format
# source = { const = "webinar list" }
# [mappings.crm_leads.values.stage]  # the file's words for stage → leadgate's (any case)
# "Nurturing" = "recycled"

[segments]
# enterprise = "company_size >= 1000"

[handoff]
# Reasons sales may give when rejecting a lead (moving it to disqualified or recycled).
# reject_reasons = ["not ICP", "no budget", "student", "competitor", "bad data", "duplicate"]

# Sales reps and the rules that route MQLs to them (`leadgate reps`, `leadgate routes`).
# [[reps]]
# name = "Ana"
# email = "ana@example.com"
# teams = ["sales"]
# weight = 1
# timezone = "Europe/Madrid"
# working_hours = "09:00-17:00"
# max_open = 10
# [routing]
# rules = [
#   { name = "existing account", to = "account_owner" },
#   { name = "everyone else", to = "team:sales" },
# ]

[enrich]
firmographics = ""  # a CSV/Parquet file keyed by company domain, e.g. "data/firmographics.csv"
competitor_domains = []
customer_domains = []

# Where `leadgate score` runs the plan: DuckDB on the store (default), or Spark over a lake
# (`leadgate score --engine spark`, then `leadgate import scores out/scores`).
# [engine]
# name = "spark"
# master = "local[*]"            # or spark://host:7077, yarn, k8s://...
# output = "out/scores"          # the Parquet folder the scores are written to
# [engine.tables]                # Parquet paths, Delta folders or catalog tables
# leads = "lake/leads.parquet"
# events = "lake/events.parquet"
# [engine.conf]
# "spark.executor.memory" = "8g"
"""

DEFINITION_PLACEHOLDER = """\
# The MQL definition for this project: fit rules, engagement points, tiers.
# Start from examples/definitions/ in the leadgate repository, then run
# `leadgate validate` to check it.
"""


@dataclass(frozen=True)
class ProjectConfig:
    """The settings of ``leadgate.toml``, with their defaults."""

    timezone: str = "UTC"
    definition: str = DEFINITION_FILE
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    null_values: tuple[str, ...] = DEFAULT_NULL_VALUES
    date_order: str | None = None
    mappings: dict[str, dict[str, Any]] = field(default_factory=dict)
    segments: dict[str, str] = field(default_factory=dict)
    enrich: dict[str, Any] = field(default_factory=dict)
    identity: dict[str, Any] = field(default_factory=dict)
    handoff: dict[str, Any] = field(default_factory=dict)
    webhooks: tuple[dict[str, Any], ...] = ()
    reps: tuple[dict[str, Any], ...] = ()
    routing: dict[str, Any] = field(default_factory=dict)
    # -- sla: [sla], checked by leadgate.handoff.sla_config
    sla: dict[str, Any] = field(default_factory=dict)
    api: dict[str, Any] = field(default_factory=dict)  # leadgate.api.settings checks it
    sales: dict[str, Any] = field(default_factory=dict)  # funnel: [sales] capacity_per_month
    engine: dict[str, Any] = field(default_factory=dict)


# Each setting and the type its value must have.
TEXT_KEYS = ("timezone", "definition", "memory_limit")
CHOICE_KEYS = {"date_order": ("mdy", "dmy")}
TABLE_KEYS = ("mappings", "segments", "enrich", "identity", "handoff", "engine")
ROUTING_KEYS = ("reps", "routing")  # checked by leadgate.handoff.routing
LIST_KEYS = ("null_values",)
ENRICH_KEYS = ("firmographics", "competitor_domains", "customer_domains")
IDENTITY_KEYS = ("prefer",)
HANDOFF_KEYS = ("reject_reasons",)
WEBHOOK_KEYS = ("url", "secret", "events", "enabled", "timeout")
ENGINE_KEYS = ("name", "master", "output", "tables", "conf")
ENGINES = ("duckdb", "spark")


def read_config(path: Path) -> ProjectConfig:
    """Read and check ``leadgate.toml``; every problem is reported at once."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}. Fix that line and retry.") from exc
    problems = _problems(data)
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems) + ".")
    return ProjectConfig(
        **{key: str(data[key]) for key in TEXT_KEYS if key in data},
        null_values=tuple(data.get("null_values", DEFAULT_NULL_VALUES)),
        date_order=data.get("date_order"),
        mappings={str(k): dict(v) for k, v in data.get("mappings", {}).items()},
        segments={str(k): str(v) for k, v in data.get("segments", {}).items()},
        enrich=dict(data.get("enrich", {})),
        identity=dict(data.get("identity", {})),
        handoff=dict(data.get("handoff", {})),
        webhooks=tuple(dict(w) for w in data.get("webhooks", [])),
        reps=tuple(dict(r) for r in data.get("reps", ())),
        routing=dict(data.get("routing", {})),
        sla=dict(data.get("sla", {})),
        api=dict(data.get("api", {})) if isinstance(data.get("api"), dict) else {},
        sales=dict(data.get("sales", {})),
        engine=dict(data.get("engine", {})),
    )


def _problems(data: dict[str, Any]) -> list[str]:
    known = (*TEXT_KEYS, *TABLE_KEYS, *LIST_KEYS, *CHOICE_KEYS, *ROUTING_KEYS, "webhooks")
    known += ("sla", "api", "sales")
    problems = [_unknown(key, known) for key in data]
    problems += _sales_problems(data.get("sales", {}))
    problems += _webhooks_problems(data.get("webhooks", []))
    problems += [_unknown(f"enrich.{key}", ENRICH_KEYS) for key in data.get("enrich", {})]
    identity = data.get("identity", {}) if isinstance(data.get("identity"), dict) else {}
    problems += [_unknown(f"identity.{key}", IDENTITY_KEYS) for key in identity]
    if "prefer" in identity:
        problems.append(text_list_problem("identity.prefer", identity["prefer"]))
    handoff = data.get("handoff", {}) if isinstance(data.get("handoff"), dict) else {}
    problems += [_unknown(f"handoff.{key}", HANDOFF_KEYS) for key in handoff]
    if "reject_reasons" in handoff:
        problems.append(text_list_problem("handoff.reject_reasons", handoff["reject_reasons"]))
    for key in TEXT_KEYS:
        if key in data and not isinstance(data[key], str):
            problems.append(f"'{key}' must be text in quotes. Got {data[key]!r} instead")
    for key in TABLE_KEYS:
        if key in data and not isinstance(data[key], dict):
            problems.append(f"'{key}' must be a table ([{key}]). Got {data[key]!r} instead")
    if "null_values" in data:
        problems.append(text_list_problem("null_values", data["null_values"]))
    for key, allowed in CHOICE_KEYS.items():
        if key in data and data[key] not in allowed:
            words = " or ".join(f'"{a}"' for a in allowed)
            problems.append(f"'{key}' must be {words}. Got {data[key]!r} instead")
    for name, table in data.get("mappings", {}).items():
        if not isinstance(table, dict):
            problems.append(f"'mappings.{name}' must be a table of field = \"Column\" pairs")
        else:
            problems += _mapping_problems(name, table)
    for name, condition in data.get("segments", {}).items():
        if not isinstance(condition, str):
            problems.append(f"segment '{name}' must be a condition in quotes")
    problems += routing_problems(data)
    problems += sla_problems(data)
    problems += _engine_problems(data.get("engine", {}))
    return [p for p in problems if p]


def _engine_problems(engine: Any) -> list[str]:
    """What is wrong with ``[engine]`` (its inputs are checked when a run reads them)."""
    if not isinstance(engine, dict):
        return []
    problems = [_unknown(f"engine.{key}", ENGINE_KEYS) for key in engine]
    if "name" in engine and engine["name"] not in ENGINES:
        problems.append(
            f"'engine.name' must be one of {', '.join(ENGINES)}. Got {engine['name']!r}"
        )
    for key in ("tables", "conf"):
        if key in engine and not isinstance(engine[key], dict):
            problems.append(f"'engine.{key}' must be a table ([engine.{key}])")
    return problems


def _mapping_problems(name: str, table: dict[str, Any]) -> list[str]:
    """What is wrong with a mapping's settings (its field = "Column" pairs are checked
    against the file at import)."""
    problems = []
    if "null_values" in table:
        problems.append(text_list_problem(f"mappings.{name}.null_values", table["null_values"]))
    if "date_format" in table and not isinstance(table["date_format"], str):
        problems.append(f"'mappings.{name}.date_format' must be text in quotes")
    formats = table.get("date_formats", {})
    if not isinstance(formats, dict) or not all(isinstance(v, str) for v in formats.values()):
        problems.append(
            f"'mappings.{name}.date_formats' must be a table of field = \"format\", e.g. "
            '{ created_at = "%m/%d/%Y" }'
        )
    return problems


# -- funnel: [sales] -------------------------------------------------------------------------
SALES_KEYS = ("capacity_per_month",)


def _sales_problems(sales: Any) -> list[str]:
    """What is wrong with ``[sales]``: its capacity must be a number of MQLs above 0."""
    if not isinstance(sales, dict):
        return [f"'sales' must be a table ([sales]). Got {sales!r} instead"]
    problems = [_unknown(f"sales.{key}", SALES_KEYS) for key in sales]
    capacity = sales.get("capacity_per_month", 1)
    if isinstance(capacity, bool) or not isinstance(capacity, (int, float)) or capacity <= 0:
        problems.append(
            f"'sales.capacity_per_month' must be a number of MQLs above 0, e.g. 400. "
            f"Got {capacity!r} instead"
        )
    return problems


def _webhooks_problems(webhooks: Any) -> list[str]:
    """What is wrong with the ``[[webhooks]]`` entries (each names its position)."""
    if not isinstance(webhooks, list) or not all(isinstance(w, dict) for w in webhooks):
        return ["'webhooks' must be a list of tables: write each as [[webhooks]]"]
    problems = []
    for n, table in enumerate(webhooks):  # from 0, as reps[0] and routing[0]
        where = f"webhooks[{n}]"
        problems += [_unknown(f"{where}.{key}", WEBHOOK_KEYS) for key in table]
        url = table.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            problems.append(f"'{where}.url' must be an http:// or https:// address. Got {url!r}")
        problems.append(_secret_problem(where, table.get("secret")))
        if "events" in table:
            problems.append(text_list_problem(f"{where}.events", table["events"]))
            problems += _event_type_problems(f"{where}.events", table["events"])
        if not isinstance(table.get("enabled", True), bool):
            problems.append(f"'{where}.enabled' must be true or false")
        timeout = table.get("timeout", 10)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            problems.append(f"'{where}.timeout' must be a number of seconds above 0")
    return problems


def _event_type_problems(key: str, names: Any) -> list[str]:
    """An endpoint filter naming a type leadgate never sends would silently receive nothing
    of it: each such name is a problem, with the nearest type."""
    from .handoff.schemas import event_types
    from .vocabulary import suggest

    if not isinstance(names, list):
        return []
    known = event_types()
    problems = []
    for name in names:
        if isinstance(name, str) and name not in known:
            near = suggest(name, known)
            hint = f"did you mean {near!r}? " if near else ""
            problems.append(
                f"'{key}' names {name!r}, not an event type leadgate sends ({hint}"
                f"known: {', '.join(known)})"
            )
    return problems


def _secret_problem(where: str, secret: Any) -> str:
    from .handoff.webhooks import secret_key

    secrets = [secret] if isinstance(secret, str) else secret
    if not isinstance(secrets, list) or not secrets or not all(isinstance(s, str) for s in secrets):
        return f"'{where}.secret' must be \"whsec_<base64>\" (or a list of them while rotating)"
    for text in secrets:
        try:
            secret_key(text)
        except ValueError as exc:
            return f"'{where}.secret': {exc}"
    return ""


def text_list_problem(key: str, value: Any) -> str:
    """What is wrong with ``value`` as a list of texts, or "" when nothing is."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ""
    return f'\'{key}\' must be a list of texts in quotes, e.g. ["N/A", "-"]. Got {value!r}'


def _unknown(key: str, known: tuple[str, ...]) -> str:
    prefix, _, name = key.rpartition(".")
    if name in known:
        return ""
    near = suggest(name, list(known))
    hint = f" (did you mean '{near}'?)" if near else f" (known: {', '.join(known)})"
    return f"unknown setting '{key}'{hint}"


def init_files(root: Path) -> None:
    """Write ``leadgate.toml`` and a ``definition.yaml`` to start from, where missing."""
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


__all__ = [
    "CONFIG_FILE",
    "DEFAULT_NULL_VALUES",
    "STORE_FILE",
    "ProjectConfig",
    "init_files",
    "read_config",
]
