"""``forget``: after it, no table holds the person's email or any of their ids."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.handoff.erasure import Mention, NothingToForget, matches
from leadgate.handoff.stages import BadActor
from leadgate.project import Project, init_project
from leadgate.store import Store

from .test_routing_entry import with_reps
from .test_stages import DEFINITION, T0, Clock


def person(store: Store, n: int, leads: int, events: int) -> tuple[str, list[str]]:
    """A person with ``leads`` leads (one email, several ids: not merged), a CRM alias and a
    visitor each, ``events`` events each (one names the email in its URL); their ids."""
    email = f"Person{n}.{uuid.uuid4().hex[:6]}@Example.test"
    ids: list[str] = []
    for k in range(leads):
        lead, alias, visitor = (f"{p}{uuid.uuid4().hex[:12]}" for p in ("ld", "crm", "vis"))
        ids += [lead, alias, visitor]
        store.execute(
            "INSERT INTO leads (lead_id, email, first_name, company_size) VALUES (?, ?, ?, ?)",
            [lead, f" {email} " if k else email, f"First{n}", 500 if n % 2 == 0 else 5],
        )
        store.executemany("INSERT INTO lead_aliases (alias, lead_id) VALUES (?, ?)",
                          [[lead, lead], [alias, lead]])  # fmt: skip
        store.execute("INSERT INTO visitor_links VALUES (?, ?, ?)", [visitor, lead, T0])
        for e in range(events):
            store.execute(
                "INSERT INTO events VALUES (?, ?, ?, 'page_view', ?, ?, ?)",
                [f"ev{uuid.uuid4().hex[:10]}", None if e % 2 else lead, visitor if e % 2 else None,
                 T0 - dt.timedelta(hours=e + 1), f"https://x.test/?e={email}" if e == 0 else None,
                 json.dumps({"n": e})],
            )  # fmt: skip
        store.execute(
            "INSERT INTO outcomes VALUES (?, ?, 'lost', ?, NULL, ?)",
            [f"oc{uuid.uuid4().hex[:10]}", lead, f"lost: {email} said no", T0],
        )
    return email, ids


def build(root: Path, people: list[tuple[int, int]]) -> tuple[Project, list[tuple[str, list[str]]]]:
    clock = Clock(T0)
    project = init_project(root, clock=clock)
    project.definition_path.write_text(DEFINITION)
    project = with_reps(Project.open(root, clock=clock), 50)
    with project.store() as store:
        made = [person(store, n, leads, events) for n, (leads, events) in enumerate(people)]
    project.score(T0)  # MQL entries, routing, outbox messages
    with project.store() as store:  # some delivered, some not
        store.execute("UPDATE outbox SET state = 'delivered' WHERE event_type = 'lead.mql'")
    return project, made


def holders(store: Store, needles: list[str]) -> list[str]:
    """Every ``table.column`` of text (VARCHAR, JSON) holding one of ``needles``, any case."""
    found = []
    columns = store.execute(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN "
        "information_schema.tables t USING (table_schema, table_name) WHERE t.table_type = "
        "'BASE TABLE' AND c.data_type IN ('VARCHAR', 'JSON')"
    ).fetchall()
    for table, column in columns:
        for needle in needles:
            hits = store.scalar(
                f'SELECT count(*) FROM "{table}" WHERE contains(lower(CAST("{column}" AS '
                "VARCHAR)), lower(?))",
                [needle],
            )
            if hits:
                found.append(f"{table}.{column}: {needle}")
    return found


@settings(max_examples=6, deadline=None)
@given(
    people=st.lists(st.tuples(st.integers(1, 2), st.integers(0, 3)), min_size=2, max_size=4),
    pick=st.integers(0, 3),
    merge=st.booleans(),
)
def test_after_forget_no_table_holds_the_email_or_an_id(
    people: list[tuple[int, int]], pick: int, merge: bool
) -> None:
    project, made = build(Path(tempfile.mkdtemp()) / "p", people)
    if merge:
        project.merge(apply=True)
    email, ids = made[pick % len(made)]
    with project.store() as store:
        assert holders(store, [email.lower(), *ids])  # there is something to erase
        before = store.scalar("SELECT count(*) FROM leads")
        theirs = store.scalar("SELECT count(*) FROM leads WHERE lower(trim(email)) = ?",
                              [email.lower()])  # fmt: skip
    erasure = project.forget(email.upper(), actor="user:dpo")
    assert erasure.leads == theirs and erasure.rows_removed["leads"] == theirs
    with project.store() as store:
        assert holders(store, [email, *ids]) == []
        (record,) = store.execute("SELECT actor, subject_check FROM erasures").fetchall()
        left = store.scalar("SELECT count(*) FROM leads")
        transitions = store.scalar(
            "SELECT count(*) FROM stage_transitions WHERE lead_id LIKE 'erased_%'"
        )
    assert record[0] == "user:dpo" and matches(record[1], email) and not matches(record[1], "x@y.z")
    assert left == before - theirs  # the others are all still there
    assert transitions == erasure.rows_pseudonymised.get("stage_transitions", 0)


def test_forget_refuses_an_unknown_person_or_actor_and_writes_nothing(tmp_path: Path) -> None:
    project, made = build(tmp_path / "p", [(1, 1)])
    with pytest.raises(NothingToForget) as nobody:
        project.forget("nobody@nowhere.test", actor="user:dpo")
    assert nobody.value.code == "LG680"
    with pytest.raises(BadActor):
        project.forget(made[0][0], actor="dpo")
    with project.store() as store:
        assert store.scalar("SELECT count(*) FROM erasures") == 0
        assert store.scalar("SELECT count(*) FROM leads") == 1


def test_forget_keeps_other_leads_rows_and_replaces_only_the_mention(tmp_path: Path) -> None:
    """Another lead's history and its undelivered message that name the person keep their
    rows, the mention replaced; leads whose address only contains theirs are not touched."""
    project, made = build(tmp_path / "p", [(1, 1), (1, 1), (1, 1)])
    (email, _), (other_email, other_ids) = made[0], made[2]  # both entered MQL (n even)
    other = other_ids[0]
    lookalikes = [f"di{email.lower()}", f"{email.lower()}.uk", f"{email.lower()}-x.test"]
    with project.store() as store:
        for k, address in enumerate(lookalikes):
            store.execute("INSERT INTO leads (lead_id, email) VALUES (?, ?)", [f"look{k}", address])
    for stage in ("sal", "sql", "opportunity"):
        project.move(other, stage, actor="user:ana")
    project.move(other, "lost", actor="user:ana", reason=f"same buyer as {email.upper()}.")
    with project.store() as store:
        history = store.execute(
            "SELECT to_stage FROM stage_transitions WHERE lead_id = ? ORDER BY moved_at, seq",
            [other],
        ).fetchall()
    counted = project.funnel(window=None).recorded
    erasure = project.forget(email, actor="user:dpo")
    assert project.funnel(window=None).recorded == counted  # their history still counts
    with project.store() as store:
        after = store.execute(
            "SELECT to_stage, reason FROM stage_transitions WHERE lead_id = ? "
            "ORDER BY moved_at, seq",
            [other],
        ).fetchall()
        (body,) = store.execute(
            "SELECT body FROM outbox WHERE lead_id = ? AND state = 'pending' AND "
            "json_extract_string(body, '$.data.to_stage') = 'lost'",
            [other],
        ).fetchall()[0]
        kept = store.execute(
            "SELECT email FROM leads WHERE lead_id LIKE 'look%' ORDER BY lead_id"
        ).fetchall()
        still = store.scalar(
            "SELECT count(*) FROM leads WHERE lower(email) = ?", [other_email.lower()]
        )
    assert [s for s, _ in after] == [s for (s,) in history]  # not one row of theirs lost
    assert after[-1][1] == "same buyer as [erased]."
    assert json.loads(body)["data"]["reason"] == "same buyer as [erased]."
    assert [e for (e,) in kept] == lookalikes and still == 1
    assert erasure.rows_redacted["stage_transitions"] == 1 and erasure.rows_redacted["outbox"] == 1


@given(
    email=st.emails(),
    before=st.sampled_from(["", " ", "<", "di", "x.", "'", ":", "é"]),
    after=st.sampled_from(["", " ", ">", ".", ". ", ".uk", "m", "-x", "_", ","]),
)
def test_a_mention_is_the_whole_address(email: str, before: str, after: str) -> None:
    """SQL's pattern and Python's replacement agree on what names the person: the address
    alone, not inside a longer one."""
    person = Mention(email.lower(), ["L1"])
    text = f"{before}{email.upper()}{after}"
    whole = before in ("", " ", "<", ":", "'") and after in ("", " ", ">", ".", ". ", ",")
    with Store(":memory:") as store:
        sql, params = person.where("t")
        found = store.scalar(f"SELECT {sql} FROM (SELECT ? AS t)", [*params, text])
    assert bool(found) == whole
    assert (person.redact(text) == f"{before}[erased]{after}") == whole
