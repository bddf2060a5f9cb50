"""``leadgate demo``: the whole path on a generated B2B dataset, and how to explore it."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .app import JSON
from .handoff_sla import CLOCK_COLUMNS, clock_rows
from .output import Column, console, echo_json, emit, esc

if TYPE_CHECKING:
    from ..demo import DemoResult
    from ..demo_handoff import HandoffDemo
    from ..demo_loop import LoopDemo


@click.command()
@click.argument("directory", default="demo-project", type=click.Path(file_okay=False))
@click.option("--leads", "n_leads", default=5_000, show_default=True, help="Leads to generate.")
@click.option("--accounts", default=600, show_default=True, help="Accounts to generate.")
@click.option("--seed", default=7, show_default=True, help="Seed of the generator.")
@click.option(
    "--no-handoff", "no_handoff", is_flag=True,
    help="Score only: no demo reps, routing, SLA sweep or webhook delivery.",
)  # fmt: skip
@JSON
def demo(
    directory: str, n_leads: int, accounts: int, seed: int, no_handoff: bool, as_json: bool
) -> None:
    """Generate a realistic B2B dataset, import it, score it, hand off, and show the result."""
    with console.status("generating, importing and scoring a B2B dataset..."):
        # The demo's data generator (NumPy) loads only for this command, not for every one.
        from ..demo import run_demo

        result = run_demo(
            directory, seed=seed, leads=n_leads, accounts=accounts, handoff=not no_handoff
        )
    if as_json:
        echo_json(result.as_dict())
        return
    command = f"{command_prefix()} -C {shlex.quote(_shown_path(result.directory))}"
    _print_demo(result, command)
    lead = result.queue[0]["lead_id"] if result.queue else "LEAD"
    console.print(f"\nDone in {result.seconds:.1f}s. Explore it (copy any line):", highlight=False)
    for rest in ("leads --tier hot", f"explain {shlex.quote(lead)}", "publish"):
        console.print(f"  {command} {rest}", highlight=False, markup=False, soft_wrap=True)


def _print_demo(result: DemoResult, command: str) -> None:
    imported = ", ".join(f"{r.rows_loaded:,} {k}" for k, r in result.imports.items())
    console.print(f"[bold]leadgate demo[/bold] in {esc(result.directory)}: imported {imported}")
    console.print(
        f"Scored {result.scoring.leads:,} leads as of {result.scoring.as_of:%Y-%m-%d} "
        f"(definition {result.scoring.definition_hash[:12]}) in {result.scoring.seconds:.2f}s"
    )
    emit(
        result.tiers,
        "table",
        "leads by tier, and what sales made of them later",
        [Column(n, 1, numeric=n != "tier") for n in ("tier", "leads", "accepted", "won")]
        + [Column("won_pct", 1, numeric=True)],
    )
    emit(
        result.queue,
        "table",
        "handed to sales: the top of each queue",
        [Column("lead_id", 1), Column("tier", 1), Column("total", 1, numeric=True)]
        + [Column("title", 3), Column("company", 4), Column("route", 2), Column("sla_due", 2)],
        see_all=f"{command} leads --tier hot --format csv",
    )
    for explained in result.explained:
        console.print(
            f"\n[bold]why {esc(explained.lead_id)} is {esc(explained.tier)}[/bold] "
            f"(total {explained.total})"
        )
        for c in explained.contributions:
            if c.cents or c.status == "not judged":
                console.print(
                    f"  {c.points:+8.2f}  {c.group:10} {esc(c.label)}: [dim]{esc(c.detail)}[/dim]",
                    highlight=False,
                )
    if result.handoff is not None:
        _print_handoff(result.handoff, command)
    if result.loop is not None:
        _print_loop(result.loop, command)
    emit(
        [r.as_dict() for r in result.coverage],
        "table",
        "% of leads each rule could not judge, before → after enrichment",
        [Column("rule", 1), Column("kind", 3)]
        + [Column("pct_before", 2, numeric=True), Column("pct_after", 1, numeric=True)],
    )


def _print_handoff(handoff: HandoffDemo, command: str) -> None:
    """The queue with owners and SLA countdowns, the breaches, and what the receiver got."""
    routed = handoff.routed
    console.print(
        f"\n[bold]handoff[/bold]: routed {len(routed.routed) - len(routed.unrouted):,} MQLs "
        f"to the demo reps ({len(routed.unrouted):,} unrouted); swept "
        f"{handoff.sla.at:%Y-%m-%d %H:%M} UTC: {len(handoff.sweep.breaches):,} SLA breach(es)",
        highlight=False,
    )
    rows = clock_rows(handoff.sla)
    shown = [r for r in rows if r["status"] == "breached"][:3]
    shown += [r for r in rows if r["status"] != "breached"][: 8 - len(shown)]
    emit(
        shown, "table", "the queue: owners and SLA countdowns", CLOCK_COLUMNS,
        see_all=f"{command} sla --as-of {handoff.sla.at:%Y-%m-%dT%H:%M}",
    )  # fmt: skip
    for breach in handoff.sweep.breaches[:2]:
        done = f"escalated to {breach.escalated_to}" if breach.escalated_to else "recorded"
        if breach.reassigned_to:
            done += f", reassigned from {breach.owner} to {breach.reassigned_to}"
        console.print(
            esc(f"  breach: {breach.lead_id} ({breach.tier}) due {breach.due_at:%H:%M}: {done}"),
            highlight=False,
        )
    got = ", ".join(f"{n:,} {t}" for t, n in sorted(handoff.received.items()))
    console.print(
        esc(f"webhooks: a local receiver verified and took {got}; rejected {handoff.rejected}"),
        highlight=False,
    )


def _print_loop(loop: LoopDemo, command: str) -> None:
    """Calibration on the outcomes: each definition's tiers, in order or not, and who wins."""
    if loop.note is not None or loop.proposed_path is None or loop.current_path is None:
        console.print(f"\n[bold]calibration[/bold]: {esc(loop.note)}", highlight=False)
        return
    console.print(
        f"\n[bold]calibration[/bold] on '{loop.outcome}' (an SQL or later): proposed "
        f"v{esc(loop.proposed_version)} in {esc(_shown_path(loop.proposed_path))}",
        highlight=False,
    )
    rows = []
    for version, tiers in loop.tiers.items():
        which = "proposed" if version == loop.proposed_version else "current"
        rows += [{"definition": f"{which} v{version}", **t,
                  "rate": "" if t["rate"] is None else f"{100 * t['rate']:.1f} %"}
                 for t in tiers]  # fmt: skip
    emit(
        rows, "table", "SQL rate by tier, leads old enough to have an outcome",
        [Column("definition", 1), Column("tier", 1), Column("leads", 2, numeric=True),
         Column("converted", 2, numeric=True), Column("rate", 1, numeric=True)],
    )  # fmt: skip
    order = "convert in order" if loop.in_order else "do NOT convert in order"
    mine, theirs = loop.holdout["proposed"], loop.holdout["current_same_volume"]
    now, then = loop.backtest["proposed"], loop.backtest["current"]
    words = (
        f"The proposed tiers {order} (each better than the next). On the latest 20 % of the "
        f"leads (not learned from), the proposal {_beats(loop.beats)} the current definition: "
        f"ROC AUC {loop.auc['proposed']} vs {loop.auc['current']}; at the same MQL volume "
        f"({mine.get('mqls')}), precision {_pct(mine.get('precision'))} vs "
        f"{_pct(theirs.get('precision'))}, recall {_pct(mine.get('recall'))} vs "
        f"{_pct(theirs.get('recall'))}. Replayed day by day over the year (leadgate compare, "
        f"learned from most of it), the proposal {_beats(loop.beats_backtest)} it: "
        f"{now['mqls']:,} MQLs vs {then['mqls']:,}, precision {_pct(now['precision'])} vs "
        f"{_pct(then['precision'])}, recall {_pct(now['recall'])} vs {_pct(then['recall'])}."
    )
    console.print(esc(words), highlight=False)
    # File arguments are read from the folder the command runs in (not -C's): the paths are
    # shown as from here, like the project's, so the line works as pasted.
    files = (loop.current_path, loop.proposed_path)
    console.print(
        f"  replay both day by day: {command} compare "
        + " ".join(shlex.quote(_shown_path(f)) for f in files),
        highlight=False, markup=False, soft_wrap=True,
    )  # fmt: skip


def _beats(beats: bool) -> str:
    return "beats" if beats else "does NOT beat"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def command_prefix() -> str:
    """How to run leadgate again, as typed in a new shell in this folder.

    ``leadgate`` when this very program is what the shell finds under that name; else its
    path (relative to here when inside this folder, like ``.venv/bin/leadgate``); when run
    as ``python -m leadgate``, that.
    """
    program = Path(sys.argv[0])
    if program.name != "leadgate" or not program.is_file():
        return f"{shlex.quote(sys.executable)} -m leadgate"
    found = shutil.which("leadgate")
    if found is not None and Path(found).resolve() == program.resolve():
        return "leadgate"
    return shlex.quote(_shown_path(program.resolve()))


def _shown_path(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it, else absolute."""
    here = Path(os.getcwd()).resolve()
    try:
        relative = path.resolve().relative_to(here)
    except ValueError:
        return str(path.resolve())
    text = str(relative)
    return text if "/" in text else f"./{text}" if path.is_file() else text
