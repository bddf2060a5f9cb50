"""The real ``leadgate`` command, run in a subprocess as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def leadgate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m leadgate ARGS`` in ``cwd``: a pipe with no COLUMNS, so tables must fit
    rich's 80 characters by themselves, and no environment but a plain PATH."""
    return subprocess.run(
        [sys.executable, "-m", "leadgate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin"},
    )
