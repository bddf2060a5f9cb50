"""Hostile definitions are rejected with a clear error or handled safely, never executed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from leadgate.definition import load_compiled, validate
from leadgate.scoring import Scorer, plan_sql
from leadgate.store import Store

HEAD = "name: x\nversion: '1'\n"


def rule(when: str) -> str:
    return (
        HEAD + f"fit:\n  rules:\n    - name: r\n      when: {json.dumps(when)}\n      points: 1\n"
    )


def codes(text: str | bytes) -> list[str]:
    return [p.code for p in validate(text=text).errors]


def test_deeply_nested_expression_is_rejected() -> None:
    deep = "(" * 200 + "company_size > 1" + ")" * 200
    result = validate(text=rule(deep))
    assert [p.code for p in result.errors] == ["LG200"]
    assert "nests deeper" in result.errors[0].message


def test_deeply_nested_yaml_is_rejected() -> None:
    assert codes(HEAD + "description: " + "[" * 5000 + "]" * 5000 + "\n") == ["LG103"]
    (problem,) = validate(text=HEAD + "description: " + "[" * 30 + "]" * 30 + "\n").errors
    assert (problem.line, problem.message) == (3, "The file nests deeper than 24 levels")


def test_billion_laughs_aliases_are_rejected() -> None:
    text = HEAD + 'a: &a ["x","x"]\nb: &b [*a,*a]\nc: [*b,*b]\n'
    assert codes(text) == ["LG103"]
    assert validate(text=text).errors[0].line == 3


def test_huge_file_is_rejected_before_parsing() -> None:
    assert codes(HEAD + "description: '" + "x" * 10_000_000 + "'\n") == ["LG101"]


def test_non_utf8_is_rejected_with_its_line() -> None:
    result = validate(text=HEAD.encode() + b"description: caf\xe9\n")
    (problem,) = result.errors
    assert problem.code == "LG102" and problem.line == 3


def test_huge_list_is_rejected() -> None:
    items = ", ".join(f"'i{i}'" for i in range(6000))
    result = validate(text=rule(f"industry in [{items}]"))
    assert result.errors and {p.code for p in result.errors} <= {"LG110", "LG200"}
    assert any("4000" in p.message or "4,000" in p.message for p in result.errors)


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a|aa)+b", "(x+x+)+y"])
def test_regex_bombs_run_in_linear_time(pattern: str) -> None:
    # RE2 has no backtracking: the classic catastrophic patterns finish at once.
    c = load_compiled(text=rule(f"title matches '{pattern}'"))
    score = Scorer(c).score(
        {"lead_id": "a", "title": "a" * 50_000 + "!"}, [], as_of=dt.datetime(2026, 1, 1)
    )
    assert score.fit == 0


def test_lookaround_patterns_are_rejected() -> None:
    result = validate(text=rule("title matches '(?=x)'"))
    assert "not a valid pattern" in result.errors[0].message


@pytest.mark.parametrize(
    "payload",
    ["'; DROP TABLE leads; --", "x') OR 1=1 --", "\\'; SELECT 1; --", '" OR ""="'],
)
def test_sql_fragments_in_strings_stay_strings(payload: str) -> None:
    literal = "'" + payload.replace("\\", "\\\\").replace("'", "\\'") + "'"
    c = load_compiled(text=rule(f"industry = {literal}"))
    store = Store(":memory:")
    store.execute(
        "INSERT INTO leads (lead_id, industry) VALUES ('a', ?), ('b', 'software')", [payload]
    )
    plan = plan_sql(
        c,
        dt.datetime(2026, 1, 1),
        lead_columns=store.table_columns("leads"),
        account_columns=store.table_columns("accounts"),
    )
    rows = {r["lead_id"]: r["fit"] for r in store.query(plan)}
    assert rows == {"a": 100, "b": 0}
    assert store.scalar("SELECT count(*) FROM leads") == 2


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('true')",
        "company_size.__class__",
        "exec('x')",
        "lambda: 1",
        "company_size; import os",
        "`rm -rf /`",
    ],
)
def test_python_code_is_not_an_expression(expr: str) -> None:
    assert codes(rule(expr)) == ["LG200"]


def test_a_huge_file_on_disk_reports_its_real_size(tmp_path: Path) -> None:
    path = tmp_path / "definition.yaml"
    path.write_bytes(HEAD.encode() + b"description: '" + b"x" * 1_234_000 + b"'\n")
    size = path.stat().st_size
    assert size == 1_234_037
    (problem,) = validate(path).errors
    assert problem.code == "LG101"
    assert problem.message == ("The file is 1,234,037 bytes; a definition may be at most 1,000,000")


def test_a_file_just_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "definition.yaml"
    head = HEAD + "description: "
    path.write_text(head + "x" * (1_000_000 - len(head) - 1) + "\n")
    assert path.stat().st_size == 1_000_000
    assert validate(path).errors == []


@pytest.mark.parametrize("text", ["=", "name: =\n", "fit: [=]\n"])
def test_yaml_tags_without_a_constructor_are_a_syntax_problem(text: str) -> None:
    # PyYAML reads a bare "=" as its "value" tag, which it cannot build: a problem with
    # its line, never an exception (the API's definition upload answered 500).
    result = validate(text=text)
    assert not result.ok and codes(text) == ["LG104"]
    assert result.errors[0].line == 1
