"""Pages of any results folder, and a plan report linked to the analyses beside it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import UsageError
from dronefab.model import load_scenario
from dronefab.planning.plan import PlanOptions, plan
from dronefab.report.bundle import ANALYSES, analysis_of, write_linked_reports, write_report
from dronefab.risk import assess_risk, write_risk

from .test_plan_report import tight_scenario


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A plan folder and a risk folder of the same small scenario."""
    root = tmp_path_factory.mktemp("bundle")
    scenario = load_scenario(tight_scenario(root))
    plan_dir = plan(scenario, PlanOptions(explain=False)).write(root / "plan")
    risk_dir = root / "risk"
    write_risk(assess_risk(scenario), risk_dir)
    return {"root": root, "plan": plan_dir, "risk": risk_dir}


def _links(page: Path) -> list[tuple[str, str]]:
    """(href, label) of the banner's related-report links."""
    text = page.read_text(encoding="utf-8")
    nav = text[text.index("Related reports:") :]
    nav = nav[: nav.index("</nav>")]
    return re.findall(r'<a href="([^"#][^"]*)">([^<]+)</a>', nav)


def test_folders_are_recognised_by_their_marker_file(folders: dict[str, Path]) -> None:
    assert analysis_of(folders["plan"]) is None
    analysis = analysis_of(folders["risk"])
    assert analysis is not None and analysis.page == "risk.html"
    assert len({a.page for a in ANALYSES}) == len(ANALYSES)  # no two kinds share a page


def test_write_report_picks_the_page_of_the_folder(folders: dict[str, Path]) -> None:
    risk_page = write_report(folders["risk"], folders["root"] / "r.html").read_text("utf-8")
    plan_page = write_report(folders["plan"], folders["root"] / "p.html").read_text("utf-8")
    assert "<title>Production plan: tight</title>" in plan_page
    assert "Production plan" not in risk_page and "time to survive" in risk_page.lower()
    assert "Related reports:" not in plan_page  # no links unless asked for


def test_plan_report_links_every_analysis_written_beside_it(folders: dict[str, Path]) -> None:
    out = folders["root"] / "site" / "report.html"
    pages = write_linked_reports(folders["plan"], out, [folders["risk"]])
    assert pages == [out, out.parent / "risk.html"]
    assert all(p.is_file() for p in pages)
    assert _links(out) == [("risk.html", "Time to survive and recover")]
    for href, _ in _links(out):  # every link resolves to a page written next to the report
        assert (out.parent / href).is_file()


def test_analysis_folders_are_checked(folders: dict[str, Path]) -> None:
    out = folders["root"] / "bad" / "report.html"
    with pytest.raises(UsageError, match="not an analysis folder"):
        write_linked_reports(folders["plan"], out, [folders["plan"]])
    with pytest.raises(UsageError, match="a second time to survive"):
        write_linked_reports(folders["plan"], out, [folders["risk"], folders["risk"]])
    assert not out.exists()  # nothing written when the request is wrong


def test_report_command_with_analyses(folders: dict[str, Path]) -> None:
    out = folders["root"] / "cli" / "report.html"
    runner = CliRunner()
    result = runner.invoke(
        app, ["report", str(folders["plan"]), "--out", str(out), "--with", str(folders["risk"])]
    )
    assert result.exit_code == 0, result.output
    assert (out.parent / "risk.html").is_file() and _links(out)
    wrong = runner.invoke(
        app, ["report", str(folders["risk"]), "--out", str(out), "--with", str(folders["risk"])]
    )
    assert wrong.exit_code == 2 and "needs a plan folder" in wrong.output


@pytest.mark.slow
def test_demo_runs_every_stage_and_links_their_pages(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "demo"
    for name in ("plan", "simulation", "risk", "buffers", "design", "replan", "actuals"):
        assert (folder / name).is_dir(), name
    pages = {href for href, _ in _links(folder / "report.html")}
    assert pages == {"simulation.html", "risk.html", "buffers.html", "design.html", "actuals.html"}
    assert all((folder / p).is_file() for p in pages)
    # issue 15: the design folder has its curve, as `dronefab design` writes it (defect 15),
    # and the pages share one plotly (defect 14)
    assert (folder / "design" / "curve.html").is_file() and (folder / "plotly.min.js").is_file()
    for stage in ("stress test:", "risk:", "buffers:", "design:", "record:", "replan from"):
        assert stage in result.output
    _check_demo_record(folder)


def _check_demo_record(folder: Path) -> None:
    """The demo's store holds its opening stock and every line of history.jsonl, and the
    exceptions are the generator's three deliberate ones."""
    import json

    from sqlalchemy import func, select

    from dronefab.storage import schema
    from dronefab.storage.database import open_store
    from dronefab.storage.exceptions import find_exceptions

    history = (folder / "history.jsonl").read_text().splitlines()
    store = open_store(f"sqlite:///{folder / 'dronefab.db'}")
    with store.reading() as connection:
        recorded = connection.execute(
            select(func.count())
            .select_from(schema.events)
            .where(schema.events.c.id.not_like("opening/%"))
        ).scalar()
        kinds = sorted(x.kind for x in find_exceptions(connection))
    store.engine.dispose()
    assert recorded == len(history)
    assert {json.loads(line)["type"] for line in history} >= {
        "receipt", "completion", "test", "dispatch", "arrival", "shipment", "acceptance",
        "downtime", "strike", "quarantine", "release",
    }  # fmt: skip
    assert kinds == ["consumption_off_bom", "dispatch_overdue", "untested_shipment"]
    assert (folder / "replan" / "plan" / "summary.json").is_file()


def test_nothing_is_written_for_a_wrong_plan_folder_or_a_colliding_name(
    folders: dict[str, Path],
) -> None:
    out = folders["root"] / "collide" / "risk.html"
    with pytest.raises(UsageError, match="would overwrite the time to survive and recover page"):
        write_linked_reports(folders["plan"], out, [folders["risk"]])
    other = folders["root"] / "noplan" / "report.html"
    with pytest.raises(UsageError, match="not a plan folder"):
        write_linked_reports(folders["root"] / "nothing", other, [folders["risk"]])
    assert not out.parent.exists() and not other.parent.exists()
