"""Compiled plans, kept in the store: a definition's SQL is generated once per store layout.

Building a plan means loading SQLGlot and rendering every rule (about a quarter of a second
of a ``leadgate score`` run that scores a million leads in two). The plan depends on the
definition, the store's columns and the code that generates it, and on the as-of time only
through a few literals. So the plan is generated once as a *template* whose as-of literals
are tokens, kept in the store's ``plans`` table under a signature of everything else it
depends on, and each run fills in its own as-of time:

>>> t = Template("SELECT lgA1u AS now, lgA1t0 AS ts, lgA1t86400000000 AS day_before", "lgA1")
>>> print(t.render(1_767_225_600_000_000))
SELECT 1767225600000000 AS now, CAST('2026-01-01 00:00:00' AS TIMESTAMP) AS ts, \
CAST('2025-12-31 00:00:00' AS TIMESTAMP) AS day_before

A token is random per template, so no text a definition carries (a rule's literal) can
take its place: a definition that spelled a token out would have a different hash, hence
its own template with its own token. The signature holds a digest of the generating code
(the ``scoring``, ``expr`` and ``definition`` modules, leadgate's and SQLGlot's versions), so
a changed generator never reuses a plan of the old one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from .evaluate import from_micros, to_micros

if TYPE_CHECKING:
    from ..definition.compile import CompiledDefinition
    from ..store import Store

GENERATOR_PACKAGES = ("scoring", "expr", "definition")


@dataclass(frozen=True)
class Tables:
    """The relations a plan reads (a segment plan, or Spark, may name others). ``rules``:
    the definition's event rules as a relation the caller gives (the rows of
    :func:`~leadgate.scoring.event_steps.rules_values`), where None writes them into the
    plan as a constant list. ``scored``: a relation of ``lead_id``s, the only leads the plan
    scores (None: every lead of ``leads``); the account roll-ups still read every lead of
    ``leads`` (the server scores a group's leads from their accounts' leads)."""

    leads: str = "leads"
    accounts: str = "accounts"
    events: str = "lead_events"
    intent: str = "intent_signals"
    rules: str | None = None
    scored: str | None = None


DEFAULT_TABLES = Tables()


def ts_literal(as_of_us: int) -> str:
    """A naive UTC timestamp literal every supported dialect reads.

    >>> ts_literal(0)
    "CAST('1970-01-01 00:00:00' AS TIMESTAMP)"
    """
    text = from_micros(as_of_us).replace(tzinfo=None).isoformat(sep=" ")
    return f"CAST('{text}' AS TIMESTAMP)"


@dataclass(frozen=True)
class AsOf:
    """How a plan writes its as-of time: as literals (``us`` given) or as a template's tokens.

    >>> AsOf(86_400_000_000).ts(back_us=86_400_000_000), AsOf(None, "lgX").micros()
    ("CAST('1970-01-01 00:00:00' AS TIMESTAMP)", 'lgXu')
    """

    us: int | None
    token: str = ""

    def micros(self) -> str:
        """The as-of time in microseconds since the epoch, an integer literal."""
        return str(self.us) if self.us is not None else f"{self.token}u"

    def ts(self, back_us: int = 0) -> str:
        """The as-of time less ``back_us`` microseconds, a TIMESTAMP literal."""
        if self.us is not None:
            return ts_literal(self.us - back_us)
        return f"{self.token}t{back_us}"


@dataclass(frozen=True)
class Template:
    """A plan with its as-of literals left as tokens (see the module docstring)."""

    text: str
    token: str

    @classmethod
    def new_token(cls) -> str:
        return "lg" + uuid.uuid4().hex

    def render(self, as_of: dt.datetime | int) -> str:
        us = to_micros(as_of)

        def fill(m: re.Match[str]) -> str:
            return str(us) if m.group(1) == "u" else ts_literal(us - int(m.group(2)))

        return re.sub(re.escape(self.token) + r"(u|t(\d+))", fill, self.text)

    def parameterised(self) -> str:
        """The plan with its as-of time the parameter ``$1`` (µs since the epoch, a
        BIGINT), in DuckDB's SQL: one text for every as-of time, so it is parsed once
        (:mod:`leadgate.api.live_plan`), where a rendered plan is parsed at every run.

        >>> t = Template("SELECT lgA1u AS now, lgA1t0 AS ts, lgA1t86400000000 AS before", "lgA1")
        >>> print(t.parameterised())
        SELECT CAST($1 AS BIGINT) AS now, make_timestamp(CAST($1 AS BIGINT)) AS ts, \
make_timestamp(CAST($1 AS BIGINT) - 86400000000) AS before
        """
        now = "CAST($1 AS BIGINT)"

        def fill(m: re.Match[str]) -> str:
            if m.group(1) == "u":
                return now
            back = int(m.group(2))
            return f"make_timestamp({now} - {back})" if back else f"make_timestamp({now})"

        return re.sub(re.escape(self.token) + r"(u|t(\d+))", fill, self.text)


@cache
def generator_digest() -> str:
    """A digest of the code that generates plans, leadgate's version and SQLGlot's."""
    from .. import __version__

    h = hashlib.sha256(f"{__version__} {version('sqlglot')}".encode())
    root = Path(__file__).resolve().parents[1]
    for package in GENERATOR_PACKAGES:
        for path in sorted((root / package).glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def signature(
    lead_columns: Mapping[str, str],
    account_columns: Mapping[str, str],
    tables: Tables,
    dialect: str,
    details: bool,
    explained: bool = True,
    live: bool = False,
) -> str:
    """Everything a plan depends on besides the definition and the as-of time."""
    layout = {
        "generator": generator_digest(),
        "leads": dict(lead_columns),
        "accounts": dict(account_columns),
        "tables": asdict(tables),
        "dialect": dialect,
        "details": details,
        "explained": explained,
        "live": live,
    }
    return hashlib.sha256(json.dumps(layout, sort_keys=True).encode()).hexdigest()


def scoring_template(
    store: Store,
    c: CompiledDefinition,
    tables: Tables | None = None,
    *,
    details: bool = False,
    explained: bool = True,
    live: bool = False,
) -> Template:
    """The template of the query whose rows go into ``scores``, from the store when kept
    (``explained``, ``live``: :func:`~leadgate.scoring.sql.plan_template`).

    A new template is kept at once, in its own statement: it is not data of any run.
    """
    tables = tables or DEFAULT_TABLES
    lead_columns = store.table_columns(tables.leads)
    account_columns = store.table_columns(tables.accounts)
    sig = signature(lead_columns, account_columns, tables, "duckdb", details, explained, live)
    row = store.one(
        "SELECT template, token FROM plans WHERE definition_hash = ? AND signature = ?",
        [c.hash, sig],
    )
    if row is not None:
        return Template(row[0], row[1])
    from .sql import plan_template  # SQLGlot loads only when a plan is generated

    template = plan_template(
        c,
        lead_columns=lead_columns,
        account_columns=account_columns,
        tables=tables,
        details=details,
        explained=explained,
        live=live,
    )
    # Plans of an older generator are never read again.
    store.execute("DELETE FROM plans WHERE generator <> ?", [generator_digest()])
    store.execute(
        "INSERT OR REPLACE INTO plans VALUES (?, ?, ?, ?, ?, ?)",
        [
            c.hash,
            sig,
            generator_digest(),
            template.token,
            template.text,
            store.now(),
        ],
    )
    return template
