"""``leadgate outbox``: the events waiting for, delivered to, or given up by the webhooks."""

from __future__ import annotations

import click

from ..handoff.outbox import STATES, MessageDetail
from ..handoff.webhooks import DeliveryReport
from .app import JSON, listing_options, open_project
from .output import Column, console, echo_json, emit, esc, pick_columns

OUTBOX_COLUMNS = [
    Column("message_id", 1),
    Column("event_type", 1),
    Column("state", 1),
    Column("attempts", 3, numeric=True),
    Column("next_attempt_at", 2),
    Column("lead_id", 4),
    Column("last_error", 5),
]
DELIVERY_COLUMNS = [
    Column("attempt", 1, numeric=True),
    Column("attempted_at", 1),
    Column("status_code", 1, numeric=True),
    Column("error", 2),
    Column("endpoint", 3),
    Column("round", 4, numeric=True),
]


@click.group(invoke_without_command=True)
@click.option("--state", type=click.Choice(STATES), help="Only the messages in this state.")
@click.option("--limit", type=int, default=50, show_default=True, help="At most this many.")
@listing_options(OUTBOX_COLUMNS)
@click.pass_context
def outbox(
    ctx: click.Context,
    state: str | None,
    limit: int,
    fmt: str,
    columns: str | None,
    as_json: bool,
) -> None:
    """List the outbox: events for the webhooks, the newest first (see its commands)."""
    if ctx.invoked_subcommand is not None:
        return
    listing = open_project(ctx).outbox(state=state, limit=limit)
    fmt = "json" if as_json else fmt
    counts = ", ".join(f"{n:,} {s}" for s, n in listing.counts.items())
    rows = [m.as_dict() for m in listing.messages]
    for row, message in zip(rows, listing.messages, strict=True):
        row["next_attempt_at"] = message.next_attempt_at  # a table shows it to the minute
    title = f"outbox: {counts}"
    emit(rows, fmt, title, pick_columns(OUTBOX_COLUMNS, columns), document=listing.as_dict())


@outbox.command()
@click.argument("message_id")
@JSON
@click.pass_context
def show(ctx: click.Context, message_id: str, as_json: bool) -> None:
    """One message: its body and every try on every endpoint."""
    detail = open_project(ctx).outbox_message(message_id)
    if as_json:
        echo_json(detail.as_dict())
        return
    _print_detail(detail)


def _print_detail(detail: MessageDetail) -> None:
    m = detail.message
    console.print(
        f"[bold]{esc(m.message_id)}[/bold] {esc(m.event_type)} lead {esc(m.lead_id or '-')}: "
        f"{m.state}, {m.attempts} tr(ies) in round {m.round}",
        highlight=False,
    )
    if m.next_attempt_at is not None:
        console.print(f"next try at {m.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC", highlight=False)
    if m.last_error:
        console.print(f"last error: {esc(m.last_error)}", highlight=False)
    console.print(esc(m.body), highlight=False, soft_wrap=True)
    if detail.deliveries:
        emit(detail.deliveries, "table", "tries", DELIVERY_COLUMNS, see_all="--json")


@outbox.command()
@click.argument("message_id")
@JSON
@click.pass_context
def replay(ctx: click.Context, message_id: str, as_json: bool) -> None:
    """Send a message again, with the same webhook-id, to every endpoint."""
    message = open_project(ctx).replay(message_id)
    if as_json:
        echo_json(message.as_dict())
        return
    console.print(
        f"{esc(message.message_id)} is pending again (round {message.round}): "
        "`leadgate outbox deliver` sends it.",
        highlight=False,
    )


@outbox.command()
@click.option(
    "--until-empty", is_flag=True,
    help="Keep going, waiting for each retry, until no message is left to deliver.",
)  # fmt: skip
@JSON
@click.pass_context
def deliver(ctx: click.Context, until_empty: bool, as_json: bool) -> None:
    """Post the messages due now to the [[webhooks]] of leadgate.toml."""
    report = open_project(ctx).deliver(until_empty=until_empty)
    if as_json:
        echo_json(report.as_dict())
        return
    _print_delivery(report)


def _print_delivery(report: DeliveryReport) -> None:
    if not report.endpoints:
        console.print(esc("No [[webhooks]] in leadgate.toml: nothing delivered."), highlight=False)
        return
    console.print(
        f"{report.messages:,} message(s), {report.requests:,} request(s): "
        f"{report.delivered:,} delivered, {report.failed:,} to retry, {report.dead:,} dead",
        highlight=False,
    )
    for url in report.disabled:
        console.print(f"[yellow]{esc(url)} answered 410 Gone: disabled[/yellow]", highlight=False)
    if report.next_due is not None:
        console.print(f"next due at {report.next_due:%Y-%m-%d %H:%M:%S} UTC", highlight=False)


@outbox.command()
@click.argument("url")
@click.pass_context
def enable(ctx: click.Context, url: str) -> None:
    """Let a webhook that answered 410 Gone receive again."""
    was = open_project(ctx).enable_webhook(url)
    console.print(f"{esc(url)} " + ("enabled again." if was else "was not disabled."))
