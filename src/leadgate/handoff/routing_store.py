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
from .routing import (
    ACCOUNT_OWNER,
    BAD_CONDITION,
    RepState,
    Routed,
    RoutingSetup,
    assign,
    cap_reached,
)

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
    one = "SELECT ? AS lead_id, 1 AS _lg_order"
    return leads_values(store, compiled, one, [lead["lead_id"]], owner_field)[0]


# The score columns a rule reads, under names no lead or account column can take.
_SCORE_COLUMNS = ("fit", "engagement", "score", "grade", "band", "tier", "route")


def leads_values(
    store: Store,
    compiled: CompiledDefinition,
    leads: str,
    params: list[Any],
    owner_field: str,
) -> list[dict[str, Any]]:
    """:func:`lead_values` of every lead ``leads`` names (SQL yielding ``lead_id`` and
    ``_lg_order``), in that order, read with one query: each lead joined to its account and
    to its latest score of the definition. A run routing 100,000 MQLs reads them at once,
    not with two queries per lead."""
    accounts = list(store.table_columns("accounts"))
    picks = [f'a."{c}" AS "_lg_a_{c}"' for c in accounts]
    picks += [f's."{c}" AS "_lg_s_{c}"' for c in _SCORE_COLUMNS]
    rows = store.query(
        f"WITH wanted AS ({leads}), latest AS (SELECT s.lead_id, s.fit, s.engagement, "
        "s.total AS score, s.grade, s.band, s.tier, s.route FROM scores s "
        "WHERE s.definition_hash = ? AND s.lead_id IN (SELECT lead_id FROM wanted) "
        "QUALIFY row_number() OVER (PARTITION BY s.lead_id ORDER BY s.as_of DESC) = 1) "
        f"SELECT l.*, {', '.join(picks)}, a.account_id IS NOT NULL AS _lg_has_account "
        "FROM wanted w JOIN leads l USING (lead_id) "
        "LEFT JOIN accounts a ON a.account_id = l.account_id "
        "LEFT JOIN latest s ON s.lead_id = l.lead_id ORDER BY w._lg_order",
        [*params, compiled.hash],
    )
    return [_values_of(row, compiled, accounts, owner_field) for row in rows]


def _values_of(
    row: dict[str, Any], compiled: CompiledDefinition, accounts: list[str], owner_field: str
) -> dict[str, Any]:
    """One row of :func:`leads_values`' query as the rules read it."""
    account = {c: row.pop(f"_lg_a_{c}") for c in accounts}
    score = {c: row.pop(f"_lg_s_{c}") for c in _SCORE_COLUMNS}
    found = row.pop("_lg_has_account")
    fields = row | {f"account.{k}": v for k, v in (account if found else {}).items()}
    values = {name: typed(kind, fields.get(name)) for name, kind in compiled.fields.items()}
    # No score of this definition: the rules see no tier and no route (as before any run).
    values.update(score if score["score"] is not None else dict.fromkeys(("tier", "route")))
    values["lead_id"] = row["lead_id"]
    values[ACCOUNT_OWNER] = account.get(owner_field) if found else None
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


def unassigned_mqls(store: Store) -> str:
    """The leads in stage ``mql`` that nobody owns yet, as SQL yielding ``lead_id`` and
    ``_lg_order`` (for :func:`leads_values`): in the order they entered MQL (then by id).
    A lead enters MQL when a scoring run puts it in a sales tier
    (:func:`leadgate.handoff.transitions.enter_mql`), once, whatever later runs say."""
    return (
        "SELECT lead_id, row_number() OVER (ORDER BY h.mql_at, lead_id) AS _lg_order "
        "FROM leads JOIN lead_handoff h USING (lead_id) WHERE leads.stage = 'mql' "
        "AND lead_id NOT IN (SELECT lead_id FROM assignments)"
    )


def route_waiting(
    store: Store,
    setup: RoutingSetup,
    compiled: CompiledDefinition,
    at: dt.datetime,
    *,
    apply: bool,
) -> list[Routed]:
    """Route every MQL nobody owns yet (:func:`unassigned_mqls`) at ``at`` (aware); with
    ``apply``, store the assignments, the misses and the reps' turns in the caller's
    transaction. A scoring run calls it right after its MQL entries, so a lead entering
    MQL has its owner, or its recorded reason for having none, when the run commits."""
    owner = setup.account_owner_field
    leads = leads_values(store, compiled, unassigned_mqls(store), [], owner)
    routed, states = assign(leads, setup, rep_states(store, setup), at)
    if apply:
        save_assignments(store, routed, states, at, compiled.hash)
    return routed


def save_assignments(
    store: Store,
    routed: list[Routed],
    states: dict[str, RepState],
    at: dt.datetime,
    definition_hash: str,
) -> None:
    """Record the assignments made and every rep's new turn, in one transaction, with a
    ``lead.assigned`` event in the outbox for each (see :mod:`.outbox`); a lead nobody
    could take gets a ``routing_misses`` row with the reason."""
    rows = [r for r in routed if r.rep is not None]
    misses = [[r.lead_id, r.rule, r.reason, definition_hash] for r in routed if r.rep is None]
    when = at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    with store.atomic():
        if misses:
            columns = [*zip(*misses, strict=True), [when] * len(misses)]
            store.insert_columns("routing_misses", columns)
        first = store.scalar("SELECT coalesce(max(assignment_id), 0) + 1 FROM assignments")
        if rows:
            ids = [first + i for i in range(len(rows))]
            columns = [ids, *([getattr(r, c) for r in rows] for c in ("lead_id", "rep", "rule"))]
            columns += [[r.reason for r in rows], [definition_hash] * len(rows)]
            store.insert_columns("assignments", [*columns, [when] * len(rows)])
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


def on_record(store: Store, lead_id: str) -> dict[str, Any] | None:
    """The lead's latest routing on record: its assignment (``rep`` set) or, when nobody
    could take it, the reason (``rep`` None); None when it was never routed."""
    rows = store.query(
        "SELECT rep, rule, reason, routed_at FROM (SELECT rep, rule, reason, assigned_at AS "
        "routed_at, 1 AS k FROM assignments WHERE lead_id = ? UNION ALL SELECT NULL, rule, "
        "reason, missed_at, 0 FROM routing_misses WHERE lead_id = ?) "
        "ORDER BY routed_at DESC, k DESC LIMIT 1",
        [lead_id, lead_id],
    )
    return rows[0] if rows else None


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
    """Each rep at ``now``: away (hours, out of office) or at a cap, and why, as routing
    would skip them."""
    return [
        RepStatus(r, r.why_unavailable(now) or cap_reached(r, states[r.name], now), states[r.name])
        for r in setup.reps
    ]
