"""`validate` reports every problem at once, with line, path, reason and suggestion."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from leadgate.definition import (
    compile_definition,
    dump_yaml,
    load_compiled,
    load_definition,
    validate,
)
from leadgate.errors import DefinitionError

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "definitions").glob("*.yaml"))

BROKEN = """\
name: broken
version: "1"
fit:
  rules:
    - name: size
      when: compnay_size >= 50
      points: thirty
    - name: size
      when: industry >= 5
      points: 10
engagement:
  half_life: -3d
  events:
    - {type: pricng_page, points: 20}
tiers:
  - {name: hot, when: "fit >= 25 and has(demo_request, 14d)", sla: 1h}
  - {name: warm, when: "fit >= 25 and has(demo_request, 14d)", sla: 4h}
  - {name: bad, when: "score >= ", sla: 4h}
"""


def test_every_problem_is_reported_at_once_with_line_and_path() -> None:
    result = validate(text=BROKEN)
    assert not result.ok
    found = {(p.line, p.path, p.code) for p in result.errors}
    assert (6, "fit.rules[0].when", "LG200") in found
    assert (7, "fit.rules[0].points", "LG110") in found
    assert (8, "fit.rules[1].name", "LG121") in found
    assert (9, "fit.rules[1].when", "LG200") in found
    assert (12, "engagement.half_life", "LG110") in found
    assert (14, "engagement.events[0].type", "LG122") in found
    assert (17, "tiers[1]", "LG123") in found
    assert (18, "tiers[2].when", "LG200") in found
    assert len(result.errors) == 8


@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        ("compnay_size", "did you mean 'company_size'?"),
        ("thirty", "The 'points' of 'size' must be a number. Got 'thirty' instead."),
        ("industry >= 5", "'>=' compares numbers, but 'industry' is text"),
        ("pricng_page", "did you mean 'pricing_page'?"),
        ("hot", "can never be reached"),
    ],
)
def test_messages_say_what_is_wrong_and_what_to_do(needle: str, expected: str) -> None:
    text = "\n".join(p.format("def.yaml") for p in validate(text=BROKEN).problems)
    assert expected in text


def test_unknown_keys_get_a_suggestion() -> None:
    result = validate(text="name: x\nversion: '1'\nfit:\n  rulez: []\n")
    (problem,) = result.errors
    assert problem.line == 4 and "did you mean 'rules'?" in problem.hint


def test_duplicate_yaml_keys_are_errors_not_silently_merged() -> None:
    result = validate(text="name: x\nversion: '1'\nname: y\n")
    assert [p.code for p in result.errors] == ["LG107"]
    assert result.errors[0].line == 3


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        # An unclosed list: YAML finds out at the end of the file, and says so.
        ("name: x\nversion: '1'\nfit: [\n  rules: 3\n", 5, 1),
        ("name: x\nversion: '1'\ndescription: 'ok'\nfit: {rules: [}\n", 4, 15),
        (
            "name: x\nversion: '1'\nfit:\n  rules:\n"
            "    - {name: a, when: 'x > 1', points: 1\n  cap: 3\nengagement: {}\n",
            6,
            6,
        ),
    ],
)
def test_yaml_syntax_error_names_the_line(text: str, line: int, column: int) -> None:
    (problem,) = validate(text=text).errors
    assert (problem.code, problem.line, problem.column) == ("LG104", line, column)


def test_review_date_past_is_a_warning_not_an_error() -> None:
    text = "name: x\nversion: '1'\nreview_by: 2026-01-31\n"
    result = validate(text=text, today=dt.date(2026, 3, 1))
    assert result.ok
    assert [p.code for p in result.warnings] == ["LG130"]
    assert validate(text=text, today=dt.date(2026, 1, 1)).warnings == []


def test_the_review_date_is_checked_only_against_the_callers_today() -> None:
    # The library never reads the clock: a date long past warns only when a today is given.
    text = "name: x\nversion: '1'\nreview_by: 1999-12-31\n"
    assert validate(text=text).warnings == []
    assert load_definition(text=text).review_by == dt.date(1999, 12, 31)
    (warning,) = validate(text=text, today=dt.date(2000, 1, 1)).warnings
    assert warning.line == 3 and warning.path == "review_by"


def test_weighted_score_needs_caps() -> None:
    text = "name: x\nversion: '1'\nscore: {method: weighted, weights: {fit: 60, engagement: 40}}\n"
    codes = [p.code for p in validate(text=text).errors]
    assert codes == ["LG124", "LG124"]


def test_scores_cannot_be_used_in_fit_rules() -> None:
    text = "name: x\nversion: '1'\nfit:\n  rules:\n    - {name: a, when: score > 3, points: 1}\n"
    (problem,) = validate(text=text).errors
    assert "is a score and cannot be used here" in problem.message


def test_load_definition_raises_with_all_problems() -> None:
    with pytest.raises(DefinitionError) as info:
        load_definition(text=BROKEN)
    assert len(info.value.problems) >= 8
    assert isinstance(info.value, ValueError)
    assert "fit.rules[0].when" in str(info.value)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_valid_and_round_trip_to_the_same_hash(path: Path) -> None:
    result = validate(path, today=dt.date(2026, 11, 22))
    assert result.ok, [p.format() for p in result.problems]
    compiled = load_compiled(path)
    again = compile_definition(load_definition(text=dump_yaml(compiled.definition)))
    assert again.hash == compiled.hash


def test_hash_ignores_layout_and_comments_but_not_meaning() -> None:
    a = load_compiled(
        text="name: x\nversion: '1'\nfit:\n  rules:\n"
        "    - {name: a, when: company_size > 3, points: 1}\n"
    )
    b = load_compiled(
        text="# a comment\nversion: '1'\nname: x\nfit:\n  rules:\n"
        "    - name: a\n      points: 1.0\n      when: company_size > 3\n"
    )
    c = load_compiled(
        text="name: x\nversion: '1'\nfit:\n  rules:\n"
        "    - {name: a, when: company_size > 3, points: 2}\n"
    )
    assert a.hash == b.hash != c.hash


def test_shipped_json_schema_matches_the_model() -> None:
    # Editors validate definition.yaml against this file; it must not drift from the model.
    import json

    from leadgate.definition.model import Definition

    shipped = Path(__file__).parents[2] / "src/leadgate/definition/definition.schema.json"
    assert json.loads(shipped.read_text()) == Definition.model_json_schema(), (
        "regenerate: python -c 'import json; from leadgate.definition.model import Definition;"
        " print(json.dumps(Definition.model_json_schema(), indent=2, sort_keys=True))'"
    )


def test_a_missing_file_is_a_definition_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "definition.yaml"
    expected = (
        f"No definition file at {path}; create one with `leadgate init` "
        "or point `definition =` in leadgate.toml at yours"
    )
    (problem,) = validate(path).errors
    assert (problem.code, problem.message, problem.line) == ("LG108", expected, None)
    with pytest.raises(DefinitionError) as info:
        load_compiled(path)
    assert str(info.value) == (
        f"1 problem(s) in definition {path}\n  error LG108 {path}: {expected}"
    )


def test_a_directory_is_not_a_definition(tmp_path: Path) -> None:
    (problem,) = validate(tmp_path).errors
    assert problem.code == "LG109"
    assert problem.message == f"Cannot read the definition file at {tmp_path}: Is a directory"


def test_a_validation_as_a_dict_is_what_validate_json_prints(tmp_path: Path) -> None:
    path = tmp_path / "definition.yaml"
    path.write_text("name: x\nversion: '1'\nreview_by: 2026-01-31\n")
    result = validate(path, today=dt.date(2026, 3, 1))
    assert result.as_dict() == {
        "file": str(path),
        "valid": True,
        "hash": load_compiled(path).hash,
        "problems": [
            {
                "message": "The definition was due for review with sales on 2026-01-31",
                "path": "review_by",
                "line": 3,
                "column": None,
                "code": "LG130",
                "hint": "agree the next version and move review_by forward",
                "severity": "warning",
            }
        ],
    }
    broken = validate(text=BROKEN).as_dict()
    assert (broken["valid"], broken["hash"], len(broken["problems"])) == (False, None, 8)
