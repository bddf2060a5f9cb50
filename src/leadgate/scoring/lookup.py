"""Read scores back from the store: one lead's explanation, lists, saved segments.

A stored score keeps each rule's points (``contributions``) when scored with ``details``;
the full explanation (which field was missing, how many events, what was capped) is rebuilt
by the pure evaluator on the lead's stored data, and checked against the stored total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..definition.compile import CompiledDefinition, compile_definition
from ..definition.model import Tier
from ..errors import AmbiguousLead, LeadNotFound, ScoringError
from ..identity import candidates
from ..store import Store
from .contract import RawScore
from .evaluate import Scorer, from_micros, to_micros
from .result import Score
from .result import points as in_points
from .rollups import contexts, score_population
from .sql import plan_sql


def latest_as_of(store: Store, c: CompiledDefinition) -> dt.datetime | None:
    """The as-of time of the newest scoring run of this definition, if any."""
    value = store.scalar(  # max_by: half the time of ORDER BY ... LIMIT 1 on a small table
        "SELECT max_by(as_of, scored_at) FROM score_runs WHERE definition_hash = ?", [c.hash]
    )
    return value if value is None else value.replace(tzinfo=dt.timezone.utc)


def live_as_of(store: Store, c: CompiledDefinition, lead_id: str) -> dt.datetime | None:
    """The as-of time of the lead's live score (the API's, one event at a time) when it is
    of ``c`` and newer than the newest batch run (:func:`newest_run`), as ``current_scores``
    and the queue take it; unlike that view, also when the run was of another definition (a
    version activated since, which only the server has scored yet). None when the batch
    score is the newer, or the lead has no live score."""
    live = store.one(  # by the key alone: the index answers it
        "SELECT definition_hash, as_of, scored_at FROM live_scores WHERE lead_id = ?", [lead_id]
    )
    if live is None or live[0] != c.hash:
        return None
    run = newest_run(store)
    if run is not None and live[2] <= run[1]:
        return None
    return live[1].replace(tzinfo=dt.timezone.utc)  # type: ignore[no-any-return]


def newest_run(store: Store) -> tuple[str, dt.datetime] | None:
    """The definition hash and time of the newest scoring run, of any definition: live
    scores count (``current_scores``) only while it is the reader's definition's."""
    rows = store.execute(
        "SELECT definition_hash, scored_at FROM score_runs ORDER BY scored_at DESC LIMIT 1"
    ).fetchall()
    return (str(rows[0][0]), rows[0][1]) if rows else None


def scores_of(
    store: Store, c: CompiledDefinition, as_of: dt.datetime | None = None
) -> tuple[str, list[Any]]:
    """The scores of ``c`` to read, as a relation ``s`` with its parameters: the run as of
    ``as_of``; without it, each lead's current score (``current_scores``: the latest run's,
    or the live one where the server rescored the lead since) when the latest run is
    ``c``'s, else the latest run of ``c``."""
    if as_of is None:
        newest = newest_run(store)
        if newest is not None and newest[0] == c.hash:
            return "(SELECT * FROM current_scores WHERE definition_hash = ?) s", [c.hash]
        as_of = latest_as_of(store, c)
    when = None if as_of is None else as_of.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return "(SELECT * FROM scores WHERE definition_hash = ? AND as_of = ?) s", [c.hash, when]


def live_totals(store: Store, c: CompiledDefinition, ids: list[str]) -> dict[str, float]:
    """The live totals of ``ids`` that are current (``current_scores``: rescored by the
    server after the latest run, which is ``c``'s), read by id (indexed) for a page."""
    newest = newest_run(store)
    if newest is None or newest[0] != c.hash or not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = store.execute(
        f"SELECT lead_id, total FROM (SELECT * FROM live_scores WHERE lead_id IN ({marks}) "
        "LIMIT 1000000000) l WHERE l.definition_hash = ? AND l.scored_at > ?",
        [*ids, c.hash, newest[1]],
    ).fetchall()
    return {lead_id: float(total) for lead_id, total in rows}


