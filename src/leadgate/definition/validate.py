"""Turn a definition's raw data into a :class:`Definition`, reporting every problem at once.

Two passes, both always run: pydantic checks structure and types (here); the semantic pass
checks meaning (expressions, event types, duplicate names, unreachable tiers, review
date; :mod:`.meaning`). Each problem carries the path (``tiers[1].when``), the line and a
hint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from ..errors import Problem
from ..vocabulary import suggest
from . import codes
from .load import Source, join
from .meaning import semantic_problems
from .model import Definition


def _loc_path(loc: Iterable[Any]) -> str:
    path = ""
    for part in loc:
        path = join(path, part)
    return path


def _rule_label(data: Any, path: str) -> str:
    """'rule 'demo request'' for a path inside a named list item, else the path."""
    node: Any = data
    label = ""
    for part in path.replace("]", "").replace("[", ".").split("."):
        if not part:
            continue
        key: Any = int(part) if part.isdigit() else part
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("name") or node.get("type"), str):
            label = str(node.get("name") or node.get("type"))
    return label


def structure_problems(src: Source, exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and "[" in p and "]" in p)]
        path = _loc_path(loc)
        field = str(loc[-1]) if loc else "definition"
        label = _rule_label(src.data, path)
        owner = f" of '{label}'" if label else ""
        got = err.get("input")
        kind = err["type"]
        hint = ""
        if kind == "extra_forbidden":
            parent_fields = _allowed_fields(loc[:-1])
            near = suggest(field, parent_fields)
            message = f"Unknown field '{field}'"
            hint = f"did you mean '{near}'?" if near else "allowed: " + ", ".join(parent_fields)
        elif kind == "missing":
            message = f"'{field}'{owner} is required"
        elif kind in {"float_parsing", "float_type", "int_parsing", "int_type"}:
            message = f"The '{field}'{owner} must be a number. Got {got!r} instead."
        elif kind in {"string_type"}:
            message = f"The '{field}'{owner} must be text. Got {got!r} instead."
        elif kind in {"list_type"}:
            message = f"The '{field}'{owner} must be a list. Got {type(got).__name__} instead."
        elif kind in {"model_type", "model_attributes_type", "dict_type"}:
            message = f"The '{field}'{owner} must be a mapping of keys to values."
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
            message = f"The '{field}'{owner}: {msg}"
            if got is not None and not isinstance(got, (dict, list)):
                message += f". Got {got!r} instead."
        if kind == "greater_than" and field == "cap":
            hint = "a cap is the most points counted: a positive number (-cap for a negative rule)"
        problems.append(
            Problem(message, path=path, line=src.line_of(path), code=codes.STRUCTURE, hint=hint)
        )
    return problems


def _allowed_fields(loc: list[Any]) -> list[str]:
    from . import model

    cls: Any = model.Definition
    for part in loc:
        if isinstance(part, int):
            continue
        info = cls.model_fields.get(part) if hasattr(cls, "model_fields") else None
        if info is None:
            return []
        ann = info.annotation
        args = getattr(ann, "__args__", ()) or ()
        nxt = next((a for a in (ann, *args) if hasattr(a, "model_fields")), None)
        if nxt is None:
            return []
        cls = nxt
    return list(cls.model_fields)


def validate_source(
    src: Source, *, today: dt.date | None = None
) -> tuple[Definition | None, list[Problem]]:
    """Every problem of a loaded source, and the definition when there are no errors.

    ``today`` is the caller's date for the ``review_by`` warning; the library never reads
    the clock, so without it (None) the review date is not checked.
    """
    problems = list(src.problems)
    if src.data is None:
        return None, problems
    if not isinstance(src.data, dict):
        message = "A definition must be a mapping (name:, version:, fit:, ...)"
        problems.append(Problem(message, line=1, code=codes.STRUCTURE))
        return None, problems
    definition: Definition | None = None
    try:
        definition = Definition.model_validate(src.data)
    except ValidationError as exc:
        problems.extend(structure_problems(src, exc))
    problems.extend(semantic_problems(src, today=today))
    if any(p.severity == "error" for p in problems):
        definition = None
    problems.sort(key=lambda p: (p.line or 0, p.path))
    return definition, problems
