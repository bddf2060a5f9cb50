"""``leadgate outbox`` as a user runs it, delivering to a real receiver on loopback."""

from __future__ import annotations

import json
from pathlib import Path

from leadgate.handoff.outbox import enqueue
from leadgate.project import Project

from ..handoff.receiver import Receiver, receiving, signed_by
from . import leadgate as run

SECRET = "whsec_c2VjcmV0IGtleSBvZiB0aGUgZW5kcG9pbnQ="


def test_list_deliver_show_replay(tmp_path: Path) -> None:
    root = tmp_path / "p"
    assert run("init", str(root)).returncode == 0
    project = Project.open(root)
    with project.store() as store, store.atomic():
        ids = [enqueue(store, "lead.mql", {"n": n}, lead_id=f"L{n}") for n in range(2)]
    nothing = run("-C", str(root), "outbox", "deliver")
    assert "No [[webhooks]]" in nothing.stdout

    for receiver in receiving():
        _deliver_to(root, receiver, ids)


def _deliver_to(root: Path, receiver: Receiver, ids: list[str]) -> None:
    config = root / "leadgate.toml"
    hook = f'\n[[webhooks]]\nurl = "{receiver.url("/in")}"\nsecret = "{SECRET}"\n'
    config.write_text(config.read_text() + hook)
    listed = run("-C", str(root), "outbox", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["counts"]["pending"] == 2
    table = run("-C", str(root), "outbox")
    assert all(len(line) <= 80 for line in table.stdout.splitlines())
    assert ids[0] in table.stdout and "pending" in table.stdout

    delivered = run("-C", str(root), "outbox", "deliver", "--until-empty", "--json")
    assert delivered.returncode == 0, delivered.stderr
    assert json.loads(delivered.stdout)["delivered"] == 2
    assert sorted(r.headers["webhook-id"] for r in receiver.on("/in")) == sorted(ids)
    assert all(signed_by(SECRET, r) for r in receiver.on("/in"))

    shown = json.loads(run("-C", str(root), "outbox", "show", ids[0], "--json").stdout)
    assert shown["state"] == "delivered" and shown["deliveries"][0]["status_code"] == 200
    assert "delivered" in run("-C", str(root), "outbox", "show", ids[0]).stdout
    replayed = run("-C", str(root), "outbox", "replay", ids[0], "--json")
    assert json.loads(replayed.stdout)["state"] == "pending"
    assert json.loads(run("-C", str(root), "outbox", "deliver", "--json").stdout)["delivered"] == 1
    assert [r.headers["webhook-id"] for r in receiver.on("/in")].count(ids[0]) == 2

    missing = run("-C", str(root), "outbox", "show", "msg_nope", "--json")
    assert missing.returncode == 1
    assert json.loads(missing.stderr)["error"]["code"] == "LG620"
    states = run("-C", str(root), "outbox", "--state", "dead", "--json")
    assert json.loads(states.stdout)["messages"] == []
