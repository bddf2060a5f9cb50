"""The ``[sla]`` settings of ``leadgate.toml``: when a clock is due soon, the project's
business hours, and what a breach does.

.. code-block:: toml

    [sla]
    due_soon = "25%"                  # or a duration ("1h"): a running clock with this left
    business_hours = "09:00-17:00"    # for an MQL without an owner, in the project's zone,
    business_days = ["mon", "tue", "wed", "thu", "fri"]   # on tiers with sla_hours: business
    on_breach = ["escalate"]          # besides recording the breach and sla.breached
    escalate_to = "sales-leads@example.com"
    [sla.tiers.hot]                   # a tier's own breach behaviour, over the above
    on_breach = ["escalate", "reassign"]

A breach is always recorded once and announced as ``sla.breached``; ``escalate`` adds an
``sla.escalated`` event addressed to ``escalate_to`` (a manager, a channel: the receiver
decides), ``reassign`` gives the lead to a rep of the same pool who has not had it.

>>> settings = load_sla({"due_soon": "1h", "on_breach": ["reassign"]}, "UTC")
>>> settings.soon_seconds(4 * 3600), settings.policy("hot").actions
(3600.0, ('reassign',))
>>> sla_problems({"sla": {"on_breach": ["escalate"]}})[0][:60]
"LG661 sla.on_breach says 'escalate' but no escalate_to names"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import ExpressionError
from ..expr.parser import parse_duration
from ..vocabulary import suggest
from .calendar import Calendar
from .reps import DAYS, WORKDAYS, _hours

SLA_INVALID = "LG660"
ESCALATE_WITHOUT_TARGET = "LG661"
UNKNOWN_SLA_TIER = "LG662"
SLA_KEYS = ("due_soon", "business_hours", "business_days", "on_breach", "escalate_to", "tiers")
TIER_KEYS = ("on_breach", "escalate_to")
ACTIONS = ("escalate", "reassign")
_SHARE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


@dataclass(frozen=True)
class BreachPolicy:
    """What a breach of one tier's SLA does beyond being recorded and announced."""

    actions: tuple[str, ...] = ()
    escalate_to: str | None = None


@dataclass(frozen=True)
class SlaSettings:
    """``[sla]`` read and checked; the defaults when the table is absent."""

    due_soon_share: float | None = 0.25
    due_soon_seconds: float | None = None
    business: Calendar = field(default_factory=Calendar)
    on_breach: BreachPolicy = field(default_factory=BreachPolicy)
    tiers: Mapping[str, BreachPolicy] = field(default_factory=dict)

    def soon_seconds(self, sla_seconds: float) -> float:
        """How much counted time left makes a running clock "due soon"."""
        if self.due_soon_seconds is not None:
            return self.due_soon_seconds
        return sla_seconds * (self.due_soon_share or 0.0)

    def policy(self, tier: str | None) -> BreachPolicy:
        return self.tiers.get(tier or "", self.on_breach)

    def check_tiers(self, known: list[str]) -> None:
        """A ``[sla.tiers.NAME]`` the definition has no tier for is an error (LG662)."""
        from ..errors import ConfigError

        for name in self.tiers:
            if name not in known:
                near = suggest(name, known)
                hint = f"did you mean '{near}'?" if near else f"tiers: {', '.join(known)}"
                raise ConfigError(
                    f"{UNKNOWN_SLA_TIER} leadgate.toml [sla.tiers.{name}]: the definition has "
                    f"no tier {name!r} ({hint})."
                )


