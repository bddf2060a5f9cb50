"""The definition's ``lifecycle:`` and a tier's ``sla_hours``: every problem at once, with
its code, path and line; a definition without them keeps its hash."""

from __future__ import annotations

from leadgate.definition import load_compiled, validate
from leadgate.definition.compile import canonical

BASE = """\
name: t
version: '1'
tiers:
  - {name: hot, when: score >= 50, sla: 1h, sla_hours: business}
  - {name: warm, when: score >= 20, sla_hours: business}
  - {name: cool, when: score >= 10, sla_hours: weekly, sla: 2h}
"""


def test_every_lifecycle_problem_is_reported_at_once_with_its_code() -> None:
    text = BASE + (
        "lifecycle:\n"
        "  recycle_untouched_after: 30m\n"
        "  recycle_below_tier: true\n"
        "  reentry_events: [demo_requst]\n"
    )
    result = validate(text=text)
    found = {(p.code, p.path, p.severity) for p in result.problems}
    assert found == {
        ("LG140", "tiers[1].sla_hours", "error"),
        ("LG110", "tiers[2].sla_hours", "error"),
        ("LG142", "lifecycle.recycle_untouched_after", "warning"),
        ("LG110", "lifecycle.recycle_below_tier", "error"),
        ("LG141", "lifecycle.reentry_events[0]", "error"),
    }
    messages = {p.code: p for p in result.problems}
    assert messages["LG141"].hint == "did you mean 'demo_request'?"
    assert messages["LG141"].line == 10
    assert "'calendar' or 'business'" in next(
        p.message for p in result.problems if p.path == "tiers[2].sla_hours"
    )


def test_lifecycle_without_a_sales_tier_is_a_warning() -> None:
    text = (
        "name: t\nversion: '1'\ntiers:\n  - {name: n, when: 'true', sales: false}\n"
        "lifecycle: {recycle_below_tiers: true}\n"
    )
    result = validate(text=text)
    assert result.ok and [p.code for p in result.warnings] == ["LG143"]


def test_a_valid_lifecycle_compiles_and_old_definitions_keep_their_hash() -> None:
    plain = "name: t\nversion: '1'\ntiers:\n  - {name: hot, when: score >= 50, sla: 1h}\n"
    with_rules = plain + (
        "lifecycle: {recycle_untouched_after: 14d, reentry_events: [webinar_attended]}\n"
    )
    compiled = load_compiled(text=with_rules)
    assert compiled.definition.lifecycle is not None
    assert compiled.definition.lifecycle.recycle_untouched_after == "14d"
    assert load_compiled(text=plain).hash != compiled.hash
    # A definition written before lifecycle existed hashes as it always did: what it does not
    # say is left out of the hashed form.
    hashed = canonical(load_compiled(text=plain).definition)
    assert "lifecycle" not in hashed and "sla_hours" not in hashed["tiers"][0]  # type: ignore[index]


def test_publish_shows_business_hours_and_the_lifecycle() -> None:
    from leadgate.publish import to_html, to_markdown

    text = (
        "name: t\nversion: '1'\ntiers:\n"
        "  - {name: hot, when: score >= 50, sla: 4h, sla_hours: business}\n"
        "lifecycle: {recycle_untouched_after: 14d, recycle_below_tiers: true, "
        "reentry_events: [demo_request]}\n"
    )
    page = to_markdown(load_compiled(text=text))
    assert "| 4 hours of business hours |" in page
    assert "| no sales touch within 2 weeks of MQL entry | recycled |" in page
    assert "| a scoring run puts the MQL in no sales tier | recycled |" in page
    assert "new engagement (demo_request)" in page
    assert "Lifecycle" in to_html(load_compiled(text=text))
    assert "Lifecycle" not in to_markdown(load_compiled(text=text.split("lifecycle")[0]))
