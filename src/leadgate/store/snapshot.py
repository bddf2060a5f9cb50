"""A read-only view of the held store, for a reader thread of ``leadgate serve``.

The server is the store's one writer (:mod:`leadgate.api.writer`). Its readers
(:mod:`leadgate.api.readers`) read the same DuckDB database through cursors of the held
connection: a cursor is another connection to the same database instance, so it can run on
another thread, and DuckDB's MVCC gives each transaction a snapshot of what was committed
when it began. A :class:`Snapshot` wraps one such cursor with :class:`Store`'s reading
methods and runs each unit of work (a page's data function) in one transaction:

* **consistent**: every query of the unit sees the same committed state, even while the
  writer commits a group between two of them;
* **read-only**: a statement that would change the store (``INSERT``, ``UPDATE``, a
  ``CREATE TABLE`` that is not ``TEMP``, ...) is refused with :class:`ReadOnlyStore`
  before it runs, and the transaction is rolled back at the end whatever happened, so a
  reader can never write. Temporary tables (the funnel's ``journeys``) are the cursor's
  own and allowed: they vanish with the rollback.

>>> from leadgate.store import Store
>>> store = Store(":memory:")
>>> snap = Snapshot(store.conn.cursor())
>>> with snap.reading():
...     snap.scalar("SELECT count(*) FROM leads")
0
>>> with snap.reading():  # doctest: +IGNORE_EXCEPTION_DETAIL
...     snap.execute("DELETE FROM leads")
Traceback (most recent call last):
leadgate.store.snapshot.ReadOnlyStore: ...
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb

from ..clock import Clock, SystemClock
from ..errors import StoreError
from .db import Store, Tracer

#: Statements a snapshot runs: reads, and the cursor's own temporary objects.
_READ = re.compile(
    r"^\s*(\(\s*)*(SELECT|WITH|FROM|VALUES|PRAGMA|DESCRIBE|SHOW|SUMMARIZE|EXPLAIN|SET|RESET)\b",
    re.IGNORECASE,
)
_LOCAL = re.compile(
    r"^\s*(CREATE\s+(OR\s+REPLACE\s+)?TEMP(ORARY)?\s|DROP\s+(TABLE|VIEW)\s+(IF\s+EXISTS\s+)?temp\.)",
    re.IGNORECASE,
)


class ReadOnlyStore(StoreError):
    """A read on a reader thread tried to change the store: that work belongs on the
    server's writer (:class:`leadgate.api.writer.Writer`)."""

    code = "LG406"


class Snapshot(Store):
    """:class:`Store`'s reads over one cursor of the held connection (see the module)."""

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        *,
        tracer: Tracer | None = None,
        clock: Clock | None = None,
    ) -> None:
        # Not Store.__init__: the connection exists (a cursor), and a reader never migrates.
        self.path = "<snapshot>"
        self.tracer = tracer
        self.clock = clock or SystemClock()
        self.conn = conn
        self.conn.execute("SET TimeZone = 'UTC'")  # a session setting: each cursor its own
        self._depth = 0
        self.statements = 0
        self.keep_open = True
        self._open = False
        #: The writer's call count when the current read transaction began (set by the
        #: reader before :meth:`reading`): what the server's kept results are checked by.
        self.generation: int | None = None

    @contextlib.contextmanager
    def reading(self) -> Iterator[Snapshot]:
        """One unit of work in one read transaction, rolled back at the end."""
        if self._open:
            raise StoreError("A snapshot's reads do not nest: one unit of work at a time.")
        self.conn.execute("BEGIN TRANSACTION")
        self._open = True
        try:
            yield self
        finally:
            self._open = False
            self.conn.execute("ROLLBACK")

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> duckdb.DuckDBPyConnection:
        if not (_READ.match(sql) or _LOCAL.match(sql)):
            first = " ".join(sql.split()[:3])
            raise ReadOnlyStore(
                f"A reader may only read; {first!r}... changes the store. Run this work on "
                "the server's writer (Writer.run), not on a reader."
            )
        return super().execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> duckdb.DuckDBPyConnection:
        raise ReadOnlyStore("A reader may only read; executemany writes. Use the writer.")

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Store]:
        raise ReadOnlyStore("A reader may only read; atomic() is for writes. Use the writer.")
        yield self  # pragma: no cover  (a generator, for contextmanager)

    def migrate(self) -> list[str]:
        raise ReadOnlyStore("A reader never migrates the store; the writer did when it opened.")

    def add_columns(self, table: str, columns: dict[str, str]) -> list[str]:
        raise ReadOnlyStore("A reader may only read; adding columns belongs to the writer.")

    def close(self) -> None:
        """Leave it open: the reader thread closes its cursor when the server stops."""

    def release(self) -> None:
        self.conn.close()


__all__ = ["ReadOnlyStore", "Snapshot"]
