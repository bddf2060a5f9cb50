"""Value maps: a CRM's words for a field, translated to leadgate's as the file is read.

HubSpot writes a contact's lifecycle stage as ``Marketing Qualified Lead`` (or, in an API
export, ``marketingqualifiedlead``); Salesforce writes a lead's status as ``Working -
Contacted``; a lead table writes its outcome as ``1`` or ``yes``. A value map says what each
of them is in leadgate's vocabulary (``mql``, ``sal``, ``won``), per target field:

* in a mapping of ``leadgate.toml``: ``[mappings.NAME.values.stage]`` with
  ``"Marketing Qualified Lead" = "mql"``;
* on the command line: ``--value 'stage:Marketing Qualified Lead=mql'`` (repeatable: the
  field, a colon, the file's value, ``=`` and leadgate's value);
* in Python: ``values={"stage": {"Marketing Qualified Lead": "mql"}}``.

A preset ships the standard map of its CRM; a mapping's and the import's own entries are
laid over it, value by value. Source values match whatever their case and spacing
(``' marketing  QUALIFIED lead'`` is ``Marketing Qualified Lead``). A value of a mapped
column that the map does not know rejects its row, and the reject lists what the map knows;
a blank cell (or a placeholder such as ``N/A``) stays missing. The lookup is one MAP literal
per field in the staging statement: no Python per row.

``outcome`` of an outcomes file always has a map: :data:`DEFAULT_OUTCOME_VALUES` unless the
import gives its own, so a lead table's 0/1, true/false, yes/no or Won/Lost column imports
as it is. ``stage`` of a leads file always has one too: leadgate's stage words (in any case
and spacing, ``MQL`` is ``mql``) unless the import maps it, so a stage leadgate does not know
(``bogus``, ``Closed``) rejects its row, saying which words it takes, instead of being
stored as a stage no move can leave.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import BAD_VALUE_MAP, ImportFailed
from ..vocabulary import STAGES, suggest
from .kinds import OUTCOMES
from .mapping import Resolved, snake_case
from .readers import quote_literal

#: The words a mapped value must be one of, for the fields that have a vocabulary.
VOCABULARIES: dict[str, tuple[str, ...]] = {"stage": STAGES, "outcome": OUTCOMES}

#: How an outcomes file's ``outcome`` column is read when the import maps none: leadgate's
#: own words as they are, and the usual ways a lead table says converted or not.
DEFAULT_OUTCOME_VALUES: dict[str, str] = {
    **{o: o for o in OUTCOMES},
    "1": "won",
    "0": "lost",
    "true": "won",
    "false": "lost",
    "yes": "won",
    "no": "lost",
    "closed won": "won",
    "closed lost": "lost",
}

# What counts as space between words: the ASCII blanks (the same class in Python and SQL).
_SPACE = "[ \t\n\r\f\v]+"


def value_key(value: str) -> str:
    """A source value as the map compares it: lower case, blanks trimmed and collapsed.

    >>> value_key("  Marketing   Qualified\\tLead ")
    'marketing qualified lead'
    """
    return re.sub(_SPACE, " ", value).strip(" ").lower()


def key_sql(text: str) -> str:
    """SQL of :func:`value_key` over the text expression ``text``."""
    return f"lower(trim(regexp_replace({text}, {quote_literal(_SPACE)}, ' ', 'g')))"


@dataclass(frozen=True)
class ValueMap:
    """One field's map: each source value (as :func:`value_key` has it) to leadgate's.

    ``shown`` keeps each source value as it was written, for messages.
    """

    target: str
    entries: dict[str, str]
    shown: tuple[str, ...] = ()
    # Whether the import or its mapping gave (part of) it, not only a preset or the default.
    stated: bool = False
    # Whether it is only leadgate's own words (the default of ``stage``): the column holds
    # them already, so it is not kept again as a custom attribute.
    own_words: bool = False

    def lookup_sql(self, text: str) -> str:
        """SQL: leadgate's value for the text ``text``, NULL when the map lacks it.

        The value is looked up as it is in lower case first: most files write one
        spelling of each, and the full normalisation (a regular expression) then runs
        only for the odd cell.
        """
        pairs = ", ".join(
            f"{quote_literal(k)}: {quote_literal(v)}" for k, v in self.entries.items()
        )
        table = f"MAP {{{pairs}}}"
        return (
            f"coalesce(map_extract({table}, lower({text}))[1], "
            f"map_extract({table}, {key_sql(text)})[1])"
        )

    def reason(self) -> str:
        """A reject's reason for a value the map lacks: what it knows, and what to do."""
        known = ", ".join(f"'{k}'" for k in self.shown or self.entries)
        if self.own_words:
            return (
                f"not one of leadgate's {self.target}s ({known}, in any case); write one of "
                f"them, or map the file's word, e.g. --value '{self.target}:Closed=lost'"
            )
        return (
            f"not a value the map of {self.target} knows ({known}); add it to the map, "
            f"e.g. --value '{self.target}:VALUE={next(iter(self.entries.values()))}'"
        )


def parse_value_pairs(pairs: Iterable[str]) -> dict[str, dict[str, str]]:
    """``["stage:Marketing Qualified Lead=mql"]`` (the CLI's ``--value``) as value maps.

    The field ends at the first ``:``, leadgate's value starts after the last ``=``, so a
    source value may hold either.

    >>> parse_value_pairs(["stage:Open - Not Contacted=lead", "outcome:1=won"])
    {'stage': {'Open - Not Contacted': 'lead'}, 'outcome': {'1': 'won'}}
    """
    out: dict[str, dict[str, str]] = {}
    for pair in pairs:
        target, colon, rest = pair.partition(":")
        source, equals, value = rest.rpartition("=")
        if not colon or not equals or not target.strip() or not source.strip():
            raise ImportFailed(
                f"--value wants FIELD:File value=leadgate value, e.g. "
                f"'stage:Marketing Qualified Lead=mql'; got {pair!r}.",
                code=BAD_VALUE_MAP,
            )
        out.setdefault(target.strip(), {})[source.strip()] = value.strip()
    return out


