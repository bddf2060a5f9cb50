"""One error hierarchy with stable codes.

Every error leadgate raises on purpose derives from :class:`LeadgateError` and carries a
stable ``code`` (``LG1xx`` definition, ``LG2xx`` expression, ``LG3xx`` import, ``LG4xx``
store, ``LG5xx`` scoring). Each also inherits the built-in exception users already catch
(``ValueError`` for bad input, ``LookupError`` for missing things), following
scikit-learn's ``InvalidParameterError(ValueError, TypeError)``.

The CLI maps any :class:`LeadgateError` to exit code 1, a usage error (``LG001``, a bad
option as Click reports it) and anything unexpected (``LG002``) to 2; with ``--json`` the error
goes to stderr as ``{"error": {"code": ..., "message": ...}}`` (:func:`error_body`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Codes of the errors that are not a :class:`LeadgateError`: a bad command line, a bug.
USAGE_ERROR = "LG001"
UNEXPECTED_ERROR = "LG002"


class LeadgateError(Exception):
    """Base class of every error leadgate raises on purpose."""

    code = "LG000"


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """The one error shape of every interface (CLI ``--json``, HTTP API).

    >>> error_body("LG402", "No lead 'x'.")
    {'error': {'code': 'LG402', 'message': "No lead 'x'."}}
    """
    return {"error": {"code": code, "message": message}}


@dataclass(frozen=True)
class Problem:
    """One problem found in a file: where it is, what is wrong and what to do.

    ``path`` is a location inside a structure (``tiers[1].when``); ``line`` is 1-based.
    """

    message: str
    path: str = ""
    line: int | None = None
    column: int | None = None
    code: str = "LG100"
    hint: str = ""
    severity: str = "error"

    def format(self, source: str = "") -> str:
        where = source
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
            if self.column is not None:
                where += f":{self.column}"
        parts = [p for p in (where, self.path) if p]
        head = " ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.hint:
            text += f" ({self.hint})"
        return f"{self.severity} {self.code} {text}"


@dataclass
class DefinitionError(LeadgateError, ValueError):
    """A definition file has one or more problems; all of them are in ``problems``."""

    problems: list[Problem] = field(default_factory=list)
    source: str = ""
    code = "LG100"

    def __post_init__(self) -> None:
        # One problem (a missing file, LG108) is better named by its own code.
        errors = {p.code for p in self.problems if p.severity == "error"}
        if len(errors) == 1:
            self.code = errors.pop()

    def __str__(self) -> str:
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} problem(s) in definition {self.source or '<string>'}"
        return "\n".join([head, *(f"  {p.format(self.source)}" for p in errors)])


class ExpressionError(LeadgateError, ValueError):
    """A rule expression does not parse or does not type-check."""

    code = "LG200"

    def __init__(self, message: str, position: int | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.hint = hint

    def __str__(self) -> str:
        where = f" at character {self.position + 1}" if self.position is not None else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.message}{where}{hint}"


class ImportRejected(LeadgateError, ValueError):
    """An import finished but rejected some rows; the good rows landed.

    Raised by :meth:`leadgate.ingest.ImportReport.raise_for_rejects`, for a library user who
    wants rejects to stop a pipeline; ``report`` is the import's report.
    """

    code = "LG300"

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


#: Why an import could not run at all: one stable code per reason (``ImportFailed.code``).
NO_SUCH_FILE = "LG301"
UNKNOWN_FORMAT = "LG302"
UNREADABLE_FILE = "LG303"
MISSING_COLUMN = "LG304"
UNKNOWN_MAPPING = "LG305"
UNKNOWN_TIME_ZONE = "LG306"
UNKNOWN_KIND = "LG307"
BAD_OPTION = "LG308"
EMPTY_FILE = "LG309"
MAPPING_MISFIT = "LG310"
TOO_MANY_COLUMNS = "LG311"
DATE_ORDER_CONFLICT = "LG312"
BAD_DATE_FORMAT = "LG313"
BAD_VALUE_MAP = "LG320"
IMPORT_FAILED = "LG399"
IMPORT_FAILURES: dict[str, str] = {
    NO_SUCH_FILE: "no such file",
    UNKNOWN_FORMAT: "unknown format, or none to tell from the file's name",
    UNREADABLE_FILE: "the file (or a mappings file) cannot be read",
    MISSING_COLUMN: "the file lacks a column its kind needs",
    UNKNOWN_MAPPING: "unknown preset or mapping, or one meant for another kind",
    UNKNOWN_TIME_ZONE: "unknown time zone",
    UNKNOWN_KIND: "unknown import kind",
    BAD_OPTION: "a bad option (batch_rows below 1, a --map pair without '=')",
    EMPTY_FILE: "the file is empty (a CSV needs a header line)",
    MAPPING_MISFIT: "the mapping names a field the kind lacks or a column the file lacks",
    TOO_MANY_COLUMNS: "the file has more columns than an import takes (MAX_COLUMNS)",
    DATE_ORDER_CONFLICT: "a column holds dates with the day first and others with the month first",
    BAD_DATE_FORMAT: "a date format (--date-format, date_format) DuckDB cannot read",
    BAD_VALUE_MAP: "a value map (--value, [mappings.NAME.values]) that cannot be used",
    IMPORT_FAILED: "any other reason (a caller that names none)",
}


class ImportFailed(LeadgateError, ValueError):
    """An import could not run at all; ``code`` says why (a key of :data:`IMPORT_FAILURES`).

    >>> ImportFailed("No file x.csv; check the path.", code=NO_SUCH_FILE).code
    'LG301'
    """

    code = IMPORT_FAILED

    def __init__(self, message: str, *, code: str = IMPORT_FAILED) -> None:
        if code not in IMPORT_FAILURES:
            raise ValueError(f"{code!r} is not an import failure code: see IMPORT_FAILURES.")
        super().__init__(message)
        self.code = code


class StoreError(LeadgateError, RuntimeError):
    """The project store is missing, locked or from a newer leadgate."""

    code = "LG400"


class ProjectNotFound(StoreError, LookupError):
    """No leadgate project in the directory given."""

    code = "LG401"


class LeadNotFound(LeadgateError, LookupError):
    """No lead with that id or email."""

    code = "LG402"


class AmbiguousLead(LeadgateError, LookupError):
    """A key (an email, an id or an alias) names more than one lead: ``candidates``."""

    code = "LG405"

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class ConfigError(StoreError, ValueError):
    """``leadgate.toml`` cannot be read or holds a setting leadgate does not know."""

    code = "LG403"


class SegmentNotFound(LeadgateError, LookupError):
    """No segment of that name in ``leadgate.toml``'s ``[segments]``."""

    code = "LG404"


class OutboxMessageNotFound(LeadgateError, LookupError):
    """No message of that id in the outbox (``leadgate outbox``)."""

    code = "LG620"


class ScoringError(LeadgateError, ValueError):
    """Scoring was asked something it cannot do (e.g. no definition, bad as-of)."""

    code = "LG500"


__all__ = [
    "UNEXPECTED_ERROR",
    "AmbiguousLead",
    "USAGE_ERROR",
    "ConfigError",
    "DefinitionError",
    "ExpressionError",
    "IMPORT_FAILURES",
    "ImportFailed",
    "ImportRejected",
    "LeadNotFound",
    "LeadgateError",
    "OutboxMessageNotFound",
    "Problem",
    "ProjectNotFound",
    "ScoringError",
    "SegmentNotFound",
    "StoreError",
]
