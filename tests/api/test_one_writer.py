"""One writer, many users: a real ``leadgate serve`` holds the store, and the CLI run in
another process answers through it, with the same output and errors as without it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadgate.api.local import SERVER_FILE, read_note, running_server
from leadgate.errors import StoreError
from leadgate.project import Project, init_project
from leadgate.store import Store

LEADGATE = [sys.executable, "-m", "leadgate"]
STARTUP_SECONDS = 90


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LEADGATE, "-C", str(root), *args], capture_output=True, text=True, timeout=120
    )


def start_server(root: Path) -> subprocess.Popen[str]:
    server = subprocess.Popen(
        [*LEADGATE, "-C", str(root), "serve", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # The note appears once the store is held and the socket bound. The bound is generous:
    # on a loaded machine the interpreter alone can take many seconds to import the app.
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if running_server(root) is not None:
            return server
        if server.poll() is not None:
            raise AssertionError(f"serve exited: {server.stdout.read() if server.stdout else ''}")
        time.sleep(0.05)
    server.kill()
    raise AssertionError(f"serve did not start in {STARTUP_SECONDS} s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    root = init_project(tmp_path / "p").root
    server = start_server(root)
    try:
        yield root, server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)


def test_the_cli_works_beside_a_running_server(served: tuple[Path, subprocess.Popen[str]]) -> None:
    root, server = served
    # The server holds the file: nobody else can open it, not even to read.
    with pytest.raises(StoreError):
        Store(root / "leadgate.duckdb", read_only=True)
    made = cli(root, "keys", "create", "website", "--role", "ingest", "--json")
    assert made.returncode == 0, made.stderr
    key_id = json.loads(made.stdout)["key_id"]
    listed = cli(root, "keys", "--json")
    assert [k["key_id"] for k in json.loads(listed.stdout)["keys"]] == [key_id]
    scored = cli(root, "score", "--json")
    assert scored.returncode == 0, scored.stderr


def test_errors_cross_with_their_code_and_exit_status(
    served: tuple[Path, subprocess.Popen[str]],
) -> None:
    root, _ = served
    missing = cli(root, "explain", "nobody@example.com", "--json")
    assert missing.returncode == 1
    assert json.loads(missing.stderr)["error"]["code"] == "LG402"


def test_a_clean_stop_removes_the_note_and_frees_the_store(tmp_path: Path) -> None:
    root = init_project(tmp_path / "p").root
    server = start_server(root)
    server.send_signal(signal.SIGINT)
    server.wait(timeout=30)
    assert not (root / SERVER_FILE).exists()
    Store(root / "leadgate.duckdb").close()


def test_a_killed_servers_note_is_ignored(tmp_path: Path) -> None:
    root = init_project(tmp_path / "p").root
    server = start_server(root)
    note = read_note(root)
    os.kill(server.pid, signal.SIGKILL)
    server.wait(timeout=30)
    assert note is not None and (root / SERVER_FILE).exists()
    assert running_server(root) is None
    made = cli(root, "keys", "create", "crm", "--role", "read")
    assert made.returncode == 0, made.stderr
    assert [k.name for k in Project.open(root).keys().keys] == ["crm"]


def test_a_call_without_the_token_is_refused(served: tuple[Path, subprocess.Popen[str]]) -> None:
    import pickle
    import urllib.error
    import urllib.request

    root, _ = served
    note = read_note(root)
    assert note is not None
    request = urllib.request.Request(
        note.url + "/_local/project",
        data=pickle.dumps(("create_key", ("x", "admin"), {})),
        headers={"x-leadgate-token": "guess"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    assert json.loads(cli(root, "keys", "--json").stdout)["keys"] == []
