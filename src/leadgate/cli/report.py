"""``leadgate report``: one HTML file with the funnel, cohorts, lift, score deciles, and on
request the reliability curve and a backtest comparison. A thin adapter over
:meth:`Project.report`."""

from __future__ import annotations

import click

from .analytics_funnel import AS_OF, WINDOW
from .app import JSON, as_of_option, open_project
from .output import console, echo_json, esc


@click.command()
@click.option(
    "--out", default="report.html", show_default=True, type=click.Path(dir_okay=False),
    help="The HTML file to write.",
)  # fmt: skip
@click.option(
    "--calibrate", "outcome", metavar="OUTCOME",
    help="Add the reliability curve of a calibration on this outcome (e.g. won).",
)  # fmt: skip
@click.option(
    "--compare", nargs=2, type=click.Path(dir_okay=False), metavar="CURRENT PROPOSED",
    help="Add the backtest comparison of two definitions.",
)  # fmt: skip
@WINDOW
@AS_OF
@JSON
@click.pass_context
def report(
    ctx: click.Context,
    out: str,
    outcome: str | None,
    compare: tuple[str, str] | None,
    window: str,
    as_of: str | None,
    as_json: bool,
) -> None:
    """Write one self-contained HTML report that opens offline and can be forwarded.

    Funnel, conversion by source, cohort conversion, lift per criterion and conversion by
    score decile; --calibrate adds the reliability curve, --compare the backtest of two
    definitions side by side. Charts are inline SVG: no script, no font from the network.
    """
    project = open_project(ctx)
    found = project.report(
        out, window=window, calibrate=outcome, compare=compare or None,
        as_of=as_of_option(as_of, project.timezone),
    )  # fmt: skip
    if as_json:
        echo_json(found.as_dict())
        return
    sections = ", ".join(t.title for t in found.data.tables)
    console.print(esc(f"Wrote {found.path} ({found.bytes:,} bytes): {sections}."),
                  highlight=False, soft_wrap=True)  # fmt: skip
