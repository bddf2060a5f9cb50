"""Events that name both a visitor and a lead identify the visitor: the first one wins.

A visitor linked before keeps its lead (``visitor_links``' primary key ignores a new link).
Within a file the first row of the visitor decides, so the rows a write leaves out (later
duplicates of a key) never link anyone.
"""

from __future__ import annotations

from .append_job import LINKS, WHOLE, AppendJob, Span, later_duplicates_left_out

LINKING = "s._rej IS NULL AND s.visitor_id IS NOT NULL AND s.lead_id IS NOT NULL"


def first_links(job: AppendJob, dups: bool) -> None:
    """Each linked visitor's first lead and the row it first shows in, into ``LINKS``, read
    from the numbered file (``dups``: leave the later duplicates of ``BAD`` out)."""
    rows = later_duplicates_left_out(job.ordered, job.dup) if dups else job.ordered
    job.store.execute(
        f"CREATE OR REPLACE TEMP TABLE {LINKS} AS SELECT s.visitor_id AS _v, "
        "arg_min(s.lead_id, s._row) AS lead, min(s.ts) AS ts, min(s._row) AS first "
        f"FROM {rows} WHERE {LINKING} GROUP BY s.visitor_id ORDER BY first"
    )


def links_of_new_rows(job: AppendJob, dups: bool, start: int) -> None:
    """The links of a text file's one batch, read back from the rows it just added (those
    from ``rowid`` ``start``).

    Reading a few columns of the new rows is far cheaper than one more pass over the text.
    Rows the store already had linked their visitors when they were added. Only when a
    visitor names two leads does the file decide, in order: :func:`first_links`.
    """
    job.store.execute(
        f"CREATE OR REPLACE TEMP TABLE {LINKS} AS SELECT visitor_id AS _v, min(lead_id) AS lead, "
        "max(lead_id) AS other, min(ts) AS ts, NULL::BIGINT AS first "
        f"FROM {job.spec.table} WHERE rowid >= {start} AND visitor_id IS NOT NULL "
        "AND lead_id IS NOT NULL GROUP BY visitor_id"
    )
    if job.store.scalar(f"SELECT count(*) FROM {LINKS} WHERE lead <> other"):
        first_links(job, dups)


def link_visitors(job: AppendJob, span: Span = WHOLE) -> None:
    """Store the links of ``LINKS`` whose first row is in ``span``."""
    job.store.execute(
        f"INSERT OR IGNORE INTO visitor_links SELECT _v, lead, ts FROM {LINKS} AS s "
        f"WHERE true{span.cond('s.first')}"
    )
