"""The definition pages: the active definition with its versions, a diff between any two,
and the comparison of two versions on the same history (before one is activated).

Every figure comes from a :class:`~leadgate.project.Project` call: the matrix
(:mod:`leadgate.publish`), the versions and activations (:meth:`Project.definitions`),
coverage (:meth:`Project.coverage`) and the comparison (:meth:`Project.compare`, which
reads definition files: the two versions' texts are written to a temporary folder for it).

Activating from the dashboard needs a comparison first: marketing activates a version from
the page that shows how it differs from the active one on the same history
(:class:`CompareFirst` otherwise).
"""

from __future__ import annotations

import datetime as dt
import difflib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..analytics.compare import CompareResult
from ..errors import LeadgateError
from ..project import Project
from ..publish import Section, header, sections
from ..results import plain


class CompareFirst(LeadgateError, ValueError):
    """An activation from the dashboard without a comparison with the active version."""

    code = "LG920"


class SameVersion(LeadgateError, ValueError):
    """A comparison of a version with itself."""

    code = "LG921"


class NoVersion(LeadgateError, LookupError):
    """The project has no definition version to show yet."""

    code = "LG922"


@dataclass(frozen=True)
class DefinitionPage:
    """The active definition as the matrix ``leadgate publish`` makes, every version with
    who activated it and when, and each rule's coverage (leads it could not judge)."""

    name: str
    definition_hash: str
    header: list[str]
    sections: list[Section]
    versions: dict[str, Any]
    coverage: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "definition_hash": self.definition_hash,
            "header": self.header,
            "sections": [
                {"title": s.title, "note": s.note, "headers": s.headers, "rows": s.rows}
                for s in self.sections
            ],
            "versions": self.versions["versions"],
            "activations": self.versions["activations"],
            "coverage": self.coverage,
        }


def definition_page(project: Project) -> DefinitionPage:
    compiled = project.compiled()
    coverage = [r.as_dict() for r in project.coverage().rules]
    coverage.sort(key=lambda r: -r["not_judged_after"])
    return DefinitionPage(
        compiled.definition.name,
        compiled.hash,
        header(compiled, project.clock.today()),
        sections(compiled),
        project.definitions().as_dict(),
        coverage,
    )


@dataclass(frozen=True)
class DiffPage:
    """The lines that differ between version ``a`` and version ``b`` (a unified diff)."""

    a: dict[str, Any]
    b: dict[str, Any]
    lines: list[dict[str, str]]

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "lines": self.lines}


def diff_page(project: Project, a: str, b: str) -> DiffPage:
    """The diff from version ``a`` to version ``b`` (hashes or prefixes of 6 or more)."""
    old, new = project.definition_version(a), project.definition_version(b)
    return DiffPage(
        old.version.as_dict(),
        new.version.as_dict(),
        diff_lines(old.source, new.source, old.version.hash[:12], new.version.hash[:12]),
    )


def diff_lines(old: str, new: str, old_name: str, new_name: str) -> list[dict[str, str]]:
    """A unified diff as lines, each ``{"kind": "add"|"del"|"same"|"hunk", "text"}``.

    >>> [line["kind"] for line in diff_lines("a\\nb\\n", "a\\nc\\n", "x", "y")]
    ['hunk', 'same', 'del', 'add']
    """
    raw = difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=3
    )
    lines = [diff_line(line) for line in raw]
    return [line for line in lines if line["kind"] != "file"]


def diff_line(line: str) -> dict[str, str]:
    """One line of a unified diff as ``{"kind", "text"}``: ``file`` (a ---/+++ header),
    ``hunk``, ``add``, ``del`` or ``same``; the text without its +/- mark.

    >>> diff_line("+  points: 10")
    {'kind': 'add', 'text': '  points: 10'}
    """
    if line.startswith(("---", "+++")):
        return {"kind": "file", "text": line}
    kind = {"@": "hunk", "+": "add", "-": "del"}.get(line[:1], "same")
    return {"kind": kind, "text": line if kind == "hunk" else line[1:]}


@dataclass(frozen=True)
class ComparePage:
    """Version ``a`` against version ``b`` on the same history, computed at ``at``."""

    a: dict[str, Any]
    b: dict[str, Any]
    step: str
    at: dt.datetime
    result: CompareResult

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "step": self.step,
            "at": plain(self.at),
            "result": self.result.as_dict(),
        }


def compare_versions(project: Project, a: str, b: str, *, step: str = "week") -> ComparePage:
    """Backtest versions ``a`` and ``b`` over the same days (a week apart by default: a
    year of days on a large store takes minutes) and compare them."""
    old, new = project.definition_version(a), project.definition_version(b)
    if old.version.hash == new.version.hash:
        raise SameVersion(f"Version {a!r} and {b!r} are the same version: choose two.")
    with tempfile.TemporaryDirectory(prefix="leadgate-compare-") as folder:
        paths = []
        for name, detail in (("a", old), ("b", new)):
            path = Path(folder) / f"{name}.yaml"
            path.write_text(detail.source, encoding="utf-8")
            paths.append(path)
        result = project.compare(paths[0], paths[1], step=step)
    return ComparePage(
        old.version.as_dict(), new.version.as_dict(), step, project.clock.now(), result
    )


def check_compared(project: Project, kept: ComparePage | None, key: str) -> str:
    """The full hash of version ``key``, if ``kept`` compares the active version with it;
    else :class:`CompareFirst` saying what to do."""
    wanted = project.definition_version(key).version
    active = project.definitions().active_hash
    if kept is None or kept.a["hash"] != active or kept.b["hash"] != wanted.hash:
        raise CompareFirst(
            f"Compare version {wanted.hash[:12]} with the active one first (Compare page, "
            "Run), read what changes, then activate it from there."
        )
    return wanted.hash


def default_pair(listing: dict[str, Any]) -> tuple[str | None, str | None]:
    """The active version and the newest other one (what someone about to activate
    compares), or None where there is none."""
    active = listing["active_hash"]
    other = next((v["hash"] for v in listing["versions"] if v["hash"] != active), None)
    return active, other


def versions_and_pair(
    project: Project, a: str | None, b: str | None
) -> tuple[dict[str, Any], str, str]:
    """The versions listing, and ``a`` and ``b`` as asked or the :func:`default_pair`
    where not given (a project with one version pairs it with itself: an empty diff)."""
    listing = project.definitions().as_dict()
    first, second = default_pair(listing)
    a = a or first or second
    b = b or second or a
    if a is None or b is None:
        raise NoVersion(
            "No definition version yet: write definition.yaml (`leadgate init`) or upload one."
        )
    return listing, a, b


__all__ = [
    "CompareFirst",
    "ComparePage",
    "DefinitionPage",
    "DiffPage",
    "NoVersion",
    "SameVersion",
    "check_compared",
    "compare_versions",
    "default_pair",
    "definition_page",
    "diff_line",
    "diff_lines",
    "diff_page",
    "versions_and_pair",
]
