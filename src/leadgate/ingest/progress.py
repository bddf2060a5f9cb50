"""How far an import has got, told to a ``progress(done, total, unit)`` callback as it runs.

The unit is ``"rows"`` for Parquet (its metadata gives the row count before anything is
read) and ``"bytes"`` for CSV and JSON Lines (their size is known, their row count is not).
The first call is ``progress(0, total, unit)``, before the long work; ``done`` never goes
down; the last call has ``done == total``.

Within one long statement (the pass that reads a text file, a Parquet batch's ``INSERT``)
the store cannot say how many rows it has written, but DuckDB can say how far the statement
is: :meth:`Meter.watching` polls ``query_progress()`` from a background thread every
:data:`POLL_SECONDS` and moves ``done`` in proportion toward where the statement ends. The
callback may so be called from that thread, never from two threads at once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from ..store import Store
from . import readers

Progress = Callable[[int, int, str], None]
POLL_SECONDS = 0.25


class Meter:
    """The progress of one import, in its file's unit (see the module docstring)."""

    def __init__(self, callback: Progress | None, total: int, unit: str) -> None:
        self.callback = callback
        self.total = max(int(total), 0)
        self.unit = unit
        self.done = 0
        self._lock = threading.Lock()

    @classmethod
    def for_source(cls, store: Store, source: readers.Source, callback: Progress | None) -> Meter:
        """A meter in rows for Parquet (from its metadata), in bytes for a text file."""
        if source.fmt != "parquet":
            return cls(callback, source.path.stat().st_size, "bytes")
        with readers.reading(source.path):
            rows = store.scalar(f"SELECT {readers.parquet_rows_sql(source.path)}")
        return cls(callback, int(rows or 0), "rows")

    def start(self) -> None:
        """Report ``done = 0``: the total is known before the long work starts."""
        self._report(0, force=True)

    def advance_to(self, done: int) -> None:
        """Report ``done`` (at most ``total``) when it is further than the last report."""
        self._report(min(int(done), self.total))

    def share(self, part: float) -> int:
        """``part`` (0..1) of the total, in the meter's unit."""
        return int(self.total * part)

    def finish(self) -> None:
        """Report ``done == total``: the import is over."""
        self._report(self.total)

    def in_rows(self, lo: float, hi: float) -> Callable[[int, int], None]:
        """A ``(rows done, rows)`` callback moving this meter from share ``lo`` to ``hi``:
        for batches counted in rows when the meter counts bytes."""

        def tick(done: int, rows: int) -> None:
            self.advance_to(self.share(lo + (hi - lo) * done / max(rows, 1)))

        return tick

    @contextlib.contextmanager
    def watching(self, store: Store, upto: int) -> Iterator[None]:
        """Move ``done`` toward ``upto`` as the statements run in the block progress; at its
        end ``done`` is ``upto``."""
        if self.callback is None:
            yield
            return
        start = self.done
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(POLL_SECONDS):
                percent = store.conn.query_progress()  # -1 between statements
                if percent > 0:
                    self.advance_to(start + int((upto - start) * min(percent, 100.0) / 100))

        with _tracked(store):
            thread = threading.Thread(target=poll, name="leadgate-progress", daemon=True)
            thread.start()
            try:
                yield
            finally:
                stop.set()
                thread.join()
        self.advance_to(upto)

    def _report(self, done: int, force: bool = False) -> None:
        with self._lock:
            if self.callback is None or (done <= self.done and not force):
                return
            self.done = max(done, self.done)
            self.callback(self.done, self.total, self.unit)


@contextlib.contextmanager
def _tracked(store: Store) -> Iterator[None]:
    """Let DuckDB track each statement's progress (without printing a bar of its own)."""
    on, printing, wait = store.one(
        "SELECT current_setting('enable_progress_bar'), "
        "current_setting('enable_progress_bar_print'), current_setting('progress_bar_time')"
    ) or (False, True, 2000)
    # In this order: no statement in between prints a bar of DuckDB's own.
    store.execute(
        "SET enable_progress_bar_print = false; SET progress_bar_time = 0; "
        "SET enable_progress_bar = true"
    )
    try:
        yield
    finally:
        # Printing on turns tracking on too: set it before tracking is set back.
        store.execute(
            f"SET progress_bar_time = {int(wait)}; "
            f"SET enable_progress_bar_print = {bool(printing)}; "
            f"SET enable_progress_bar = {bool(on)}"
        )
