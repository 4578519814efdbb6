"""The documentation says what the code does: generated parts are current, commands are real."""

from __future__ import annotations

import re
from pathlib import Path

from dronefab.cli.main import app
from dronefab.model.docgen import render

ROOT = Path(__file__).parent.parent


def test_format_reference_is_generated_from_the_current_schema() -> None:
    document = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    assert render(document) == document, (
        "run: python -m dronefab.model.docgen docs/scenario-format.md"
    )


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_has_two_quick_start_commands_and_ci_runs_the_test_one() -> None:
    main_command, test_command = quick_start_commands()
    assert main_command.endswith("dronefab demo")
    assert test_command.endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_every_command_is_documented() -> None:
    cli_doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    names = [command.name or command.callback.__name__ for command in app.registered_commands]
    for name in names:
        assert f"`dronefab {name}" in cli_doc, f"docs/cli.md does not describe {name}"
