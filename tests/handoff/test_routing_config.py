"""``[[reps]]`` and ``[routing]`` in leadgate.toml: every problem at once, with its path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leadgate.config import CONFIG_TEMPLATE, read_config
from leadgate.errors import ConfigError

GOOD = """
[[reps]]
name = "Ana"
email = "ana@acme.test"
teams = ["ae-emea"]
weight = 2
timezone = "Europe/Madrid"
working_hours = "08:30-17:00"
days = ["mon", "tue", "wed", "thu"]
out_of_office = ["2026-12-24..2026-12-31"]
max_open = 10
max_per_day = 5

[routing]
rules = [
  { name = "existing account", to = "account_owner" },
  { name = "emea", when = "country in ['DE', 'FR']", to = "pool:ae-emea" },
  { name = "everyone else", to = "rep:Ana" },
]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "leadgate.toml"
    path.write_text(CONFIG_TEMPLATE + text, encoding="utf-8")
    return path


def test_a_good_setup_reads(tmp_path: Path) -> None:
    config = read_config(write(tmp_path, GOOD))
    assert config.reps[0]["name"] == "Ana"
    assert [r["name"] for r in config.routing["rules"]][-1] == "everyone else"


def test_every_problem_is_reported_at_once_with_its_code_and_path(tmp_path: Path) -> None:
    bad = """
[[reps]]
name = "Ana"
teams = ["ae"]
weight = 0
timezone = "Europe/Madri"
working_hours = "17:00-09:00"
days = ["monday"]
out_of_office = ["2026-12-31..2026-12-24"]
max_open = -1
[[reps]]
name = "Ana"
tiemzone = "UTC"

[routing]
rules = [
  { name = "emea", when = "country in ", to = "pool:ae" },
  { name = "all", to = "boss" },
  { name = "after all", when = "true", to = "team:ae" },
]
"""
    with pytest.raises(ConfigError) as caught:
        read_config(write(tmp_path, bad))
    message = str(caught.value)
    for expected in (
        "LG641 reps[0].weight must be a number above 0",
        "LG641 reps[0].timezone: unknown time zone 'Europe/Madri'",
        "LG641 reps[0].working_hours: working hours must end after they start",
        "LG641 reps[0].days must list days among mon",
        "LG641 reps[0].out_of_office: the out-of-office period '2026-12-31..2026-12-24' ends",
        "LG641 reps[0].max_open must be a whole number",
        "LG642 reps[1].name: two reps are called 'Ana'",
        "LG641 reps[1].tiemzone: unknown setting (did you mean 'timezone'?)",
        "LG653 routing.rules[0].when:",
        'LG652 routing.rules[1].to must be "account_owner"',
        "LG651 routing.rules[1] has no 'when', so the rules after it are never tried",
    ):
        assert expected in message


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ('[{ name = "emea", when = "true", to = "team:ae" }]', "LG651 routing.rules: no catch-all"),
        ('[{ name = "x", to = "team:apac" }]', "LG652 routing.rules[0].to: no rep has 'apac'"),
        ('[{ name = "x", to = "rep:Bo" }]', "LG652 routing.rules[0].to: no rep 'Bo'"),
        ("[]", "LG650 routing.rules must be a list of rules"),
    ],
)
def test_routing_rules_must_end_in_a_catch_all_to_known_reps(
    tmp_path: Path, rules: str, expected: str
) -> None:
    text = f'[[reps]]\nname = "Ana"\nteams = ["ae"]\n\n[routing]\nrules = {rules}\n'
    with pytest.raises(ConfigError, match=re.escape(expected)):
        read_config(write(tmp_path, text))


def test_a_reps_mistake_does_not_hide_an_unknown_target(tmp_path: Path) -> None:
    """Every problem at once: a rep's bad zone and weight, and rules naming a pool and a
    rep nobody has, are one error; a target naming a rep by email, in any case, is known."""
    text = (
        '[[reps]]\nname = "Ana"\nemail = "ana@x.io"\nteams = ["ae"]\nweight = 0\n'
        'timezone = "Mars/Olympus"\n\n[routing]\nrules = [\n'
        '  { name = "a", when = "true", to = "pool:nonexistent" },\n'
        '  { name = "b", when = "true", to = "rep:Nobody" },\n'
        '  { name = "c", when = "true", to = "rep:ANA@x.io" },\n'
        '  { name = "everyone", to = "team:ae" },\n]\n'
    )
    with pytest.raises(ConfigError) as caught:
        read_config(write(tmp_path, text))
    message = str(caught.value)
    assert "reps[0].timezone" in message and "reps[0].weight" in message
    assert "LG652 routing.rules[0].to: no rep has 'nonexistent'" in message
    assert "LG652 routing.rules[1].to: no rep 'Nobody'" in message
    assert "routing.rules[2]" not in message and "routing.rules[3]" not in message