def find_lead(store: Store, key: str) -> dict[str, Any]:
    """The one lead ``key`` names (its id, an alias or its email), never a guess among
    several: :class:`AmbiguousLead` lists them (``leadgate merge`` joins those sharing an
    email).

    A key that is a lead's id and nobody's alias (a lead page's link, nearly always) is
    one statement: the lead's row by its primary key, with how many aliases the key is.
    Any other key is looked for as :func:`leadgate.identity.candidates` says."""
    if "@" not in key:
        cur = store.execute(
            "SELECT (SELECT count(*) FROM lead_aliases WHERE alias = ?), * FROM leads "
            "WHERE lead_id = ?",
            [key, key],
        )
        names = [d[0] for d in cur.description or []][1:]
        rows = cur.fetchall()
        if len(rows) == 1 and rows[0][0] == 0:
            return dict(zip(names, rows[0][1:], strict=True))
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


@dataclass(frozen=True)
class LeadData:
    """One stored lead with what its score reads: the leads of its account (roll-ups), the
    account, every event of those leads and the account's intent signals."""

    lead: dict[str, Any]
    population: Sequence[Mapping[str, Any]]
    accounts: Mapping[str, Mapping[str, Any]]
    events: Mapping[str, list[tuple[str, int]]]
    intent: Mapping[str, list[tuple[str, float, int]]]

    @property
    def account(self) -> Mapping[str, Any] | None:
        return self.accounts.get(self.lead.get("account_id") or "")

    def score(self, scorer: Scorer, as_of_us: int) -> Score:
        """The lead's score as of ``as_of_us``, explained (events after it unseen)."""
        return scorer.to_score(self.raw(scorer, as_of_us), self.lead, self.account, as_of_us)

    def raw(self, scorer: Scorer, as_of_us: int) -> RawScore:
        """The lead's score's numbers as of ``as_of_us``, without its explanation."""
        raws = score_population(
            scorer, list(self.population), self.accounts, self.events, self.intent, as_of_us
        )
        return raws[self.lead["lead_id"]]

    def raws(self, scorer: Scorer, times: Sequence[int]) -> list[RawScore]:
        """:meth:`raw` as of each of ``times``. A lead without an account is a population
        of one whose roll-ups are unknown at every time (:func:`.rollups.contexts`), so
        the evaluator runs once a time on the same context, without
        :func:`.rollups.score_population`'s passes (a quarter of the time each)."""
        if self.lead.get("account_id") is not None or not times:
            return [self.raw(scorer, t) for t in times]
        lead_id = self.lead["lead_id"]
        events = self.events.get(lead_id, [])
        context = contexts(scorer.compiled, [self.lead], self.events, self.intent, times[0])
        return [scorer.raw(self.lead, events, t, None, context[lead_id]) for t in times]


def load_lead(
    store: Store,
    key: str,
    found: dict[str, Any] | None = None,
    events: Sequence[Mapping[str, Any]] | None = None,
) -> LeadData:
    """The lead ``key`` names (id, alias or email) with what its score reads; ``found``:
    its row, when the caller has it already (:func:`find_lead`); ``events``: a lead
    without an account, its events (``type`` and ``ts``), when the caller read them
    (:func:`leadgate.handoff.lead.every_event`)."""
    lead = found if found is not None else find_lead(store, key)
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
    read: dict[str, list[tuple[str, int]]] = {i: [] for i in ids}
    if events is not None and account_id is None:
        read[ids[0]] = [(e["type"], to_micros(e["ts"])) for e in events]
    else:
        # One lead (no account): by its id, which the events index answers; a list scans.
        which = ("lead_id = ?", ids[0]) if len(ids) == 1 else ("list_contains(?, lead_id)", ids)
        for lead_id, etype, ts in store.execute(
            f"SELECT lead_id, type, epoch_us(ts) FROM lead_events WHERE {which[0]}", [which[1]]
        ).fetchall():
            read[lead_id].append((etype, ts))
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
    return LeadData(lead, population, accounts, read, intent)


def explain_lead(
    store: Store, c: CompiledDefinition, key: str, as_of: dt.datetime | None = None
) -> Score:
    """Score one stored lead with its full explanation.

    ``as_of`` defaults to the newest scoring run of ``c``; when that run stored a score for
    the lead, the rebuilt total must equal it, or a warning says so.
    """
    return explain_loaded(store, c, load_lead(store, key), as_of)


