"""The report as one self-contained HTML file: the tables of :mod:`.tables`, their charts
drawn by :mod:`.svg`, one inline style sheet, no script, no font or image from anywhere.

Every text that comes from data (rule names, sources, companies, the definition's name) is
escaped here, at the one place text becomes HTML. The document is also well-formed XML,
which the tests use to parse it strictly.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ..analytics.intervals import pct
from . import svg
from .tables import Chart, ReportData, Table

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.7em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
p.note { color: #555; font-size: 0.9em; }
nav a { margin-right: 1em; }
"""

#: Columns holding shares, shown as percentages in the tables.
SHARE_COLUMNS = frozenset(
    {"MQL→won", "rate", "rate met", "rate not met", "difference", "low", "high", "precision",
     "recall", "predicted", "observed"}
)  # fmt: skip


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def cell(column: str, value: Any) -> tuple[str, bool]:
    """A value as the table shows it, and whether it is a number (aligned right)."""
    if value is None:
        return "", False
    if column in SHARE_COLUMNS and isinstance(value, (int, float)):
        return pct(float(value)), True
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return f"{value:,.2f}", True
    return str(value), False


def table_html(t: Table) -> str:
    if not t.rows:
        return ""
    head = "".join(f"<th>{_e(c)}</th>" for c in t.columns)
    body = []
    for row in t.rows:
        cells = []
        for c in t.columns:
            text, numeric = cell(c, row.get(c))
            cls = ' class="n"' if numeric else ""
            cells.append(f"<td{cls}>{_e(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _column(t: Table, name: str) -> list[float | None]:
    return [None if r.get(name) is None else float(r[name]) for r in t.rows]


def chart_svg(t: Table, chart: Chart) -> str:
    """Draw ``chart`` of ``t``'s rows (the one place a chart kind turns into a drawer)."""
    labels = [str(r.get(chart.label, "")) for r in t.rows]
    if chart.kind == "bars":
        series = [(name, _column(t, name)) for name in chart.values]
        return svg.bars(labels, series, percent=chart.percent, title=t.title)
    if chart.kind == "intervals":
        low, mid, high = (_column(t, name) for name in chart.values)
        return svg.intervals(labels, low, mid, high, percent=chart.percent, title=t.title)
    if chart.kind == "curve":
        xs, ys = _column(t, chart.label), _column(t, chart.values[0])
        pairs = [(a, b) for a, b in zip(xs, ys, strict=True) if a is not None and b is not None]
        return svg.curve([a for a, _ in pairs], [b for _, b in pairs], title=t.title)
    raise ValueError(f"unknown chart kind {chart.kind!r}")


def section(t: Table) -> str:
    parts = [f'<section id="{_e(t.key)}"><h2>{_e(t.title)}</h2>']
    if t.chart is not None and t.rows:
        parts.append(f"<figure>{chart_svg(t, t.chart)}</figure>")
    parts.append(table_html(t))
    parts += [f'<p class="note">{_e(note)}</p>' for note in t.notes]
    parts.append("</section>")
    return "".join(parts)


def render(data: ReportData) -> str:
    """The whole document."""
    nav = "".join(f'<a href="#{_e(t.key)}">{_e(t.title)}</a>' for t in data.tables)
    return (
        '<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head>'
        '<meta charset="utf-8"/><meta name="viewport" content="width=device-width"/>'
        f"<title>{_e(data.title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{_e(data.title)}</h1>"
        f'<p class="note">As of {_e(f"{data.as_of:%Y-%m-%d %H:%M}")} UTC. Made by leadgate; '
        "this file needs no network to open.</p>"
        f"<nav>{nav}</nav>" + "".join(section(t) for t in data.tables) + "</body></html>\n"
    )
