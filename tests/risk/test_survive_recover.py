"""Time to survive and impact over the time to recover: the published instance and hand cases.

The published instance is that of Simchi-Levi et al., "Identifying risks and mitigating
disruptions in the automotive supply chain", Interfaces 45(5), 2015 (tests/risk/published.yaml
says how it maps onto a scenario). The hand cases each have a closed form, derived in their
docstrings.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from fluid_networks import document, load

from dronefab.model import load_scenario
from dronefab.risk import assess_risk
from dronefab.risk.nodes import DEFAULT_SITE_TTR_DAYS, DEFAULT_SUPPLIER_TTR_DAYS

PUBLISHED = Path(__file__).parent / "published.yaml"


def by_node(table: pd.DataFrame) -> dict[str, pd.Series]:
    return {str(row["node"]): row for _, row in table.iterrows()}


@pytest.fixture(scope="module")
def published() -> dict[str, pd.Series]:
    return by_node(assess_risk(load_scenario(PUBLISHED)).table)


@pytest.mark.parametrize(
    ("supplier", "tts", "lost_profit"),
    [("supplier-1", 2.25, 0.0), ("supplier-2", 9 / 7, 125_000.0), ("supplier-3", 0.9, 275_000.0)],
)
def test_published_instance(
    published: dict[str, pd.Series], supplier: str, tts: float, lost_profit: float
) -> None:
    # The published figures: TTS 2.25, 1.286 and 0.9; lost profit 0, 125,000 and 275,000.
    for node in (supplier, f"{supplier}/part"):
        row = published[node]
        assert row["tts_days"] == pytest.approx(tts, abs=1e-6)
        assert row["ttr_days"] == 2.0
        assert row["impact"] == pytest.approx(lost_profit, abs=1e-3)
        # Lost units are all of product 1, the lower margin (5,000): priority follows value.
        assert row["lost_units"] == pytest.approx(lost_profit / 5000, abs=1e-6)
        assert (row["tts_days"] < row["ttr_days"]) == (tts < 2)


def test_published_plant_and_exposure_index(published: dict[str, pd.Series]) -> None:
    # The plant's stock is lost with it: nothing can be delivered for the 2 days.
    plant = published["plant"]
    assert plant["tts_days"] == 0.0
    assert plant["lost_units"] == pytest.approx(2 * (75 + 50))
    assert plant["impact"] == pytest.approx(2 * (75 * 5000 + 50 * 6500))
    worst = plant["impact"]
    for row in published.values():
        assert row["rei"] == pytest.approx(row["impact"] / worst)


def test_a_site_covered_by_a_second_site_survives_for_ever(tmp_path: Path) -> None:
    """Two plants, each able to make the whole demand (10 a day): losing one costs nothing."""
    doc = document(products={"drone": 10.0}, suppliers={"parts": None}, sites=2, units_per_day=12.0)
    rows = by_node(assess_risk(load(tmp_path, doc), ttr_days=30).table)
    for plant in ("plant-1", "plant-2"):
        assert math.isinf(rows[plant]["tts_days"])
        assert rows[plant]["lost_units"] == 0.0
        assert rows[plant]["impact"] == 0.0
        assert rows[plant]["rei"] == 0.0
    # The only supplier, with no stock anywhere, stops output at once: 10 a day for 30 days.
    assert rows["parts"]["tts_days"] == 0.0
    assert rows["parts"]["lost_units"] == pytest.approx(300.0)


def test_a_bottleneck_supplier_with_stock_lasts_stock_over_use_rate(tmp_path: Path) -> None:
    """8 drones a day, 2 parts per drone started, 80 % yield: 8 / 0.8 * 2 = 20 parts a day.

    100 parts in stock last 100 / 20 = 5 days. Over a 7-day outage (weekly periods, the
    supplier's median disruption), 2 days of demand are lost: 16 drones, each worth its unmet
    penalty 100 plus the backlog penalty 10 for each of the (28 - 7) / 7 = 3 weeks left.
    """
    doc = document(
        periods=4,
        period_days=7,
        products={"drone": 8.0},
        suppliers={"parts": 1000.0},
        stock={"part": 100.0},
        values={"drone": 100.0},
        backlog_penalty=10.0,
        parts_per_product={"drone": 2.0},
        yield_rate=0.8,
    )
    doc["risks"] = {
        "suppliers": {
            "parts": {"disruptions_per_year": 1, "duration_days_median": 7, "duration_days_p90": 9}
        }
    }
    row = by_node(assess_risk(load(tmp_path, doc)).table)["parts"]
    assert row["tts_days"] == pytest.approx(5.0)
    assert row["ttr_days"] == 7.0
    assert row["lost_units"] == pytest.approx(16.0)
    assert row["impact"] == pytest.approx(16 * (100 + 10 * 3))


def receipts_network(tmp_path: Path) -> dict[str, pd.Series]:
    """Two suppliers of 5 parts a day each (35 a week); demand 10 drones a day of 1 part each.

    40 drones in stock; supplier b has 40 parts on order, due in week 2 (day 7).
    """
    doc = document(
        periods=8,
        period_days=7,
        products={"drone": 10.0},
        suppliers={"a": 35.0, "b": 35.0},
        stock={"drone": 40.0},
    )
    doc["on_order"] = [
        {
            "supplier": "b",
            "item": "part",
            "site": "plant-1",
            "arrival": "2026-01-14",
            "quantity": 40,
        }
    ]
    return by_node(assess_risk(load(tmp_path, doc), ttr_days=20).table)


def test_scheduled_receipts_count_when_they_arrive(tmp_path: Path) -> None:
    """Supplier a down: 5 parts a day short. The 40 drones last 40 / 5 = 8 days, past day 7,
    when b's 40 parts arrive: then 40 + 40 + 5 t >= 10 t until t = 16. Over 20 days,
    200 drones are due and 40 + 40 + 5 * 20 = 180 can be delivered: 20 lost."""
    rows = receipts_network(tmp_path)
    assert rows["a"]["tts_days"] == pytest.approx(16.0)
    assert rows["a"]["lost_units"] == pytest.approx(20.0)


def test_a_stopped_suppliers_receipts_do_not_arrive(tmp_path: Path) -> None:
    """Supplier b down: its 40 parts on order do not arrive, so 40 + 5 t >= 10 t until t = 8;
    over 20 days 40 + 100 = 140 of 200 are delivered: 60 lost."""
    rows = receipts_network(tmp_path)
    assert rows["b"]["tts_days"] == pytest.approx(8.0)
    assert rows["b"]["lost_units"] == pytest.approx(60.0)
    # The plant's outage loses all 200 (its stock with it) and is the worst: same unit value.
    assert rows["plant-1"]["lost_units"] == pytest.approx(200.0)
    assert rows["b"]["rei"] == pytest.approx(60 / 200)


def test_an_overloaded_network_is_measured_against_what_it_sustains(tmp_path: Path) -> None:
    """8 parts a day for 10 a day of demand: the intact network sustains 8 a day, and the
    customer whose units are worth more (6 a day at 50) is served first, the other gets 2."""
    doc = document(
        products={"urgent": 6.0, "routine": 4.0},
        suppliers={"parts": 8.0},
        values={"urgent": 50.0, "routine": 5.0},
    )
    result = assess_risk(load(tmp_path, doc), ttr_days=3)
    demand = result.summary["demand"]
    assert not demand["sustainable"]
    assert demand["per_day"]["buyer-urgent"]["urgent"]["used_per_day"] == pytest.approx(6.0)
    assert demand["per_day"]["buyer-routine"]["routine"]["used_per_day"] == pytest.approx(2.0)
    rows = by_node(result.table)
    # Against the sustained 8 a day, losing the plant loses 3 days of it, the urgent units first.
    assert rows["plant-1"]["lost_units"] == pytest.approx(24.0)
    assert rows["plant-1"]["impact"] == pytest.approx(3 * (6 * 50 + 2 * 5))


def test_times_to_recover_come_from_the_risks_or_a_stated_default(tmp_path: Path) -> None:
    doc = document(products={"drone": 1.0}, suppliers={"a": None, "b": None})
    doc["risks"] = {
        "strike": {"repair_days_median": 12, "repair_days_p90": 40},
        "suppliers": {
            "a": {"disruptions_per_year": 1, "duration_days_median": 9, "duration_days_p90": 20}
        },
    }
    ttr = assess_risk(load(tmp_path, doc)).summary["ttr"]
    assert ttr["plant-1"] == {"days": 12.0, "source": "median strike repair time"}
    assert ttr["a"] == {"days": 9.0, "source": "median supplier disruption length"}
    assert ttr["a/part"]["days"] == 9.0
    assert ttr["b"]["days"] == DEFAULT_SUPPLIER_TTR_DAYS
    assert ttr["b"]["source"].startswith("default")
    del doc["risks"]
    ttr = assess_risk(load(tmp_path, doc)).summary["ttr"]
    assert ttr["plant-1"]["days"] == DEFAULT_SITE_TTR_DAYS
    assert ttr["plant-1"]["source"].startswith("default")
    overridden = assess_risk(load(tmp_path, doc), ttr_days=4.5).table
    assert (overridden["ttr_days"] == 4.5).all()


def test_a_node_nothing_depends_on_survives_for_ever(tmp_path: Path) -> None:
    """A supplier of a part nobody uses, and a plant that makes nothing anyone wants."""
    doc = document(products={"drone": 5.0}, suppliers={"a": None})
    doc["items"].append({"id": "spare", "name": "Spare", "kind": "purchased"})
    doc["suppliers"].append(
        {
            "id": "idle",
            "name": "Idle",
            "supplies": [{"item": "spare", "lead_time_days": 0, "unit_cost": 1}],
        }
    )
    rows = by_node(assess_risk(load(tmp_path, doc)).table)
    assert math.isinf(rows["idle"]["tts_days"])
    assert math.isinf(rows["idle/spare"]["tts_days"])
    assert rows["idle"]["impact"] == 0.0
