"""What an import did: counts, the first rejects, speed.

An :class:`ImportReport` is returned by :func:`leadgate.ingest.import_file`; every reject is
also stored in the ``rejects`` table, so the report carries only the first few. Rejected
rows do not fail an import (the good rows land); :meth:`ImportReport.raise_for_rejects`
turns them into :class:`~leadgate.errors.ImportRejected` for a caller who wants that.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import ImportRejected


@dataclass(frozen=True)
class Reject:
    """One row the import refused: where it is in the file and why.

    ``line`` is the file's real 1-based line (the CSV header is line 1); for Parquet it is
    the 1-based row number.

    >>> Reject("leads.csv", 3, "company_size", "not a whole number", "twelve").format()
    "leads.csv:3 company_size: not a whole number (got 'twelve')"
    """

    file: str
    line: int | None
    column: str | None
    reason: str
    raw: str | None = None

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        col = f" {self.column}" if self.column else ""
        got = f" (got {self.raw!r})" if self.raw is not None and self.column else ""
        return f"{where}{col}: {self.reason}{got}"


@dataclass
class ImportReport:
    """The outcome of one import.

    ``rows_read`` = ``rows_loaded`` + ``rows_unchanged`` + ``rows_rejected``: every row read
    is accounted for (invariant 4 of the design: nothing is silently dropped).
    """

    import_id: str
    kind: str
    file: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    rejects: list[Reject] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_ignored: list[str] = field(default_factory=list)
    # Each date field of day/month dates: the order it was read in and why (the notices
    # say it in words when the values did not decide; the API answers with these).
    date_orders: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    enrichment: Any = None
    # What the import decided that the user should know (how a column's dates were read,
    # an earlier import of the file that was interrupted); not errors.
    notices: list[str] = field(default_factory=list)
    # Outcomes imports: how many of each outcome were loaded ({"won": 12, "lost": 88}).
    outcomes: dict[str, int] = field(default_factory=dict)
    # Leads: ids that became aliases of a lead stored under another id (the same email
    # from another source), and emails the file gave to several leads (``leadgate merge``).
    aliases_added: int = 0
    shared_emails: int = 0
    # Leads: stages the file changed, each a transition by `import` (leadgate.handoff.imported),
    # and how many of those the stage machine would have refused (recorded all the same).
    stage_changes: int = 0
    illegal_stage_changes: int = 0

    def add_stage_changes(self, changed: int, illegal: int, examples: list[str]) -> None:
        """Count a batch's stage changes; illegal ones are named in a notice (the first few)."""
        self.stage_changes += changed
        if not illegal:
            return
        if not self.illegal_stage_changes:
            self.notices.append(
                "Some stage changes from the file skip leadgate's stage machine (e.g. "
                f"{'; '.join(examples)}): recorded as the CRM states them, by 'import'; "
                "see `leadgate history LEAD`."
            )
        self.illegal_stage_changes += illegal

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.rows_rejected == 0

    def raise_for_rejects(self) -> ImportReport:
        """Raise :class:`~leadgate.errors.ImportRejected` when any row was rejected, else
        return the report: for a pipeline that must stop on rejects (the good rows have
        landed all the same; the rejects are in the store's ``rejects`` table).

        >>> ImportReport("i1", "events", "e.csv", rows_read=2, rows_loaded=2).raise_for_rejects().ok
        True
        """
        if self.ok:
            return self
        first = "; ".join(r.format() for r in self.rejects[:3])
        raise ImportRejected(
            f"{self.summary()}. First: {first}. All of them: SELECT * FROM rejects "
            f"WHERE import_id = '{self.import_id}'.",
            report=self,
        )

    def as_dict(self) -> dict[str, Any]:
        """What ``leadgate import --json`` prints."""
        data = asdict(self)
        data["rows_per_second"] = round(self.rows_per_second, 1)
        data["enrichment"] = _plain(self.enrichment)
        return data

    def summary(self) -> str:
        """One line for logs and the CLI.

        >>> report = ImportReport("i1", "leads", "a.csv", rows_read=3, rows_loaded=2)
        >>> report.rows_rejected = 1
        >>> report.summary()
        'leads a.csv: 3 read, 2 loaded, 0 unchanged, 1 rejected'
        """
        return (
            f"{self.kind} {self.file}: {self.rows_read} read, {self.rows_loaded} loaded, "
            f"{self.rows_unchanged} unchanged, {self.rows_rejected} rejected"
        )


def _plain(value: Any) -> Any:
    """The enrichment report, whatever it is, as JSON-friendly data."""
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return str(value)
