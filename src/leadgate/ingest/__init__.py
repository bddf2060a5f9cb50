"""The import path: CSV, JSON Lines and Parquet files into the project store.

>>> from leadgate.store import Store
>>> from leadgate.ingest import import_file
>>> store = Store(":memory:")  # doctest: +SKIP
>>> import_file(store, "contacts.csv", "leads", preset="hubspot_contacts")  # doctest: +SKIP

See :func:`import_file` for the contract and :mod:`leadgate.ingest.loader` for how a file
moves through staging and batches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .kinds import BATCH_ROWS, KINDS, OUTCOMES
from .mapping import load_mappings, parse_pairs, snake_case
from .presets import PRESETS
from .readers import FORMATS, detect_format
from .report import ImportReport, Reject

if TYPE_CHECKING:
    from .loader import import_file


def __getattr__(name: str) -> Any:
    """``import_file`` loads the import machinery (and enrichment) on first use only, so
    that commands which never import a file (``leadgate score``) start faster."""
    if name == "import_file":
        from .loader import import_file

        return import_file
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BATCH_ROWS",
    "FORMATS",
    "KINDS",
    "OUTCOMES",
    "PRESETS",
    "ImportReport",
    "Reject",
    "detect_format",
    "import_file",
    "load_mappings",
    "parse_pairs",
    "snake_case",
]
