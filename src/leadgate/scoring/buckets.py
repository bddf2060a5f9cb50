"""Scoring a store larger than memory: the leads a bucket of whole accounts at a time.

Why: one pass of the plan over every lead holds a hash table of groups per (lead, event
rule), then per lead, and the account window over every lead's row with each rule's
points. Past DuckDB's ``memory_limit`` all of it spills: at 10,000,000 leads and 500,000,000
events in 5 GB, 25 GB of spill in five minutes, unfinished (bench/README.md). Scored a
bucket at a time, each pass holds one bucket's leads, and its scores are inserted before
the next bucket is read.

Why whole accounts: engaged contacts and account engagement add up every lead of an
account, so an account is never split: a lead's bucket is a hash of its account id, or of
its own id when it has none (:data:`LEAD_KEY`). Its events are those ``lead_events``
resolves to its leads (visitors' events included); its accounts and intent signals those
of its account ids, by the same hash.

Why the same plan: the plan reads its relations by name (:class:`Tables`); bucketed, it
reads :data:`BUCKET_TABLES`, temporary views that filter the store's relations to the
current bucket. The plan's text is one for every bucket, generated and kept like any
other; a bucket is a filter in front of it, not a second copy of the scoring logic. One
bucket reads the store's relations themselves: today's plan, unchanged.

How many: as many as the store's leads need for each pass to fit in the memory limit
(:func:`bucket_count`), overridable. The events are read once per bucket, so more
buckets than needed cost a scan of the events each.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from ..store import Store
from .plans import DEFAULT_TABLES, Tables

#: The temporary views a bucketed plan reads (see the module docstring).
BUCKET_TABLES = Tables(
    leads="bucket_leads",
    accounts="bucket_accounts",
    events="bucket_events",
    intent="bucket_intent",
)
#: What a lead's bucket is a hash of: its account, so that an account is never split.
LEAD_KEY = "coalesce(account_id, lead_id)"
#: Memory one lead takes in a pass of the plan (its groups per event rule, its row with
#: every rule's points, its account's window), with room to spare: at 1,000,000 leads and
#: 50,000,000 events (12 event rules, every rule's points kept) one pass peaked at about
#: 4 GiB in a 5 GB limit, bench/README.md.
BYTES_PER_LEAD = 2_000


def bucket_count(store: Store) -> int:
    """How many buckets the store's leads need for each pass to fit in its memory limit.

    >>> s = Store(":memory:", memory_limit="100MB")
    >>> bucket_count(s)
    1
    >>> _ = s.execute("INSERT INTO leads (lead_id) SELECT 'L' || i FROM range(120000) t(i)")
    >>> bucket_count(s)
    3
    """
    leads = int(store.scalar("SELECT count(*) FROM leads") or 0)
    limit = memory_limit_bytes(str(store.scalar("SELECT current_setting('memory_limit')")))
    return max(1, math.ceil(leads * BYTES_PER_LEAD / limit))


def memory_limit_bytes(setting: str) -> float:
    """DuckDB's ``memory_limit`` as it prints it, in bytes (no limit prints as PiB).

    >>> memory_limit_bytes("2.0 GiB"), memory_limit_bytes("5.0 GB"), memory_limit_bytes("512 bytes")
    (2147483648.0, 5000000000.0, 512.0)
    """
    m = re.fullmatch(r"\s*([\d.]+)\s*(?:bytes|([KMGTP])(i?)B)\s*", setting, re.IGNORECASE)
    if m is None:
        raise ValueError(f"Cannot read DuckDB's memory_limit {setting!r}.")
    number, prefix, binary = float(m.group(1)), (m.group(2) or "").upper(), m.group(3)
    power = "_KMGTP".index(prefix) if prefix else 0
    return number * float((1024 if binary else 1000) ** power)


class Passes:
    """The passes of one scoring run over a store: the relations its plan reads, and, as
    each pass starts, the filter to its bucket.

    >>> s = Store(":memory:")
    >>> _ = s.execute("INSERT INTO leads (lead_id, account_id) VALUES ('a', 'x'), ('b', 'x')")
    >>> with Passes(s, 2) as passes:
    ...     sorted(len(s.query("FROM bucket_leads")) for _ in passes)
    [0, 2]
    """

    def __init__(self, store: Store, buckets: int, source: Tables = DEFAULT_TABLES) -> None:
        if buckets < 1:
            raise ValueError(f"The number of buckets must be at least 1. Got {buckets} instead.")
        self.store, self.buckets, self.source = store, buckets, source
        self.tables = source if buckets == 1 else BUCKET_TABLES

    def __enter__(self) -> Passes:
        if self.buckets > 1:  # the views exist before the plan reads their columns
            select_bucket(self.store, self.source, 0, self.buckets)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.buckets > 1:  # the events' view reads the leads': dropped first
            t = BUCKET_TABLES
            for view in (t.events, t.intent, t.accounts, t.leads):
                self.store.execute(f"DROP VIEW IF EXISTS {view}")

    def __iter__(self) -> Iterator[int]:
        for bucket in range(self.buckets):
            if self.buckets > 1:
                select_bucket(self.store, self.source, bucket, self.buckets)
            yield bucket


def select_bucket(store: Store, source: Tables, bucket: int, buckets: int) -> None:
    """Point :data:`BUCKET_TABLES` at bucket ``bucket`` of ``buckets`` of ``source``.

    An account's leads, its row, its intent signals and its leads' events fall in the
    bucket of the account id's hash; a lead with no account in the bucket of its own id.
    """
    t = BUCKET_TABLES

    def in_bucket(key: str) -> str:
        return f"hash({key}) % {buckets} = {bucket}"

    views = {
        t.leads: f"SELECT * FROM {source.leads} WHERE {in_bucket(LEAD_KEY)}",
        t.accounts: f"SELECT * FROM {source.accounts} WHERE {in_bucket('account_id')}",
        t.intent: f"SELECT * FROM {source.intent} WHERE {in_bucket('account_id')}",
        t.events: (
            f"SELECT * FROM {source.events} WHERE lead_id IN (SELECT lead_id FROM {t.leads})"
        ),
    }
    for name, body in views.items():
        store.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {body}")
