"""One group commit: many requests' events and leads, written in ONE transaction.

Runs on the writer thread (:mod:`.writer`), called by the batcher (:mod:`.batcher`) with
every request that arrived while the previous group was committing. In one transaction:

1. requests sent before with the same ``Idempotency-Key`` get their stored answer (and a
   key reused with another body its 422); nothing else of theirs is done;
2. the leads of the other requests are upserted (as an import of them would), then their
   events are stored (:mod:`.event_writer`);
3. every lead an event touched is rescored (:mod:`.live`), and enters ``mql`` when its new
   score says so, with its outbox events (:mod:`.entry`), then is routed when the project
   has routing rules (its owner and the reason, or why it has none, are in the answer);
4. each request's answer is stored under its idempotency key.

Only then does the batcher answer the requests, so a 2xx means committed. When the group's
transaction fails (it should not: every row was checked before it was queued), each request
is tried again alone, so one bad request cannot fail the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from ..definition.compile import CompiledDefinition
from ..errors import LeadgateError
from ..handoff.routing import Routed
from ..project import Project
from ..store import Store
from .behind import Behind, Deferred, deferrable
from .entry import enter_live
from .errors import ApiError, status_of
from .event_writer import Keyed, write_events
from .idempotency import Answer, Claim, remember, replayed
from .lead_upsert import upsert_leads as _upsert_leads
from .live import LiveScore, LiveScores, save_scores

log = logging.getLogger("leadgate.api")
#: Leads listed with their score in an events answer, at most (the count is always given).
SHOWN_LEADS = 100


@dataclass
class Pending:
    """One request waiting for its group: its checked rows and its idempotency claim."""

    kind: str  # "events" | "leads"
    rows: list[Any]
    claim: Claim | None = None
    keys: Keyed | None = None  # events: their keys and hashes (:func:`.event_writer.event_keys`)

    @property
    def size(self) -> int:
        return len(self.rows)


@dataclass
class GroupReport:
    """What one group commit did (the batcher's metrics read it)."""

    answers: list[Answer]
    events: int = 0
    requests: int = 0
    entered_mql: int = 0
    retried_alone: bool = False
    deferred: bool = False  # journaled, written to the store later (:mod:`.behind`)
    scored: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # of them, the writer thread's own time on a core
    extra: dict[str, Any] = field(default_factory=dict)


def commit_group(
    project: Project, live: LiveScores, group: list[Pending], behind: Behind | None = None
) -> GroupReport:
    """Apply ``group`` in one transaction (see the module); answers in the group's order.
    With ``behind`` (:mod:`.behind`), a group decided from memory alone is journaled and
    written later; any other is committed after the groups pending there."""
    store = project.store()
    if behind is not None and behind.enabled:
        behind.settle()
        at = store.now()
        compiled = live.compiled(project)
        leads = deferrable(project, live, group, compiled, _micros(at))
        if leads is not None:
            try:
                return _defer(project, store, live, group, behind, at, (compiled, leads))
            except Exception as exc:  # its rows are not journaled; what it noted goes
                log.warning("a write-behind group failed (%s); committing it at once", exc)
                behind.flush(store)
                live.forget()
        behind.flush(store)
    try:
        with store.atomic():
            report = _apply(project, store, live, group)
        return report
    except Exception as exc:
        live.forget()  # held states may hold events the rollback took back
        if len(group) == 1:
            return GroupReport([_error_answer(exc)], requests=1)
        log.warning("group of %d requests failed (%s); committing each alone", len(group), exc)
        reports = [commit_group(project, live, [pending]) for pending in group]
        out = GroupReport([r.answers[0] for r in reports], requests=len(group))
        out.events = sum(r.events for r in reports)
        out.retried_alone = True
        return out


def _defer(
    project: Project,
    store: Store,
    live: LiveScores,
    group: list[Pending],
    behind: Behind,
    at: dt.datetime,
    known: tuple[CompiledDefinition, dict[int, str]],
) -> GroupReport:
    """Decide ``group`` (events only: :func:`.behind.deferrable`, which found the events'
    leads, ``known`` with the definition) and journal its rows."""
    rows = Deferred(behind, at)
    report = GroupReport([], requests=len(group))
    answers = _events(project, store, live, group, list(range(len(group))), report, rows, known)
    behind.defer(rows)
    report.answers = [answers[n] for n in range(len(group))]
    report.deferred = True
    return report


def _error_answer(exc: Exception) -> Answer:
    if isinstance(exc, ApiError):
        return Answer(exc.status, {"error": {"code": exc.code, "message": exc.message,
                                             "details": exc.details}})  # fmt: skip
    if isinstance(exc, LeadgateError):
        return Answer(status_of(exc), {"error": {"code": exc.code, "message": str(exc),
                                                 "details": None}})  # fmt: skip
    log.error("unexpected error in a group commit", exc_info=exc)
    return Answer(500, {"error": {"code": "LG002", "message": "Unexpected server error; see "
                                  "its log.", "details": None}})  # fmt: skip


def _apply(project: Project, store: Store, live: LiveScores, group: list[Pending]) -> GroupReport:
    answers: dict[int, Answer] = {}
    todo: list[int] = []
    claimed: dict[tuple[str, str], int] = {}
    for n, pending in enumerate(group):
        claim = pending.claim
        if claim is not None:
            earlier = claimed.get((claim.key_id, claim.idem_key))
            prior = replayed(store, claim) if earlier is None else None
            if prior is not None or earlier is not None:
                answers[n] = prior or Answer(-1, earlier)  # resolved below
                continue
            claimed[(claim.key_id, claim.idem_key)] = n
        todo.append(n)
    report = GroupReport([], requests=len(group))
    leads = [n for n in todo if group[n].kind == "leads"]
    events = [n for n in todo if group[n].kind == "events"]
    for n in leads:
        answers[n] = Answer(200, _upsert_leads(project, group[n].rows))
        if answers[n].body["columns_added"]:
            live.forget()  # the leads table has new columns: read it all again
        else:  # the leads' fields changed: what is held of them is read again
            live.leads_changed(store, upserted(store, group[n].rows))
    if events:
        answers.update(_events(project, store, live, group, events, report))
    for n in todo:
        claim = group[n].claim
        if claim is not None:
            remember(store, claim, answers[n])
    report.answers = [_resolved(answers, n, group) for n in range(len(group))]
    return report


def upserted(store: Store, rows: list[dict[str, Any]]) -> set[str]:
    """The stored leads an upsert of ``rows`` may have changed: those named by id, by an
    alias, or by email (a row without an id updates the lead holding its email)."""
    ids = sorted({str(r["lead_id"]).strip() for r in rows if r.get("lead_id") is not None})
    emails = sorted({str(r["email"]) for r in rows if r.get("email") is not None})
    found = store.execute(
        "SELECT lead_id FROM leads WHERE lead_id IN (SELECT unnest(?)) "
        "OR lower(trim(email)) IN (SELECT lower(trim(unnest(?)))) "
        "UNION SELECT lead_id FROM lead_aliases WHERE alias IN (SELECT unnest(?))",
        [ids, emails, ids],
    ).fetchall()
    return {r[0] for r in found}


def _resolved(answers: dict[int, Answer], n: int, group: list[Pending]) -> Answer:
    """A request whose key an earlier request of the same group used: that one's answer."""
    answer = answers[n]
    if answer.status != -1:
        return answer
    first: int = answer.body
    claim, prior = group[n].claim, group[first].claim
    if claim is None or prior is None or claim.fingerprint != prior.fingerprint:
        return _error_answer(
            ApiError(422, "LG713", "Idempotency-Key was used with another request in flight.")
        )
    return answers[first]


def _events(
    project: Project,
    store: Store,
    live: LiveScores,
    group: list[Pending],
    todo: list[int],
    report: GroupReport,
    behind: Deferred | None = None,
    known: tuple[CompiledDefinition, dict[int, str]] | None = None,
) -> dict[int, Answer]:
    compiled, leads = known if known is not None else (live.compiled(project), None)
    written = write_events(
        store, [group[n].rows for n in todo], live, compiled, behind, leads,
        [group[n].keys for n in todo],
    )  # fmt: skip
    now_us = _micros(behind.at if behind is not None else store.now())
    scores = live.rescore(store, compiled, written.touched, now_us)
    saved = live.saved_rows(store)
    if behind is not None:
        behind.definition_hash, behind.scores = compiled.hash, scores
        behind.replaced = [s.lead_id for s in scores if s.lead_id in saved]
        saved.update(s.lead_id for s in scores)
    else:
        save_scores(store, compiled.hash, scores, saved=saved)
    lifecycle = compiled.definition.lifecycle
    reentry = lifecycle.reentry_events if lifecycle else None
    entered = set(enter_live(store, compiled.hash, scores, reentry, behind, live.stages))
    routed: dict[str, Routed] = {}
    if entered and project.config.routing.get("rules"):
        run = project.route(apply=True, at=store.now().replace(tzinfo=dt.timezone.utc))
        routed = {r.lead_id: r for r in run.routed}
    report.events += sum(written.stored)
    report.scored, report.entered_mql = len(scores), len(entered)
    by_lead = {s.lead_id: s for s in scores}
    out = {}
    for i, n in enumerate(todo):
        touched = sorted(written.by_request[i])
        received = len(group[n].rows)
        scored = [lead for lead in touched if lead in by_lead]
        shown = [_shown(by_lead[lead], lead in entered, routed.get(lead))
                 for lead in scored[:SHOWN_LEADS]]  # fmt: skip
        out[n] = Answer(200, {
            "received": received,
            "stored": written.stored[i],
            "duplicates": received - written.stored[i],
            "leads_scored": len(scored),
            "entered_mql": sorted(entered.intersection(touched)),
            "leads": shown,
        })  # fmt: skip
    return out


def _shown(score: LiveScore, entered: bool, routed: Routed | None) -> dict[str, Any]:
    """A lead of the answer; one that entered MQL with the owner routing gave it (or why
    it has none), stored in the same transaction."""
    return {
        "lead_id": score.lead_id,
        "total": score.total,
        "tier": score.tier,
        "disqualified": score.disqualified,
        "as_of": score.as_of.isoformat() + "Z",
        "stage": "mql" if entered else None,
        "owner": routed.rep if routed is not None else None,
        "routing": routed.reason if routed is not None else None,
    }


def _micros(naive_utc: dt.datetime) -> int:
    from ..scoring.evaluate import to_micros

    return to_micros(naive_utc)


__all__ = ["GroupReport", "Pending", "commit_group"]
