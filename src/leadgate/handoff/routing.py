"""Who gets a lead: ``[routing]`` rules over the lead's fields, then a rep of the target.

Rules are tried in order and the first whose ``when`` holds decides (a rule without
``when`` is the catch-all, required last; ``account_owner`` is never one). A rule sends to:

* ``account_owner``: the rep who owns the lead's account (the accounts' ``owner`` column,
  matched to a rep's name or email). No owner, an owner who is not a rep, or one who is
  away or at a cap: the next rule is tried, and the reason says why;
* ``team:NAME`` (or ``pool:NAME``): the team's reps by weighted round robin, the available
  rep with the fewest leads per unit of weight first (Sainte-Laguë: ``(leads + ½) / weight``),
  ties by name. Deterministic and
  explainable, never random: over many leads each rep's share is their weight's share;
* ``rep:NAME``: that one rep.

A rep outside working hours or out of office is skipped; when back they are not flooded
with the leads they missed: their count is raised to the team's average first. Caps
(``max_open``, ``max_per_day``) are never exceeded: a rep at a cap is skipped.

Everything here is a pure function of the lead, the reps' :class:`RepState` and the time;
:func:`assign` routes a batch and returns the new state beside the assignments.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ExpressionError
from ..expr import Node, parse
from ..expr.interpret import Interpreter
from .reps import Rep, parse_rep, rep_problems

ROUTING_INVALID = "LG650"
NO_CATCH_ALL = "LG651"
UNKNOWN_TARGET = "LG652"
BAD_CONDITION = "LG653"
RULE_KEYS = ("name", "when", "to")
ROUTING_KEYS = ("rules", "account_owner_field")
ACCOUNT_OWNER = "account_owner"


@dataclass(frozen=True)
class Rule:
    """One routing rule: its name, its condition (None: always) and its target."""

    name: str
    to: str
    when: str | None = None
    tree: Node | None = None

    @property
    def kind(self) -> str:
        return self.to.partition(":")[0]

    @property
    def target(self) -> str:
        return self.to.partition(":")[2]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "when": self.when, "to": self.to}


@dataclass(frozen=True)
class RoutingSetup:
    """The project's reps and routing rules, as ``leadgate.toml`` states them."""

    reps: tuple[Rep, ...] = ()
    rules: tuple[Rule, ...] = ()
    account_owner_field: str = "owner"

    def team(self, name: str) -> list[Rep]:
        return sorted((r for r in self.reps if name in r.teams), key=lambda r: r.name)

    def rep(self, key: str) -> Rep | None:
        """The rep named ``key`` or with that email (any case)."""
        wanted = key.strip().lower()
        return next((r for r in self.reps if wanted in (r.name.lower(), r.email.lower())), None)


@dataclass
class RepState:
    """What routing knows of a rep: open MQLs, leads given on ``day`` (their local date),
    the fairness count (leads per unit of weight decide the turn), and whether they were
    away when last seen (so that, back, they start at the team's average)."""

    open: int = 0
    today: int = 0
    assigned: float = 0.0
    away: bool = False
    day: dt.date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"open": self.open, "today": self.today, "assigned": self.assigned}


@dataclass(frozen=True)
class Routed:
    """Where one lead goes (``rep`` None: unrouted) and the chain of reasons why."""

    lead_id: str
    rep: str | None
    rule: str | None
    reason: str

    @property
    def routed(self) -> bool:
        return self.rep is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "routed": self.routed,
            "rep": self.rep,
            "rule": self.rule,
            "reason": self.reason,
        }


# -- the settings ----------------------------------------------------------------------------
def routing_problems(data: Mapping[str, Any]) -> list[str]:
    """Every problem of ``[[reps]]`` and ``[routing]`` at once, each with code and path."""
    problems = rep_problems(data["reps"]) if "reps" in data else []
    if "routing" not in data:
        return problems
    routing = data["routing"]
    if not isinstance(routing, dict):
        return [*problems, f"{ROUTING_INVALID} 'routing' must be a table ([routing])"]
    problems += [
        f"{ROUTING_INVALID} unknown setting 'routing.{k}' (known: {', '.join(ROUTING_KEYS)})"
        for k in routing
        if k not in ROUTING_KEYS
    ]
    rules = routing.get("rules")
    if not isinstance(rules, list) or not rules or not all(isinstance(r, dict) for r in rules):
        return [*problems, f"{ROUTING_INVALID} routing.rules must be a list of rules, e.g. "
                '[{ name = "everyone", to = "team:sales" }]']  # fmt: skip
    # Targets are checked against the reps as written, so that a rep's own mistake (a bad
    # zone, a weight of 0) does not hide an unknown target until it is fixed.
    known = _written_reps(data.get("reps"))
    for i, rule in enumerate(rules):
        problems += _rule_problems(f"routing.rules[{i}]", rule, known)
    # account_owner passes a lead on when there is no owner to take it: never a catch-all.
    catch_all = [i for i, r in enumerate(rules) if "when" not in r and r.get("to") != ACCOUNT_OWNER]
    if not catch_all:
        problems.append(
            f"{NO_CATCH_ALL} routing.rules: no catch-all; end with a rule without 'when', "
            'e.g. { name = "everyone else", to = "team:sales" }, so every lead has a route'
        )
    elif catch_all[0] != len(rules) - 1:
        problems.append(
            f"{NO_CATCH_ALL} routing.rules[{catch_all[0]}] has no 'when', so the rules after "
            "it are never tried: give it a condition or move it last"
        )
    return problems


