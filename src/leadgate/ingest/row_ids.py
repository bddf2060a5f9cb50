"""Ids from row positions, for a lead table that has no id and no email.

A real lead table (UCI's bank marketing file: age, job, ..., ``y``) often names no one: its
rows are leads only by their place in the file. ``id_from_row`` keys each record by that
place: ``lead_id`` is a prefix (by default the file's name without its extensions), ``-``
and the record's number, 1 for the first record after the header. Importing the file as
leads and then as outcomes gives the same ids, so each outcome joins its lead, and
importing it again changes nothing.

The ids are only as stable as the file's order: a re-ordered or filtered copy of the file
gives the same ids to other people, so its outcomes would join the wrong leads. The import
report says the ids came from row positions. A record is numbered among the records read:
a malformed line (a reject) takes no number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import BAD_OPTION, MAPPING_MISFIT, ImportFailed
from .mapping import MappingSpec

# The kinds whose rows name a lead by its id.
KINDS = ("leads", "outcomes")


def with_row_ids(
    kind: str, mapping: MappingSpec | None, path: str | Path, id_from_row: str | bool | None
) -> tuple[MappingSpec | None, str | None]:
    """``mapping`` with ``lead_id`` from the row positions, and the prefix (None: not asked).

    >>> with_row_ids("leads", {}, "data/bank-additional-full.csv", True)
    ({'lead_id': {'row': 'bank-additional-full'}}, 'bank-additional-full')
    """
    if id_from_row is None or id_from_row is False:
        return mapping, None
    if kind not in KINDS:
        raise ImportFailed(f"--id-from-row is for leads and outcomes, not {kind}.", code=BAD_OPTION)
    if "lead_id" in (mapping or {}):
        raise ImportFailed(
            "Key the rows either by a lead_id column or by --id-from-row, not both.",
            code=MAPPING_MISFIT,
        )
    prefix = id_from_row if isinstance(id_from_row, str) and id_from_row else file_stem(path)
    out: dict[str, Any] = dict(mapping or {})
    out["lead_id"] = {"row": prefix}
    return out, prefix


def file_stem(path: str | Path) -> str:
    """The file's name without its extensions.

    >>> file_stem("exports/bank-additional-full.csv.gz")
    'bank-additional-full'
    """
    return Path(path).name.split(".", 1)[0] or Path(path).name


def row_ids_notice(prefix: str) -> str:
    return (
        f"lead ids from row positions: {prefix!r} + '-' + the record's number in the file "
        f"({prefix}-1 is the first record). Import the same file, in the same order, for "
        "its outcomes; a re-ordered or filtered copy would join other leads."
    )
