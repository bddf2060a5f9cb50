"""One lead's handoff rows, each table read once by the lead's id.

A lead page (:meth:`Project.lead_read`) needs the lead's handoff row (MQL entry, tier,
first touch), its stage transitions and its assignments, for three things: its history,
its owner with the routing reason, and its SLA periods. Read for each of them apart, at a
million leads that was eight statements: the lead found again by ``history``, the
handoff row three times, and the SLA periods by :func:`.sla.read_periods`, a query over
lists of ids (``list_contains``: a scan of four tables) after a look at
``information_schema`` for an ``owner`` column, 13 ms of the page's 36.

Here each table is read once, with ``WHERE lead_id = ?`` and nothing else: DuckDB answers
that from the table's ART index (the server builds them, :data:`leadgate.api.service.
INDEXES`), while a further condition, an ``ORDER BY`` or a ``LIMIT`` in the same
``SELECT`` makes it scan the table instead. The few rows are ordered and filtered here,
and the three things are made from them: :attr:`LeadRows.history`, :attr:`LeadRows.owner`,
:meth:`LeadRows.periods` (the same rows :func:`.sla.read_periods` reads for this lead).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .lead import Owner
from .transitions import COLUMNS, History, Transition

if TYPE_CHECKING:
    from ..store import Store
    from .sla import Periods, SlaSetup


@dataclass(frozen=True)
class LeadRows:
    """A lead's row and its rows of ``lead_handoff``, ``stage_transitions`` (by ``seq``)
    and ``assignments`` (by ``assignment_id``: ``(id, rep, rule, reason, assigned_at)``)."""

    row: dict[str, Any]
    handoff: tuple[dt.datetime | None, dt.datetime | None, str | None] | None
    transitions: list[Transition]
    assignments: list[tuple[int, str, str | None, str | None, dt.datetime]]

    @property
    def lead_id(self) -> str:
        return str(self.row["lead_id"])

    @property
    def tier(self) -> str | None:
        """The tier the lead entered ``mql`` in (None: never)."""
        return None if self.handoff is None else self.handoff[2]

    @property
    def history(self) -> History:
        """As :func:`.transitions.history` reads it."""
        mql_at, touched = (None, None) if self.handoff is None else self.handoff[:2]
        stage = self.row.get("stage") or "lead"
        return History(self.lead_id, stage, mql_at, touched, list(self.transitions))

    @property
    def owner(self) -> Owner:
        """As :func:`.lead.owner_of` reads it: the latest assignment, else the imported
        owner column."""
        if self.assignments:
            _, rep, rule, reason, at = self.assignments[-1]
            return Owner(rep, rule, reason, at)
        imported = self.row.get("owner")
        return Owner(str(imported) if imported is not None else None)

    def periods(self, setup: SlaSetup) -> Periods:
        """The lead's MQL period as :func:`.sla.read_periods` reads it for this lead alone
        (moves out of ``mql`` since the entry, every assignment, the imported owner)."""
        from .sla import Periods

        mql_at, touched, tier = self.handoff or (None, None, None)
        if mql_at is None or tier not in setup.tiers:
            return Periods(setup, ())
        moves = tuple(
            (t.moved_at, t.actor)
            for t in self.transitions
            if t.from_stage == "mql" and t.moved_at >= mql_at
        )
        reps = [a[1] for a in self.assignments] or None
        times = [a[4] for a in self.assignments] or None
        imported = self.row.get("owner")
        owner = None if imported is None else str(imported)
        return Periods(setup, ((self.lead_id, tier, mql_at, touched, moves, reps, times, owner),))


def read_lead_rows(store: Store, row: dict[str, Any]) -> LeadRows:
    """The handoff rows of the lead ``row`` (its row of ``leads``): three statements,
    each by the index on ``lead_id``."""
    lead_id = row["lead_id"]
    handoff = store.execute(
        "SELECT mql_at, first_touch_at, mql_tier FROM lead_handoff WHERE lead_id = ?", [lead_id]
    ).fetchall()
    moves = store.query(f"SELECT {COLUMNS} FROM stage_transitions WHERE lead_id = ?", [lead_id])
    assigned = store.execute(
        "SELECT assignment_id, rep, rule, reason, assigned_at FROM assignments WHERE lead_id = ?",
        [lead_id],
    ).fetchall()
    return _lead_rows(row, tuple(handoff[0]) if handoff else None, moves, assigned)


def read_leads_rows(store: Store, rows: list[dict[str, Any]]) -> dict[str, LeadRows]:
    """:func:`read_lead_rows` of several leads (their rows of ``leads``, by id), the
    same three statements for all: ``lead_id = ANY(?)`` with a short list of ids is
    answered from the same indexes (``EXPLAIN ANALYZE`` at a million leads: an index scan
    for 20 ids), in about the time of one lead's."""
    ids = [r["lead_id"] for r in rows]
    handoff = {
        h[0]: tuple(h[1:])
        for h in store.execute(
            "SELECT lead_id, mql_at, first_touch_at, mql_tier FROM lead_handoff "
            "WHERE lead_id = ANY(?)",
            [ids],
        ).fetchall()
    }
    moves: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for m in store.query(f"SELECT {COLUMNS} FROM stage_transitions WHERE lead_id = ANY(?)", [ids]):
        moves[m["lead_id"]].append(m)
    assigned: dict[str, list[Any]] = {i: [] for i in ids}
    for a in store.execute(
        "SELECT lead_id, assignment_id, rep, rule, reason, assigned_at FROM assignments "
        "WHERE lead_id = ANY(?)",
        [ids],
    ).fetchall():
        assigned[a[0]].append(a[1:])
    return {(i := r["lead_id"]): _lead_rows(r, handoff.get(i), moves[i], assigned[i]) for r in rows}


def _lead_rows(
    row: dict[str, Any], handoff: Any, moves: list[dict[str, Any]], assigned: list[Any]
) -> LeadRows:
    """The lead's rows, its transitions by ``seq`` and its assignments by id."""
    return LeadRows(
        row,
        handoff,
        sorted((Transition(**m) for m in moves), key=lambda t: t.seq),
        sorted((tuple(a) for a in assigned), key=lambda a: a[0]),
    )


__all__ = ["LeadRows", "read_lead_rows", "read_leads_rows"]
