"""The MQL definition: load (YAML with line marks), model, validate, compile (hash).

>>> d = load_definition(text="name: demo\\nversion: '1'\\nfit:\\n  rules:\\n"
...     "    - {name: big, when: company_size >= 50, points: 10}\\n")
>>> compile_definition(d).fit_rules[0].cents
1000
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DefinitionError, Problem
from .compile import (
    CompiledDefinition,
    compile_definition,
    definition_hash,
    dump_yaml,
)
from .load import Source, load_source, parse_yaml, read_text
from .model import Definition
from .validate import validate_source


@dataclass
class Validation:
    """What ``leadgate validate`` reports: the definition (if valid) and every problem."""

    source: str
    definition: Definition | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return self.definition is not None and not self.errors

    def as_dict(self) -> dict[str, Any]:
        """What ``leadgate validate --json`` prints: the file, whether it is valid, its hash
        (when valid) and every problem."""
        valid = self.ok and self.definition is not None
        return {
            "file": self.source,
            "valid": valid,
            "hash": definition_hash(self.definition) if valid and self.definition else None,
            "problems": [asdict(p) for p in self.problems],
        }


def validate(
    path: str | Path | None = None, *, text: str | bytes | None = None, today: dt.date | None = None
) -> Validation:
    """Validate a definition file (or text) and return every problem at once.

    ``today`` turns on the ``review_by`` warning (LG130): the caller passes its own date,
    since the library never reads the clock. Without it the review date is not checked.
    """
    if text is not None:
        raw = text.encode() if isinstance(text, str) else text
        src: Source = read_text(raw, "<text>")
    elif path is not None:
        src = load_source(path)
    else:
        raise TypeError("validate() needs a path or text")
    definition, problems = validate_source(src, today=today)
    return Validation(src.name, definition, problems)


def load_definition(
    path: str | Path | None = None, *, text: str | bytes | None = None, today: dt.date | None = None
) -> Definition:
    """Load and validate a definition; raise :class:`DefinitionError` with every problem."""
    result = validate(path, text=text, today=today)
    if not result.ok or result.definition is None:
        raise DefinitionError(result.problems, result.source)
    return result.definition


def load_compiled(
    path: str | Path | None = None, *, text: str | bytes | None = None
) -> CompiledDefinition:
    """Load, validate and compile in one step."""
    return compile_definition(load_definition(path, text=text))


__all__ = [
    "CompiledDefinition",
    "Definition",
    "Validation",
    "compile_definition",
    "definition_hash",
    "dump_yaml",
    "load_compiled",
    "load_definition",
    "parse_yaml",
    "validate",
]
