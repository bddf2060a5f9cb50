"""The stage machine: which stage a lead may move to from the one it is in.

A lead starts in ``lead``; the definition's sales tiers move it to ``mql`` (see
:mod:`leadgate.handoff.transitions`); sales moves it on: ``sal`` (accepted), ``sql``,
``opportunity``, then ``won`` or ``lost``. Two detours: ``recycled`` (back to nurture, from
where a lead may become an MQL again) and ``disqualified`` (out for good).

Every legal move is in :data:`MOVES`, and nowhere else: the CLI, the library and the
property tests all read it.

>>> legal_next("mql")
('sal', 'recycled', 'disqualified')
>>> check_move("lead", "won")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
leadgate.handoff.stages.IllegalMove: A lead in 'lead' cannot move to 'won' ...
"""

from __future__ import annotations

import re

from ..errors import LeadgateError
from ..vocabulary import STAGES, suggest

#: From each stage, the stages a lead may move to (in the order a user is offered them).
MOVES: dict[str, tuple[str, ...]] = {
    "lead": ("mql", "recycled", "disqualified"),
    "mql": ("sal", "recycled", "disqualified"),
    "sal": ("sql", "opportunity", "recycled", "disqualified"),
    "sql": ("opportunity", "lost", "recycled", "disqualified"),
    "opportunity": ("won", "lost"),
    "won": (),
    "lost": ("recycled",),
    "recycled": ("mql", "disqualified"),
    "disqualified": (),
}

#: Moves that are a rejection by sales: their reason comes from ``[handoff] reject_reasons``.
REJECTIONS = frozenset({"recycled", "disqualified"})

#: The reasons a rejection may give when ``leadgate.toml`` names none.
DEFAULT_REJECT_REASONS: tuple[str, ...] = (
    "not ICP",
    "no budget",
    "student",
    "competitor",
    "bad data",
    "duplicate",
)

#: Who moved a lead: the system (scoring, lifecycle rules), a user, an API key, an import.
ACTOR = re.compile(r"^(system|import|user:[^\s:][^:]*|key:[^\s:][^:]*)$")


class IllegalMove(LeadgateError, ValueError):
    """The lead's stage does not allow that move; the message names the legal ones."""

    code = "LG600"


class UnknownStage(LeadgateError, ValueError):
    """A stage leadgate does not know (the message names the nearest)."""

    code = "LG601"


class BadActor(LeadgateError, ValueError):
    """An actor not of the form system | import | user:NAME | key:ID."""

    code = "LG602"


class BadReason(LeadgateError, ValueError):
    """A move's reason is missing or not one of the configured rejection reasons."""

    code = "LG603"


class BadAmount(LeadgateError, ValueError):
    """An amount on a move that takes none, or one that is not a non-negative number."""

    code = "LG604"


def check_stage(stage: str) -> str:
    """``stage`` if leadgate knows it, else :class:`UnknownStage` naming the nearest."""
    if stage in MOVES:
        return stage
    near = suggest(stage, STAGES)
    hint = f"did you mean '{near}'?" if near else f"stages: {', '.join(STAGES)}"
    raise UnknownStage(f"Unknown stage {stage!r} ({hint}).")


def legal_next(stage: str) -> tuple[str, ...]:
    """The stages a lead in ``stage`` may move to (none from ``won`` and ``disqualified``)."""
    return MOVES[check_stage(stage)]


def check_move(current: str, to: str) -> None:
    """Nothing when ``current`` → ``to`` is legal; else :class:`IllegalMove` with the reason."""
    allowed = legal_next(current)
    check_stage(to)
    if to in allowed:
        return
    if not allowed:
        raise IllegalMove(
            f"A lead in {current!r} cannot move to {to!r}: {current!r} is final, no move leaves it."
        )
    why = "it is already there" if to == current else "that is not a next stage"
    raise IllegalMove(
        f"A lead in {current!r} cannot move to {to!r} ({why}). "
        f"Legal next stages: {', '.join(allowed)}."
    )


def check_actor(actor: str) -> str:
    """``actor`` if it is system, import, user:NAME or key:ID; else :class:`BadActor`."""
    if ACTOR.match(actor):
        return actor
    raise BadActor(
        f"Actor {actor!r} is not one of: system, import, user:NAME, key:ID (e.g. 'user:ana')."
    )


def check_reason(
    to: str, reason: str | None, actor: str, reject_reasons: tuple[str, ...]
) -> str | None:
    """The reason to store: a person's rejection gives one of ``reject_reasons``; a ``lost``
    deal gives a reason.

    A rejection's reason matches a configured one whatever its case and surrounding spaces
    (``" Not ICP"`` is ``"not ICP"``) and is stored as configured, so counts by reason never
    split over spellings. The system's own moves (lifecycle rules) give their own reasons.

    >>> check_reason("recycled", " Not ICP ", "user:ana", ("not ICP", "no budget"))
    'not ICP'
    """
    if to in REJECTIONS and actor != "system":
        by_key = {_reason_key(r): r for r in reject_reasons}
        configured = by_key.get(_reason_key(reason)) if reason else None
        if configured is None:
            got = f"got {reason!r}" if reason else "none given"
            near = suggest(reason, reject_reasons) if reason else None
            hint = f" (did you mean {near!r}?)" if near else ""
            raise BadReason(
                f"Moving a lead to {to!r} needs a reason from [handoff] reject_reasons "
                f"({', '.join(reject_reasons)}); {got}{hint}."
            )
        return configured
    if to == "lost" and not (reason and reason.strip()):
        raise BadReason("Moving a lead to 'lost' needs a reason (why the deal was lost).")
    return reason


def _reason_key(reason: str) -> str:
    """How reasons compare: case and spaces around them do not matter."""
    return reason.strip().casefold()


def check_amount(to: str, amount: float | None) -> None:
    """An amount goes with ``won`` or ``opportunity`` only, and is a number ≥ 0."""
    if amount is None:
        return
    if to not in ("won", "opportunity"):
        raise BadAmount(f"An amount goes with 'won' or 'opportunity', not {to!r}.")
    if not amount >= 0 or amount == float("inf"):
        raise BadAmount(f"The amount must be a number of 0 or more; got {amount!r}.")


__all__ = [
    "ACTOR",
    "DEFAULT_REJECT_REASONS",
    "MOVES",
    "REJECTIONS",
    "BadActor",
    "BadAmount",
    "BadReason",
    "IllegalMove",
    "UnknownStage",
    "check_actor",
    "check_amount",
    "check_move",
    "check_reason",
    "check_stage",
    "legal_next",
]
