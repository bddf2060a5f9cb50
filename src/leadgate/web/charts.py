"""Charts drawn on the server as inline SVG: no chart library, no network, no script.

Each takes plain rows and returns markup whose every label is escaped; each chart carries
a ``<title>`` for screen readers, and the pages put the same numbers in a table beside it.
Series colours come from classes (``s0``…``s5`` in ``site.css``), never inline style, so
the page's Content-Security-Policy holds.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

#: Distinct series colours in the stylesheet; more series than this share the last.
SERIES = 6


def columns(rows: list[dict[str, Any]], title: str) -> Markup:
    """Stacked columns: one column per ``month`` (``YYYY-MM``), stacked by ``key``,
    heights ``mqls``; a legend names each key.

    >>> "<rect" in columns([{"month": "2026-11", "key": "hot", "mqls": 3}], "MQLs")
    True
    """
    months = sorted({str(r["month"]) for r in rows})
    keys = sorted({str(r["key"]) for r in rows})
    stacks: dict[str, list[tuple[str, int]]] = {w: [] for w in months}
    for r in rows:
        stacks[str(r["month"])].append((str(r["key"]), int(r["mqls"])))
    top = max((sum(n for _, n in s) for s in stacks.values()), default=0) or 1
    width, height, base = 40 * max(len(months), 1) + 50, 200, 170
    parts = [_open(width, height + 22 * ((len(keys) + 2) // 3), title)]
    parts.append(f'<text x="0" y="12" class="value">{top}</text>')
    for i, month in enumerate(months):
        x, y = 40 + 40 * i, float(base)
        for key, n in sorted(stacks[month], key=lambda kn: keys.index(kn[0])):
            h = 150 * n / top
            y -= h
            series = min(keys.index(key), SERIES - 1)
            parts.append(
                f'<rect x="{x}" y="{y:.1f}" width="30" height="{h:.1f}" class="s{series}">'
                f"<title>{escape(month)} {escape(key)}: {n}</title></rect>"
            )
        parts.append(f'<text x="{x}" y="{base + 14}" class="tick">{escape(month[2:])}</text>')
    for j, key in enumerate(keys):
        x, y = 140 * (j % 3), height + 22 * (j // 3)
        series = min(j, SERIES - 1)
        parts.append(
            f'<rect x="{x}" y="{y - 11}" width="12" height="12" class="s{series}"></rect>'
            f'<text x="{x + 16}" y="{y}" class="label">{escape(key[:16])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def reliability(points: list[dict[str, Any]], title: str) -> Markup:
    """Predicted against observed conversion (both 0..1): the points and the diagonal a
    well-calibrated model lies on.

    >>> "polyline" in reliability([{"predicted": 0.1, "observed": 0.12, "leads": 5}], "R")
    True
    """
    size, pad = 220, 30
    scale = size - 2 * pad
    top = max([0.05, *(max(float(p["predicted"]), float(p["observed"])) for p in points)])

    def at(value: float) -> float:
        return float(value) / top * scale

    parts = [_open(size, size, title)]
    parts.append(
        f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{pad}" class="ideal"></line>'
        f'<text x="{pad}" y="{size - 8}" class="tick">predicted (0 to {top:.0%})</text>'
        f'<text x="0" y="{pad - 10}" class="tick">observed</text>'
    )
    xy = [(pad + at(p["predicted"]), size - pad - at(p["observed"]), p) for p in points]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in xy)
    parts.append(f'<polyline points="{line}" class="curve"></polyline>')
    for x, y, p in xy:
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="s0"><title>predicted '
            f"{p['predicted']:.1%}, observed {p['observed']:.1%}, {p['leads']} leads"
            "</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _open(width: float, height: float, title: str) -> str:
    return (
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


__all__ = ["columns", "reliability"]
