"""What dronefab prints is the user's text as written: no markup, no emoji, no terminal escapes.

A customer id ``[/oops]`` once crashed validate, plan and simulate with rich's MarkupError;
``no:thumbsup:such`` printed as an emoji; ESC and bidirectional overrides went to the terminal
raw. Paths (``--out``, the scenario's file name) are never refused at the door, so they carry the
control characters here; ids and names may be refused, and then the message must be safe too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from dronefab.cli.main import app

MINIMAL = Path(__file__).parent.parent / "model" / "scenarios" / "minimal.yaml"
RAW = ("\x1b", "\x07", "\x00", "\u202e", "\u2066")
"""Characters that must never reach the terminal as they are."""
TRICKY = "out\x1b[31m\x1b]0;title\x07\u202e"
"""An ESC colour code, a window-title sequence ended by BEL, and a right-to-left override."""


def document(customers: tuple[str, ...] = ("[/oops]", "no:thumbsup:such")) -> dict[str, Any]:
    """minimal.yaml with its demand split between customers of the given ids."""
    doc = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    doc["customers"] = [
        {"id": c, "name": c, "backlog_penalty": 500, "unmet_penalty": 5000} for c in customers
    ]
    doc["lanes"] = [{"from": "west-1", "to": c, "transit_days": 2} for c in customers]
    doc["demand"] = [
        {"customer": c, "item": "quad", "due": "2026-02-02", "quantity": 20} for c in customers
    ]
    return doc


def write(folder: Path, name: str, doc: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.output


def assert_safe(output: str) -> None:
    raw = [repr(c) for c in RAW if c in output]
    assert raw == [], f"printed raw: {raw}"
    assert "\U0001f44d" not in output  # :thumbsup:


def test_markup_and_emoji_in_ids_print_as_written(tmp_path: Path) -> None:
    scenario = write(tmp_path, f"{TRICKY}.yaml", document())
    code, output = invoke("validate", scenario)
    assert code == 0, output
    assert "demand [/oops]" in output and "demand no:thumbsup:such" in output
    assert "out\\x1b[31m\\x1b]0;title\\x07\\u202e.yaml: valid" in output
    assert_safe(output)
    code, output = invoke("plan", scenario, "--out", tmp_path / TRICKY)
    assert code == 0, output
    assert "[/oops]" in output and "no:thumbsup:such" in output
    assert "plan written to " in output and "\\x1b]0;title\\x07\\u202e/" in output
    assert_safe(output)
    code, output = invoke("simulate", scenario, "--runs", "4", "--out", tmp_path / "sim")
    assert code == 0, output
    assert "[/oops]" in output and "no:thumbsup:such" in output
    assert_safe(output)


@pytest.mark.parametrize("where", ["name", "customer"])
def test_control_characters_in_the_scenario_are_never_printed_raw(
    tmp_path: Path, where: str
) -> None:
    """Accepted (printed escaped) or refused at the door (exit 1, a message printed safely)."""
    hostile = "a\x1b[2Jb\x00c\u202ed\u2066e"
    doc = document(("army", hostile)) if where == "customer" else document()
    if where == "name":
        doc["name"] = hostile
    scenario = write(tmp_path, "s.yaml", doc)
    for command in (["validate"], ["plan", "--out", tmp_path / "p"]):
        code, output = invoke(command[0], scenario, *command[1:])
        assert code in (0, 1), output
        assert_safe(output)
        assert "\\x1b[2J" in output or code == 1


def test_an_error_naming_a_hostile_value_is_printed_safely(tmp_path: Path) -> None:
    doc = document(("army",))
    doc["demand"][0]["customer"] = "[/oops]:thumbsup:"  # no such customer: echoed as written
    code, output = invoke("validate", write(tmp_path, "s.yaml", doc))
    assert code == 1
    assert "[/oops]:thumbsup:" in output
    assert_safe(output)
    doc["demand"][0]["customer"] = "[/oops]\x1b[31m"  # refused at the door, the ESC shown escaped
    code, output = invoke("validate", write(tmp_path, "s.yaml", doc))
    assert code == 1
    assert "\\x1b" in output
    assert_safe(output)
    code, output = invoke("plan", tmp_path / f"missing-{TRICKY}.yaml")
    assert code == 2
    assert "missing-out\\x1b[31m" in output
    assert_safe(output)