def sla_problems(data: Mapping[str, Any]) -> list[str]:
    """Every problem of ``[sla]`` at once, each with its code and path."""
    if "sla" not in data:
        return []
    table = data["sla"]
    if not isinstance(table, dict):
        return [f"{SLA_INVALID} 'sla' must be a table ([sla])"]
    problems = [_unknown(f"sla.{k}", SLA_KEYS) for k in table if k not in SLA_KEYS]
    if "due_soon" in table and _due_soon(table["due_soon"]) is None:
        problems.append(
            f'{SLA_INVALID} sla.due_soon must be a share like "25%" or a duration like "1h". '
            f"Got {table['due_soon']!r}"
        )
    try:
        _hours(str(table.get("business_hours", "09:00-17:00")))
    except ValueError as exc:
        problems.append(f"{SLA_INVALID} sla.business_hours: {exc}")
    days = table.get("business_days", list(WORKDAYS))
    if not (isinstance(days, list) and days and all(str(d).lower() in DAYS for d in days)):
        problems.append(
            f"{SLA_INVALID} sla.business_days must list days among {', '.join(DAYS)}, "
            f'e.g. ["mon", "tue"]. Got {days!r}'
        )
    problems += _policy_problems("sla", table, None)
    tiers = table.get("tiers", {})
    if not isinstance(tiers, dict) or not all(isinstance(t, dict) for t in tiers.values()):
        problems.append(f"{SLA_INVALID} sla.tiers must hold [sla.tiers.NAME] tables")
        tiers = {}
    for name, tier in tiers.items():
        where = f"sla.tiers.{name}"
        problems += [_unknown(f"{where}.{k}", TIER_KEYS) for k in tier if k not in TIER_KEYS]
        problems += _policy_problems(where, tier, table.get("escalate_to"))
    return [p for p in problems if p]


def _policy_problems(where: str, table: Mapping[str, Any], inherited: Any) -> list[str]:
    actions = table.get("on_breach", [])
    if not isinstance(actions, list) or not all(a in ACTIONS for a in actions):
        return [
            f"{SLA_INVALID} {where}.on_breach must list actions among {', '.join(ACTIONS)}, "
            f'e.g. ["escalate"]. Got {actions!r}'
        ]
    target = table.get("escalate_to", inherited)
    if "escalate_to" in table and not (isinstance(target, str) and target.strip()):
        return [f"{SLA_INVALID} {where}.escalate_to must be text in quotes. Got {target!r}"]
    if "escalate" in actions and not target:
        return [
            f"{ESCALATE_WITHOUT_TARGET} {where}.on_breach says 'escalate' but no escalate_to "
            'names who to (e.g. escalate_to = "sales-managers@example.com")'
        ]
    return []


def _unknown(key: str, known: tuple[str, ...]) -> str:
    name = key.rpartition(".")[2]
    near = suggest(name, list(known))
    hint = f"did you mean '{near}'?" if near else f"known: {', '.join(known)}"
    return f"{SLA_INVALID} unknown setting '{key}' ({hint})"


def _due_soon(value: Any) -> tuple[float | None, float | None] | None:
    """(share, seconds) of a ``due_soon`` setting, or None when it is neither."""
    if not isinstance(value, str):
        return None
    share = _SHARE.match(value)
    if share:
        pct = float(share.group(1))
        return (pct / 100, None) if 0 < pct <= 100 else None
    try:
        micros = parse_duration(value)
    except ExpressionError:
        return None
    return (None, micros / 1e6) if micros > 0 else None


def load_sla(table: Mapping[str, Any], timezone: str) -> SlaSettings:
    """The settings from an ``[sla]`` table :func:`sla_problems` found correct."""
    share, seconds = _due_soon(table.get("due_soon", "25%")) or (0.25, None)
    start, end = _hours(str(table.get("business_hours", "09:00-17:00")))
    days = tuple(str(d).lower() for d in table.get("business_days", WORKDAYS))
    ZoneInfo(timezone)  # the project's zone, checked with the settings
    default = _policy(table, BreachPolicy())
    tiers = {str(k): _policy(v, default) for k, v in table.get("tiers", {}).items()}
    return SlaSettings(share, seconds, Calendar(timezone, start, end, days), default, tiers)


def _policy(table: Mapping[str, Any], inherited: BreachPolicy) -> BreachPolicy:
    """A table's policy; what it does not say, it inherits (a tier from ``[sla]``)."""
    actions = tuple(table["on_breach"]) if "on_breach" in table else inherited.actions
    return BreachPolicy(actions, table.get("escalate_to", inherited.escalate_to))


__all__ = ["ACTIONS", "BreachPolicy", "SlaSettings", "load_sla", "sla_problems"]
