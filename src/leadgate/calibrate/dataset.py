"""The lead table calibration learns from: each lead's outcome, its order in time and the
raw values of every column that could be a criterion.

Any lead table works, not only leadgate's own events: a CRM export imported as leads, with
its outcome in a column of its own (``--outcome y``) or in the outcomes table (``--outcome
won``). Only what is dated at or before the as-of time counts: an outcome recorded later is
no outcome yet (the scoring plan reads events the same way).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..ingest.kinds import OUTCOMES
from ..ingest.values import DEFAULT_OUTCOME_VALUES
from ..store import Store
from .errors import NO_OUTCOME, UNKNOWN_COLUMN, CalibrationError

#: Later stages count for earlier ones: a won lead was accepted and became an SQL.
LADDER = ("accepted", "sql", "opportunity", "won")

#: Lead columns that name, describe the record or are set by sales after the fact (stage):
#: never a criterion.
NOT_CRITERIA = frozenset(
    {"lead_id", "email", "email_domain", "first_name", "last_name", "title", "company",
     "company_domain", "account_id", "stage", "created_at", "updated_at", "enriched"}
)  # fmt: skip

NUMBER_TYPES = ("BIGINT", "INTEGER", "DOUBLE", "FLOAT", "SMALLINT", "TINYINT", "HUGEINT",
                "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "REAL", "DECIMAL")  # fmt: skip
DATE_TYPES = ("TIMESTAMP", "DATE")


@dataclass
class LeadTable:
    """One row per lead with a known outcome, ordered by lead id (then by time: ``order``)."""

    lead_ids: list[str]
    y: np.ndarray[Any, Any]
    order: np.ndarray[Any, Any] | None  # the split key as a number (epoch seconds for a date)
    months: np.ndarray[Any, Any] | None  # 'YYYY-MM' per lead when the key is a date
    split_by: str | None
    values: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # number | text | bool | date
    unlabelled: int = 0  # leads left out: no outcome value or no split key


def column_kind(sql_type: str) -> str | None:
    """A store column's kind as a criterion (None: not one, e.g. a list or a timestamp)."""
    upper = sql_type.upper()
    if upper.startswith(NUMBER_TYPES):
        return "number"
    if upper.startswith("VARCHAR"):
        return "text"
    if upper.startswith("BOOL"):
        return "bool"
    if upper.startswith(DATE_TYPES):
        return "date"
    return None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _label_sql(outcome: str, columns: dict[str, str], as_of: dt.datetime) -> tuple[str, list[Any]]:
    """SQL for each lead's outcome as 1/0 (NULL: unknown, left out), and its parameters."""
    if outcome in OUTCOMES:
        kinds = list(LADDER[LADDER.index(outcome) :]) if outcome in LADDER else [outcome]
        marks = ", ".join("?" for _ in kinds)
        sql = (
            "CASE WHEN EXISTS (SELECT 1 FROM lead_outcomes o WHERE o.lead_id = l.lead_id AND "
            f"o.outcome IN ({marks}) AND o.ts <= ?) THEN 1 ELSE 0 END"
        )
        return sql, [*kinds, as_of]
    if outcome not in columns:
        known = ", ".join([*OUTCOMES, *sorted(c for c in columns if c not in NOT_CRITERIA)])
        raise CalibrationError(
            f"No outcome {outcome!r}: name an outcome kind or a lead column holding 0/1, "
            f"yes/no or won/lost (known: {known}).",
            code=NO_OUTCOME,
        )
    won = [k for k, v in DEFAULT_OUTCOME_VALUES.items() if v in LADDER]
    lost = [k for k, v in DEFAULT_OUTCOME_VALUES.items() if v not in LADDER]
    text = f"lower(trim(CAST(l.{_quote(outcome)} AS VARCHAR)))"
    won_sql = ", ".join(f"'{v}'" for v in won)
    lost_sql = ", ".join(f"'{v}'" for v in lost)
    sql = f"CASE WHEN {text} IN ({won_sql}) THEN 1 WHEN {text} IN ({lost_sql}) THEN 0 END"
    return sql, []


def _check_outcome_values(store: Store, outcome: str, columns: dict[str, str]) -> None:
    """A value of an outcome column that is neither a yes nor a no is an error, never a guess."""
    if outcome in OUTCOMES or outcome not in columns:
        return
    known = list(DEFAULT_OUTCOME_VALUES)
    marks = ", ".join("?" for _ in known)
    text = f"lower(trim(CAST({_quote(outcome)} AS VARCHAR)))"
    bad = store.one(
        f"SELECT lead_id, CAST({_quote(outcome)} AS VARCHAR) FROM leads WHERE "
        f"{_quote(outcome)} IS NOT NULL AND {text} NOT IN ({marks}) ORDER BY lead_id LIMIT 1",
        known,
    )
    if bad is not None:
        raise CalibrationError(
            f"Lead {bad[0]!r} has {outcome} = {bad[1]!r}, which is neither a conversion nor "
            f"a non-conversion (known: {', '.join(known)}). Fix the value or name another "
            "outcome.",
            code=NO_OUTCOME,
        )


