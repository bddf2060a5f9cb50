"""One event at a time: keep a lead's state and rescore it as each event arrives.

The state is the lead's fields and the events that can still matter. An event matters
while it is inside the longest window any rule or condition uses, counted back from the
latest time the state was scored as of (not from its newest event: an event may be dated
ahead of the clock, and it must not push the others out); a rule with no window keeps its
events for good (their decayed value is recomputed at each as-of, exactly as batch does, so
batch and incremental agree to the hundredth). Events after the as-of time are held but do
not count, as in batch. Scoring as of a time before the latest one is refused: pruned
events could have counted then.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..errors import ScoringError
from .contract import RawScore
from .evaluate import Scorer, to_micros
from .result import Score


def horizon(scorer: Scorer) -> int | None:
    """The longest look-back (µs) of the definition, or None when some rule looks back forever."""
    return scorer.horizon


class LeadState:
    """A lead's incremental scoring state.

    >>> from leadgate.definition import load_compiled
    >>> c = load_compiled(text="name: d\\nversion: '1'\\nengagement:\\n  events:\\n"
    ...                        "    - {type: pricing_page, points: 20, window: 30d}\\n")
    >>> state = LeadState(Scorer(c), {"lead_id": "a"})
    >>> state.apply("pricing_page", dt.datetime(2026, 1, 1)).total
    Decimal('20.00')
    """

    __slots__ = (
        "scorer", "lead", "account", "times", "types", "newest", "_horizon", "_raw", "_scored",
    )  # fmt: skip

    def __init__(
        self, scorer: Scorer, lead: Mapping[str, Any], account: Mapping[str, Any] | None = None
    ) -> None:
        self.scorer = scorer
        self.lead = lead
        self.account = account
        self.times: list[int] = []  # sorted event times
        self.types: list[str] = []  # in step with times
        self.newest: int | None = None
        self._horizon = horizon(scorer)
        self._raw: RawScore | None = None
        self._scored: int | None = None  # the latest as-of scored, which pruning follows

    @property
    def events(self) -> list[tuple[str, int]]:
        return list(zip(self.types, self.times, strict=True))

    def add(self, event_type: str, ts: dt.datetime | int) -> None:
        """Record an event (in any order) without rescoring."""
        at = to_micros(ts)
        i = bisect.bisect_right(self.times, at)
        self.times.insert(i, at)
        self.types.insert(i, event_type)
        if self.newest is None or at > self.newest:
            self.newest = at

    def rescore_raw(self, as_of_us: int, context: Mapping[str, Any] | None = None) -> RawScore:
        if self._scored is not None and as_of_us < self._scored and self._horizon is not None:
            raise ScoringError(
                "An incremental state can only be scored as of the latest time it was "
                "scored as of, or later; use batch scoring for earlier times."
            )
        self._raw = self.scorer.raw(
            self.lead, zip(self.types, self.times, strict=True), as_of_us, self.account, context
        )
        self._prune(as_of_us)
        return self._raw

    def _prune(self, as_of_us: int) -> None:
        """Drop the events no window reaches from ``as_of_us`` on (it is never earlier)."""
        self._scored = as_of_us
        if self._horizon is None:
            return
        cut = bisect.bisect_left(self.times, as_of_us - self._horizon)
        if cut:
            del self.times[:cut]
            del self.types[:cut]

    def apply(
        self, event_type: str, ts: dt.datetime | int, context: Mapping[str, Any] | None = None
    ) -> Score:
        """Add one event and rescore as of its time."""
        at = to_micros(ts)
        self.add(event_type, at)
        as_of = max(at, self.newest or at)
        raw = self.rescore_raw(as_of, context)
        return self.scorer.to_score(raw, self.lead, self.account, as_of)

    def score(self, as_of: dt.datetime | int, context: Mapping[str, Any] | None = None) -> Score:
        as_of_us = to_micros(as_of)
        raw = self.rescore_raw(as_of_us, context)
        return self.scorer.to_score(raw, self.lead, self.account, as_of_us)
