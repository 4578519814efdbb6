"""Every number of a scenario has a finite range, checked at the door with the field named.

Issue 19: ``stations: 1e308`` made a silently wrong "optimal" plan, ``lead_time_days: 1e308`` a
traceback, a quantity of 1e308 a solver error naming no field.
"""

from __future__ import annotations

import functools
import math
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import ScenarioError
from dronefab.model import schema
from dronefab.model.loader import load_scenario, validate_scenario
from dronefab.model.schema import (
    AlertParams,
    BomLine,
    Customer,
    Demand,
    Horizon,
    InTransit,
    InventoryRow,
    Item,
    Lane,
    LaneRisk,
    OnOrder,
    Risks,
    RoutingStep,
    SiteBase,
    SiteRisk,
    StrikeBand,
    StrikeParams,
    SupplierRisk,
    SupplyRow,
    WorkCenterRow,
)
from dronefab.model.sources import format_path, read_yaml
from dronefab.model.tables import TABLES

SCENARIOS = Path(__file__).parent / "scenarios"
RICH = SCENARIOS / "rich.yaml"

# Where a row of each model stands in rich.yaml (in_transit is added, rich.yaml has none).
PLACES: dict[type[BaseModel], tuple[str | int, ...]] = {
    Horizon: ("horizon",),
    Item: ("items", 0),
    BomLine: ("bom", 0),
    RoutingStep: ("routings", 0),
    SiteBase: ("sites", 0),
    WorkCenterRow: ("sites", 0, "work_centers", 0),
    SupplyRow: ("suppliers", 0, "supplies", 0),
    OnOrder: ("on_order", 0),
    InTransit: ("in_transit", 0),
    Customer: ("customers", 0),
    Lane: ("lanes", 0),
    Demand: ("demand", 0),
    StrikeBand: ("risks", "strike_rate_by_distance", 0),
    StrikeParams: ("risks", "strike"),
    AlertParams: ("risks", "alerts"),
    SiteRisk: ("risks", "sites", "east-1"),
    SupplierRisk: ("risks", "suppliers", "boards-b"),
    LaneRisk: ("risks", "lanes"),
    Risks: ("risks",),
}
STOCK = ("sites", 0, "initial_inventory", "motor")  # InventoryRow.quantity, nested as a map


def _is_number(annotation: Any) -> bool:
    if annotation in (int, float):
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return _is_number(typing.get_args(annotation)[0])
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return any(_is_number(arg) for arg in typing.get_args(annotation))
    return False


def numeric_fields() -> list[tuple[type[BaseModel], str]]:
    models = {spec.row for spec in TABLES.values()} | set(PLACES)
    return sorted(
        (
            (model, name)
            for model in models
            for name, info in model.model_fields.items()
            if _is_number(info.annotation)
        ),
        key=lambda pair: (pair[0].__name__, pair[1]),
    )


def test_every_numeric_field_has_a_range() -> None:
    fields = numeric_fields()
    assert len(fields) > 40
    unbounded = [
        f"{m.__name__}.{n}" for m, n in fields if schema.range_of(m.model_fields[n]) is None
    ]
    assert unbounded == []


def test_every_range_is_finite_and_used() -> None:
    used = {schema.range_of(m.model_fields[n]) for m, n in numeric_fields()}
    for kind, allowed in schema.RANGES.items():
        assert math.isfinite(allowed.low) and math.isfinite(allowed.high), kind
        assert allowed.low < allowed.high, kind
        assert any(
            found is not None
            and (found.low, found.high, found.low_open, found.whole)
            == (allowed.low, allowed.high, allowed.low_open, allowed.whole)
            for found in used
        ), f"range '{kind}' is used by no field"


def bad_values(model: type[BaseModel], name: str) -> list[Any]:
    allowed = schema.range_of(model.model_fields[name])
    assert allowed is not None
    if allowed.whole:
        beyond = [int(allowed.high) + 1, int(allowed.low) - 1]
    else:
        beyond = [math.nextafter(allowed.high, math.inf)]
        beyond.append(allowed.low if allowed.low_open else math.nextafter(allowed.low, -math.inf))
    return [1e308, math.inf, math.nan, -1, *beyond]


@functools.cache
def _rich() -> str:
    return RICH.read_text(encoding="utf-8")


def rich_data() -> dict[str, Any]:
    data = yaml.load(_rich(), Loader=yaml.CSafeLoader)
    data["in_transit"] = [
        {"from_site": "east-1", "to_site": "west-1", "item": "motor", "arrival": "2026-01-19"}
        | {"quantity": 50}
    ]
    return data


