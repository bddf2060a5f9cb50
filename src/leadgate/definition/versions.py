"""Definition versions: every definition the project has known, and which one is active.

A version is a definition's text under its hash (the ``definitions`` table keeps the text of
every definition scored or uploaded, once per hash). The project's definition file holds the
*active* version: scoring, ``explain`` and the queue read it. Activating a version writes its
text to the file and records who did it and when (``definition_activations``, append-only);
the text the file held before is kept as a version too (a valid one under its hash; an
invalid one beside the file, as ``<file>.<time>.bak``), so nothing is lost.

The file stays the truth: a definition edited on disk is active without an activation on
record, and the listing says so (``activated_by`` is None).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DefinitionError, LeadgateError
from ..results import plain
from ..store import Store
from . import Validation, compile_definition, validate


class VersionNotFound(LeadgateError, LookupError):
    """No definition version with that hash (or hash prefix)."""

    code = "LG720"


class AmbiguousVersion(LeadgateError, ValueError):
    """A hash prefix that names several versions."""

    code = "LG721"


#: The shortest hash prefix a version may be named by (``leadgate definitions`` shows 12).
MIN_PREFIX = 6


@dataclass(frozen=True)
class Activation:
    """One activation: ``definition_hash`` became the project's definition."""

    seq: int
    definition_hash: str
    previous_hash: str | None
    actor: str
    activated_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class DefinitionVersion:
    """One version: ``stored`` when the store keeps its text (else it is only the file's),
    ``active`` when it is the file's; who activated it last and when (None: never through
    leadgate, e.g. the file was edited by hand)."""

    hash: str
    name: str
    version: str
    created_at: dt.datetime | None
    stored: bool
    active: bool
    activated_by: str | None = None
    activated_at: dt.datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class DefinitionList:
    """Every version known, the newest first, and every activation, the latest first.

    ``active_hash`` is None when the definition file is not valid (``problems`` says why).
    """

    versions: list[DefinitionVersion]
    activations: list[Activation]
    active_hash: str | None
    file: str
    problems: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "active_hash": self.active_hash,
            "problems": self.problems,
            "count": len(self.versions),
            "versions": [v.as_dict() for v in self.versions],
            "activations": [a.as_dict() for a in self.activations],
        }


@dataclass(frozen=True)
class DefinitionDetail:
    """One version with its text and its validation today."""

    version: DefinitionVersion
    source: str
    validation: Validation

    def as_dict(self) -> dict[str, Any]:
        return self.version.as_dict() | {
            "source": self.source,
            "validation": self.validation.as_dict(),
        }


def add_version(store: Store, text: str, today: dt.date) -> str:
    """Keep ``text`` as a version (once per hash) and return its hash; a text with
    problems raises :class:`DefinitionError` listing every one, and nothing is kept."""
    from ..scoring.batch import record_definition

    result = validate(text=text, today=today)
    if not result.ok or result.definition is None:
        raise DefinitionError(result.problems, "<uploaded>")
    compiled = compile_definition(result.definition)
    with store.atomic():
        record_definition(store, compiled, text)
    return compiled.hash


def list_versions(store: Store, path: Path, today: dt.date) -> DefinitionList:
    """Every version the store keeps, plus the file's when the store lacks it."""
    current = validate(path, today=today)
    active = current.as_dict()["hash"]
    last = _last_activations(store)
    rows = store.query(
        "SELECT definition_hash, name, version, created_at FROM definitions "
        "ORDER BY created_at DESC, definition_hash"
    )
    versions = [_version(r, True, active, last) for r in rows]
    if active is not None and active not in {v.hash for v in versions}:
        d = current.definition
        assert d is not None  # a hash means a valid definition
        row = {"definition_hash": active, "name": d.name, "version": d.version, "created_at": None}
        versions.insert(0, _version(row, False, active, last))
    problems = [] if current.ok else current.as_dict()["problems"]
    return DefinitionList(versions, activations(store), active, path.name, problems)