def explain_loaded(
    store: Store,
    c: CompiledDefinition,
    data: LeadData,
    as_of: dt.datetime | None = None,
    scorer: Scorer | None = None,
) -> Score:
    """:func:`explain_lead` of a lead already read (:func:`load_lead`)."""
    when = as_of or latest_as_of(store, c)
    if when is None:
        return explain_read(c, data, when, [], scorer)
    # The lead's stored scores by its id alone (the index answers that; a condition on the
    # run beside it makes DuckDB scan), the run's picked in :func:`explain_read`.
    runs = store.execute(
        "SELECT definition_hash, as_of, total FROM scores WHERE lead_id = ?", [data.lead["lead_id"]]
    ).fetchall()
    return explain_read(c, data, when, runs, scorer)


def explain_read(
    c: CompiledDefinition,
    data: LeadData,
    when: dt.datetime | None,
    runs: Sequence[tuple[Any, ...]],
    scorer: Scorer | None = None,
) -> Score:
    """:func:`explain_loaded` of what it reads: the run's as-of time ``when`` (None: no
    run) and the lead's stored scores ``runs`` (``(definition_hash, as_of, total)``, every
    run's: :func:`stored_runs` reads them for several leads at once)."""
    if when is None:
        raise ScoringError("Nothing is scored yet: run 'leadgate score' or give --as-of.")
    score = data.score(scorer or Scorer(c), to_micros(when))
    at = score.as_of.replace(tzinfo=None)
    stored = next((t for h, a, t in runs if h == c.hash and a == at), None)
    if stored is not None and round(stored * 100) != score.total_cents:
        score.warnings.append(
            f"The stored score ({stored:g}) differs from the rebuilt one: "
            "the lead's data changed since it was scored; rescore."
        )
    return score


def stored_runs(store: Store, ids: Sequence[str]) -> dict[str, list[tuple[Any, ...]]]:
    """The stored scores of ``ids`` as :func:`explain_loaded` reads one lead's, by lead:
    one statement (``= ANY(?)``: the index on ``lead_id`` answers a short list too)."""
    out: dict[str, list[tuple[Any, ...]]] = {i: [] for i in ids}
    for lead_id, *run in store.execute(
        "SELECT lead_id, definition_hash, as_of, total FROM scores WHERE lead_id = ANY(?)",
        [list(ids)],
    ).fetchall():
        out[lead_id].append(tuple(run))
    return out


def score_trend(
    store: Store,
    c: CompiledDefinition,
    key: str,
    until: dt.datetime,
    *,
    days: int = 90,
    points: int = 14,
) -> list[tuple[dt.datetime, float, str | None]]:
    """The lead's score and tier at ``points`` evenly spaced times over the ``days`` up to
    ``until``, by the definition ``c`` (the data as stored now: a replay, not a record of
    what earlier definitions said). One read of the lead's data, then the pure evaluator
    as of each time, so events after a time do not count at that time."""
    return trend_of(load_lead(store, key), Scorer(c), until, days=days, points=points)


def trend_of(
    data: LeadData, scorer: Scorer, until: dt.datetime, *, days: int = 90, points: int = 14
) -> list[tuple[dt.datetime, float, str | None]]:
    """:func:`score_trend` of a lead already read (no store: the server judges a kept
    read as of each request)."""
    end = to_micros(until)
    span = days * 86_400_000_000
    tiers = scorer.compiled.tiers
    times = [end - span * (points - 1 - i) // max(points - 1, 1) for i in range(points)]
    out = []
    for as_of_us, raw in zip(times, data.raws(scorer, times), strict=True):
        # the numbers only: the explanation was 60 % of the time
        tier = tiers[raw.tier].name if raw.tier >= 0 else None
        out.append((from_micros(as_of_us).replace(tzinfo=None), float(in_points(raw.total)), tier))
    return out


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
    """Scored leads, best first, filtered by tier and/or an expression (a segment): as of
    the run at ``as_of``, or (without it) each lead's current score, the latest run's or,
    where the server rescored the lead since, its live one (``current_scores``)."""
    when = as_of or latest_as_of(store, c)
    if when is None:
        raise ScoringError("Nothing is scored yet: run 'leadgate score' first.")
    relation, params = scores_of(store, c, as_of)
    sql = (
        "SELECT s.lead_id, l.email, l.title, l.company, s.tier, s.total, s.fit, "
        "s.engagement, s.grade, s.disqualified, s.dq_reason, s.route, s.sla_due "
        f"FROM {relation} JOIN leads l USING (lead_id) WHERE true"
    )
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
