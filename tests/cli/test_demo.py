"""After the demo, every command it prints works as printed, in a new shell."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The console script pip installed beside this Python (scripts/test installs it).
PROGRAM = Path(sys.executable).parent / "leadgate"
SHELL_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}  # a new shell that never saw the venv


def explore_lines(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "Explore it" in line)
    return [line.strip() for line in lines[start + 1 :] if line.strip()]


# Commands printed along the way: "See them with CMD." (stderr), "replay ...: CMD".
PRINTED = re.compile(r"(?:See them with|day by day:) (\S*leadgate -C .*?)\.?$", re.MULTILINE)


@pytest.mark.parametrize("where", ["outside the checkout", "in the checkout"])
def test_the_printed_commands_run_in_a_new_shell(tmp_path: Path, where: str) -> None:
    assert PROGRAM.is_file(), "scripts/test installs the leadgate command into .venv"
    cwd = tmp_path if where == "outside the checkout" else ROOT
    target = "demo-here" if cwd == tmp_path else str(tmp_path / "demo-here")
    done = subprocess.run(
        [str(PROGRAM), "demo", target, "--leads", "300", "--accounts", "40"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**SHELL_ENV, "COLUMNS": "70"},  # narrow: tables print how to see all columns
    )
    assert done.returncode == 0, done.stderr
    commands = explore_lines(done.stdout)
    assert len(commands) == 3
    if cwd == ROOT:
        assert commands[0].startswith(".venv/bin/leadgate ") or commands[0].startswith("/")
    along = PRINTED.findall(done.stdout + "\n" + done.stderr)
    assert any(" compare " in c for c in along) and any("--format csv" in c for c in along)
    for command in commands + along:
        again = subprocess.run(
            ["bash", "-c", command], cwd=cwd, capture_output=True, text=True, env=SHELL_ENV
        )
        assert again.returncode == 0, (command, again.stderr)
        assert again.stdout.strip()
