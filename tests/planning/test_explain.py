"""Why late: each cause, made to bind alone on minimal.yaml, is the reason given, by name."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from dronefab import Scenario
from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.planning import Plan, plan
from dronefab.planning.explain import (
    LEAD_TIME,
    MISSING_LANE,
    MISSING_SUPPLIER,
    SUPPLIER,
    WORK_CENTER,
)

from .documents import minimal_document

Load = Callable[[dict[str, Any]], Scenario]
# The module, not the function of the same name that dronefab.planning exports.
PLAN_MODULE = importlib.import_module("dronefab.planning.plan")


def reasons(result: Plan) -> dict[str, float]:
    """Units explained per (reason, constraint)."""
    out: dict[str, float] = {}
    for row in result.explanations.itertuples():
        key = f"{row.reason}: {row.constraint}"
        out[key] = out.get(key, 0.0) + float(row.quantity)
    return out


def late_total(result: Plan) -> float:
    return sum(u["late"] + u["never"] for u in result.summary["units"].values())


def assert_explained(result: Plan) -> None:
    """Every late unit is explained, once."""
    assert late_total(result) > 0
    assert result.explanations["quantity"].sum() == pytest.approx(late_total(result), rel=1e-6)


def test_a_full_work_center_is_named(scenario_from: Load) -> None:
    document = minimal_document()
    document["sites"][0]["work_centers"][0]["stations"] = 0.25  # 48 h a week: 24 drones
    result = plan(scenario_from(document))
    assert_explained(result)
    assert set(reasons(result)) == {f"{WORK_CENTER}: west-1/assembly"}


def test_a_capped_supplier_is_named(scenario_from: Load) -> None:
    document = minimal_document()
    document["sites"][0]["initial_inventory"] = {}
    # Week 5's 50 drones need 200 motors in by week 4; at most 40 a week can be ordered.
    document["suppliers"][0]["supplies"][0]["capacity_per_period"] = 40
    result = plan(scenario_from(document))
    assert_explained(result)
    assert set(reasons(result)) == {f"{SUPPLIER}: motors-a/motor"}


def test_a_lead_time_too_long_for_the_due_date_is_named(scenario_from: Load) -> None:
    document = minimal_document()
    document["sites"][0]["initial_inventory"] = {}
    # Ordered in week 1 a motor arrives in week 1 + ceil(42 / 7) = 7, after week 5's due date.
    document["suppliers"][0]["supplies"][0]["lead_time_days"] = 42
    del document["suppliers"][0]["supplies"][0]["capacity_per_period"]
    result = plan(scenario_from(document))
    assert_explained(result)
    assert set(reasons(result)) == {f"{LEAD_TIME}: motor"}
    late = result.explanations.query("reason == @LEAD_TIME")
    assert set(late["due_period"]) == {5}
    assert late["quantity"].sum() == pytest.approx(50)


def test_a_missing_lane_is_named(scenario_from: Load) -> None:
    document = minimal_document()
    document["customers"].append({"id": "training", "name": "Training", "backlog_penalty": 10})
    document["demand"].append(
        {"customer": "training", "item": "quad", "due": "2026-02-09", "quantity": 5}
    )
    result = plan(scenario_from(document))
    assert_explained(result)
    assert set(reasons(result)) == {f"{MISSING_LANE}: training/quad"}
    assert result.explanations["never_delivered"].sum() == pytest.approx(5)


def test_a_part_nobody_supplies_is_named(scenario_from: Load) -> None:
    document = minimal_document()
    supplies = document["suppliers"][0]["supplies"]
    document["suppliers"][0]["supplies"] = [s for s in supplies if s["item"] != "frame"]
    document["sites"][0]["initial_inventory"] = {"motor": 440, "frame": 30}
    result = plan(scenario_from(document))
    assert_explained(result)
    assert set(reasons(result)) == {f"{MISSING_SUPPLIER}: frame"}
    assert result.explanations["quantity"].sum() == pytest.approx(110 - 30)


@pytest.mark.parametrize("cores", [1, 2, 3])
def test_explanations_do_not_depend_on_the_cores(
    cores: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The relaxations solve beside the station values on spare cores (none, one or two
    threads here); the explanations and station values are those of the one-core run."""
    scenario = generate_scenario(GeneratorOptions(sites=6, periods=20, seed=3))
    monkeypatch.setattr(PLAN_MODULE, "usable_cores", lambda: 1)
    alone = plan(scenario)
    monkeypatch.setattr(PLAN_MODULE, "usable_cores", lambda: cores)
    beside = plan(scenario)
    assert len(alone.explanations) > 0
    assert set(alone.explanations["reason"]) >= {WORK_CENTER, LEAD_TIME}
    pd.testing.assert_frame_equal(alone.explanations, beside.explanations)
    pd.testing.assert_frame_equal(alone.station_value, beside.station_value)