def place(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


@pytest.mark.parametrize(
    ("model", "name"), numeric_fields(), ids=lambda v: v if isinstance(v, str) else v.__name__
)
def test_out_of_range_number_is_refused_with_the_field_and_the_range(
    model: type[BaseModel], name: str, tmp_path: Path
) -> None:
    if model is InventoryRow:
        path = STOCK
    else:
        path = (*PLACES[model], model.model_fields[name].alias or name)
    allowed = schema.range_of(model.model_fields[name])
    assert allowed is not None
    target = tmp_path / "scenario.yaml"
    failures = []
    for value in bad_values(model, name):
        data = rich_data()
        place(data, path, value)
        target.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper), encoding="utf-8")
        result = validate_scenario(target)
        messages = [p.message for p in result.errors if p.path == format_path(path)]
        if result.scenario is not None or not any(allowed.expected() in m for m in messages):
            failures.append((value, [str(p) for p in result.errors]))
    assert failures == [], f"expected '{allowed.expected()}' at {format_path(path)}"


def test_the_rich_scenario_itself_is_valid() -> None:
    data = rich_data()
    assert validate_scenario(RICH).scenario is not None
    assert data["in_transit"]  # the row the test adds is valid as well (checked above per field)


def test_a_number_in_a_csv_table_is_checked_the_same_way(tmp_path: Path) -> None:
    (tmp_path / "scenario.yaml").write_text(
        (SCENARIOS / "tables.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "tables-demand.csv").write_text(
        "customer,item,due,quantity\narmy,quad,2026-02-02,1e308\narmy,quad,2026-02-23,inf\n",
        encoding="utf-8",
    )
    result = validate_scenario(tmp_path / "scenario.yaml")
    assert [(p.path, p.message) for p in result.errors] == [
        ("demand[0].quantity", "must be a number from 0 to 1,000,000,000, got 1e308"),
        ("demand[1].quantity", "must be a number from 0 to 1,000,000,000, got inf"),
    ]
    assert [p.location.line for p in result.errors if p.location] == [2, 3]


def test_stations_of_1e308_make_no_plan(minimal_path: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(minimal_path.read_text(encoding="utf-8"))
    data["sites"][0]["work_centers"][0]["stations"] = 1e308
    scenario = tmp_path / "huge.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"stations: must be a number above 0 and at most"):
        load_scenario(scenario)
    out = tmp_path / "plan"
    result = CliRunner().invoke(app, ["plan", str(scenario), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "sites[0].work_centers[0].stations: must be a number above 0 and at most 10,000" in (
        result.output
    )
    assert not (out / "summary.json").exists()


def test_a_lead_time_of_1e308_is_refused_not_an_overflow(
    minimal_path: Path, tmp_path: Path
) -> None:
    data = yaml.safe_load(minimal_path.read_text(encoding="utf-8"))
    data["suppliers"][0]["supplies"][0]["lead_time_days"] = 1e308
    scenario = tmp_path / "late.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", str(scenario), "--out", str(tmp_path / "plan")])
    assert result.exit_code == 1, result.output
    assert "lead_time_days: must be a number from 0 to 3,650, got 1e+308" in result.output
    assert "Traceback" not in result.output


def test_every_scenario_under_tests_and_the_demo_still_load() -> None:
    root = Path(__file__).parent.parent
    candidates = [
        path
        for path in sorted(root.rglob("*.yaml"))
        if "corpus" not in path.parts
        and yaml.safe_load(path.read_text(encoding="utf-8")) is not None
    ]
    scenarios = [
        path
        for path in candidates
        if isinstance(data := yaml.safe_load(path.read_text(encoding="utf-8")), dict)
        and data.get("format") == "dronefab/1"
    ]
    assert len(scenarios) >= 3
    demo = Path(__file__).parent.parent.parent / "src" / "dronefab" / "model" / "demo" / "demo.yaml"
    for path in [*scenarios, demo]:
        result = validate_scenario(path)
        assert result.scenario is not None, [str(p) for p in result.errors]


def test_yaml_numbers_in_other_forms_are_read_as_written(tmp_path: Path) -> None:
    # YAML 1.1 reads 010 as 8, 1:30 as 90 and 1_000 as 1000; dronefab keeps the text written
    target = tmp_path / "numbers.yaml"
    target.write_text("a: 010\nb: 1:30\nc: 1_000\nd: 0x1f\ne: 12\nf: -2.5e+3\ng: .inf\n")
    data = read_yaml(target, "numbers.yaml").data
    assert data == {
        "a": "010",
        "b": "1:30",
        "c": "1_000",
        "d": "0x1f",
        "e": 12,
        "f": -2500.0,
        "g": math.inf,
    }
