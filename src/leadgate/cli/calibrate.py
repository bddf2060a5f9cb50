"""``leadgate calibrate``: learn points and thresholds from outcomes, propose a new version."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .app import JSON, as_of_option, open_project
from .output import Column, console, echo_json, emit, err_console, esc

if TYPE_CHECKING:
    from ..calibrate import Calibration

RULE_COLUMNS = [
    Column("name", 1),
    Column("points", 1, numeric=True),
    Column("when", 3),
    Column("met_share", 4, numeric=True),
]
TIER_COLUMNS = [
    Column("tier", 1),
    Column("threshold", 1, numeric=True),
    Column("leads", 1, numeric=True),
    Column("rate", 1, numeric=True),
]
COMPARISON_COLUMNS = [
    Column("definition", 1),
    Column("auc", 1, numeric=True),
    Column("mqls", 2, numeric=True),
    Column("precision", 1, numeric=True),
    Column("recall", 1, numeric=True),
]


@click.command()
@click.option(
    "--outcome", default="won", show_default=True,
    help="What converting means: won, sql, accepted, ... or a lead column holding 0/1, yes/no.",
)  # fmt: skip
@click.option("--split-by", help="A lead date (or order) column: a time-ordered split.")
@click.option("--folds", type=int, help="Cross-validate in this many folds instead.")
@click.option("--exclude", multiple=True, help="A column that leaks the outcome (repeatable).")
@click.option("--capacity", help="MQLs sales can work, e.g. 400/month.")
@click.option("--target-rate", type=float, help="The MQL conversion to reach, e.g. 0.3.")
@click.option("--penalty", type=click.Choice(["l1", "l2"]), default="l2", show_default=True)
@click.option(
    "--min-age", "min_age_days", type=click.IntRange(min=1), metavar="DAYS",
    help="Leave out leads younger than this many days: they had no time to convert.",
)  # fmt: skip
@click.option("--as-of", help="Only outcomes and events up to this time (default: now).")
@click.option(
    "--definition", "definition_file", type=click.Path(dir_okay=False),
    help="The definition to improve (default: the project's).",
)  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False), help="Write the proposal's YAML here.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the diff against the current one.")
@click.option(
    "--engine", type=click.Choice(["duckdb", "spark"]),
    help="Where to extract the features (default: [engine] name, else duckdb). Spark reads "
    "the inputs of [engine.tables]; outcomes and the fitting stay with the store.",
)  # fmt: skip
@JSON
@click.pass_context
def calibrate(
    ctx: click.Context,
    outcome: str,
    split_by: str | None,
    folds: int | None,
    exclude: tuple[str, ...],
    capacity: str | None,
    target_rate: float | None,
    penalty: str,
    min_age_days: int | None,
    as_of: str | None,
    definition_file: str | None,
    out: str | None,
    show_diff: bool,
    engine: str | None,
    as_json: bool,
) -> None:
    """Learn which criteria predict the outcome and propose the definition's next version."""
    project = open_project(ctx)
    result = project.calibrate(
        outcome=outcome, split_by=split_by, exclude=exclude, folds=folds, capacity=capacity,
        target_rate=target_rate, penalty=penalty, min_age_days=min_age_days,
        as_of=as_of_option(as_of, project.timezone),
        definition=definition_file, out=out, engine=engine,
    )  # fmt: skip
    if as_json:
        echo_json(result.as_dict())
        return
    _print(result, out, show_diff)


def _print(r: Calibration, out: str | None, show_diff: bool) -> None:
    console.print(
        f"Calibrated on [bold]{r.leads:,}[/bold] leads ({r.conversions:,} converted, outcome "
        f"{esc(r.outcome)}); {esc(r.split)}.",
        highlight=False,
    )
    for warning in r.warnings:
        err_console.print(f"[yellow]leak: {esc(warning)}[/yellow]", highlight=False)
    emit([{"model": k, "auc": v} for k, v in r.auc.items()], "table", "holdout ROC AUC",
         [Column("model", 1), Column("auc", 1, numeric=True)])  # fmt: skip
    console.print(f"Points give up {r.auc_given_up} AUC to boosting; Brier {r.brier}.")
    rules = [rule.as_dict() for rule in r.rules if rule.points != 0]
    emit(rules, "table", "points", RULE_COLUMNS)
    emit([t.as_dict() for t in r.tiers], "table", "proposed tiers on the holdout", TIER_COLUMNS)
    rows = [{"definition": k, **v} for k, v in r.comparison.items()]
    emit(rows, "table", "current vs proposed (holdout)", COMPARISON_COLUMNS)
    emit(r.reliability, "table", "reliability", [Column(c, 2, numeric=True) for c in
         ("low", "high", "predicted", "observed", "leads")])  # fmt: skip
    for line in r.drift:
        console.print(f"drift: {esc(line)}", highlight=False)
    console.print(esc(r.backtest), highlight=False)
    where = f"written to {out}" if out else "not written (pass --out FILE)"
    console.print(f"Proposal: version {r.proposed_version}, {where}.", highlight=False)
    if show_diff:
        console.print(esc(r.diff), highlight=False)
