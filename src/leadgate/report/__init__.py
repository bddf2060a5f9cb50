"""``leadgate report``: one self-contained HTML file with the funnel, cohorts, lift, score
deciles, reliability curve and backtest comparison. Tables in :mod:`.tables`, drawing in
:mod:`.svg` and :mod:`.html`, the choice of analyses in :mod:`.build`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .html import render
from .tables import Chart, ReportData, Table


@dataclass(frozen=True)
class Report:
    """What :meth:`Project.report` returns: where the file is, and what is in it."""

    path: Path
    bytes: int
    data: ReportData

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "bytes": self.bytes,
            "sections": [t.key for t in self.data.tables],
            **self.data.as_dict(),
        }


__all__ = ["Chart", "Report", "ReportData", "Table", "render"]
