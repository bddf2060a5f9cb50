"""``leadgate reps`` and ``leadgate routes``: who takes leads now, and where one would go."""

from __future__ import annotations

import click

from ..results import RepList, RouteTest, RoutingRun
from .app import JSON, as_of_option, listing_options, open_project
from .output import Column, console, echo_json, emit, esc, pick_columns

REP_COLUMNS = [
    Column("name", 1),
    Column("teams", 3),
    Column("weight", 3, numeric=True),
    Column("available", 1),
    Column("open", 2, numeric=True),
    Column("max_open", 2, numeric=True),
    Column("max_per_day", 2, numeric=True),
    Column("unavailable", 4),
]
AT = click.option("--at", help="As of this date/time (default: now); naive in the project's zone.")


@click.command()
@AT
@listing_options(REP_COLUMNS)
@click.pass_context
def reps(ctx: click.Context, at: str | None, fmt: str, columns: str | None, as_json: bool) -> None:
    """The reps of leadgate.toml: available now or why not, caps and open MQLs."""
    project = open_project(ctx)
    result = project.reps(at=as_of_option(at, project.timezone, "--at"))
    if as_json or fmt == "json":
        echo_json(result.as_dict())
        return
    if not result.reps:
        console.print(esc("No [[reps]] in leadgate.toml yet: see the README's routing section."))
        return
    _print_reps(result, fmt, pick_columns(REP_COLUMNS, columns))


def _print_reps(result: RepList, fmt: str, shown: list[Column]) -> None:
    rows = [
        s.as_dict()
        | {
            "teams": ", ".join(s.rep.teams),
            "available": "no" if s.unavailable else "yes",
        }
        for s in result.reps
    ]
    emit(rows, fmt, f"reps at {result.at:%Y-%m-%d %H:%M} UTC", shown)


@click.group(invoke_without_command=True)
@click.pass_context
def routes(ctx: click.Context) -> None:
    """The routing rules of leadgate.toml, in order; 'routes test LEAD' tries one lead."""
    if ctx.invoked_subcommand is not None:
        return
    rules = open_project(ctx).routing.rules
    if not rules:
        console.print(esc("No [routing] rules in leadgate.toml yet: see the README."))
    for i, rule in enumerate(rules, 1):
        when = rule.when or (
            "the account has an owner" if rule.to == "account_owner" else "every other lead"
        )
        console.print(esc(f"{i}. {rule.name}: {when} → {rule.to}"))


@routes.command("test")
@click.argument("lead")
@AT
@JSON
@click.pass_context
def test(ctx: click.Context, lead: str, at: str | None, as_json: bool) -> None:
    """Where LEAD (id, alias or email) would be routed now, and why; nothing is written."""
    project = open_project(ctx)
    result = project.route_test(lead, at=as_of_option(at, project.timezone, "--at"))
    if as_json:
        echo_json(result.as_dict())
        return
    _print_route(result)


def _print_route(result: RouteTest) -> None:
    routed = result.routed
    head = f"{routed.lead_id} → {routed.rep}" if routed.routed else f"{routed.lead_id}: unrouted"
    console.print(f"[bold]{esc(head)}[/bold]")
    for step in routed.reason.split("; "):
        console.print(esc(f"  {step}"))
    if result.recorded:  # what a run stored for the lead
        done = result.recorded
        who = f"assigned to {done['rep']}" if done["rep"] else "unrouted"
        when = f"{done['routed_at']:%Y-%m-%d %H:%M} UTC"
        console.print(esc(f"on record: {who} at {when}: {done['reason']}"))


ASSIGN_COLUMNS = [Column("lead_id", 1), Column("rep", 1), Column("rule", 2), Column("reason", 3)]


@routes.command("assign")
@click.option(
    "--apply", is_flag=True,
    help="Store the assignments (default: only show where each lead would go).",
)  # fmt: skip
@AT
@JSON
@click.pass_context
def assign(ctx: click.Context, apply: bool, at: str | None, as_json: bool) -> None:
    """Route every MQL (stage mql) that has no owner yet, in the order they entered it."""
    project = open_project(ctx)
    result = project.route(apply=apply, at=as_of_option(at, project.timezone, "--at"))
    if as_json:
        echo_json(result.as_dict())
        return
    _print_run(result)


def _print_run(result: RoutingRun) -> None:
    if not result.routed:
        console.print("No MQL without an owner: nothing to route.")
        return
    rows = [r.as_dict() | {"rep": r.rep or "unrouted"} for r in result.routed]
    done = "assigned" if result.applied else "would assign"
    title = f"{done} {len(result.routed) - len(result.unrouted):,} of {len(result.routed):,}"
    emit(rows, "table", title, ASSIGN_COLUMNS)
    if not result.applied:
        console.print(esc("Nothing stored yet: run 'leadgate routes assign --apply' to assign."))
