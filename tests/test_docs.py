"""The README's Python examples run as written, and the docs name every CLI command."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_readme_starts_with_the_two_commands() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, flags=re.S)
    assert first_block is not None
    lines = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert lines[:2] == ["./scripts/demo", "./scripts/test"]
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.splitlines()[0][:40])
def test_readme_python_blocks_run(block: str) -> None:
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - our own docs
    finally:
        os.chdir(cwd)
    for expected in re.findall(r"# (\S+ \S+)$", block, flags=re.M):
        if re.fullmatch(r"[\d.]+ [\w.-]+", expected):
            assert expected in out.getvalue()


def _readme_commands() -> list[list[str]]:
    """Every ``leadgate ...`` command line the README shows, as tokens after ``leadgate``."""
    lines = [
        line
        for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S)
        for line in block.splitlines()
    ]
    lines += re.findall(r"`(leadgate [^`]+)`", README)
    commands = []
    for line in lines:
        tokens = shlex.split(line, comments=True)
        if tokens and tokens[0].endswith("leadgate"):
            commands.append(tokens[1:])
    return commands


def _options(command: click.Command) -> set[str]:
    return {name for p in command.params for name in (*p.opts, *p.secondary_opts)} | {"--help"}


def _split(tokens: list[str]) -> tuple[list[str], list[str]]:
    """``leadgate`` tokens as (global options, the command and its arguments)."""
    rest, globals_ = list(tokens), []
    while rest and rest[0].startswith("-"):
        globals_.append(rest.pop(0))
        if globals_[-1] in ("-C", "--project") and rest:
            rest.pop(0)
    return globals_, rest


def test_every_command_and_option_the_readme_shows_exists() -> None:
    from leadgate.cli import main

    shown = _readme_commands()
    assert len(shown) > 20
    for tokens in shown:
        globals_, rest = _split(tokens)
        assert set(globals_) <= _options(main), tokens
        if not rest or rest[0] in ("...", "COMMAND"):  # a placeholder for any command
            continue
        command = main.commands.get(rest[0])
        assert command is not None, f"README shows `leadgate {' '.join(tokens)}`: no such command"
        while isinstance(command, click.Group) and len(rest) > 1 and rest[1] in command.commands:
            rest = rest[1:]  # a subcommand (`leadgate outbox deliver`): check its own options
            command = command.commands[rest[0]]
        for token in rest[1:]:
            if token.startswith("-") and not re.fullmatch(r"-\d.*", token):
                assert token.split("=")[0] in _options(command), (tokens, token)


def test_every_command_is_in_the_readme() -> None:
    from leadgate.cli import main

    shown = {rest[0] for rest in (_split(t)[1] for t in _readme_commands()) if rest}
    missing = set(main.commands) - shown
    assert not missing, f"commands the README never shows: {sorted(missing)}"