def _written_reps(reps: Any) -> tuple[set[str], set[str]]:
    """The names and emails (lower case) and the teams of ``[[reps]]`` as written, whatever
    else is wrong with them."""
    tables = [r for r in reps if isinstance(r, dict)] if isinstance(reps, list) else []
    names = {str(r[k]).strip().lower() for r in tables for k in ("name", "email") if k in r}
    teams = {str(t) for r in tables if isinstance(r.get("teams"), list) for t in r["teams"]}
    return names, teams


def _rule_problems(where: str, rule: dict[str, Any], known: tuple[set[str], set[str]]) -> list[str]:
    problems = [
        f"{ROUTING_INVALID} {where}.{k}: unknown setting (known: {', '.join(RULE_KEYS)})"
        for k in rule
        if k not in RULE_KEYS
    ]
    if not isinstance(rule.get("name"), str):
        problems.append(f"{ROUTING_INVALID} {where}.name is required: the rule's name in quotes")
    if "when" in rule:
        try:
            parse(str(rule["when"]))
        except ExpressionError as exc:
            problems.append(f"{BAD_CONDITION} {where}.when: {exc}")
    problems.append(_target_problem(f"{where}.to", rule.get("to"), known))
    return [p for p in problems if p]


def _target_problem(where: str, to: Any, known: tuple[set[str], set[str]]) -> str:
    kind, _, name = str(to).partition(":")
    if to == ACCOUNT_OWNER:
        return ""
    if not isinstance(to, str) or kind not in ("team", "pool", "rep") or not name:
        return (
            f'{UNKNOWN_TARGET} {where} must be "account_owner", "team:NAME", "pool:NAME" '
            f'or "rep:NAME". Got {to!r}'
        )
    names, teams = known
    if kind in ("team", "pool") and name not in teams:
        return f"{UNKNOWN_TARGET} {where}: no rep has {name!r} in their teams"
    if kind == "rep" and name.strip().lower() not in names:
        return f"{UNKNOWN_TARGET} {where}: no rep {name!r} in [[reps]]"
    return ""


def load_setup(reps: Sequence[Mapping[str, Any]], routing: Mapping[str, Any]) -> RoutingSetup:
    """The setup from settings :func:`routing_problems` found correct."""
    rules = tuple(
        Rule(str(r["name"]), str(r["to"]), r.get("when"), parse(r["when"]) if "when" in r else None)
        for r in routing.get("rules", ())
    )
    owner_field = str(routing.get("account_owner_field", "owner"))
    return RoutingSetup(tuple(parse_rep(dict(r)) for r in reps), rules, owner_field)


# -- the engine ------------------------------------------------------------------------------
@dataclass
class _Walk:
    """One lead's way through the rules: the reasons so far."""

    steps: list[str] = field(default_factory=list)


def assign(
    leads: Sequence[Mapping[str, Any]],
    setup: RoutingSetup,
    state: Mapping[str, RepState],
    now: dt.datetime,
) -> tuple[list[Routed], dict[str, RepState]]:
    """Route ``leads`` in order at ``now`` (aware); the new state comes back beside them.

    Each lead is a mapping of its fields (``lead_id``, those the rules read, and
    ``account_owner``). ``state`` is not changed: the same input gives the same output.
    """
    current = {r.name: copy.copy(state.get(r.name, RepState())) for r in setup.reps}
    return [route(lead, setup, current, now) for lead in leads], current


def route(
    lead: Mapping[str, Any], setup: RoutingSetup, state: dict[str, RepState], now: dt.datetime
) -> Routed:
    """Route one lead, updating ``state`` with the assignment."""
    away = {r.name: r.why_unavailable(now) for r in setup.reps}
    for rep in setup.reps:
        rep_state = state[rep.name]
        rep_state.away = rep_state.away or bool(away[rep.name])
        rep_state.today = _given_today(rep, rep_state, now)
        rep_state.day = rep.local_date(now)
    walk = _Walk()
    lead_id = str(lead.get("lead_id", ""))
    for rule in setup.rules:
        if rule.tree is not None and Interpreter(lead).value(rule.tree) is not True:
            continue
        head = f"rule '{rule.name}'"
        if rule.to == ACCOUNT_OWNER:
            owner = _account_owner(lead, setup, state, away, walk, head)
            if owner is None:
                continue  # no owner who can take it: the next rule decides
            return _give(lead_id, rule, owner, state, walk, f"{head} → account owner {owner.name}")
        if rule.kind == "rep":
            named = setup.rep(rule.target)  # by name or email, any case, as checked
            reps = [named] if named is not None else []
            label = f"{head} → rep '{rule.target}'"
        else:
            reps, label = setup.team(rule.target), f"{head} → {rule.kind} '{rule.target}'"
        chosen, skipped = _pick(reps, state, away)
        if chosen is None:
            walk.steps.append(f"{label}: nobody available ({'; '.join(skipped)})")
            return Routed(lead_id, None, rule.name, "; ".join(walk.steps))
        pick = f"{label} → {chosen.name}: next in turn, weight {chosen.weight:g}"
        return _give(lead_id, rule, chosen, state, walk, pick, skipped)
    walk.steps.append("no rule matched")  # only when the settings lack their catch-all
    return Routed(lead_id, None, None, "; ".join(walk.steps))


