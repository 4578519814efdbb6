"""The stress-test page: one offline file whose figures match the simulation folder's tables."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import UsageError
from dronefab.model import load_scenario
from dronefab.planning.plan import PlanOptions, plan
from dronefab.report.compare_page import SECTIONS as COMPARE_SECTIONS
from dronefab.report.simulation_page import SECTIONS, write_simulation_report
from dronefab.simulation.output import StressTest, run_stress_test

MINIMAL = Path(__file__).parents[1] / "model" / "scenarios" / "minimal.yaml"


def risky(folder: Path) -> Path:
    """minimal.yaml with frequent strikes, alerts and a supplier at risk."""
    document = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    document["risks"] = {
        "seed": 3,
        "strike_rate_by_distance": [{"max_km": 100000, "per_year": 20.0}],
        "strike": {"repair_days_median": 5, "repair_days_p90": 12, "inventory_loss_fraction": 0.3},
        "alerts": {"hours_per_day_mean": 1.0, "hours_per_day_sd": 1.0},
        "suppliers": {
            "motors-a": {
                "disruptions_per_year": 3,
                "duration_days_median": 10,
                "duration_days_p90": 20,
            }
        },
    }
    return write_scenario(document, folder / "risky.yaml")


def write_scenario(document: dict[str, Any], path: Path) -> Path:
    """``document`` written as a scenario file at ``path``."""
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A simulation folder (with attribution and recovery) and its page."""
    folder = tmp_path_factory.mktemp("sim")
    scenario = load_scenario(risky(folder))
    made = plan(scenario, PlanOptions(explain=False))
    options = StressTest(runs=60, seed=3, days=70, attribution_runs=30)
    run_stress_test(scenario, made, folder / "sim", options)
    page = write_simulation_report(folder / "sim", folder / "page.html")
    return folder / "sim", page.read_text(encoding="utf-8")


def test_the_page_is_one_offline_file_with_plotly_once(simulated: tuple[Path, str]) -> None:
    folder, text = simulated
    assert text.startswith("<!DOCTYPE html>")
    sources = re.findall(r"<script\b[^>]*\bsrc\s*=\s*[\"']?([^\"' >]+)", text, flags=re.I)
    assert sources == ["plotly.min.js"]  # once, beside the page (issue 15, defect 14)
    assert (folder.parent / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()
    assert not [p for p in folder.parent.iterdir() if p.name.endswith(".part")]
    for anchor, title in SECTIONS:
        assert f'<section id="{anchor}">' in text
        assert f"<h2>{html.escape(title)}</h2>" in text


def test_headline_figures_match_the_runs(simulated: tuple[Path, str]) -> None:
    folder, text = simulated
    runs = pd.read_csv(folder / "runs.csv")
    periods = pd.read_csv(folder / "periods.csv")
    demand = periods.groupby("customer")["demand"].sum()
    per_run = runs.groupby(["customer", "run"])[["delivered", "on_time"]].sum()
    cards = re.findall(
        r'data-customer="([^"]+)" data-fill-rate="([^"]+)" data-delivered="([^"]+)">'
        r'.*?<div class="big \w+">([^<]+)</div>',
        text,
    )
    assert {html.unescape(c[0]) for c in cards} == set(demand.index)
    for customer, fill, delivered, big in cards:
        rows = per_run.loc[html.unescape(customer)]
        expected = float((rows["on_time"] / demand[html.unescape(customer)]).mean())
        assert float(fill) == pytest.approx(expected, abs=1e-9)
        assert big == f"{expected:.1%}"
        assert float(delivered) == pytest.approx(rows["delivered"].mean(), abs=1e-5)


def test_fan_charts_are_quantiles_of_cumulative_deliveries(simulated: tuple[Path, str]) -> None:
    folder, _ = simulated
    runs = pd.read_csv(folder / "runs.csv")
    periods = pd.read_csv(folder / "periods.csv")
    last = periods[periods["period"] == periods["period"].max()].set_index(["customer", "item"])
    by_pair = runs.set_index(["customer", "item", "run"])["delivered"]
    for (customer, item), row in last.iterrows():
        delivered = by_pair.loc[(customer, item)].to_numpy()
        assert row["cumulative_delivered_p10"] == pytest.approx(np.quantile(delivered, 0.1))
        assert row["cumulative_delivered_p90"] == pytest.approx(np.quantile(delivered, 0.9))
        assert row["cumulative_planned"] == pytest.approx(float(runs["planned"].iloc[0]))


def test_recovery_and_attribution_sections_match_their_tables(
    simulated: tuple[Path, str],
) -> None:
    folder, text = simulated
    recovery = pd.read_csv(folder / "recovery.csv")
    assert len(recovery) > 0
    found = re.search(r'data-recovered-share="([^"]+)"', text)
    assert found is not None
    assert float(found.group(1)) == pytest.approx(recovery["recovered"].mean(), abs=1e-9)
    attribution = pd.read_csv(folder / "attribution.csv")
    at_risk = attribution[attribution["events_per_year"] > 0]
    assert set(at_risk["kind"]) == {"site", "supplier"}
    listed = text.split('data-table="attribution"', 1)[1].split("</table>", 1)[0]
    assert listed.count("<tr>") == len(at_risk) + 1  # the header and one row per node at risk
    assert "strikes on site west-1" in listed and "outages of supplier motors-a" in listed


def test_without_attribution_the_page_says_so(tmp_path: Path) -> None:
    scenario = load_scenario(risky(tmp_path))
    made = plan(scenario, PlanOptions(explain=False))
    run_stress_test(
        scenario, made, tmp_path / "sim", StressTest(runs=10, seed=3, attribution_runs=0)
    )
    assert not (tmp_path / "sim" / "recovery.csv").exists()
    text = write_simulation_report(tmp_path / "sim", tmp_path / "p.html").read_text("utf-8")
    assert text.count("Not measured: this simulation was run with") == 2


def test_a_folder_that_is_not_a_simulation_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a simulation folder"):
        write_simulation_report(tmp_path, tmp_path / "page.html")
    assert not (tmp_path / "page.html").exists()


def test_the_report_command_picks_the_page_of_the_folder(
    simulated: tuple[Path, str], tmp_path: Path
) -> None:
    folder, _ = simulated
    runner = CliRunner()
    result = runner.invoke(app, ["report", str(folder), "--out", str(tmp_path / "s.html")])
    assert result.exit_code == 0, result.output
    assert "Stress test: minimal" in (tmp_path / "s.html").read_text(encoding="utf-8")

    scenario = risky(tmp_path)
    out = tmp_path / "cmp"
    compared = runner.invoke(
        app,
        ["simulate", "--compare", str(scenario), str(scenario), "--runs", "8", "--out", str(out)],
    )
    assert compared.exit_code == 0, compared.output
    text = (out / "compare.html").read_text(encoding="utf-8")
    assert '<script type="text/javascript" src="plotly.min.js"' in text
    assert (out / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()
    for anchor, _ in COMPARE_SECTIONS:
        assert f'<section id="{anchor}">' in text
    assert 'data-table="variants"' in text and "risky-2" in text

    missing = runner.invoke(
        app, ["report", str(tmp_path / "nothing"), "--out", str(tmp_path / "n")]
    )
    assert missing.exit_code == 2 and "Traceback" not in missing.output
