"""Every query result is read to its end: DuckDB 2.0 keeps a half-read result open, and
while it is open the connection refuses to register or unregister an Arrow table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pyarrow as pa

from leadgate.store.db import Store

SRC = Path(__file__).resolve().parents[1] / "src" / "leadgate"
HALF_READ = re.compile(r"\.fetchone\(|\.fetchmany\(")
#: How a statement whose rows are a result starts.
QUERY = re.compile(
    r"\s*(\(|(SELECT|WITH|FROM|VALUES|TABLE|DESCRIBE|SHOW|SUMMARIZE|EXPLAIN|PRAGMA)\b)", re.I
)


def test_no_module_reads_half_a_result() -> None:
    found = [
        f"{path.relative_to(SRC)}:{n}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HALF_READ.search(line)
    ]
    assert found == []


def test_no_module_drops_a_querys_result_unread() -> None:
    """``store.execute("SELECT ...")`` as a statement of its own: its rows never read."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
                continue
            call = node.value
            if not (isinstance(call.func, ast.Attribute) and call.func.attr == "execute"):
                continue
            first = call.args[0] if call.args else None
            if isinstance(first, ast.JoinedStr) and first.values:
                first = first.values[0]
            if isinstance(first, ast.Constant) and QUERY.match(str(first.value)):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == []


def test_a_first_row_leaves_the_connection_free(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.execute("CREATE TABLE t AS SELECT range AS n FROM range(5000)")
        table = pa.table({"n": [1, 2]})
        assert store.one("SELECT n FROM t ORDER BY n") == (0,)
        assert store.one("SELECT n FROM t WHERE n < 0") is None
        assert store.scalar("SELECT max(n) FROM t") == 4999
        with store.registered("given", table):  # refused after a half-read result
            assert store.one("SELECT count(*) FROM t JOIN given USING (n)") == (2,)
            assert store.one("SELECT n FROM t") == (0,)  # and to unregister it
