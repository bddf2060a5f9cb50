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


def trend(points: list[dict[str, Any]], title: str) -> Markup:
    """A score over time: one point per ``{"at", "total", "tier"}``, joined by a line,
    each point's tier in its tooltip; the axis from the lowest score (or 0) to the highest.

    >>> "polyline" in trend([{"at": "2026-01-01T00:00:00", "total": 12.0, "tier": None}], "S")
    True
    """
    width, height, pad = 420, 160, 24
    totals = [float(p["total"]) for p in points]
    low, high = min([0.0, *totals]), max([1.0, *totals])
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def y(total: float) -> float:
        return height - pad - (total - low) / (high - low) * (height - 2 * pad)

    parts = [_open(width, height, title)]
    parts.append(
        f'<text x="0" y="12" class="value">{high:g}</text>'
        f'<text x="0" y="{height - pad + 4}" class="value">{low:g}</text>'
    )
    xy = [(pad + step * i, y(t), p) for i, (t, p) in enumerate(zip(totals, points, strict=True))]
    parts.append(
        '<polyline points="' + " ".join(f"{x:.1f},{v:.1f}" for x, v, _ in xy) + '" class="curve">'
        "</polyline>"
    )
    for x, v, p in xy:
        tier = f", tier {escape(p['tier'])}" if p.get("tier") else ""
        parts.append(
            f'<circle cx="{x:.1f}" cy="{v:.1f}" r="3" class="s0"><title>'
            f"{escape(str(p['at'])[:10])}: {float(p['total']):g}{tier}</title></circle>"
        )
    if points:
        first, last = str(points[0]["at"])[:10], str(points[-1]["at"])[:10]
        parts.append(f'<text x="{pad}" y="{height - 4}" class="tick">{escape(first)}</text>')
        parts.append(
            f'<text x="{width - pad - 70}" y="{height - 4}" class="tick">{escape(last)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _open(width: float, height: float, title: str) -> str:
    return (
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


__all__ = ["columns", "reliability", "trend"]
