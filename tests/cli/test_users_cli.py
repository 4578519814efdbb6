"""``dronefab users add``, ``users list`` and ``audit verify`` as a user runs them: messages, exit
codes, and no password or hash ever printed, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.storage.database import open_store
from dronefab.storage.users import authenticate
from storage import tiny_history as tiny
from storage.tampering import run_sql, tamper

PASSWORD = "mriya-2027-kyiv"
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


@pytest.fixture
def db(store_url: str) -> str:
    for command in (("db", "upgrade"), ("db", "load", tiny.SCENARIO)):
        code, output = run(*command, "--db", store_url)
        assert code == 0, output
    return store_url


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\n")
    return path


def add(db: str, password_file: Path, *options: str) -> tuple[int, str]:
    return run("users", "add", "--password-file", str(password_file), "--db", db, *options)


def test_a_user_is_added_and_listed_without_the_password(db: str, password_file: Path) -> None:
    code, output = add(db, password_file, "--org", "maker", "--name", "olena", "--role", "admin,supervisor", "--role", "planner")  # fmt: skip
    assert code == 0, output
    assert "user 'olena' added to 'maker' as supervisor, planner, admin" in output
    code, listed = run("users", "list", "--db", db)
    assert code == 0, listed
    row = next(line for line in listed.splitlines() if "olena" in line)
    assert "maker" in row and "supervisor, planner," in row, listed
    for secret in (PASSWORD, "$argon2"):
        assert secret not in output + listed
    store = open_store(db)
    try:  # the line break ended the password; it is not part of it
        with store.writing() as connection:
            assert authenticate(connection, "olena", PASSWORD) is not None
    finally:
        store.engine.dispose()


def test_a_windows_line_break_and_a_byte_order_mark_are_not_the_password(
    db: str, tmp_path: Path
) -> None:
    path = tmp_path / "notepad.txt"
    path.write_bytes(b"\xef\xbb\xbf" + PASSWORD.encode() + b"\r\nsecond line\r\n")
    code, output = add(db, path, "--org", "forces", "--name", "ivan", "--role", "viewer")
    assert code == 0, output
    store = open_store(db)
    try:
        with store.writing() as connection:
            assert authenticate(connection, "ivan", PASSWORD) is not None
    finally:
        store.engine.dispose()


def test_a_refused_user_exits_1_naming_the_field(db: str, password_file: Path) -> None:
    code, output = add(db, password_file, "--org", "acme", "--name", "olena", "--role", "viewer")
    assert code == 1
    assert "organization: 'acme' is not an organisation of revision 1" in output
    assert "known: forces, maker" in output
    password_file.write_text("olena\n")
    code, output = add(db, password_file, "--org", "maker", "--name", "olena", "--role", "viewer")
    assert code == 1
    assert "password: too short: 5 characters" in output
    assert "Traceback" not in output
    code, listed = run("users", "list", "--db", db)
    assert "no users yet" in listed


@pytest.mark.parametrize(
    ("options", "content", "expected"),
    [
        (("--role", "root"), PASSWORD, "--role: unknown role 'root'; expected viewer"),
        ((), PASSWORD, "Missing option '--role'"),
        (("--role", "viewer"), "", "the first line is empty; expected the password on it"),
        (("--role", "viewer"), b"\xff\xfe not text", "the password file is not UTF-8 text"),
        (("--role", "viewer"), None, "No such file or directory"),
    ],
)
def test_bad_usage_exits_2(
    db: str, tmp_path: Path, options: tuple[str, ...], content: str | bytes | None, expected: str
) -> None:
    path = tmp_path / "password.txt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content + "\n")
    code, output = add(db, path, "--org", "maker", "--name", "olena", *options)
    assert code == 2, output
    assert expected in output
    assert PASSWORD not in output


def test_audit_verify_prints_the_head_and_names_a_tampered_entry(
    db: str, password_file: Path
) -> None:
    for name in ("olena", "petro", "ivan"):
        code, output = add(db, password_file, "--org", "maker", "--name", name, "--role", "viewer")
        assert code == 0, output
    code, output = run("audit", "verify", "--db", db)
    assert code == 0, output
    assert "the audit log verifies: 4 entries, head " in output  # the load and three users
    kept = output.split("head ")[1].split()[0]
    code, output = run("audit", "verify", "--db", db, "--expect-head", kept)
    assert code == 0 and "the expected head is entry 4; 0 entries since" in output
    code, output = run("audit", "verify", "--db", db, "--expect-head", "not-a-hash")
    assert code == 2 and "expected 64 hexadecimal digits" in output
    store = open_store(db)
    try:
        tamper(store, run_sql("DELETE FROM audit WHERE seq = 4"))
        code, output = run("audit", "verify", "--db", db)
        assert code == 0, "without the kept head, removing the newest entry cannot be seen"
        code, output = run("audit", "verify", "--db", db, "--expect-head", kept)
        assert code == 1 and f"not the expected head {kept}" in output
        with store.writing() as connection:
            run_sql("UPDATE audit SET target = 'mallory' WHERE seq = 2")(connection)
        code, output = run("audit", "verify", "--db", db)
        assert code == 1
        assert "error: audit entry 2 was altered" in output
    finally:
        store.engine.dispose()
