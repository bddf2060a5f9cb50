"""People: added, listed, disabled and given passwords with ``leadgate users`` (a real
subprocess), stored with argon2id hashes only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from leadgate.project import Project, init_project
from leadgate.web.people import SignInRefused, UserError, UserNotFound, check_sign_in

LEADGATE = [sys.executable, "-m", "leadgate"]


def cli(root: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LEADGATE, "-C", str(root), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def empty(tmp_path: Path) -> Project:
    return init_project(tmp_path / "p")


def test_a_password_is_kept_only_as_an_argon2id_hash(empty: Project) -> None:
    empty.add_user("ana", "sales", "s3cret-enough-pw")
    with empty.store() as store:
        rows = store.query("SELECT * FROM users")
        assert check_sign_in(store, "ana", "s3cret-enough-pw", "10.0.0.1").role == "sales"
    assert rows[0]["password_hash"].startswith("$argon2id$")
    assert all("s3cret-enough-pw" not in str(v) for v in rows[0].values())


def test_bad_names_roles_passwords_and_duplicates_are_refused_clearly(empty: Project) -> None:
    with pytest.raises(UserError, match="Unknown role 'ingest'.*admin, marketing, sales, read"):
        empty.add_user("bot", "ingest", "long enough pw")
    with pytest.raises(UserError, match="at least 10 characters; got 5"):
        empty.add_user("ana", "sales", "short")
    with pytest.raises(UserError, match="User name '<b>'"):
        empty.add_user("<b>", "sales", "long enough pw")
    empty.add_user("ana", "sales", "long enough pw")
    with pytest.raises(UserError, match="exists already"):
        empty.add_user("ana", "admin", "long enough pw")
    with pytest.raises(UserNotFound, match="No user 'bob'"):
        empty.disable_user("bob")


def test_a_disabled_person_or_a_changed_password_cannot_sign_in(empty: Project) -> None:
    empty.add_user("ana", "sales", "first password")
    empty.add_user("bob", "read", "bobs password")
    empty.set_password("ana", "second password")
    empty.disable_user("bob")
    with empty.store() as store:
        with pytest.raises(SignInRefused):
            check_sign_in(store, "ana", "first password", "10.0.0.1")
        assert check_sign_in(store, "ana", "second password", "10.0.0.1").name == "ana"
        with pytest.raises(SignInRefused):
            check_sign_in(store, "bob", "bobs password", "10.0.0.1")
    assert [u.disabled_at is not None for u in empty.users().users] == [False, True]


def test_the_users_commands(tmp_path: Path) -> None:
    root = init_project(tmp_path / "p").root
    made = cli(root, "users", "add", "ana", "--role", "sales", "--password-stdin", "--json",
               stdin="a long password\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout) | {"created_at": ""} == {
        "name": "ana", "role": "sales", "created_at": "", "disabled_at": None,
        "has_password": True,
    }  # fmt: skip
    short = cli(root, "users", "password", "ana", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    changed = cli(root, "users", "password", "ana", "--password-stdin", stdin="another long one\n")
    assert changed.returncode == 0, changed.stderr
    assert cli(root, "users", "disable", "ana").returncode == 0
    listed = json.loads(cli(root, "users", "--json").stdout)["users"]
    assert [(u["name"], u["disabled_at"] is not None) for u in listed] == [("ana", True)]
    table = cli(root, "users")
    assert "ana" in table.stdout and "sales" in table.stdout
    with Project.open(root).store() as store, pytest.raises(SignInRefused):
        check_sign_in(store, "ana", "another long one", "10.0.0.1")
