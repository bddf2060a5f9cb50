"""Read scores back from the store: one lead's explanation, lists, saved segments.

A stored score keeps each rule's points (``contributions``) when scored with ``details``;
the full explanation (which field was missing, how many events, what was capped) is rebuilt
by the pure evaluator on the lead's stored data, and checked against the stored total.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..definition.compile import CompiledDefinition, compile_definition
from ..definition.model import Tier
from ..errors import AmbiguousLead, LeadNotFound, ScoringError
from ..identity import candidates
from ..store import Store
from ..store.db import keyed
from .evaluate import Scorer, to_micros
from .result import Score
from .rollups import score_population
from .sql import plan_sql


def latest_as_of(store: Store, c: CompiledDefinition) -> dt.datetime | None:
    """The as-of time of the newest scoring run of this definition, if any."""
    value = store.scalar(
        "SELECT as_of FROM score_runs WHERE definition_hash = ? ORDER BY scored_at DESC LIMIT 1",
        [c.hash],
    )
    return value if value is None else value.replace(tzinfo=dt.timezone.utc)


def find_lead(store: Store, key: str) -> dict[str, Any]:
    """The one lead ``key`` names (its id, an alias or its email), never a guess among
    several: :class:`AmbiguousLead` lists them (``leadgate merge`` joins those sharing an
    email)."""
    found = candidates(store, key)
    if not found:
        raise LeadNotFound(f"No lead with id or email {key!r}. List leads with 'leadgate leads'.")
    if len(found) > 1:
        raise AmbiguousLead(
            f"{key!r} names {len(found)} leads: {', '.join(found)}. Explain one by its id, "
            "or merge the leads that share an email with 'leadgate merge --apply'.",
            found,
        )
    return store.query("SELECT * FROM leads WHERE lead_id = ?", found)[0]


def explain_lead(
    store: Store, c: CompiledDefinition, key: str, as_of: dt.datetime | None = None
) -> Score:
    """Score one stored lead with its full explanation.

    ``as_of`` defaults to the newest scoring run of ``c``; when that run stored a score for
    the lead, the rebuilt total must equal it, or a warning says so.
    """
    lead = find_lead(store, key)
    when = as_of or latest_as_of(store, c)
    if when is None:
        raise ScoringError("Nothing is scored yet: run 'leadgate score' or give --as-of.")
    as_of_us = to_micros(when)
    account_id = lead.get("account_id")
    if account_id is not None:
        population = store.query("SELECT * FROM leads WHERE account_id = ?", [account_id])
        accounts = {
            a["account_id"]: a
            for a in store.query("SELECT * FROM accounts WHERE account_id = ?", [account_id])
        }
    else:
        population, accounts = [lead], {}
    ids = [p["lead_id"] for p in population]
    events: dict[str, list[tuple[str, int]]] = {i: [] for i in ids}
    for lead_id, etype, ts in store.execute(
        "SELECT lead_id, type, epoch_us(ts) FROM lead_events WHERE list_contains(?, lead_id)", [ids]
    ).fetchall():
        events[lead_id].append((etype, ts))
    intent = (
        {
            account_id: [
                tuple(r)
                for r in store.execute(
                    "SELECT topic, strength, epoch_us(ts) FROM intent_signals WHERE account_id = ?",
                    [account_id],
                ).fetchall()
            ]
        }
        if account_id is not None
        else {}
    )
    scorer = Scorer(c)
    raws = score_population(scorer, population, accounts, events, intent, as_of_us)  # type: ignore[arg-type]
    score = scorer.to_score(raws[lead["lead_id"]], lead, accounts.get(account_id or ""), as_of_us)
    stored = store.scalar(
        f"SELECT total FROM {keyed('scores', 'lead_id')} s WHERE definition_hash = ? AND as_of = ?",
        [lead["lead_id"], c.hash, score.as_of.replace(tzinfo=None)],
    )
    if stored is not None and round(stored * 100) != score.total_cents:
        score.warnings.append(
            f"The stored score ({stored:g}) differs from the rebuilt one: "
            "the lead's data changed since it was scored; rescore."
        )
    return score


def segment(c: CompiledDefinition, where: str) -> CompiledDefinition:
    """A definition whose only tier is ``where``: its plan selects the segment's leads."""
    d = c.definition.model_copy(
        update={"tiers": [Tier(name="segment", when=where)], "disqualifiers": []}
    )
    return compile_definition(type(d).model_validate(d.model_dump()))


def list_leads(
    store: Store,
    c: CompiledDefinition,
    *,
    tier: str | None = None,
    where: str | None = None,
    limit: int | None = 50,
    as_of: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Scored leads, best first, filtered by tier and/or an expression (a segment)."""
    when = as_of or latest_as_of(store, c)
    if when is None:
        raise ScoringError("Nothing is scored yet: run 'leadgate score' first.")
    sql = (
        "SELECT s.lead_id, l.email, l.title, l.company, s.tier, s.total, s.fit, "
        "s.engagement, s.grade, s.disqualified, s.dq_reason, s.route, s.sla_due "
        "FROM scores s JOIN leads l USING (lead_id) "
        "WHERE s.definition_hash = ? AND s.as_of = ?"
    )
    params: list[Any] = [c.hash, when.replace(tzinfo=None)]
    if tier is not None:
        sql += " AND s.tier = ?"
        params.append(tier)
    if where:
        seg = segment(c, where)
        plan = plan_sql(
            seg,
            when,
            lead_columns=store.table_columns("leads"),
            account_columns=store.table_columns("accounts"),
        )
        sql += f" AND s.lead_id IN (SELECT lead_id FROM ({plan}) seg WHERE tier = 0)"
    sql += " ORDER BY s.total DESC, s.lead_id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return store.query(sql, params)
