"""HTML from the templates: one Jinja environment, autoescaping every value.

Everything a user or a file provided (company names, titles, reasons, rule names, the
definition's text) reaches a template as data and is escaped there; no template marks a
value ``|safe``. Charts are inline SVG drawn here from numbers (:func:`bars`), so a page
needs no chart library and no network.

A page that the server sends again to everyone asking for it in the same second
(:mod:`leadgate.api.kept`) is rendered once per role (:func:`role_html`: the navigation
and the buttons follow the role), with the two things that differ between two people of
one role, their name and their session's CSRF token, left as marks; :func:`personal`
puts the person's own in, escaped, for each request. The marks carry a secret made when
the process starts, so no stored text can spell one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from .. import __version__
from . import charts

TEMPLATES = Path(__file__).parent / "templates"

NAV = [
    ("/", "Overview"),
    ("/queue", "Sales queue"),
    ("/definition", "Definition"),
    ("/compare", "Compare"),
    ("/calibration", "Calibration"),
    ("/reps", "Routing and reps"),
    ("/people", "People"),
]


def _when(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def _number(value: Any, sign: bool = False) -> str:
    """A score or points as people write them: ``95``, ``27.87``, ``-10`` (``+`` with
    ``sign``), never in exponent notation."""
    if value is None:
        return ""
    text = f"{float(value):{'+' if sign else ''}.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("+0", "-0") else text


def _pct(value: Any) -> str:
    """A share as a percentage with one decimal (``12.5 %``), ``-`` when unknown."""
    return "-" if value is None else f"{100 * float(value):.1f} %"


def _duration(seconds: Any) -> str:
    """Seconds as people read a wait: ``45m``, ``3h 20m``, ``2d 4h``; ``-`` unknown."""
    if seconds is None:
        return "-"
    from .sla import span

    return span(dt.timedelta(seconds=float(seconds)))


def _points(value: Any) -> str:
    return _number(value, sign=True)


def bars(rows: list[dict[str, Any]], label: str, value: str, title: str) -> Markup:
    """A horizontal bar chart as inline SVG (labels escaped), with a text equivalent."""
    top = max((float(r[value]) for r in rows), default=0.0) or 1.0
    height = 26 * len(rows) + 4
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 420 {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i, row in enumerate(rows):
        y = 4 + 26 * i
        width = 250 * float(row[value]) / top
        parts.append(
            f'<text x="0" y="{y + 16}" class="label">{escape(str(row[label]))}</text>'
            f'<rect x="120" y="{y + 3}" width="{width:.1f}" height="18" class="bar"></rect>'
            f'<text x="{126 + width:.1f}" y="{y + 16}" class="value">{escape(str(row[value]))}'
            "</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["when"] = _when
ENV.filters["points"] = _points
ENV.filters["number"] = _number
ENV.filters["pct"] = _pct
ENV.filters["duration"] = _duration
ENV.globals["bars"] = bars
ENV.globals["columns"] = charts.columns
ENV.globals["reliability"] = charts.reliability
ENV.globals["trend"] = charts.trend
ENV.globals["version"] = __version__


def html(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered with ``context``, the signed-in person and the navigation."""
    session = getattr(request.state, "session", None)
    body = ENV.get_template(template).render(
        request_path=request.url.path,
        session=session,
        user=session.user if session is not None else None,
        csrf_token=session.csrf_token if session is not None else "",
        nav=NAV,
        **context,
    )
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


#: The marks :func:`role_html` leaves for the person's name and CSRF token.
_SECRET = secrets.token_hex(16)
NAME_MARK = f"lg-name-{_SECRET}"
CSRF_MARK = f"lg-csrf-{_SECRET}"
_MARKS = re.compile(f"{NAME_MARK}|{CSRF_MARK}")


def role_html(request: Request, template: str, **context: Any) -> str:
    """``template`` as anyone with the signed-in person's role sees it, their name and
    CSRF token left as marks for :func:`personal` (the page must need a session)."""
    session = request.state.session
    return ENV.get_template(template).render(
        request_path=request.url.path,
        session=None,
        user=dataclasses.replace(session.user, name=NAME_MARK),
        csrf_token=CSRF_MARK,
        nav=NAV,
        **context,
    )


def personal(request: Request, body: str) -> HTMLResponse:
    """A page of :func:`role_html` with the signed-in person's name and CSRF token."""
    session = request.state.session
    own = {NAME_MARK: str(escape(session.user.name)), CSRF_MARK: str(escape(session.csrf_token))}
    return HTMLResponse(
        _MARKS.sub(lambda m: own[m.group(0)], body), status_code=200, headers=SECURITY_HEADERS
    )


#: Sent with every page: no framing by other sites, no inline or foreign script.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
