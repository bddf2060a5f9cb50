"""The expression language: grammar, three-valued logic, types."""

from __future__ import annotations

import pytest

from leadgate.errors import ExpressionError
from leadgate.expr import Scope, check, parse, parse_duration
from leadgate.expr.to_python import RUNTIME, PyEmitter

SCOPE = Scope(
    {
        "company_size": "number",
        "industry": "text",
        "title": "text",
        "account.is_customer": "bool",
        "country": "text",
    },
    frozenset({"pricing_page", "demo_request", "chat"}),
)


def evaluate(text: str, **values: object) -> object:
    checked = check(text, SCOPE)
    names = {name: f"v{i}" for i, name in enumerate(SCOPE.fields)}
    for key in checked.aggregates:
        names[key] = "agg"
    consts: dict[str, object] = {}
    code = PyEmitter(names, dict(SCOPE.fields), consts).emit(checked)
    env = {**RUNTIME, **consts, "agg": values.pop("agg", 0)}
    for name, var in names.items():
        env.setdefault(var, values.get(name.replace(".", "_")))
    return eval(code, env)  # noqa: S307 - evaluating our own emitted code in a test


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("company_size >= 50", {"company_size": 50}, True),
        ("company_size >= 50", {}, None),  # unknown, not false
        ("company_size >= 50 and industry = 'x'", {"industry": "y"}, False),  # None and False
        ("company_size >= 50 or industry = 'x'", {"industry": "X"}, True),  # None or True
        ("not company_size > 3", {}, None),
        ("industry = 'SaaS'", {"industry": "saas"}, True),  # text ignores case
        ("industry in ['Software', 'fintech']", {"industry": "SOFTWARE"}, True),
        ("industry not in ['software']", {"industry": "retail"}, True),
        ("industry not in ['software']", {}, None),
        ("title matches '(?i)^vp\\\\b'", {"title": "VP Finance"}, True),
        ("title contains 'FIN'", {"title": "VP Finance"}, True),
        ("title is null", {}, True),
        ("title is not null", {"title": ""}, True),
        ("company_size / 0 > 1", {"company_size": 5}, None),
        ("company_size * 2 - 1 = 9", {"company_size": 5}, True),
        ("-company_size < 0", {"company_size": 5}, True),
        ("coalesce(company_size, 0) = 0", {}, True),
        ("account.is_customer = true", {"account_is_customer": True}, True),
        ("has(pricing_page, 7d)", {"agg": 2}, True),
        ("count([pricing_page, chat], 7d) >= 3", {"agg": 2}, False),
    ],
)
def test_three_valued_semantics(text: str, values: dict, expected: object) -> None:
    assert evaluate(text, **values) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("industry >= 5", "compares numbers"),
        ("company_size = 'big'", "Cannot compare a number with text"),
        ("industry = null", "is null"),
        ("company_size and industry = 'x'", "must be a condition"),
        ("count(pricing, 7d) > 1", "Unknown event type 'pricing'"),
        ("count(pricing_page, 0d) > 1", "longer than zero"),
        ("count(pricing_page, 7) > 1", "must be a duration"),
        ("frobnicate(1)", "Unknown function"),
        ("pricing_page > 1", "is an event type"),
        ("industry in [1, 'a']", "list holds"),
        ("company_size >", "Expected a value"),
        ("company_size > 1 industry = 'x'", "Unexpected"),
        ("title matches industry", "takes a quoted text"),
        ("company_size # 3", "Unexpected character"),
        ("", "empty"),
    ],
)
def test_errors_are_clear(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        check(text, SCOPE)
    assert message in str(info.value)


def test_error_positions_point_at_the_problem() -> None:
    with pytest.raises(ExpressionError) as info:
        check("company_size > 1 and indstry = 'x'", SCOPE)
    assert info.value.position == 21
    assert "did you mean 'industry'?" in str(info.value)


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("90m", 5_400_000_000),
        ("36h", 129_600_000_000),
        ("14d", 1_209_600_000_000),
        ("2w", 1_209_600_000_000),
        ("1.5d", 129_600_000_000),
    ],
)
def test_durations(text: str, micros: int) -> None:
    assert parse_duration(text) == micros


def test_long_and_chains_stay_shallow() -> None:
    text = " and ".join(f"company_size > {i}" for i in range(150))
    assert check(text, SCOPE).type == "bool"
    assert len(parse(text).items) == 150  # type: ignore[union-attr]