def value_maps_of(
    kind: str,
    preset_values: Mapping[str, Mapping[str, str]] | None,
    mapping_values: Any,
    option: Mapping[str, Mapping[str, str]] | None,
) -> dict[str, ValueMap]:
    """The value maps of one import: the preset's, then the mapping's ``values``, then the
    import's own, laid over each other value by value; an outcomes file's ``outcome``
    starts from :data:`DEFAULT_OUTCOME_VALUES` when none of them maps it."""
    layers = [preset_values or {}, _checked_table(mapping_values), option or {}]
    merged: dict[str, dict[str, str]] = {}
    shown: dict[str, dict[str, str]] = {}
    stated = {str(t) for layer in layers[1:] for t in layer}
    for layer in layers:
        for target, table in layer.items():
            entries = _layer_entries(str(target), _checked_table(table, f"values.{target}"))
            merged.setdefault(str(target), {}).update(entries)
            shown.setdefault(str(target), {}).update({value_key(s): s for s in table})
    if kind == "outcomes" and "outcome" not in merged:
        merged["outcome"] = dict(DEFAULT_OUTCOME_VALUES)
        shown["outcome"] = {k: k for k in DEFAULT_OUTCOME_VALUES}
    own = kind == "leads" and not merged.get("stage")
    if own:
        merged["stage"] = {s: s for s in STAGES}
        shown["stage"] = {s: s for s in STAGES}
    return {
        t: ValueMap(t, entries, tuple(shown[t].values()), t in stated, own and t == "stage")
        for t, entries in merged.items()
        if entries
    }


def fit_value_maps(
    maps: dict[str, ValueMap], resolved: Resolved, types: Mapping[str, str]
) -> dict[str, ValueMap]:
    """The maps that apply to this file: those whose field has a column in it.

    A map the import states for a field it has no column for, or for a field that is not
    text, is an error; a preset's map for a column the file lacks is left out.
    """
    out = {}
    for target, vmap in maps.items():
        if target not in types:
            hint = suggest(target, types)
            raise ImportFailed(
                f"A value map names {target!r}, which is no field of this import."
                + (f" Did you mean {hint!r}?" if hint else ""),
                code=BAD_VALUE_MAP,
            )
        if types[target] != "VARCHAR":
            raise ImportFailed(
                f"A value map translates text; {target} holds {types[target]} values.",
                code=BAD_VALUE_MAP,
            )
        if target in resolved.sources:
            out[target] = vmap
        elif vmap.stated and target not in resolved.constants:
            raise ImportFailed(
                f"The value map of {target} has no column to translate: the file has no "
                f"{target} column; map one with --map {target}=<column>.",
                code=BAD_VALUE_MAP,
            )
    return out


def keep_mapped_columns(
    resolved: Resolved, maps: Mapping[str, ValueMap], columns: Iterable[str], fields: Container[str]
) -> dict[str, str]:
    """Keep each mapped column as it is too, as a custom attribute named after its header
    (``Lifecycle Stage`` → ``lifecycle_stage``), so the CRM's own word stays visible beside
    leadgate's and nothing the file said is lost. A header that reads as the field itself
    (``Stage`` for stage) is kept as ``stage_raw``.

    Returns the names that differ from the header's, for :func:`.columns.infer_extras`.
    """
    keep = set(resolved.unmapped)
    names: dict[str, str] = {}
    for target, vmap in maps.items():
        if vmap.own_words:
            continue
        col = resolved.sources[target]
        name = snake_case(col)
        if name == target:
            name = names[col] = f"{target}_raw"
        if name in fields:  # kept by an earlier import: a field of the table now
            resolved.sources.setdefault(name, col)
        else:
            keep.add(col)
    resolved.unmapped = [c for c in columns if c in keep]
    return names


def _checked_table(table: Any, where: str = "values") -> Mapping[str, Any]:
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise ImportFailed(
            f"{where} must be a table ({{field = {{'File value' = 'leadgate value'}}}}); "
            f"got {table!r}.",
            code=BAD_VALUE_MAP,
        )
    return table


def _layer_entries(target: str, table: Mapping[str, Any]) -> dict[str, str]:
    """One layer's entries for ``target``, checked: text on both sides, a known word where
    the field has a vocabulary, and no two spellings of one source value that disagree."""
    entries: dict[str, str] = {}
    for source, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise ImportFailed(
                f"The value map of {target} maps {source!r} to {value!r}; map it to a text.",
                code=BAD_VALUE_MAP,
            )
        value = value.strip()
        words = VOCABULARIES.get(target)
        if words is not None and value not in words:
            hint = suggest(value, words)
            raise ImportFailed(
                f"The value map of {target} maps {source!r} to {value!r}, which is no "
                f"{target} leadgate knows; use one of {', '.join(words)}."
                + (f" Did you mean {hint!r}?" if hint else ""),
                code=BAD_VALUE_MAP,
            )
        key = value_key(str(source))
        if not key:
            raise ImportFailed(
                f"The value map of {target} has an empty source value; a blank cell is "
                "missing, not a value to map.",
                code=BAD_VALUE_MAP,
            )
        if entries.get(key, value) != value:
            raise ImportFailed(
                f"The value map of {target} maps {source!r} to {value!r} and another spelling "
                f"of it to {entries[key]!r}; values match whatever their case and spacing.",
                code=BAD_VALUE_MAP,
            )
        entries[key] = value
    return entries
