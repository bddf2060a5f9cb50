"""What scoring loads: the per-lead paths never pay for the SQL generator (SQLGlot).

Each check runs in a fresh interpreter, so modules an earlier test imported cannot hide
an import.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module", ["leadgate.scoring.incremental", "leadgate.scoring.evaluate", "leadgate.scoring"]
)
def test_scoring_one_lead_does_not_import_sqlglot(module: str) -> None:
    code = f"import {module}, sys; assert 'sqlglot' not in sys.modules, 'sqlglot loaded'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_check_fails_when_sqlglot_is_imported() -> None:
    # The same check on the SQL generator: proves the assertion can fail.
    code = "import leadgate.scoring.sql, sys; assert 'sqlglot' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0 and "AssertionError" in done.stderr