def get_version(store: Store, path: Path, key: str, today: dt.date) -> DefinitionDetail:
    """The version ``key`` names (a hash or a prefix of at least :data:`MIN_PREFIX`
    characters), with its text and its validation."""
    listing = list_versions(store, path, today)
    version = find(listing.versions, key)
    if version.stored:
        source = str(
            store.scalar("SELECT source FROM definitions WHERE definition_hash = ?", [version.hash])
        )
    else:
        source = path.read_text(encoding="utf-8")
    return DefinitionDetail(version, source, validate(text=source, today=today))


def find(versions: list[DefinitionVersion], key: str) -> DefinitionVersion:
    """The one version whose hash is ``key`` or starts with it."""
    wanted = key.strip().lower()
    found = [v for v in versions if v.hash == wanted]
    if not found and len(wanted) >= MIN_PREFIX:
        found = [v for v in versions if v.hash.startswith(wanted)]
    if not found:
        raise VersionNotFound(
            f"No definition version {key!r} (give its hash, or at least {MIN_PREFIX} of its "
            "first characters): `leadgate definitions` lists them."
        )
    if len(found) > 1:
        names = ", ".join(v.hash[:12] for v in found)
        raise AmbiguousVersion(f"{key!r} names {len(found)} versions ({names}): give more of it.")
    return found[0]


def activate(store: Store, path: Path, key: str, actor: str, today: dt.date) -> Activation:
    """Make the version ``key`` the project's definition: keep the file's text, write the
    version's in its place (atomically: a reader sees the old file or the new one) and
    record the activation, all or nothing."""
    from ..handoff.stages import check_actor

    check_actor(actor)
    detail = get_version(store, path, key, today)
    if not detail.validation.ok:  # stored texts were valid; a rule of today may not be
        raise DefinitionError(detail.validation.problems, f"version {detail.version.hash[:12]}")
    before = path.read_text(encoding="utf-8") if path.exists() else None
    previous = _keep(store, path, before, today)
    with store.atomic():
        seq = int(store.scalar("SELECT coalesce(max(seq), 0) + 1 FROM definition_activations"))
        store.execute(
            "INSERT INTO definition_activations VALUES (?, ?, ?, ?, ?)",
            [seq, detail.version.hash, previous, actor, store.now()],
        )
        _write(path, detail.source)  # last: a failure before it rolls the record back
    return activations(store, seq)[0]


def activations(store: Store, seq: int | None = None) -> list[Activation]:
    """Every activation, the latest first (or the one numbered ``seq``)."""
    where, params = ("WHERE seq = ?", [seq]) if seq is not None else ("", [])
    rows = store.execute(
        "SELECT seq, definition_hash, previous_hash, actor, activated_at "
        f"FROM definition_activations {where} ORDER BY seq DESC",
        params,
    ).fetchall()
    return [Activation(*row) for row in rows]


def _keep(store: Store, path: Path, before: str | None, today: dt.date) -> str | None:
    """Keep the file's text: a valid one as a version (its hash is returned), an invalid
    one as a copy beside the file."""
    if before is None:
        return None
    try:
        return add_version(store, before, today)
    except DefinitionError:
        stamp = store.now().strftime("%Y%m%dT%H%M%S")
        _write(path.with_name(f"{path.name}.{stamp}.bak"), before)
        return None


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _last_activations(store: Store) -> dict[str, tuple[str, dt.datetime]]:
    rows = store.execute(
        "SELECT definition_hash, arg_max(actor, seq), max(activated_at) "
        "FROM definition_activations GROUP BY 1"
    ).fetchall()
    return {h: (actor, at) for h, actor, at in rows}


def _version(
    row: dict[str, Any],
    stored: bool,
    active: str | None,
    last: dict[str, tuple[str, dt.datetime]],
) -> DefinitionVersion:
    h = row["definition_hash"]
    by, at = last.get(h, (None, None))
    return DefinitionVersion(
        h, row["name"], row["version"], row["created_at"], stored, h == active, by, at
    )


__all__ = [
    "Activation",
    "AmbiguousVersion",
    "DefinitionDetail",
    "DefinitionList",
    "DefinitionVersion",
    "VersionNotFound",
    "activate",
    "activations",
    "add_version",
    "find",
    "get_version",
    "list_versions",
]
