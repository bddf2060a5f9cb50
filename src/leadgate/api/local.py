"""One writer, many users: the CLI in another shell works through the running server.

DuckDB lets one process open a database file for writing, and while it does, no other
process can open the file at all. So while ``leadgate serve`` runs, it is the store's only
user, and a ``leadgate leads`` (or ``import``, ``score``, ``sla``, ...) typed in another
shell does not open the file: it finds the server's note (:data:`SERVER_FILE`, beside the
store) and asks the server to make the same :class:`~leadgate.project.Project` call on its
writer thread, then prints the answer as it always does. Same code, same answers, one writer.

The note holds the server's loopback URL, its pid and a random token; it is readable by its
owner only (as the store is: whoever can read the token can read the store anyway). The
call travels as a pickle, which is only ever unpickled after the token matched, and only from
a loopback address. A note whose server is gone (a ``kill -9``) is ignored.

A call that cannot travel is refused with a clear message: ``deliver`` (the server delivers
the outbox itself), and a callback (an import's progress bar) is dropped.
"""

from __future__ import annotations

import contextlib
import http.client
import inspect
import json
import os
import pickle
import secrets
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import LeadgateError, StoreError
from ..project import Project

SERVER_FILE = "leadgate.server.json"
ROUTE = "/_local/project"
TOKEN_HEADER = "x-leadgate-token"

#: Project calls that read only the definition file: made locally, never sent.
LOCAL_CALLS = frozenset({"validate", "compiled", "publish", "event_types", "mapping", "segment"})
#: Project calls that make no sense from another shell while the server runs.
REFUSED_CALLS = {
    "deliver": "The running server delivers the outbox itself; `leadgate outbox` shows it.",
    "serving": "The store is already served by `leadgate serve`.",
}


#: Project calls that change nothing live scoring reads (leads, accounts, identities,
#: events, intent): after any other call the server reads its held store again.
KEEP_LIVE_CALLS = frozenset({
    "leads", "explain", "coverage", "reject_reasons", "move", "contacted", "history",
    "webhooks", "outbox", "outbox_message", "replay", "enable_webhook", "routing", "reps",
    "route_test", "route", "keys", "create_key", "revoke_key", "score", "plan", "imports",
    "sla_settings", "sla", "sla_clocks", "sweep", "schemas", "export_mqls", "lead",
    "lead_read", "lead_activity", "lead_activity_read", "act", "queue", "queue_read",
    "definitions", "definition_version", "funnel", "lift", "sales_capacity", "diagnose",
    "forecast", "report", "backtest", "compare", "calibrate", "users", "add_user",
    "disable_user", "set_password",
})  # fmt: skip


def keeps_live(payload: bytes) -> bool:
    """Whether the call in ``payload`` (a token-checked local call) leaves live scoring's
    inputs as they were."""
    try:
        name = pickle.loads(payload)[0]
    except Exception:
        return False
    return isinstance(name, str) and name in KEEP_LIVE_CALLS


@dataclass(frozen=True)
class ServerNote:
    url: str
    pid: int
    token: str


def note_path(root: Path) -> Path:
    return root / SERVER_FILE


def write_note(root: Path, url: str) -> ServerNote:
    """Leave the note for the CLI (owner-only), atomically; return it."""
    note = ServerNote(url, os.getpid(), secrets.token_urlsafe(32))
    path = note_path(root)
    tmp = path.with_suffix(f".{note.pid}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"url": note.url, "pid": note.pid, "token": note.token}, out)
    os.replace(tmp, path)
    return note


def remove_note(root: Path, note: ServerNote) -> None:
    """Remove the note if it is still this server's."""
    found = read_note(root)
    if found is not None and found.token == note.token:
        with contextlib.suppress(FileNotFoundError):
            note_path(root).unlink()


def read_note(root: Path) -> ServerNote | None:
    try:
        data = json.loads(note_path(root).read_text(encoding="utf-8"))
        return ServerNote(str(data["url"]), int(data["pid"]), str(data["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_server(root: Path) -> ServerNote | None:
    """The note of a server that is running now, or None (no note, or a stale one)."""
    note = read_note(root)
    if note is None:
        return None
    try:
        os.kill(note.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # another user's process with that pid: not our server
        return None
    return note


class RemoteProject:
    """A :class:`Project` whose calls run in the server that holds its store.

    Attributes (settings, paths) are read locally; methods are sent to the server.
    """

    def __init__(self, project: Project, note: ServerNote) -> None:
        self._project = project
        self._note = note

    def __getattr__(self, name: str) -> Any:
        local = getattr(self._project, name)
        member = inspect.getattr_static(Project, name, None)
        if name.startswith("_") or not inspect.isfunction(member) or name in LOCAL_CALLS:
            return local
        if name in REFUSED_CALLS:
            raise StoreError(REFUSED_CALLS[name])

        def call(*args: Any, **kwargs: Any) -> Any:
            kwargs = {k: v for k, v in kwargs.items() if not callable(v)}
            return self._send(name, args, kwargs)

        return call

    def _send(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        url = urllib.parse.urlsplit(self._note.url)
        conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=3600)
        try:
            conn.request(
                "POST",
                ROUTE,
                body=pickle.dumps((name, args, kwargs)),
                headers={TOKEN_HEADER: self._note.token, "content-type": "application/x-pickle"},
            )
            response = conn.getresponse()
            body = response.read()
        except OSError as exc:
            raise StoreError(
                f"`leadgate serve` (pid {self._note.pid}) holds the store but did not answer "
                f"at {self._note.url}: {exc}. Stop it, or wait until it is up."
            ) from exc
        finally:
            conn.close()
        if response.status != 200:
            raise StoreError(f"`leadgate serve` refused the call {name}: {body[:300]!r}")
        outcome, value = pickle.loads(body)
        if outcome == "error":
            raise value
        return value


def answer(project: Project, payload: bytes) -> bytes:
    """Make the call a :class:`RemoteProject` sent (on the writer thread); its pickled
    result, or the pickled error it raised."""
    name, args, kwargs = pickle.loads(payload)
    if not isinstance(name, str) or name.startswith("_") or name in REFUSED_CALLS:
        return pickle.dumps(("error", StoreError(f"The server does not take {name!r}.")))
    if not inspect.isfunction(inspect.getattr_static(Project, name, None)):
        return pickle.dumps(("error", StoreError(f"Project has no call {name!r}.")))
    try:
        result = getattr(project, name)(*args, **kwargs)
    except LeadgateError as exc:
        return _pickled_error(exc)
    return pickle.dumps(("ok", result))


def _pickled_error(exc: LeadgateError) -> bytes:
    try:
        body = pickle.dumps(("error", exc))
        pickle.loads(body)  # an error that cannot be rebuilt travels as its code and text
        return body
    except Exception:
        plain = LeadgateError(str(exc))
        plain.code = exc.code
        return pickle.dumps(("error", plain))
