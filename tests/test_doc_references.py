"""What the docs and the demo's comments point to exists (issue 15, defect 15).

docs/report.md sent readers to a "Plan output" section that no doc has; demo.yaml cited
SCENARIO.md and a research note, neither in the project; scenario-format.md's "three
equivalent ways" listed four.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
DEMO_YAML = ROOT / "src" / "dronefab" / "model" / "demo" / "demo.yaml"
NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a document's headings (lower case, punctuation dropped, - for space)."""
    found = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", markdown, flags=re.M):
        text = re.sub(r"[`*_]", "", heading).lower()
        found.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text)))
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_link_to_a_doc_and_section_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        if not file.exists() or (
            anchor
            and file.suffix == ".md"
            and anchor not in _anchors(file.read_text(encoding="utf-8"))
        ):
            broken.append(target)
    assert broken == []


def test_a_section_cited_by_name_exists() -> None:
    """``[..](doc.md), "Section"``: the quoted section is a heading of that doc."""
    missing = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for path, name in re.findall(r"\]\(([\w./-]+\.md)\),\s*\"([^\"]+)\"", text):
            target = (doc.parent / path).read_text(encoding="utf-8")
            if not re.search(rf"^#+\s+{re.escape(name)}\s*$", target, flags=re.M | re.I):
                missing.append(f"{doc.name}: {path}, {name}")
    assert missing == []


def test_the_demo_scenario_cites_only_files_of_the_project() -> None:
    comments = "\n".join(
        line.split("#", 1)[1] for line in DEMO_YAML.read_text("utf-8").splitlines() if "#" in line
    )
    cited = set(re.findall(r"[\w./-]+\.(?:md|py|csv|yaml)\b", comments))
    assert cited, "demo.yaml cites no file any more: drop this test"
    assert (
        sorted(c for c in cited if not (ROOT / c).exists() and not (DEMO_YAML.parent / c).exists())
        == []
    )
    assert "research note" not in comments and "research section" not in comments


def test_a_counted_list_has_as_many_entries_as_it_says() -> None:
    text = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    said = re.search(r"(\w+) equivalent ways to hold the same scenario:\n\n((?:\|.*\n)+)", text)
    assert said is not None
    rows = [line for line in said.group(2).splitlines()[2:] if line.startswith("|")]
    assert NUMBERS[said.group(1).lower()] == len(rows)
