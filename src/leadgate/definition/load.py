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
        src = Source("", name=name)
        src.problems.append(
            Problem(
                f"The file is {len(raw):,} bytes; a definition may be at most {MAX_BYTES:,}",
                code="LG101",
                hint="a definition this large is almost certainly not one",
            )
        )
        return src
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        src = Source("", name=name)
        src.problems.append(
            Problem(
                f"The file is not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start})",
                line=line,
                code="LG102",
                hint="save it as UTF-8",
            )
        )
        return src
    return parse_yaml(text, name)


def load_source(path: str | Path) -> Source:
    p = Path(path)
    if p.stat().st_size > MAX_BYTES:
        return read_text(b"x" * (MAX_BYTES + 1), str(p))
    return read_text(p.read_bytes(), str(p))


def parse_yaml(text: str, name: str = "") -> Source:
    src = Source(text, name=name)
    if "\x00" in text:
        src.problems.append(Problem("The file contains NUL characters", code="LG102"))
        return src
    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                src.problems.append(
                    Problem(
                        "Anchors and aliases (&, *) are not allowed in a definition",
                        line=event.start_mark.line + 1,
                        code="LG103",
                        hint="write each value out; it keeps the file readable for both teams",
                    )
                )
                return src
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    src.problems.append(
                        Problem(
                            f"The file nests deeper than {MAX_DEPTH} levels",
                            line=event.start_mark.line + 1,
                            code="LG103",
                        )
                    )
                    return src
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        src.problems.append(
            Problem(
                f"YAML syntax: {exc.problem or exc.context}",
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
                code="LG104",
                hint="check the indentation and quoting around that line",
            )
        )
        return src
    except yaml.YAMLError as exc:
        src.problems.append(Problem(f"YAML syntax: {exc}", code="LG104"))
        return src
    if node is None:
        src.problems.append(Problem("The file is empty", code="LG105"))
        return src
    src.data = _build(node, "", src, yaml.SafeLoader(""))
    return src


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
                    Problem("A key must be a plain word", path=path, line=line, code="LG106")
                )
                continue
            if key in seen:
                src.problems.append(
                    Problem(
                        f"Duplicate key '{key}' (first on line {seen[key]})",
                        path=join(path, key),
                        line=line,
                        code="LG107",
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