def _split_key(split_by: str | None, columns: dict[str, str], store: Store) -> str | None:
    """The column that orders leads in time: the one named, else created_at when most
    leads have one, else none (cross-validation)."""
    if split_by is not None:
        if split_by not in columns:
            raise CalibrationError(
                f"--split-by {split_by!r} is not a lead column (known: "
                f"{', '.join(sorted(columns))}).",
                code=UNKNOWN_COLUMN,
            )
        if column_kind(columns[split_by]) not in ("number", "date"):
            raise CalibrationError(
                f"--split-by {split_by!r} is {columns[split_by]}; it must be a date, a time "
                "or a number that orders the leads in time.",
                code=UNKNOWN_COLUMN,
            )
        return split_by
    dated = store.scalar("SELECT count(created_at) * 2 >= count(*) AND count(*) > 0 FROM leads")
    return "created_at" if dated else None


def _key_sql(key: str | None, columns: dict[str, str]) -> tuple[str, str]:
    if key is None:
        return "CAST(NULL AS DOUBLE)", "CAST(NULL AS VARCHAR)"
    col = f"l.{_quote(key)}"
    if column_kind(columns[key]) == "date":
        ts = f"CAST({col} AS TIMESTAMP)"
        return f"CAST(epoch({ts}) AS DOUBLE)", f"strftime({ts}, '%Y-%m')"
    return f"CAST({col} AS DOUBLE)", "CAST(NULL AS VARCHAR)"


def _value_sql(name: str, kind: str) -> str:
    col = f"l.{_quote(name)}"
    if kind == "text":
        return f"CAST({col} AS VARCHAR)"
    if kind == "date":  # epoch seconds: read by the leakage scan, never binned
        return f"CAST(epoch(CAST({col} AS TIMESTAMP)) AS DOUBLE)"
    return f"CAST({col} AS DOUBLE)"


def load_table(
    store: Store,
    outcome: str,
    as_of: dt.datetime,
    *,
    split_by: str | None = None,
    exclude: tuple[str, ...] = (),
    min_age_days: int | None = None,
) -> LeadTable:
    """Every lead with a known outcome (and, with a split key, a known time), its raw values.

    ``min_age_days``: a lead created fewer days than this before ``as_of`` has had no time
    to convert, so its outcome is unknown, not "no": it is left out (``unlabelled``), as the
    funnel censors the MQLs whose window is still open. Only for an outcome kind of the
    outcomes table (a lead column's outcome is final as the file states it).
    """
    columns = store.table_columns("leads")
    unknown = [c for c in exclude if c not in columns]
    if unknown:
        raise CalibrationError(
            f"--exclude {', '.join(unknown)}: no such lead column (known: "
            f"{', '.join(sorted(columns))}).",
            code=UNKNOWN_COLUMN,
        )
    _check_outcome_values(store, outcome, columns)
    key = _split_key(split_by, columns, store)
    skip = NOT_CRITERIA | {outcome, *(exclude), *([key] if key else [])}
    kinds = {
        name: kind
        for name, sql_type in columns.items()
        if name not in skip and (kind := column_kind(sql_type)) is not None
    }
    label, params = _label_sql(outcome, columns, as_of)
    if min_age_days is not None and outcome in OUTCOMES:
        label = (
            f"CASE WHEN l.created_at > ? - INTERVAL ({int(min_age_days)}) DAY THEN NULL "
            f"ELSE {label} END"
        )
        params = [as_of, *params]
    order, month = _key_sql(key, columns)
    values = ", ".join(f"{_value_sql(n, k)} AS {_quote('v:' + n)}" for n, k in kinds.items())
    sql = (
        f"SELECT l.lead_id AS lead_id, {label} AS y, {order} AS k, {month} AS m"
        f"{', ' + values if values else ''} FROM leads l ORDER BY l.lead_id"
    )
    data = store.execute(sql, params).fetchnumpy()
    y = np.ma.filled(np.ma.asarray(data["y"]).astype(float), np.nan)
    keep = ~np.isnan(y)
    if key is not None:
        keep &= ~np.ma.getmaskarray(np.ma.asarray(data["k"]))
    if not keep.any():
        raise CalibrationError(
            f"No lead has a known {outcome!r} outcome{' and ' + key if key else ''}: import "
            "outcomes first (leadgate import outcomes ...).",
            code=NO_OUTCOME,
        )
    return LeadTable(
        lead_ids=[str(v) for v in np.asarray(data["lead_id"], dtype=object)[keep]],
        y=y[keep].astype(np.int8),
        order=_filled(data["k"])[keep] if key else None,
        months=np.asarray(np.ma.filled(data["m"], ""), dtype=object)[keep]
        if key and column_kind(columns[key]) == "date"
        else None,
        split_by=key,
        values={n: _raw(data["v:" + n], k)[keep] for n, k in kinds.items()},
        kinds=kinds,
        unlabelled=int((~keep).sum()),
    )


def _filled(column: Any) -> np.ndarray[Any, Any]:
    return np.asarray(np.ma.filled(np.ma.asarray(column).astype(float), np.nan), dtype=float)


def _raw(column: Any, kind: str) -> np.ndarray[Any, Any]:
    """Numbers (and bools as 1/0) as floats with NaN for missing; text as objects with None."""
    if kind == "text":
        masked = np.ma.asarray(column)
        out = np.asarray(masked.data, dtype=object).copy()
        out[np.ma.getmaskarray(masked)] = None
        return out
    return _filled(column)
