"""Lift per criterion on the real UCI bank marketing contacts, imported as a user would."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from leadgate.project import Project
from tests.cli import leadgate as run

REPO = Path(__file__).resolve().parents[2]
BANK = REPO.parent / "shared" / "data" / "uci_bank_marketing" / "bank-additional-full.csv"
DEFINITION = REPO / "tests" / "data" / "analytics" / "bank.yaml"
AS_OF = dt.datetime(2011, 1, 1)

pytestmark = pytest.mark.skipif(not BANK.is_file(), reason=f"UCI data not found in {BANK}")


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """41,188 contacts with a contact id in front (the set has none), `unknown` read as a
    missing value, and `y` imported as the outcome."""
    root = tmp_path_factory.mktemp("bank")
    assert run("init", str(root)).returncode == 0
    config = root / "leadgate.toml"
    config.write_text(config.read_text().replace("null_values = [", 'null_values = ["unknown", '))
    shutil.copy(DEFINITION, root / "definition.yaml")
    keyed = root / "bank.csv"
    with BANK.open("rb") as src, keyed.open("wb") as out:
        for n, line in enumerate(src):
            out.write((b'"contact_id";' if n == 0 else f"{n};".encode()) + line)
    steps = [
        ("import", "leads", str(keyed)),
        ("import", "outcomes", str(keyed), "--map", "outcome=y", "--outcome-time", "2010-11-30"),
    ]
    for step in steps:
        done = run("-C", str(root), *step)
        assert done.returncode == 0, done.stderr
    return Project.open(root)


def test_every_criterion_splits_the_contacts_and_missing_values_are_apart(bank: Project) -> None:
    report = bank.lift(as_of=AS_OF)
    assert (report.leads, report.converted) == (41_188, 4_640)
    by_name = {k.name: k for k in report.criteria}
    for k in report.criteria:
        assert k.met.n + k.not_met.n + k.not_judged.n == 41_188, k.name
        assert k.met.converted + k.not_met.converted + k.not_judged.converted == 4_640
    # `unknown` is missing: 1,731 contacts of unknown education, 990 of unknown loan.
    assert by_name["university degree"].not_judged.n == 1_731
    assert by_name["has a personal loan"].not_judged.n == 990
    assert by_name["reached on a mobile"].not_judged.n == 0
    success = by_name["earlier campaign succeeded"]
    assert (success.met.n, round(100 * success.met.rate, 1)) == (1_373, 65.1)
    assert success.verdict == "lift" and success.difference[0] > 0.5
    # A personal loan says nothing about subscribing: 10.9 % vs 11.3 %, no lift.
    loan = by_name["has a personal loan"]
    assert loan.verdict == "no lift" and loan.difference[0] < 0 < loan.difference[1]
    assert loan.summary == "has a personal loan: 10.9 % vs 11.3 %, no lift"
    assert by_name["contacted before"].kind == "engagement"
    assert [k.name for k in report.criteria if k.kind == "tier"] == ["hot", "warm"]


def test_the_lift_command(bank: Project) -> None:
    root = str(bank.root)
    document = json.loads(run("-C", root, "lift", "--as-of", "2011-01-01", "--json").stdout)
    assert document["outcome"] == "won" and document["converted"] == 4_640
    loan = next(k for k in document["criteria"] if k["name"] == "has a personal loan")
    assert loan["verdict"] == "no lift" and loan["not_judged"]["n"] == 990
    assert loan["met"]["ci_low"] < loan["met"]["rate"] < loan["met"]["ci_high"]
    table = run("-C", root, "lift", "--as-of", "2011-01-01")
    assert table.returncode == 0, table.stderr
    assert "has a personal loan" in table.stdout and "no lift" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
