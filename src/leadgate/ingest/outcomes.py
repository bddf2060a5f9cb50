"""Outcomes from a lead table: a stated time for the file, and what an import loaded.

A CRM's lead table often says how each lead ended in a column of its own (``Converted``
0/1, ``y`` yes/no, ``Status`` Won/Lost) and says nothing of when. Such a file imports as
outcomes in one command: its outcome column is read through a value map (by default
:data:`.values.DEFAULT_OUTCOME_VALUES`), and the time is another column (``--map ts=...``)
or one time stated for the whole file (``--outcome-time 2025-06-30``, here
:func:`with_outcome_time`), read in the import's zone like a cell of the file. A file of
closed deals only (a lead id and a date, no outcome column) states its one outcome for
every row (``--outcome won``, :func:`with_outcome`). Keyed by its
content (lead, outcome, time), an outcome imported twice is stored once.
"""

from __future__ import annotations

from typing import Any

from ..errors import BAD_OPTION, MAPPING_MISFIT, ImportFailed
from ..store import Store
from ..vocabulary import suggest
from .kinds import OUTCOMES, Kind
from .mapping import MappingSpec
from .readers import quote_literal


def with_outcome_time(
    store: Store, kind: str, mapping: MappingSpec | None, when: str | None
) -> MappingSpec | None:
    """``mapping`` with ``ts`` the constant ``when`` (outcomes only); checked at once, so a
    time that is no time fails the import instead of rejecting every row."""
    if when is None:
        return mapping
    _check_stated(kind, mapping, "ts", "--outcome-time", f"a {kind} file's times are its own")
    if store.scalar(f"SELECT TRY_CAST({quote_literal(when)} AS TIMESTAMP)") is None:
        raise ImportFailed(
            f"--outcome-time {when!r} is not a date or time; write it as 2025-06-30 or "
            "2025-06-30 17:00.",
            code=BAD_OPTION,
        )
    out: dict[str, Any] = dict(mapping or {})
    out["ts"] = {"const": when}
    return out


def with_outcome(kind: str, mapping: MappingSpec | None, outcome: str | None) -> MappingSpec | None:
    """``mapping`` with ``outcome`` the constant ``outcome`` for every row (outcomes only),
    written as :data:`.kinds.OUTCOMES` spells it whatever its case; checked at once, so a
    word that is no outcome fails the import instead of rejecting every row.

    >>> with_outcome("outcomes", {"ts": "Won Date"}, " Won ")
    {'ts': 'Won Date', 'outcome': {'const': 'won'}}
    """
    if outcome is None:
        return mapping
    _check_stated(kind, mapping, "outcome", "--outcome", "it states one outcome for every row")
    word = outcome.strip().lower()
    if word not in OUTCOMES:
        near = suggest(word, OUTCOMES)
        hint = f" (did you mean {near!r}?)" if near else ""
        raise ImportFailed(
            f"--outcome {outcome!r} is not an outcome{hint}; use one of {', '.join(OUTCOMES)}.",
            code=BAD_OPTION,
        )
    out: dict[str, Any] = dict(mapping or {})
    out["outcome"] = {"const": word}
    return out


def _check_stated(
    kind: str, mapping: MappingSpec | None, field: str, option: str, why: str
) -> None:
    """A value stated for the whole file (``option``) goes with outcomes only, and in
    place of a column: not both."""
    if kind != "outcomes":
        raise ImportFailed(f"{option} is for outcomes, not {kind}; {why}.", code=BAD_OPTION)
    if field in (mapping or {}):
        raise ImportFailed(
            f"Give the outcomes' {field} either as a column ({field} in the mapping) or as "
            f"{option}, not both.",
            code=MAPPING_MISFIT,
        )


def next_new_row(store: Store, spec: Kind) -> int:
    """The ``rowid`` the next row appended to ``spec``'s table gets: the rows from it on
    are the ones an import adds (outcomes are only ever appended)."""
    if spec.name != "outcomes":
        return 0
    return int(store.scalar("SELECT coalesce(max(rowid), -1) + 1 FROM outcomes"))


def outcomes_loaded(store: Store, spec: Kind, first: int) -> dict[str, int]:
    """How many outcomes of each kind an outcomes import added (rows from ``first`` on),
    in the order of :data:`.kinds.OUTCOMES`: ``{"won": 4640, "lost": 36548}``."""
    if spec.name != "outcomes":
        return {}
    counts = dict(
        store.execute(
            "SELECT outcome, count(*) FROM outcomes WHERE rowid >= ? GROUP BY outcome", [first]
        ).fetchall()
    )
    return {o: int(counts[o]) for o in OUTCOMES if o in counts}
