"""Several lead pages read at once: one statement per table for all of them.

A lead page not kept in memory (:mod:`leadgate.api.kept`) is seven indexed statements
(:mod:`.one_lead`), and DuckDB's cost per statement, 1-3 ms on a loaded machine whatever
it reads, is most of the page: with twenty people each asking for a different lead, the
server's two cores spend their time starting statements. The same statements with a short
list of ids (``lead_id = ANY(?)``) are answered from the same ART indexes (``EXPLAIN
ANALYZE`` on the million-lead bench store: an index scan for a list of 20) in about the
time of one lead's: at a million leads, 20 leads read together took 42-72 ms against
26-29 ms for each alone. So the server gathers the leads asked for in the same moment
(:mod:`leadgate.api.batched`) and reads them here; each lead's :class:`.reads.LeadRead`
and :class:`.reads.ActivityRead` are what :meth:`Project.lead_read` and
:meth:`Project.lead_activity_read` build for it alone (a test compares them lead by lead).

Read together: the leads whose key is their id and nobody's alias, without an account
(a lead with an account has its account's leads, events and intent read for its score:
those are read alone, as before). The lead's own statements, one per table for all:
its row, aliases, handoff, transitions, assignments, events, stored scores, and the
newest run once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ScoringError
from .lead import every_events, newest_events
from .one_lead import read_leads_rows
from .reads import ActivityRead, LeadRead

if TYPE_CHECKING:
    from ..definition.compile import CompiledDefinition
    from ..scoring.evaluate import Scorer
    from ..store import Store
    from .sla import SlaSetup

#: At most this many leads in one read: a list of ids is planned per statement, and a
#: literal list of 1,000 cost 48 ms of planning; 32 is a moment's requests of 20 people.
MOST = 32


def find_ids(store: Store, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The rows of the ``keys`` that are a lead's id and no other lead's alias, by key:
    the lead :func:`leadgate.scoring.lookup.find_lead` finds for such a key (an import
    makes each id an alias of itself; :func:`leadgate.identity.candidates` names that
    lead alone). The other keys are not here (they are read alone)."""
    plain = [k for k in keys if "@" not in k]
    if not plain:
        return {}
    # By the alias alone (the index answers that), the alias's lead compared here.
    aliases = store.execute("SELECT alias, lead_id FROM lead_aliases WHERE alias = ANY(?)", [plain])
    elsewhere = {alias for alias, lead_id in aliases.fetchall() if lead_id != alias}
    rows = store.query("SELECT * FROM leads WHERE lead_id = ANY(?)", [plain])
    return {r["lead_id"]: r for r in rows if r["lead_id"] not in elsewhere}


def read_together(
    store: Store,
    compiled: CompiledDefinition,
    scorer: Scorer,
    rows: list[dict[str, Any]],
    warnings: list[str],
    setup: SlaSetup | None,
    setup_warnings: list[str],
    limit: int,
) -> dict[str, tuple[LeadRead, ActivityRead]]:
    """The reads of the leads ``rows`` (without an account), by id, as
    :meth:`Project.lead_reads` says: ``warnings`` the definition's (each lead's start),
    ``setup`` the SLA clocks' with its ``setup_warnings`` (each lead's end)."""
    from ..project import _plain_account
    from ..scoring.lookup import explain_read, latest_as_of, load_lead, stored_runs

    ids = [r["lead_id"] for r in rows]
    handoff = read_leads_rows(store, rows)
    timelines = every_events(store, ids)
    when = latest_as_of(store, compiled)
    runs = stored_runs(store, ids) if when is not None else {}
    out = {}
    for row in rows:
        lead_id = row["lead_id"]
        mine, timeline = handoff[lead_id], timelines[lead_id]
        said = list(warnings)
        data = load_lead(store, lead_id, row, timeline)  # no statement: its events are read
        score = None
        try:
            score = explain_read(compiled, data, when, runs.get(lead_id, []), scorer)
        except ScoringError as exc:
            said.append(str(exc))
        said.extend(setup_warnings)
        periods = None if setup is None else mine.periods(setup)
        lead = LeadRead(
            lead_id, row, _plain_account(data), score, mine.history, mine.owner, mine.tier,
            periods, data, said, timeline,
        )  # fmt: skip
        events, total = newest_events(timeline, limit)
        out[lead_id] = lead, ActivityRead(lead_id, events, total, data, scorer)
    return out


__all__ = ["MOST", "find_ids", "read_together"]
