"""One colour per site id on every page of every report of a scenario (issue 15, defect 16).

Before, each chart coloured sites by its own order (production by volume, buffers by value,
the stress test by sites.csv), so a site was red on one page and teal on the next.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.report.figures import SITE_PALETTE, site_colours

RICH = Path(__file__).parents[1] / "model" / "scenarios" / "rich.yaml"


def _run(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Standalone pages of a plan, a stress test and buffers of rich.yaml, and the same three
    linked into one folder."""
    root = tmp_path_factory.mktemp("colours")
    # sites listed in another order than they make most, as in the demo
    document = yaml.safe_load(RICH.read_text(encoding="utf-8"))
    document["sites"].reverse()
    scenario = root / "rich.yaml"
    scenario.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    plan, sim, buffers = root / "plan", root / "sim", root / "buffers"
    _run("plan", str(scenario), "--out", str(plan), "--no-explain")
    _run("simulate", str(scenario), "--plan", str(plan), "--runs", "20", "--out", str(sim))
    _run("buffers", str(scenario), "--plan", str(plan), "--out", str(buffers), "--check-runs", "0")
    out: dict[str, Path] = {}
    for name, folder in (("plan", plan), ("sim", sim), ("buffers", buffers)):
        _run("report", str(folder), "--out", str(root / f"{name}.html"))
        out[name] = root / f"{name}.html"
    linked = root / "linked" / "report.html"
    _run("report", str(plan), "--out", str(linked), "--with", str(sim), "--with", str(buffers))
    out |= {f"linked-{p.stem}": p for p in linked.parent.glob("*.html")}
    return out


def _trace_colours(page: Path) -> dict[str, set[str]]:
    """Site id -> the colours of the traces named after a site, over every figure of a page."""
    text = page.read_text(encoding="utf-8")
    found: dict[str, set[str]] = {}
    for match in re.finditer(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", text, re.S):
        for trace in json.loads(match.group(1)):
            name, colour = trace.get("name"), trace.get("marker", {}).get("color")
            if name in {"west-1", "east-1", "south-1"} and isinstance(colour, str):
                found.setdefault(name, set()).add(colour.upper())
    return found


def test_every_page_gives_a_site_the_same_colour(pages: dict[str, Path]) -> None:
    # A buffers folder names only the sites that hold buffers (here two of three): alone, its
    # page cannot know the scenario's other sites; linked to the plan, it takes the plan's.
    seen: dict[str, dict[str, set[str]]] = {
        name: _trace_colours(p) for name, p in pages.items() if name != "buffers"
    }
    assert seen["plan"] and seen["sim"] and seen["linked-buffers"], seen  # each colours sites
    colour_of: dict[str, set[str]] = {}
    for by_site in seen.values():
        for site, colours in by_site.items():
            colour_of.setdefault(site, set()).update(colours)
    assert all(len(colours) == 1 for colours in colour_of.values()), seen
    assert len({next(iter(c)) for c in colour_of.values()}) == len(colour_of), colour_of


def test_a_colour_is_the_sites_place_among_the_scenarios_sorted_ids() -> None:
    colours = site_colours(["west-1", "east-1", "south-1", "west-1"])
    assert colours == {
        "east-1": SITE_PALETTE[0],
        "south-1": SITE_PALETTE[1],
        "west-1": SITE_PALETTE[2],
    }
    # a site only one page shows comes after the known ones, not between them
    more = site_colours(["west-1", "east-1"], ["alpha", "east-1"])
    assert more == {"east-1": SITE_PALETTE[0], "west-1": SITE_PALETTE[1], "alpha": SITE_PALETTE[2]}
    assert len(set(SITE_PALETTE)) == len(SITE_PALETTE) >= 80