def _account_owner(
    lead: Mapping[str, Any],
    setup: RoutingSetup,
    state: dict[str, RepState],
    away: dict[str, str],
    walk: _Walk,
    head: str,
) -> Rep | None:
    owner = lead.get(ACCOUNT_OWNER)
    rep = setup.rep(str(owner)) if owner else None
    if not owner:
        why = "the account has no owner"
    elif rep is None:
        why = f"the account owner {owner!r} is not a rep in [[reps]]"
    else:
        why = away[rep.name] or _at_cap(rep, state[rep.name])
        if not why:
            return rep
        why = f"the account owner {rep.name} is {why}"
    walk.steps.append(f"{head}: {why}, next rule")
    return None


def _pick(
    reps: list[Rep], state: dict[str, RepState], away: dict[str, str]
) -> tuple[Rep | None, list[str]]:
    """The available rep with the fewest leads per unit of weight (ties by name), and
    why each other rep was skipped. A rep back from away starts at the team's average."""
    skipped = [f"{r.name}: {away[r.name]}" for r in reps if away[r.name]]
    present = [r for r in reps if not away[r.name]]
    skipped += [f"{r.name}: {why}" for r in present if (why := _at_cap(r, state[r.name]))]
    ready = [r for r in present if not _at_cap(r, state[r.name])]
    steady = [state[r.name].assigned / r.weight for r in present if not state[r.name].away]
    average = sum(steady) / len(steady) if steady else None
    for rep in present:
        rep_state = state[rep.name]
        if rep_state.away:  # back: raised to the average, so the missed leads don't pile on
            if average is not None:
                rep_state.assigned = max(rep_state.assigned, average * rep.weight)
            rep_state.away = False
    if not ready:
        return None, skipped
    # Sainte-Laguë's divisor (count + ½): the shares stay within 1.5 leads of the weights'
    # exact split, where plain count / weight lets a heavy rep fall 2 or more behind.
    best = min(ready, key=lambda r: ((state[r.name].assigned + 0.5) / r.weight, r.name))
    return best, skipped


def cap_reached(rep: Rep, state: RepState, now: dt.datetime) -> str:
    """Why ``rep`` takes no lead now for their caps ("at cap, 3 today of 3"), or ""; the
    day's count is the rep's local day's (a new day starts it again), as routing counts."""
    return _at_cap(rep, RepState(open=state.open, today=_given_today(rep, state, now)))


def _given_today(rep: Rep, state: RepState, now: dt.datetime) -> int:
    """The leads ``rep`` was given on their local day at ``now``: a new day in the rep's
    zone starts the daily cap again."""
    return state.today if state.day in (None, rep.local_date(now)) else 0


def _at_cap(rep: Rep, state: RepState) -> str:
    if rep.max_open is not None and state.open >= rep.max_open:
        return f"at cap, {state.open} open of {rep.max_open}"
    if rep.max_per_day is not None and state.today >= rep.max_per_day:
        return f"at cap, {state.today} today of {rep.max_per_day}"
    return ""


def _give(
    lead_id: str,
    rule: Rule,
    rep: Rep,
    state: dict[str, RepState],
    walk: _Walk,
    pick: str,
    skipped: Sequence[str] = (),
) -> Routed:
    rep_state = state[rep.name]
    load = f"{rep_state.open} open" + (f" of {rep.max_open}" if rep.max_open is not None else "")
    if rep.max_per_day is not None:
        load += f", {rep_state.today} today of {rep.max_per_day}"
    rep_state.open += 1
    rep_state.today += 1
    rep_state.assigned += 1
    chain = f"{pick}, {load}" if "next in turn" in pick else f"{pick} ({load})"
    walk.steps.append(chain + (f" (skipped {'; '.join(skipped)})" if skipped else ""))
    return Routed(lead_id, rep.name, rule.name, "; ".join(walk.steps))


__all__ = [
    "RepState",
    "Routed",
    "Rule",
    "RoutingSetup",
    "assign",
    "load_setup",
    "route",
    "routing_problems",
]
