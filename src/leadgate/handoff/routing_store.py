"""What routing reads from and writes to a project's store: a lead's fields, its account's
owner, each rep's open leads and turn; the assignments made. The engine (:mod:`.routing`)
stays a pure function of these.

A lead's owner is the rep of its latest ``assignments`` row, else an ``owner`` column an
import brought (a CRM's). A rep's open leads are those they own that are not closed (SQL and
beyond, lost, recycled, disqualified). ``rep_turns`` keeps each rep's turn, leads given
today and whether they were away, between runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, ExpressionError
from ..expr import TEXT, Scope, check
from ..expr.interpret import typed
from .outbox import enqueue_query
from .routing import ACCOUNT_OWNER, BAD_CONDITION, RepState, Routed, RoutingSetup

if TYPE_CHECKING:
    from ..definition import CompiledDefinition
    from ..store import Store
    from .reps import Rep

# An owned lead in any other stage (lead, mql, sal) is open work for its rep.
CLOSED_STAGES = ("sql", "opportunity", "won", "lost", "recycled", "disqualified")
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
    """Each rep's open leads and stored turn."""
    states = {rep.name: RepState() for rep in setup.reps}
    for name, assigned, away, day, today in store.execute(
        "SELECT rep, assigned, away, day, today FROM rep_turns"
    ).fetchall():
        if name in states:
            states[name] = RepState(0, today, assigned, away, day)
    imported = "CAST(leads.owner AS VARCHAR)" if "owner" in store.table_columns("leads") else "NULL"
    rows = store.execute(
        "WITH latest AS (SELECT lead_id, arg_max(rep, assignment_id) AS rep FROM assignments "
        f"GROUP BY lead_id) SELECT lower(coalesce(latest.rep, {imported})) AS owner, count(*) "
        "FROM leads LEFT JOIN latest USING (lead_id) "
        "WHERE NOT list_contains(?, coalesce(stage, 'lead')) AND owner IS NOT NULL GROUP BY 1",
        [list(CLOSED_STAGES)],
    ).fetchall()
    counts = dict(rows)
    for rep in setup.reps:
        states[rep.name].open = counts.get(rep.name.lower(), 0) + (
            counts.get(rep.email.lower(), 0) if rep.email else 0
        )
    return states


def unassigned_mqls(store: Store) -> list[dict[str, Any]]:
    """The leads in stage ``mql`` that nobody owns yet, in the order they entered it (then
    by id): a lead enters MQL when a scoring run puts it in a sales tier
    (:func:`leadgate.handoff.transitions.enter_mql`), once, whatever later runs say."""
    return store.query(
        "SELECT leads.* FROM leads JOIN lead_handoff h USING (lead_id) "
        "WHERE leads.stage = 'mql' AND lead_id NOT IN (SELECT lead_id FROM assignments) "
        "ORDER BY h.mql_at, lead_id"
    )


def save_assignments(
    store: Store,
    routed: list[Routed],
    states: dict[str, RepState],
    at: dt.datetime,
    definition_hash: str,
) -> None:
    """Record the assignments made and every rep's new turn, in one transaction, with a
    ``lead.assigned`` event in the outbox for each (see :mod:`.outbox`)."""
    rows = [r for r in routed if r.rep is not None]
    when = at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    with store.atomic():
        first = store.scalar("SELECT coalesce(max(assignment_id), 0) + 1 FROM assignments")
        if rows:
            store.executemany(
                "INSERT INTO assignments VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    [first + i, r.lead_id, r.rep, r.rule, r.reason, definition_hash, when]
                    for i, r in enumerate(rows)
                ],
            )
        enqueue_query(  # one statement for the run's assignments, not one per lead
            store,
            "SELECT 'lead.assigned' AS event_type, lead_id, to_json(struct_pack(lead_id, rep, "
            "rule, reason, assigned_at := replace(CAST(assigned_at AS VARCHAR), ' ', 'T'))) "
            f"AS payload FROM assignments WHERE assignment_id >= {int(first)} "
            "ORDER BY assignment_id",
        )
        for name, s in states.items():
            store.execute(
                "INSERT OR REPLACE INTO rep_turns VALUES (?, ?, ?, ?, ?)",
                [name, s.assigned, s.away, s.day, s.today],
            )


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
