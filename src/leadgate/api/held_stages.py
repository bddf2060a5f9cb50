"""Every lead's stage, held in memory by the server for the MQL entries of write-behind
groups (:func:`.entry.enter_live`).

Why: a group's leads that reach a sales tier enter ``mql`` only from ``lead`` (or
``recycled``), so their stages were read with ``WHERE lead_id IN (...)``: DuckDB scans the
million ids of ``leads`` for that, 11 ms of a 2,000-event group's ~100 ms on the writer
thread at 1,000,000 leads (``bench/README.md``, issue #9, session 18).

How it stays true: it holds the leads whose stage is not ``lead``, read once, and the last
``stage_transitions`` row it has followed. Every move of a stage records a transition (the
stage machine, MQL entries, sweeps, a CRM import's stages: the transitions are the
history ``leads.stage`` follows), numbered in order, so before each
use it reads the transitions numbered after the last one it followed, usually a few rows
of the newest row group. A merge or an erasure, which change leads outside transitions,
drop everything the server holds (:meth:`.live.LiveScores.forget`), this too.

What it is not used for: a group committed at once reads the stages in its own
transaction (a transition it wrote may roll back). The stages of groups still pending are
the write-behind's overlay (:attr:`.behind.Behind.mql`): they reach the store, and this,
once flushed.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..store import Store


class HeldStages:
    """The store's stage of every lead (see the module); on the writer thread."""

    def __init__(self) -> None:
        #: the leads whose stage is not ``lead``, and their stage (None: not read)
        self.moved: dict[str, str] | None = None
        self.seq = 0  # the last stage transition followed

    def of(self, store: Store, lead_ids: Iterable[str]) -> dict[str, str]:
        """The stage of each of ``lead_ids`` as the store has it now (``lead`` for a lead
        it does not hold: not moved, or not stored)."""
        moved = self._read(store) if self.moved is None else self._follow(store)
        return {lead: moved.get(lead, "lead") for lead in lead_ids}

    def forget(self) -> None:
        """Drop them: the next use reads them again (leads changed outside transitions)."""
        self.moved = None

    def _read(self, store: Store) -> dict[str, str]:
        # the transitions' number first: a move committed between the two reads is in
        # both, and following it again sets the same stage
        self.seq = int(store.scalar("SELECT coalesce(max(seq), 0) FROM stage_transitions"))
        self.moved = dict(
            store.execute(
                "SELECT lead_id, stage FROM leads WHERE coalesce(stage, 'lead') <> 'lead'"
            ).fetchall()
        )
        return self.moved

    def _follow(self, store: Store) -> dict[str, str]:
        assert self.moved is not None
        moved = self.moved
        for lead, stage, seq in store.execute(
            "SELECT lead_id, to_stage, seq FROM stage_transitions WHERE seq > ? ORDER BY seq",
            [self.seq],
        ).fetchall():
            if stage == "lead":
                moved.pop(lead, None)
            else:
                moved[lead] = stage
            self.seq = seq
        return moved


__all__ = ["HeldStages"]
