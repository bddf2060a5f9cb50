"""Read a definition's YAML safely, keeping the line of every value.

PyYAML's composer gives nodes with marks; we build plain Python values from them ourselves
so that we can (1) remember ``path → line`` for error messages, (2) report duplicate keys,
which PyYAML silently merges, and (3) refuse what a definition never needs and an attacker
likes: anchors/aliases (billion-laughs), deep nesting, huge or non-UTF-8 files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem
from . import codes

MAX_BYTES = 1_000_000
MAX_DEPTH = 24


@dataclass
class Source:
    """A definition file as read: its raw data, where each value was, and what went wrong."""

    text: str
    data: Any = None
    lines: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    name: str = ""

    def line_of(self, path: str) -> int | None:
        """The line of ``path`` or of its nearest enclosing value."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""


def join(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def read_text(raw: bytes, name: str = "") -> Source:
    """Decode bytes as UTF-8, with a clear problem (and line) when they are not."""
    if len(raw) > MAX_BYTES:
        return _too_large(len(raw), name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return _refused(
            name,
            Problem(
                f"The file is not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start})",
                line=line,
                code=codes.NOT_TEXT,
                hint="save it as UTF-8",
            ),
        )
    return parse_yaml(text, name)


def load_source(path: str | Path) -> Source:
    """Read a definition file: a missing, unreadable or oversized file is a problem of the
    source (like any other), so ``validate`` reports it and ``load_definition`` raises
    :class:`~leadgate.errors.DefinitionError`, never a bare ``OSError``."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            # Not read at all: the real size is all the message needs.
            return _too_large(size, str(p))
        raw = p.read_bytes()
    except FileNotFoundError:
        return _refused(
            str(p),
            Problem(
                f"No definition file at {p}; create one with `leadgate init` "
                "or point `definition =` in leadgate.toml at yours",
                code=codes.NO_FILE,
            ),
        )
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return _refused(
            str(p),
            Problem(
                f"Cannot read the definition file at {p}: {reason}",
                code=codes.UNREADABLE,
                hint="a definition is one YAML file the user running leadgate can read",
            ),
        )
    return read_text(raw, str(p))


def _too_large(size: int, name: str) -> Source:
    return _refused(
        name,
        Problem(
            f"The file is {size:,} bytes; a definition may be at most {MAX_BYTES:,}",
            code=codes.TOO_LARGE,
            hint="a definition this large is almost certainly not one",
        ),
    )


def _refused(name: str, problem: Problem) -> Source:
    """A source that could not be read as text at all: no data, one problem."""
    src = Source("", name=name)
    src.problems.append(problem)
    return src


def parse_yaml(text: str, name: str = "") -> Source:
    """Parse YAML text into a :class:`Source`: its data and lines, or the problem that
    stopped it (refused constructs, syntax, an empty file)."""
    src = Source(text, name=name)
    tree = _compose(text)
    if isinstance(tree, Problem):
        src.problems.append(tree)
    else:
        try:
            src.data = _build(tree, "", src, yaml.SafeLoader(""))
        except yaml.constructor.ConstructorError as exc:  # e.g. a bare "=" (YAML's value tag)
            mark = exc.problem_mark or exc.context_mark
            src.problems.append(
                Problem(
                    f"YAML syntax: {exc.problem or exc.context}",
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                    code=codes.YAML_SYNTAX,
                    hint="quote the value on that line",
                )
            )
    return src


def _compose(text: str) -> yaml.Node | Problem:
    """The YAML tree of ``text``, or the one problem that stops it from being built."""
    if "\x00" in text:
        return Problem("The file contains NUL characters", code=codes.NOT_TEXT)
    try:
        # Scan the events first: a billion-laughs file must be refused before it is built.
        refused = _refused_construct(text)
        if refused is not None:
            return refused
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return Problem(
            f"YAML syntax: {exc.problem or exc.context}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            code=codes.YAML_SYNTAX,
            hint="check the indentation and quoting around that line",
        )
    except yaml.YAMLError as exc:
        return Problem(f"YAML syntax: {exc}", code=codes.YAML_SYNTAX)
    if node is None:
        return Problem("The file is empty", code=codes.EMPTY)
    return node


def _refused_construct(text: str) -> Problem | None:
    """The first anchor, alias or too-deep nesting in ``text``: YAML a definition never
    needs and an attacker likes."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return Problem(
                "Anchors and aliases (&, *) are not allowed in a definition",
                line=line,
                code=codes.REFUSED_YAML,
                hint="write each value out; it keeps the file readable for both teams",
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                message = f"The file nests deeper than {MAX_DEPTH} levels"
                return Problem(message, line=line, code=codes.REFUSED_YAML)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return None


def _build(node: yaml.Node, path: str, src: Source, loader: yaml.SafeLoader) -> Any:
    src.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = (
                _build(key_node, "", src, loader) if isinstance(key_node, yaml.ScalarNode) else None
            )
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool)) or key is None:
                src.problems.append(
                    Problem("A key must be a plain word", path=path, line=line, code=codes.BAD_KEY)
                )
                continue
            if key in seen:
                src.problems.append(
                    Problem(
                        f"Duplicate key '{key}' (first on line {seen[key]})",
                        path=join(path, key),
                        line=line,
                        code=codes.DUPLICATE_KEY,
                        hint="YAML would silently keep only the last one",
                    )
                )
                continue
            seen[key] = line
            child = join(path, key)
            src.lines[child] = line
            out[key] = _build(value_node, child, src, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            items.append(_build(item, join(path, i), src, loader))
        return items
    return loader.construct_object(node, deep=True)
