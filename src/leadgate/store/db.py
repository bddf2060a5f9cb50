"""A small wrapper over one DuckDB file: ``atomic()``, recorded migrations, a SQL tracer.

Modelled on sqlite-utils' ``Database``: ``Store(":memory:")`` for tests,
``Store(path, tracer=print)`` to see every statement (the CLI's ``--trace``).

>>> store = Store(":memory:")
>>> store.table_columns("leads")["lead_id"]
'VARCHAR'
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from ..clock import Clock, SystemClock, naive_utc
from ..errors import StoreError
from .schema import MIGRATIONS

Tracer = Callable[[str, Sequence[Any] | None], None]


class Store:
    """The project store. One DuckDB connection; every write goes through :meth:`atomic`."""

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        tracer: Tracer | None = None,
        read_only: bool = False,
        memory_limit: str | None = None,
        threads: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.path = str(path)
        self.tracer = tracer
        self.clock: Clock = clock or SystemClock()
        config: dict[str, Any] = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        try:
            self.conn = duckdb.connect(self.path, read_only=read_only, config=config)
        except duckdb.IOException as exc:  # locked by another process, unreadable, ...
            raise StoreError(f"Cannot open the store {self.path}: {exc}") from exc
        self.conn.execute("SET TimeZone = 'UTC'")
        self._depth = 0
        #: Statements run so far, each counted once it has returned (a COMMIT once the
        #: transaction is committed): a server's kept reads are checked by it, so that a
        #: write made through this object, by its writer or not, makes them stale
        #: (:mod:`leadgate.api.kept`).
        self.statements = 0
        #: Held open by a long-running process (``Project.serving``): ``close`` and the
        #: context manager's exit leave it open; :meth:`release` closes it.
        self.keep_open = False
        if not read_only:
            self.migrate()

    def cursor(self) -> Store:
        """Another connection to this database (DuckDB's ``cursor()``), for another thread:
        its own transactions, this one's clock and tracer; not migrated again. Close it
        with ``.conn.close()``."""
        other = Store.__new__(Store)
        other.path, other.tracer, other.clock = self.path, self.tracer, self.clock
        other.conn = self.conn.cursor()
        other.conn.execute("SET TimeZone = 'UTC'")
        other._depth, other.statements, other.keep_open = 0, 0, False
        return other

    def now(self) -> dt.datetime:
        """The time stored with a record (``created_at``, ``started_at``): the store's
        clock, naive UTC like every timestamp in the store. Set by the project."""
        return naive_utc(self.clock)

    # -- statements -------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> duckdb.DuckDBPyConnection:
        if self.tracer is not None:
            self.tracer(sql, params)
        try:
            if params is None:
                return self.conn.execute(sql)
            return self.conn.execute(sql, params)
        finally:
            self.statements += 1

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> duckdb.DuckDBPyConnection:
        """Run ``sql`` once for each row of parameters; traced once, with all the rows."""
        if self.tracer is not None:
            self.tracer(sql, rows)
        try:
            return self.conn.executemany(sql, rows)
        finally:
            self.statements += 1

    @contextlib.contextmanager
    def registered(self, name: str, table: Any) -> Iterator[str]:
        """``table`` (Arrow) readable as ``name`` by this connection's statements while in
        the block: rows handed to DuckDB column by column, not value by value (the
        ``unnest(?)`` of Python lists converts each value on its own)."""
        self.conn.register(name, table)
        try:
            yield name
        finally:
            self.conn.unregister(name)

    def insert_columns(self, table: str, columns: Sequence[Sequence[Any]]) -> None:
        """Insert rows given column by column (in the table's column order) in one
        statement: DuckDB's ``executemany`` runs one INSERT a row (about 2 ms each)."""
        lists = ", ".join("unnest(?)" for _ in columns)
        self.execute(f"INSERT INTO {table} SELECT {lists}", [list(c) for c in columns])

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts (small results only)."""
        cur = self.execute(sql, params)
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
        """The first row of a query (of at most a few rows), or None when it has none.

        Read to the end, never with ``fetchone``: DuckDB 2.0 keeps a half-read result open,
        and while it is open the connection refuses to register or unregister a table
        (``ResourceInUseException``): a plan's kept template read that way failed the next
        group's commit (session 25).
        """
        rows = self.execute(sql, params).fetchall()
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.one(sql, params)
        return row[0] if row is not None else None

    def checkpoint(self) -> None:
        """Move DuckDB's write-ahead log into the file. Not counted in :attr:`statements`:
        it changes no row, so what a server keeps of its reads stays true."""
        if self.tracer is not None:
            self.tracer("CHECKPOINT", None)
        self.conn.execute("CHECKPOINT")

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Store]:
        """A transaction; nested calls join the outer one. Rolls back on any exception."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            self.execute("ROLLBACK")
            raise
        self._depth = 0
        self.execute("COMMIT")

    # -- schema -----------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; return their names."""
        self.execute(
            "CREATE TABLE IF NOT EXISTS _migrations "
            "(name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)"
        )
        done = {r[0] for r in self.execute("SELECT name FROM _migrations").fetchall()}
        applied = []
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.atomic():
                self.execute(sql)
                self.execute(
                    "INSERT INTO _migrations VALUES (?, ?)",
                    [name, self.now()],
                )
            applied.append(name)
        return applied

    def table_columns(self, table: str) -> dict[str, str]:
        """Column name → DuckDB type, in table order."""
        rows = self.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
        return dict(rows)

    def add_columns(self, table: str, columns: dict[str, str]) -> list[str]:
        """Add the columns ``table`` lacks (name → type); return the names added."""
        have = {c.lower() for c in self.table_columns(table)}
        added = []
        for name, dtype in columns.items():
            if name.lower() in have:
                continue
            self.execute(f'ALTER TABLE {table} ADD COLUMN "{_ident(name)}" {dtype}')
            added.append(name)
        return added

    def close(self) -> None:
        if not self.keep_open:
            self.conn.close()

    def release(self) -> None:
        """Close the connection, even when it is held open."""
        self.keep_open = False
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def keyed(table: str, column: str) -> str:
    """``table``'s rows whose ``column`` equals the next parameter, as a subquery that
    DuckDB answers from an index on ``column`` when there is one (the server builds them:
    :mod:`leadgate.api.service`). The ``LIMIT`` keeps the optimizer from merging the outer
    query's other conditions, ``ORDER BY`` or ``LIMIT`` into it: any of those makes DuckDB
    scan the table instead (26 ms against 1.5 ms for one lead's score among a million).

    >>> keyed("scores", "lead_id")
    '(SELECT * FROM scores WHERE lead_id = ? LIMIT 1000000000)'
    """
    return f"(SELECT * FROM {table} WHERE {column} = ? LIMIT 1000000000)"


def _ident(name: str) -> str:
    """A column name safe to put between double quotes."""
    if not name or len(name) > 120 or '"' in name or "\x00" in name:
        raise StoreError(f"Column name {name!r} cannot be stored; rename it in the mapping.")
    return name
