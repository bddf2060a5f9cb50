"""Batch scoring in the store: run the compiled plan in DuckDB and keep the scores.

Every stored score names the definition hash that produced it; a run for the same
(definition, as-of) replaces the previous one whole, inside one transaction.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from ..definition.compile import CompiledDefinition, dump_yaml
from ..store import Store
from .buckets import Passes, bucket_count
from .evaluate import from_micros, to_micros
from .plans import Tables, scoring_template


@dataclass
class BatchReport:
    definition_hash: str
    as_of: dt.datetime
    leads: int
    seconds: float
    tiers: dict[str, int] = field(default_factory=dict)
    disqualified: int = 0
    warnings: list[str] = field(default_factory=list)
    entered_mql: int = 0  # leads this run moved into mql (leadgate.handoff.transitions)
    routed: int = 0  # MQLs given to a rep by this run ([routing] rules configured)
    unrouted: int = 0  # MQLs nobody could take: the reason is in routing_misses
    buckets: int = 1  # passes of the plan, each over whole accounts (leadgate.scoring.buckets)

    def as_dict(self) -> dict[str, Any]:
        return {
            "definition_hash": self.definition_hash,
            "as_of": self.as_of.isoformat(),
            "leads": self.leads,
            "seconds": round(self.seconds, 3),
            "tiers": self.tiers,
            "disqualified": self.disqualified,
            "entered_mql": self.entered_mql,
            "routed": self.routed,
            "unrouted": self.unrouted,
            "buckets": self.buckets,
            "warnings": self.warnings,
        }


def record_definition(store: Store, c: CompiledDefinition, source: str | None = None) -> None:
    """Keep the definition's text under its hash (once; definitions are never edited)."""
    d = c.definition
    store.execute(
        "INSERT INTO definitions (definition_hash, name, version, source, created_at, rule_keys)"
        " SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS "
        "(SELECT 1 FROM definitions WHERE definition_hash = ?)",
        [
            c.hash,
            d.name,
            d.version,
            source or dump_yaml(d),
            store.now(),
            c.rule_keys,
            c.hash,
        ],
    )


def scoring_query(
    store: Store,
    c: CompiledDefinition,
    as_of: dt.datetime | int,
    tables: Tables | None = None,
    *,
    details: bool = False,
) -> str:
    """The full query whose rows go into ``scores``, for this store's columns.

    Its template is generated once per definition and store layout and kept in the store
    (:mod:`leadgate.scoring.plans`).
    """
    return scoring_template(store, c, tables, details=details).render(as_of)


def score_store(
    store: Store,
    c: CompiledDefinition,
    as_of: dt.datetime | int,
    *,
    source: str | None = None,
    details: bool = False,
    buckets: int | None = None,
) -> BatchReport:
    """Score every lead in the store as of ``as_of`` and store the scores.

    With ``details``, each score keeps every rule's points (``contributions``, in the order
    of the definition's ``rule_keys``); without, ``leadgate explain`` rebuilds them for
    any one lead. ``buckets``: how many passes of the plan, each over whole accounts
    (default: as many as the store's size needs in its memory limit,
    :mod:`leadgate.scoring.buckets`); the scores are the same for any number.

    >>> from leadgate.definition import load_compiled
    >>> s = Store(":memory:")
    >>> _ = s.execute("INSERT INTO leads (lead_id, company_size) VALUES ('a', 120)")
    >>> c = load_compiled(text="name: d\\nversion: '1'\\nfit:\\n  rules:\\n"
    ...                        "    - {name: big, when: company_size >= 100, points: 10}\\n")
    >>> score_store(s, c, dt.datetime(2026, 1, 1)).leads
    1
    """
    as_of_us = to_micros(as_of)
    as_of_ts = from_micros(as_of_us).replace(tzinfo=None)
    started = time.perf_counter()
    with Passes(store, buckets or bucket_count(store)) as passes:
        query = scoring_query(store, c, as_of_us, passes.tables, details=details)
        with store.atomic():
            record_definition(store, c, source)
            store.execute(
                "DELETE FROM scores WHERE definition_hash = ? AND as_of = ?", [c.hash, as_of_ts]
            )
            for _ in passes:  # each bucket's scores in before the next bucket is read
                store.execute(
                    "INSERT INTO scores (lead_id, definition_hash, as_of, fit, engagement, total,"
                    " grade, band, tier, disqualified, dq_reason, sla_due, route, contributions) "
                    + query
                )
            leads = store.scalar(
                "SELECT count(*) FROM scores WHERE definition_hash = ? AND as_of = ?",
                [c.hash, as_of_ts],
            )
            seconds = time.perf_counter() - started
            store.execute(
                "INSERT INTO score_runs VALUES (?, ?, ?, ?, ?)",
                [c.hash, as_of_ts, store.now(), leads, seconds],
            )
    tiers = dict(
        store.execute(
            "SELECT coalesce(tier, '(none)'), count(*) FROM scores WHERE definition_hash = ? AND "
            "as_of = ? GROUP BY 1 ORDER BY 2 DESC",
            [c.hash, as_of_ts],
        ).fetchall()
    )
    dq = store.scalar(
        "SELECT count(*) FROM scores WHERE definition_hash = ? AND as_of = ? AND disqualified",
        [c.hash, as_of_ts],
    )
    return BatchReport(
        c.hash, from_micros(as_of_us), int(leads or 0), seconds, tiers, int(dq or 0),
        buckets=passes.buckets,
    )  # fmt: skip
