"""A count held to its saturation reads as every larger count does (Hypothesis)."""

from __future__ import annotations

import operator

from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.analytics.saturation import saturations
from leadgate.definition import load_compiled

OPS = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
       ">": operator.gt, ">=": operator.ge}  # fmt: skip


def capped(cents: int, cap: int, count: int) -> int:
    """A rule's points as the plan holds them to its cap (a negative rule above -cap)."""
    return min(cents * count, cap) if cents > 0 else max(cents * count, -cap)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-5000, 5000).filter(bool), st.integers(1, 20000), st.integers(0, 400)
)  # fmt: skip
def test_a_capped_rule_reads_the_same_past_its_saturation(cents, cap, count) -> None:  # type: ignore[no-untyped-def]
    c = load_compiled(
        text=f"""
name: s
version: '1'
engagement:
  events:
    - {{type: pricing_page, points: {cents / 100}, cap: {cap / 100}}}
tiers:
  - {{name: mql, when: engagement >= 10}}
"""
    )
    (held,) = saturations(c)
    assert held is not None
    assert capped(cents, cap, min(count, held)) == capped(cents, cap, count)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(OPS)),
    st.one_of(st.integers(-3, 12), st.sampled_from([0.5, 2.5, 3.999, 7.01])),
    st.booleans(),
    st.integers(0, 40),
    st.booleans(),
)
def test_a_compared_count_reads_the_same_past_its_saturation(
    op, literal, left, count, sums
) -> None:  # type: ignore[no-untyped-def]
    """``count(...) OP literal`` (either side) gives the same verdict for the count and for
    the count held to its saturation; read through arithmetic anywhere, it is not held."""
    compared = (
        f"count(pricing_page, 7d) {op} {literal}"
        if left
        else f"{literal} {op} count(pricing_page, 7d)"
    )
    c = load_compiled(
        text=f"""
name: s
version: '1'
tiers:
  - {{name: mql, when: '{compared}'}}
  - {{name: other, when: 'count({"pricing_page, 7d" if sums else "blog_view"}) * 2 >= 3'}}
"""
    )
    held, *free = saturations(c)
    assert free in ([], [None])
    if sums:  # the same count read through arithmetic too: it is not held
        assert held is None
        return
    if held is None:  # a negative literal is a unary minus, not a literal: held not at all
        assert literal < 0
        return
    test = OPS[op]
    kept = min(count, held)
    if left:
        assert test(kept, literal) == test(count, literal)
    else:
        assert test(literal, kept) == test(literal, count)
