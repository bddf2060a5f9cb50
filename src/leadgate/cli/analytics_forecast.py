"""``leadgate forecast``: the MQLs, SQLs and deals to expect, and the leads a target needs.
A thin adapter over :meth:`Project.forecast`."""

from __future__ import annotations

from typing import Any

import click

from ..analytics.forecast import MIN_BASIS, Forecast, MonthForecast
from ..analytics.intervals import pct
from .analytics_funnel import AS_OF, WINDOW
from .app import JSON, as_of_option, open_project
from .output import Column, console, echo_json, emit, esc

RATE_COLUMNS = [
    Column("rate", 1),
    Column("converted", 2, numeric=True),
    Column("of", 2, numeric=True),
    Column("value", 1, numeric=True),
    Column("95 % interval", 3),
    Column("note", 1),
]
MONTH_COLUMNS = [
    Column("month", 1),
    Column("leads", 1, numeric=True),
    Column("mqls", 1, numeric=True),
    Column("sqls", 1, numeric=True),
    Column("deals", 1, numeric=True),
    Column("deals range", 3),
    Column("revenue", 2, numeric=True),
    Column("capacity left", 2, numeric=True),
]


def _n(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


def month_row(m: MonthForecast) -> dict[str, Any]:
    return {
        "month": m.month, "leads": _n(m.leads), "mqls": _n(m.mqls), "sqls": _n(m.sqls),
        "deals": _n(m.deals), "deals range": f"{m.low[2]:,.1f} to {m.high[2]:,.1f}",
        "revenue": _n(m.revenue), "capacity left": _n(m.capacity_left),
    }  # fmt: skip


def print_forecast(found: Forecast) -> None:
    window = f"within {found.window} of MQL" if found.window else "with no window"
    rates = [
        {"rate": name, "converted": r.converted, "of": f"{r.n:,} {basis}", "value": pct(r.rate),
         "95 % interval": f"{pct(r.interval[0])} to {pct(r.interval[1])}",
         "note": f"too few (< {MIN_BASIS})" if r.n < MIN_BASIS else ""}
        for name, r, basis in found.rates.named()
    ]  # fmt: skip
    emit(rates, "table", f"Measured rates as of {found.as_of:%Y-%m-%d}, conversion {window}",
         RATE_COLUMNS, see_all="leadgate forecast --json")  # fmt: skip
    title = f"Forecast per month; volume from {found.volume}"
    emit([month_row(m) for m in found.months], "table", title, MONTH_COLUMNS,
         see_all="leadgate forecast --json")  # fmt: skip
    size = "" if found.deal_size is None else f"{found.deal_size:,.2f} ({found.deal_size_basis})"
    cap = "not set" if found.capacity_per_month is None else f"{found.capacity_per_month:,.0f}"
    console.print(esc(f"Sales capacity: {cap} MQLs a month. Deal size: {size or 'unknown'}."))
    t = found.target
    if t is not None:
        console.print(
            esc(
                f"A revenue target of {t.revenue:,.2f} a month needs {t.deals:,.1f} deals, "
                f"{t.sqls:,.1f} SQLs, {t.mqls:,.1f} MQLs and at least "
                f"{t.as_dict()['leads_at_least']:,} leads a month."
            ),
            highlight=False,
        )
    for warning in found.warnings:
        console.print(f"[yellow]note[/yellow] {esc(warning)}", highlight=False)


@click.command()
@click.option(
    "--plan",
    metavar="PLAN",
    help="Lead volume: 2027-01=5000,2027-02=5500, or a CSV file (month,leads). "
    "Default: the recent months' mean.",
)
@click.option("--months", default=3, show_default=True, help="Months to forecast from history.")
@click.option("--revenue-target", type=float, help="A month's revenue target: leads needed.")
@click.option("--deal-size", type=float, help="Deal size (default: the average won value).")
@WINDOW
@AS_OF
@JSON
@click.pass_context
def forecast(
    ctx: click.Context,
    plan: str | None,
    months: int,
    revenue_target: float | None,
    deal_size: float | None,
    window: str,
    as_of: str | None,
    as_json: bool,
) -> None:
    """MQLs, SQLs and deals to expect per month from lead volume and the measured rates.

    Says whether sales capacity ([sales] capacity_per_month) covers the MQLs, and with
    --revenue-target the leads a month needs. Rates resting on too few leads are marked.
    """
    project = open_project(ctx)
    found = project.forecast(
        plan=plan, months=months, window=window, revenue_target=revenue_target,
        deal_size=deal_size, as_of=as_of_option(as_of, project.timezone),
    )  # fmt: skip
    if as_json:
        echo_json(found.as_dict())
        return
    print_forecast(found)
