"""``leadgate merge``: one lead per email, for leads stored apart that share one."""

from __future__ import annotations

import click

from ..results import MergeReport
from .app import JSON, open_project
from .output import Column, console, echo_json, emit, esc

MERGE_COLUMNS = [
    Column("email", 1),
    Column("lead_id", 1),
    Column("merged", 1),
    Column("events", 2, numeric=True),
    Column("outcomes", 2, numeric=True),
]


@click.command()
@click.option(
    "--apply", is_flag=True,
    help="Merge them (default: only list the leads that share an email).",
)  # fmt: skip
@JSON
@click.pass_context
def merge(ctx: click.Context, apply: bool, as_json: bool) -> None:
    """Merge the leads that share an email into one each (the smallest id is kept)."""
    report = open_project(ctx).merge(apply=apply)
    if as_json:
        echo_json(report.as_dict())
        return
    _print_merge(report)


def _print_merge(report: MergeReport) -> None:
    if not report.groups:
        console.print("No two leads share an email: nothing to merge.")
        return
    rows = [g.as_dict() | {"merged": ", ".join(g.merged)} for g in report.groups]
    done = "merged" if report.applied else "would merge"
    title = f"{done} {report.leads_merged:,} lead(s) into {len(report.groups):,} kept"
    emit(rows, "table", title, MERGE_COLUMNS)
    if not report.applied:
        console.print(esc("Nothing changed yet: run 'leadgate merge --apply' to merge them."))
