"""``dronefab risk`` and the risk page: files, columns, ``inf``, the report, and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import yaml
from fluid_networks import document
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.report.risk_page import write_risk_report
from dronefab.risk import COLUMNS, read_risk

PUBLISHED = Path(__file__).parent / "published.yaml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_risk_writes_the_table_with_its_columns_and_inf(tmp_path: Path) -> None:
    code, output = run("risk", str(PUBLISHED), "--out", str(tmp_path / "risk"))
    assert code == 0, output
    text = (tmp_path / "risk" / "risk.csv").read_text(encoding="utf-8")
    header, *lines = text.splitlines()
    assert header == ",".join(COLUMNS)
    assert len(lines) == 7  # 1 site, 3 suppliers, 3 supplier-item pairs
    table = pd.read_csv(tmp_path / "risk" / "risk.csv")
    assert table["impact"].is_monotonic_decreasing
    assert set(table["kind"]) == {"site", "supplier", "supplier-item"}
    assert "supplier-3" in output and "run out before they recover" in output
    # With a 1-day outage no supplier is missed for long; the plant still is (no stock left).
    code, output = run("risk", str(PUBLISHED), "--out", str(tmp_path / "short"), "--ttr", "0.5")
    assert code == 0, output
    short = pd.read_csv(tmp_path / "short" / "risk.csv")
    assert (short["ttr_days"] == 0.5).all()


def test_an_unbounded_time_to_survive_is_written_inf(tmp_path: Path) -> None:
    # Two plants, each able to make the whole demand: either can stop for ever.
    doc = document(products={"drone": 10.0}, suppliers={"parts": None}, sites=2, units_per_day=12)
    scenario = tmp_path / "two-plants.yaml"
    scenario.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    code, output = run("risk", str(scenario), "--out", str(tmp_path / "risk"))
    assert code == 0, output
    lines = (tmp_path / "risk" / "risk.csv").read_text(encoding="utf-8").splitlines()
    written = {line.split(",")[0]: line.split(",")[2] for line in lines[1:]}
    assert written == {"parts": "0", "parts/part": "0", "plant-1": "inf", "plant-2": "inf"}
    table = read_risk(tmp_path / "risk").table.set_index("node")
    assert math.isinf(table.loc["plant-1", "tts_days"])
    assert table.loc["parts", "tts_days"] == 0.0


def test_report_of_a_risk_folder_writes_the_risk_page(tmp_path: Path) -> None:
    assert run("risk", str(PUBLISHED), "--out", str(tmp_path / "risk"))[0] == 0
    code, output = run("report", str(tmp_path / "risk"), "--out", str(tmp_path / "risk.html"))
    assert code == 0, output
    html = (tmp_path / "risk.html").read_text(encoding="utf-8")
    assert "Which node hurts most: published" in html
    assert 'data-flagged="5"' in html  # the plant, suppliers 2 and 3 and their part lines
    assert html.count("<tr>") >= 7
    assert "<script src=" not in html  # the plotly library is inlined: works offline
    for node in ("plant", "supplier-1/part", "supplier-3"):
        assert f"<td>{node}</td>" in html


def test_risk_page_of_a_table_with_no_impact(tmp_path: Path) -> None:
    folder = tmp_path / "risk"
    folder.mkdir()
    pd.DataFrame([["a", "site", math.inf, 21.0, 0.0, 0.0, 0.0]], columns=list(COLUMNS)).to_csv(
        folder / "risk.csv", index=False
    )
    summary = {"scenario": "hand-made", "ttr": {}, "demand": {}}
    (folder / "summary.json").write_text(json.dumps(summary))
    html = write_risk_report(folder, tmp_path / "page.html").read_text(encoding="utf-8")
    assert "No outage loses a unit" in html
    assert "∞" in html


def test_bad_input_gives_a_message_and_an_exit_code(tmp_path: Path) -> None:
    code, output = run("risk", str(tmp_path / "missing.yaml"))
    assert code == 2 and "missing.yaml" in output
    code, output = run("risk", str(PUBLISHED), "--ttr", "-1", "--out", str(tmp_path / "r"))
    assert code == 2 and "--ttr" in output
    code, output = run("risk", str(PUBLISHED), "--ttr", "inf", "--out", str(tmp_path / "r"))
    assert code == 2 and "--ttr must be a number of days" in output
    broken = tmp_path / "broken.yaml"
    broken.write_text(PUBLISHED.read_text().replace("quantity: 75", "quantity: -75", 1))
    code, output = run("risk", str(broken), "--out", str(tmp_path / "r"))
    assert code == 1 and "quantity" in output
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "risk.csv").write_text("node,kind\nplant,site\n")
    code, output = run("report", str(folder), "--out", str(tmp_path / "x.html"))
    # A damaged results folder is invalid input (exit 1), as a damaged scenario is.
    assert code == 1 and "lacks the column(s) tts_days" in output
    assert "Traceback" not in output
