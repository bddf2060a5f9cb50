"""What routing reads from a project's store: a lead's fields, its account's owner, and
each rep's open MQLs. The engine (:mod:`.routing`) stays a pure function of these.

Until assignments are stored, a rep's open MQLs are the leads whose ``owner`` column (an
imported custom column, when there is one) names them and whose stage is ``mql`` or
``sal``; leads given today are not known, so ``max_per_day`` counts from zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, ExpressionError
from ..expr import TEXT, Scope, check
from ..expr.interpret import typed
from .routing import ACCOUNT_OWNER, BAD_CONDITION, RepState, RoutingSetup

if TYPE_CHECKING:
    from ..definition import CompiledDefinition
    from ..store import Store
    from .reps import Rep

OPEN_STAGES = ("mql", "sal")
# A routing condition reads the lead, its tier and route, and its latest score.
ROUTING_FIELDS = {"tier": TEXT, "route": TEXT}


def check_conditions(setup: RoutingSetup, compiled: CompiledDefinition) -> None:
    """Type-check every rule's ``when`` against the definition's fields, all at once."""
    scope = Scope({**compiled.fields, **ROUTING_FIELDS}, compiled.event_types, allow_scores=True)
    problems = []
    for i, rule in enumerate(setup.rules):
        if rule.when is None:
            continue
        where = f"{BAD_CONDITION} routing.rules[{i}].when"
        try:
            checked = check(rule.when, scope)
        except ExpressionError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if checked.aggregates:
            problems.append(
                f"{where}: a route reads the lead's fields, tier and score, not its events "
                "(route on the tier instead, e.g. tier = 'hot')"
            )
    if problems:
        raise ConfigError("leadgate.toml: " + "; ".join(problems) + ".")


def lead_values(
    store: Store, compiled: CompiledDefinition, lead: dict[str, Any], owner_field: str
) -> dict[str, Any]:
    """The lead's fields as the rules read them, its latest score, and its account owner."""
    accounts = (
        store.query("SELECT * FROM accounts WHERE account_id = ?", [lead["account_id"]])
        if lead.get("account_id")
        else []
    )
    row = lead | {f"account.{k}": v for k, v in (accounts[0] if accounts else {}).items()}
    values = {name: typed(kind, row.get(name)) for name, kind in compiled.fields.items()}
    scores = store.query(
        "SELECT fit, engagement, total AS score, grade, band, tier, route FROM scores "
        "WHERE lead_id = ? AND definition_hash = ? ORDER BY as_of DESC LIMIT 1",
        [lead["lead_id"], compiled.hash],
    )
    values.update(scores[0] if scores else dict.fromkeys(("tier", "route")))
    values["lead_id"] = lead["lead_id"]
    values[ACCOUNT_OWNER] = accounts[0].get(owner_field) if accounts else None
    return values


def rep_states(store: Store, setup: RoutingSetup) -> dict[str, RepState]:
    """Each rep's open MQLs, from the leads' ``owner`` column when there is one."""
    states = {rep.name: RepState() for rep in setup.reps}
    if "owner" not in store.table_columns("leads"):
        return states
    rows = store.execute(
        "SELECT lower(CAST(owner AS VARCHAR)), count(*) FROM leads "
        "WHERE list_contains(?, stage) AND owner IS NOT NULL GROUP BY 1",
        [list(OPEN_STAGES)],
    ).fetchall()
    counts = dict(rows)
    for rep in setup.reps:
        states[rep.name].open = counts.get(rep.name.lower(), 0) + (
            counts.get(rep.email.lower(), 0) if rep.email else 0
        )
    return states


@dataclass(frozen=True)
class RepStatus:
    """One rep as ``leadgate reps`` shows them: available now or why not, and their load."""

    rep: Rep
    unavailable: str
    state: RepState

    def as_dict(self) -> dict[str, Any]:
        return self.rep.as_dict() | {
            "available": not self.unavailable,
            "unavailable": self.unavailable or None,
            "open": self.state.open,
        }


def rep_statuses(
    setup: RoutingSetup, states: dict[str, RepState], now: dt.datetime
) -> list[RepStatus]:
    return [RepStatus(r, r.why_unavailable(now), states[r.name]) for r in setup.reps]
