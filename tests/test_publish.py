"""The published page: what earns points, what disqualifies, what each tier means."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from leadgate.definition import load_compiled
from leadgate.publish import to_html, to_markdown

EXAMPLE = Path(__file__).parents[1] / "examples" / "definitions" / "b2b_saas.yaml"


def test_markdown_lists_rules_events_disqualifiers_and_tiers() -> None:
    c = load_compiled(EXAMPLE)
    page = to_markdown(c, today=dt.date(2026, 11, 22))
    assert f"definition {c.short_hash}" in page
    assert (
        "| manager or above | `seniority in ['manager', 'director', 'vp', 'cxo']` | +15 |" in page
    )
    assert "| job seeker title |" in page and "| -30 |" in page
    assert "| pricing_page | +20 | 30 days | last 90 days | 40 |" in page
    assert "| competitor |" in page
    assert "| 1 | hot |" in page and "1 hour" in page and "ae-fast-lane" in page
    assert "no (nurture)" in page
    # Negative rules come after the positive ones, so the page reads top-down.
    assert page.index("| personal email |") > page.index("| core geography |")


def test_review_due_is_flagged() -> None:
    c = load_compiled(EXAMPLE)
    assert "OVERDUE" in to_markdown(c, today=dt.date(2027, 4, 1))
    assert "OVERDUE" not in to_markdown(c, today=dt.date(2027, 3, 1))


def test_html_escapes_everything_the_definition_says() -> None:
    c = load_compiled(
        text="name: '<script>alert(1)</script>'\nversion: '1'\nfit:\n  rules:\n"
        "    - {name: '<b>x</b>', when: \"title contains '<i>'\", points: 1}\n"
    )
    page = to_html(c)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<b>x</b>" not in page and "&lt;i&gt;" in page
