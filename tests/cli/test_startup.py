"""The CLI starts fast: every command of a shell session (and every CLI call of the test
suite) pays for what ``leadgate.cli`` imports, so the heavy libraries that only some commands
need (scikit-learn for calibrate, FastAPI and uvicorn for serve, PySpark for the Spark
engine, Jinja for the dashboard) are imported inside those commands, never at start."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sklearn", "scipy", "fastapi", "uvicorn", "starlette", "pyspark", "jinja2", "pandas")


def test_the_cli_imports_no_heavy_library_at_start() -> None:
    code = (
        "import json, sys; import leadgate.cli; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []
