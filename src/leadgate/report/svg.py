"""Three small chart drawers that write inline SVG: bars, intervals and a calibration curve.

Why our own and not a chart library: the report must open offline and be forwarded as one
file, so no script from a CDN, and a JavaScript library inlined would be most of the file.
Three chart kinds cover the report; each is a function of plain numbers to an SVG string,
every piece of text escaped. The SVG is well-formed XML (the tests parse it).

>>> svg = bars(["won"], [("count", [3.0])], percent=False)
>>> svg.startswith("<svg") and ">3<" in svg
True
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 640
ROW = 22
LABEL_CHARS = 34
COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#b279a2")
FONT = 'font-family="sans-serif" font-size="12"'


def _text(value: str) -> str:
    return escape(value, quote=True)


def _label(x: float, y: float, text: str, anchor: str = "end") -> str:
    """A label, cut to :data:`LABEL_CHARS` on screen with the whole text as its tooltip
    (the table under the chart always shows it whole)."""
    shown = text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT}>'
        f"<title>{_text(text)}</title>{_text(shown)}</text>"
    )


def _number(value: float, percent: bool) -> str:
    return f"{100 * value:.1f} %" if percent else f"{value:,.6g}"


def _frame(height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" role="img"><title>{_text(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    percent: bool = True,
    title: str = "",
) -> str:
    """Horizontal bars, one per label and series, from 0 to the largest value; a missing
    value is written as "no value", not drawn as 0."""
    left, right = 230, WIDTH - 70
    values = [v for _, vs in series for v in vs if v is not None]
    top = max([v for v in values if v > 0], default=1.0)
    body, y = [], 8.0
    for i, label in enumerate(labels):
        for k, (name, vs) in enumerate(series):
            shown = label if len(series) == 1 else f"{label} · {name}"
            body.append(_label(left - 6, y + 14, shown))
            value = vs[i]
            if value is None:
                body.append(f'<text x="{left + 4}" y="{y + 14:.1f}" {FONT} fill="#777">'
                            "no value</text>")  # fmt: skip
            else:
                w = max(0.0, value) / top * (right - left)
                colour = COLOURS[k % len(COLOURS)]
                body.append(f'<rect x="{left}" y="{y + 3:.1f}" width="{w:.1f}" height="{ROW - 6}" '
                            f'fill="{colour}"/>')  # fmt: skip
                body.append(f'<text x="{left + w + 4:.1f}" y="{y + 14:.1f}" {FONT}>'
                            f"{_text(_number(value, percent))}</text>")  # fmt: skip
            y += ROW
        y += 4 if len(series) > 1 else 0
    return _frame(y + 8, body, title)


def intervals(
    labels: Sequence[str],
    lows: Sequence[float | None],
    mids: Sequence[float | None],
    highs: Sequence[float | None],
    *,
    percent: bool = True,
    title: str = "",
) -> str:
    """A dot per label at ``mids`` with a whisker from ``lows`` to ``highs``, around a
    zero line: a whisker that crosses it is no effect."""
    left, right = 230, WIDTH - 20
    known = [v for v in (*lows, *highs) if v is not None]
    lo, hi = min([0.0, *known]), max([0.0, *known])
    span = (hi - lo) or 1.0

    def x(v: float) -> float:
        return left + (v - lo) / span * (right - left)

    height = 30 + ROW * len(labels)
    body = [f'<line x1="{x(0):.1f}" y1="4" x2="{x(0):.1f}" y2="{height - 22}" stroke="#999" '
            'stroke-dasharray="3,3"/>',
            f'<text x="{left}" y="{height - 6}" {FONT}>{_text(_number(lo, percent))}</text>',
            f'<text x="{right}" y="{height - 6}" text-anchor="end" {FONT}>'
            f"{_text(_number(hi, percent))}</text>"]  # fmt: skip
    for i, label in enumerate(labels):
        y = 8 + i * ROW + ROW / 2
        body.append(_label(left - 6, y + 4, label))
        a, m, b = lows[i], mids[i], highs[i]
        if a is None or m is None or b is None:
            body.append(
                f'<text x="{left + 4}" y="{y + 4:.1f}" {FONT} fill="#777">cannot tell</text>'
            )
            continue
        colour = COLOURS[0] if a > 0 else COLOURS[1] if b < 0 else "#888"
        body.append(f'<line x1="{x(a):.1f}" y1="{y:.1f}" x2="{x(b):.1f}" y2="{y:.1f}" '
                    f'stroke="{colour}" stroke-width="2"/>')  # fmt: skip
        body.append(f'<circle cx="{x(m):.1f}" cy="{y:.1f}" r="4" fill="{colour}">'
                    f"<title>{_text(_number(m, percent))}</title></circle>")  # fmt: skip
    return _frame(height, body, title)


def curve(xs: Sequence[float], ys: Sequence[float], *, title: str = "") -> str:
    """Points (x, y) on [0, 1]², joined, beside the diagonal y = x (perfect calibration)."""
    size, pad = 300, 40

    def px(v: float) -> float:
        return pad + v * size

    def py(v: float) -> float:
        return pad + (1 - v) * size

    body = [f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="none" '
            'stroke="#999"/>',
            f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(1)}" y2="{py(1)}" stroke="#999" '
            'stroke-dasharray="4,4"/>',
            f'<text x="{px(0.5)}" y="{py(0) + 28}" text-anchor="middle" {FONT}>predicted</text>',
            f'<text x="{pad - 28}" y="{py(0.5)}" {FONT} transform="rotate(-90 {pad - 28} '
            f'{py(0.5)})" text-anchor="middle">observed</text>']  # fmt: skip
    for t in (0.0, 0.5, 1.0):
        body.append(f'<text x="{px(t)}" y="{py(0) + 14}" text-anchor="middle" {FONT}>{t:g}</text>')
        body.append(f'<text x="{pad - 4}" y="{py(t) + 4}" text-anchor="end" {FONT}>{t:g}</text>')
    points = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in zip(xs, ys, strict=True))
    if points:
        body.append(f'<polyline points="{points}" fill="none" stroke="{COLOURS[0]}" '
                    'stroke-width="2"/>')  # fmt: skip
    for a, b in zip(xs, ys, strict=True):
        body.append(f'<circle cx="{px(a):.1f}" cy="{py(b):.1f}" r="3.5" fill="{COLOURS[0]}"/>')
    return _frame(size + 2 * pad + 10, body, title)
