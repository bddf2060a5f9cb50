"""Which file column feeds which store field.

A mapping is ``{"target": "Source Column"}``; a value may also be ``{"const": "won"}`` for
a field every row shares (Olist's closed deals are all ``outcome = won``). Resolution order
for each target: the explicit mapping, then the preset's headers, then a header that is the
target in snake_case, then a known alias (:data:`leadgate.ingest.kinds.ALIASES`).

>>> snake_case("Country/Region")
'country_region'
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import DEFAULT_NULL_VALUES
from ..errors import (
    BAD_OPTION,
    MAPPING_MISFIT,
    UNKNOWN_MAPPING,
    UNREADABLE_FILE,
    ImportFailed,
)
from ..vocabulary import suggest
from .kinds import ALIASES
from .presets import PRESET_KINDS, PRESETS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MappingSpec = Mapping[str, "str | Mapping[str, Any]"]


def snake_case(name: str) -> str:
    """A header as a column name: lower case, words joined by ``_``.

    >>> snake_case("Number of Employees"), snake_case("LeadSource"), snake_case("  ID ")
    ('number_of_employees', 'lead_source', 'id')
    """
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    text = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()
    if not text:
        return "column"
    return f"c_{text}" if text[0].isdigit() else text


@dataclass
class Resolved:
    """A mapping resolved against one file's columns."""

    sources: dict[str, str] = field(default_factory=dict)  # target → file column
    constants: dict[str, Any] = field(default_factory=dict)  # target → literal
    unmapped: list[str] = field(default_factory=list)  # file columns no target took
    # target → prefix: the value is the prefix, '-' and the record's number in the file
    row_ids: dict[str, str] = field(default_factory=dict)

    def has(self, target: str) -> bool:
        return target in self.sources or target in self.constants or target in self.row_ids


def resolve(
    columns: Iterable[str],
    targets: Iterable[str],
    *,
    kind: str,
    preset: str | None = None,
    mapping: MappingSpec | None = None,
) -> Resolved:
    """Match ``targets`` to the file's ``columns``.

    >>> r = resolve(["Email", "Plan"], ["email", "lead_id"], kind="leads")
    >>> r.sources, r.unmapped
    ({'email': 'Email'}, ['Plan'])
    """
    columns = list(columns)
    targets = list(targets)
    out = Resolved()
    by_snake: dict[str, str] = {}
    for col in columns:
        by_snake.setdefault(snake_case(col), col)
    for target, source in (mapping or {}).items():
        if target not in targets:
            hint = suggest(target, targets)
            raise ImportFailed(
                f"The mapping names {target!r}, which {kind} do not have."
                + (f" Did you mean {hint!r}?" if hint else f" Use one of {', '.join(targets)}."),
                code=MAPPING_MISFIT,
            )
        if isinstance(source, Mapping) and target == "lead_id" and "row" in source:
            out.row_ids[target] = str(source["row"])
        elif isinstance(source, Mapping):
            if "const" not in source:
                raise ImportFailed(
                    f"The mapping of {target!r} must be a column or {{const = ...}}.",
                    code=MAPPING_MISFIT,
                )
            out.constants[target] = source["const"]
        elif source in columns:
            out.sources[target] = source
        else:
            hint = suggest(str(source), columns)
            raise ImportFailed(
                f"The mapping of {target!r} names the column {source!r}, which the file lacks."
                + (f" Did you mean {hint!r}?" if hint else ""),
                code=MAPPING_MISFIT,
            )
    preset_map = _preset(preset, kind)
    for target in targets:
        if out.has(target):
            continue
        candidates = [c for c in preset_map.get(target, ()) if c in columns]
        if not candidates and snake_case(target) in by_snake:
            candidates = [by_snake[target]]
        if not candidates:
            candidates = [by_snake[a] for a in ALIASES.get(target, ()) if a in by_snake]
        # A column another target took by name keeps it (e.g. "domain" is accounts.domain,
        # but may still feed account_id, which is derived from it).
        if candidates:
            out.sources[target] = candidates[0]
    taken = set(out.sources.values())
    out.unmapped = [c for c in columns if c not in taken]
    return out


def _preset(name: str | None, kind: str) -> dict[str, tuple[str, ...]]:
    if name is None:
        return {}
    if name not in PRESETS:
        hint = suggest(name, PRESETS)
        raise ImportFailed(
            f"Unknown preset {name!r}; use one of {', '.join(PRESETS)}."
            + (f" Did you mean {hint!r}?" if hint else ""),
            code=UNKNOWN_MAPPING,
        )
    if PRESET_KINDS[name] != kind:
        raise ImportFailed(
            f"The preset {name!r} is for {PRESET_KINDS[name]}, not {kind}.", code=UNKNOWN_MAPPING
        )
    return PRESETS[name]


def null_values_of(option: Iterable[str] | None, mapping: MappingSpec | None) -> tuple[str, ...]:
    """The placeholders an import reads as "not filled in": ``option`` when given, else the
    mapping's ``null_values``, else :data:`leadgate.config.DEFAULT_NULL_VALUES`.

    >>> null_values_of(None, {"null_values": ["n/a"]}), null_values_of(["?"], None)
    (('n/a',), ('?',))
    """
    chosen = option if option is not None else (mapping or {}).get("null_values")
    if chosen is None:
        return DEFAULT_NULL_VALUES
    if isinstance(chosen, str) or not all(isinstance(v, str) for v in chosen):
        raise ImportFailed(
            f"null_values must be a list of texts, e.g. ['N/A', '-']; got {chosen!r}.",
            code=BAD_OPTION,
        )
    return tuple(chosen)


def parse_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """``["email=E-mail", "ts=When"]`` (the CLI's ``--map``) as a mapping.

    >>> parse_pairs(["email=E-mail"])
    {'email': 'E-mail'}
    """
    out = {}
    for pair in pairs:
        target, sep, source = pair.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise ImportFailed(f"--map wants target=Source Column, got {pair!r}.", code=BAD_OPTION)
        out[target.strip()] = source.strip()
    return out


def load_mappings(path: str | Path) -> dict[str, dict[str, Any]]:
    """The ``[mappings.NAME]`` tables of a TOML file (``leadgate.toml`` or a mapping file).

    Besides column names a mapping may hold ``kind = "leads"``, the kind it is meant for,
    ``null_values``, the placeholders that mean "not filled in" (see
    :func:`null_values_of`), and ``values``, value maps per field (see :mod:`.values`).
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ImportFailed(
            f"Cannot read the mappings in {path}: {exc}", code=UNREADABLE_FILE
        ) from exc
    mappings = data.get("mappings", {})
    if not isinstance(mappings, dict):
        raise ImportFailed(f"{path}: [mappings] must be a table of tables.", code=MAPPING_MISFIT)
    return {str(k): dict(v) for k, v in mappings.items()}
