"""Turn a definition's raw data into a :class:`Definition`, reporting every problem at once.

Two passes, both always run: pydantic checks structure and types; the semantic pass
checks meaning (expressions, event types, duplicate names, unreachable tiers, review
date). Each problem carries the path (``tiers[1].when``), the line and a hint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from ..errors import ExpressionError, Problem
from ..expr.check import Scope, check
from ..vocabulary import STANDARD_EVENT_TYPES, suggest
from .fields import account_fields, lead_fields
from .load import Source, join
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
        problems.append(
            Problem(message, path=path, line=src.line_of(path), code="LG110", hint=hint)
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


def _items(data: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _group(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def semantic_problems(src: Source, *, today: dt.date | None = None) -> list[Problem]:
    """Meaning checks on the raw data; robust to structure errors found elsewhere."""
    data = src.data if isinstance(src.data, dict) else {}
    out: list[Problem] = []

    def add(message: str, path: str, code: str, hint: str = "", severity: str = "error") -> None:
        out.append(
            Problem(
                message, path=path, line=src.line_of(path), code=code, hint=hint, severity=severity
            )
        )

    declared = [t for t in data.get("event_types") or [] if isinstance(t, str)]
    event_types = frozenset(STANDARD_EVENT_TYPES) | frozenset(declared)
    attrs = data.get("attributes") if isinstance(data.get("attributes"), dict) else {}
    acct = data.get("account_attributes")
    acct = acct if isinstance(acct, dict) else {}
    fields = {**lead_fields(attrs), **account_fields(acct)}
    fit_scope = Scope(fields, event_types, allow_scores=False)
    score_scope = Scope(fields, event_types, allow_scores=True)

    for i, name in enumerate(declared):
        if name in STANDARD_EVENT_TYPES:
            add(
                f"'{name}' is a standard event type already",
                f"event_types[{i}]",
                "LG120",
                severity="warning",
            )

    def check_expr(expr: Any, path: str, scope: Scope) -> None:
        if not isinstance(expr, str) or not expr.strip():
            return  # structure pass reports it
        try:
            check(expr, scope)
        except ExpressionError as exc:
            col = (
                f" (at character {exc.position + 1} of the expression)"
                if (exc.position is not None)
                else ""
            )
            add(exc.message + col, path, "LG200", exc.hint)

    def unique(items: list[tuple[int, dict[str, Any]]], key: str, where: str) -> None:
        seen: dict[str, int] = {}
        for i, item in items:
            name = item.get(key)
            if not isinstance(name, str):
                continue
            if name in seen:
                add(
                    f"Duplicate {key} '{name}' (also {where}[{seen[name]}])",
                    f"{where}[{i}].{key}",
                    "LG121",
                    "each must have its own name",
                )
            else:
                seen[name] = i

    fit_rules = _items(_group(data, "fit"), "rules")
    unique(fit_rules, "name", "fit.rules")
    for i, rule in fit_rules:
        check_expr(rule.get("when"), f"fit.rules[{i}].when", fit_scope)

    events = _items(_group(data, "engagement"), "events")
    unique(events, "type", "engagement.events")
    for i, rule in events:
        etype = rule.get("type")
        if isinstance(etype, str) and etype not in event_types:
            near = suggest(etype, event_types)
            add(
                f"Unknown event type '{etype}'",
                f"engagement.events[{i}].type",
                "LG122",
                f"did you mean '{near}'?" if near else "declare it under 'event_types:'",
            )

    dqs = _items(data, "disqualifiers")
    unique(dqs, "name", "disqualifiers")
    for i, rule in dqs:
        check_expr(rule.get("when"), f"disqualifiers[{i}].when", score_scope)

    tiers = _items(data, "tiers")
    unique(tiers, "name", "tiers")
    earlier: dict[str, int] = {}
    for i, tier in tiers:
        when = tier.get("when")
        check_expr(when, f"tiers[{i}].when", score_scope)
        norm = " ".join(str(when).split()).lower()
        if norm in earlier:
            add(
                f"Tier '{tier.get('name')}' can never be reached: tier "
                f"'{tiers[earlier[norm]][1].get('name')}' above it has the same condition",
                f"tiers[{i}]",
                "LG123",
                "tiers are tried in order and the first match wins",
            )
        elif "true" in earlier:
            add(
                f"Tier '{tier.get('name')}' can never be reached: a tier above it always matches",
                f"tiers[{i}]",
                "LG123",
            )
        earlier.setdefault(norm, i)

    score = _group(data, "score")
    if score.get("method") == "weighted":
        if not isinstance(score.get("weights"), dict):
            add(
                "A weighted score needs 'weights' for fit and engagement",
                "score",
                "LG124",
                "e.g. weights: {fit: 60, engagement: 40}",
            )
        for group in ("fit", "engagement"):
            if not _group(data, group).get("cap"):
                add(
                    f"A weighted score needs a 'cap' on {group}: weights scale each group "
                    "from its cap",
                    f"{group}",
                    "LG124",
                )

    for key, bound in (("grades", "min_fit"), ("bands", "min_engagement")):
        items = _items(data, key)
        values = [item.get(bound) for _, item in items]
        numeric = [v for v in values if isinstance(v, (int, float))]
        if numeric != sorted(numeric, reverse=True):
            add(
                f"The {key} must go from the highest '{bound}' to the lowest",
                key,
                "LG125",
                "they are tried in order",
            )
        if items and values[-1] is not None:
            add(
                f"The last of the {key} needs no '{bound}': it is the catch-all",
                key,
                "LG125",
                severity="warning",
            )

    review = data.get("review_by")
    if today is not None and isinstance(review, dt.date) and review < today:
        add(
            f"The definition was due for review with sales on {review.isoformat()}",
            "review_by",
            "LG130",
            "agree the next version and move review_by forward",
            severity="warning",
        )
    return out


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
        problems.append(
            Problem(
                "A definition must be a mapping (name:, version:, fit:, ...)", line=1, code="LG110"
            )
        )
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
