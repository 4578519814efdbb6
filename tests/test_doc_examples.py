"""Every Python example of the README and the docs runs as written (issue 15, defect 4).

Each example runs in a fresh folder holding the files it names, made the way the text before
it says (the demo written by ``dronefab demo-scenario``, a plan by ``dronefab plan``)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from dronefab.model.demo import load_demo, write_demo_scenario
from dronefab.planning import PlanOptions, plan

ROOT = Path(__file__).parent.parent
MINIMAL = ROOT / "tests" / "model" / "scenarios" / "minimal.yaml"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _demo_plan(folder: Path) -> None:
    plan(load_demo(), PlanOptions(explain=False)).write(folder / "plan")


SETUP: dict[str, Callable[[Path], object]] = {
    "README.md": lambda folder: write_demo_scenario(folder / "dronefab-demo" / "scenario"),
    "getting-started.md": lambda folder: write_demo_scenario(folder / "my-network"),
    "planning.md": write_demo_scenario,
    "report.md": _demo_plan,
    "scenario-format.md": lambda folder: shutil.copy(MINIMAL, folder / "west.yaml"),
    "simulate.md": lambda folder: write_demo_scenario(folder / "demo"),
}
"""What each document's examples expect to find; a document not listed here has none."""


def examples() -> list[tuple[str, str]]:
    found = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for n, code in enumerate(re.findall(r"```python\n(.+?)```", text, re.DOTALL)):
            found.append((f"{document.relative_to(ROOT)}#{n + 1}", code))
    return found


def test_every_document_with_examples_has_its_files() -> None:
    assert {name.split("#")[0].rsplit("/", 1)[-1] for name, _ in examples()} == set(SETUP)


@pytest.mark.parametrize(("name", "code"), examples(), ids=[name for name, _ in examples()])
def test_the_example_runs(
    name: str, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    SETUP[name.split("#")[0].rsplit("/", 1)[-1]](tmp_path)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, name, "exec"), {"__name__": "__example__"})  # our own docs' code
