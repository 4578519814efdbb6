"""The pages of a folder share one plotly.min.js (issue 15, defect 14).

Every page inlined plotly: 4.8 to 5.2 MB a page, 24.7 MB for the demo's five.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from dronefab.model import load_scenario
from dronefab.planning.plan import PlanOptions, plan
from dronefab.report.bundle import write_linked_reports
from dronefab.report.html import NO_PLOTLY, PLOTLY_FILE, escape, write_plotly
from dronefab.risk import assess_risk, write_risk

from .test_plan_report import tight_scenario


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("shared")
    scenario = load_scenario(tight_scenario(root))
    plan_dir = plan(scenario, PlanOptions(explain=False)).write(root / "plan")
    write_risk(assess_risk(scenario), root / "risk")
    return write_linked_reports(plan_dir, root / "site" / "report.html", [root / "risk"])


def test_the_pages_of_a_folder_load_one_copy_of_plotly(linked: list[Path]) -> None:
    folder = linked[0].parent
    assert sorted(p.name for p in folder.iterdir()) == ["plotly.min.js", "report.html", "risk.html"]
    library = get_plotlyjs()
    assert (folder / PLOTLY_FILE).read_text(encoding="utf-8") == library
    for page in linked:
        text = page.read_text(encoding="utf-8")
        assert f'src="{PLOTLY_FILE}"' in text
        assert library[:2000] not in text  # not inlined
        assert page.stat().st_size < 1_000_000, page  # was about 5 MB


def test_a_page_without_plotly_beside_it_says_so(linked: list[Path]) -> None:
    text = linked[0].read_text(encoding="utf-8")
    note = text.index('id="no-plotly"')
    assert escape(NO_PLOTLY) in text and 'typeof window.Plotly === "undefined"' in text
    assert note < text.index("Plotly.newPlot")  # shown before the first chart fails


def test_plotly_is_rewritten_only_when_it_differs(tmp_path: Path) -> None:
    target = write_plotly(tmp_path)
    before = target.stat().st_mtime_ns
    assert write_plotly(tmp_path).stat().st_mtime_ns == before
    target.write_text("stale", encoding="utf-8")
    assert write_plotly(tmp_path).read_text(encoding="utf-8") == get_plotlyjs()
