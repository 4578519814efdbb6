"""The built-in demo network: it validates, round-trips, and keeps the promises of its issue.

The claims about the network (sizes, distances, the 600-a-month automaker line, chokepoints,
priorities) are recomputed here from the raw YAML and CSV text with plain arithmetic, not through
dronefab's own timeline or loader, so a bug there cannot hide a wrong demo.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.model.demo import demo_files, load_demo, write_demo_scenario
from dronefab.model.loader import load_scenario, validate_scenario

# Warnings the demo is allowed to have (none: every part is supplied, every product made,
# every customer reachable).
EXPECTED_WARNINGS: list[str] = []

# The parts the issue calls chokepoints, by a word their names contain: motors (magnets),
# battery cells, thermal cameras, radios.
CHOKEPOINTS = {
    "motor": ["motor-q", "motor-fw"],
    "cell": ["cell"],
    "thermal": ["thermal"],
    "radio": ["radio-q", "mesh-radio"],
}
DAYS_PER_MONTH = 365.25 / 12


def _resource_text(name: str) -> str:
    return resources.files("dronefab.model.demo").joinpath(name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    """The demo YAML as plain data."""
    data = yaml.safe_load(_resource_text("demo.yaml"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def demand(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The demand rows, read from the CSV file the YAML names."""
    assert doc["demand"] == "demand.csv"
    rows = list(csv.DictReader(io.StringIO(_resource_text("demand.csv"))))
    return [
        {**row, "due": date.fromisoformat(row["due"]), "quantity": float(row["quantity"])}
        for row in rows
    ]


def _period(doc: dict[str, Any], day: date) -> int:
    horizon = doc["horizon"]
    return int((day - horizon["start"]).days // horizon["period_days"] + 1)


def _weekly_hours(site: dict[str, Any], center: dict[str, Any]) -> float:
    """Available hours in a full week at full ramp, by the SCENARIO.md formula."""
    hours = max(0.0, center["hours_per_day"] - site.get("downtime_hours_per_day", 0.0))
    days_per_week = site.get("days_per_week", 6.0)
    open_days = 7  # a whole week inside the site's opening window
    stations, efficiency = center["stations"], center.get("efficiency", 1.0)
    return float(stations * hours * open_days * days_per_week / 7 * efficiency)


def _starts_per_good_unit(doc: dict[str, Any], product: str, made: set[str]) -> dict[str, float]:
    """Units started of each item in ``made`` per good unit of ``product`` (yields included)."""
    yields = {item["id"]: item.get("yield_rate", 1.0) for item in doc["items"]}
    children: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for line in doc["bom"]:
        children[line["parent"]].append((line["component"], line["quantity"]))
    starts: dict[str, float] = defaultdict(float)

    def walk(item: str, good: float) -> None:
        started = good / yields[item]
        starts[item] += started
        for component, quantity in children[item]:
            if component in made:
                walk(component, started * quantity)

    walk(product, 1.0)
    return starts


def _units_per_week(doc: dict[str, Any], site: dict[str, Any], product: str) -> float:
    """Full-ramp weekly output of ``product`` at a site, building every item it makes itself."""
    minutes: dict[tuple[str, str], float] = defaultdict(float)
    for step in doc["routings"]:
        minutes[step["item"], step["work_center"]] += step["minutes"]
    starts = _starts_per_good_unit(doc, product, set(site["makes"]))
    best = math.inf
    for center in site["work_centers"]:
        per_unit = sum(n * minutes[item, center["id"]] for item, n in starts.items())
        if per_unit > 0:
            best = min(best, _weekly_hours(site, center) * 60 / per_unit)
    return best


def _final_assembly_per_week(doc: dict[str, Any], site: dict[str, Any], product: str) -> float:
    """Weekly output of ``product``'s own routing (assemblies supplied), full ramp."""
    return _units_per_week(doc, {**site, "makes": [product]}, product)


# -- validation and files ---------------------------------------------------------------------


def test_demo_validates_without_errors(tmp_path: Path) -> None:
    result = validate_scenario(write_demo_scenario(tmp_path))
    assert [str(p) for p in result.errors] == []
    assert [p.message for p in result.warnings] == EXPECTED_WARNINGS
    assert result.scenario is not None


def test_demo_files_are_the_yaml_and_its_csv_tables() -> None:
    assert demo_files() == ["demo.yaml", "demand.csv"]


def test_write_demo_scenario_copies_the_shipped_files(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "folder"
    path = write_demo_scenario(folder)
    assert path == folder / "demo.yaml"
    assert sorted(p.name for p in folder.iterdir()) == sorted(demo_files())
    for name in demo_files():
        assert (folder / name).read_text(encoding="utf-8") == _resource_text(name)


def test_written_demo_loads_to_the_same_scenario(tmp_path: Path) -> None:
    written = load_scenario(write_demo_scenario(tmp_path))
    assert written == load_demo()
    assert written.name == "demo"


def test_write_demo_scenario_replaces_edited_files(tmp_path: Path) -> None:
    path = write_demo_scenario(tmp_path)
    path.write_text("edited", encoding="utf-8")
    write_demo_scenario(tmp_path)
    assert path.read_text(encoding="utf-8") == _resource_text("demo.yaml")


def test_cli_demo_scenario_writes_the_yaml(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo-scenario", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "demo.yaml").is_file()
    assert (folder / "demand.csv").is_file()


# -- the claims of the issue, recomputed by hand ------------------------------------------------


def test_organizations_cover_every_role_of_the_programme(doc: dict[str, Any]) -> None:
    roles = {org["role"] for org in doc["organizations"]}
    assert {"programme", "manufacturer", "design-authority", "operator", "customer"} <= roles
    customers = [org for org in doc["organizations"] if org["role"] == "customer"]
    assert len(customers) == 2


def test_horizon_is_26_to_52_weeks_from_a_monday(doc: dict[str, Any]) -> None:
    horizon = doc["horizon"]
    assert horizon["period_days"] == 7
    assert 26 <= horizon["periods"] <= 52
    assert horizon["start"].weekday() == 0


def test_six_to_ten_sites_from_about_40_to_700_km(doc: dict[str, Any]) -> None:
    distances = [site["distance_to_front_km"] for site in doc["sites"]]
    assert 6 <= len(distances) <= 10
    assert all(40 <= km <= 700 for km in distances)
    assert min(distances) <= 60
    assert max(distances) >= 600


def test_some_sites_open_during_the_horizon_with_a_ramp(doc: dict[str, Any]) -> None:
    horizon = doc["horizon"]
    end = horizon["start"] + timedelta(days=7 * horizon["periods"])
    ramping = [
        site
        for site in doc["sites"]
        if site.get("opens") is not None
        and horizon["start"] < site["opens"] < end
        and site.get("ramp_periods", 0) > 0
        and site.get("ramp_start_efficiency", 1.0) < 1
    ]
    assert len(ramping) >= 2
    # every one reaches full rate inside the horizon
    for site in ramping:
        assert _period(doc, site["opens"]) + site["ramp_periods"] <= horizon["periods"]


def test_candidate_sites_have_fixed_costs(doc: dict[str, Any]) -> None:
    candidates = [site for site in doc["sites"] if site.get("candidate")]
    assert len(candidates) >= 2
    assert all(site["fixed_cost_per_period"] > 0 for site in candidates)


def test_downtime_and_labour_cost_are_set_and_downtime_falls_with_distance(
    doc: dict[str, Any],
) -> None:
    by_distance = sorted(doc["sites"], key=lambda site: site["distance_to_front_km"])
    downtime = [site["downtime_hours_per_day"] for site in by_distance]
    assert downtime == sorted(downtime, reverse=True)
    assert downtime[0] >= 3 > downtime[-1]
    assert all(site["labour_cost_per_hour"] > 0 for site in doc["sites"])


def test_sites_mix_small_workshops_and_large_lines(doc: dict[str, Any]) -> None:
    def station_hours(site: dict[str, Any]) -> float:
        return sum(_weekly_hours(site, center) for center in site["work_centers"])

    sizes = sorted(station_hours(site) for site in doc["sites"])
    assert sizes[0] < 500
    assert sizes[-1] > 2000


def test_automaker_line_reaches_about_600_drones_a_month(doc: dict[str, Any]) -> None:
    manufacturers = {org["id"] for org in doc["organizations"] if org["role"] == "manufacturer"}
    products = {item["id"] for item in doc["items"] if item["kind"] == "product"}
    lines = [
        site
        for site in doc["sites"]
        if site["operator"] in manufacturers
        and site.get("opens") is not None
        and site.get("ramp_periods", 0) > 0
        and not site.get("candidate", False)
        and products & set(site["makes"])
    ]
    assert len(lines) == 1
    line = lines[0]
    (product,) = products & set(line["makes"])
    per_month = _units_per_week(doc, line, product) * DAYS_PER_MONTH / 7
    assert per_month == pytest.approx(600, rel=0.10)


def test_two_products_with_a_multi_level_bill_of_materials(doc: dict[str, Any]) -> None:
    kinds = {item["id"]: item["kind"] for item in doc["items"]}
    products = [item for item, kind in kinds.items() if kind == "product"]
    assert len(products) == 2
    children: dict[str, list[str]] = defaultdict(list)
    for line in doc["bom"]:
        children[line["parent"]].append(line["component"])

    def depth(item: str) -> int:
        return 1 + max((depth(child) for child in children[item]), default=0)

    for product in products:
        assert depth(product) >= 3  # product -> assembly -> purchased part
    # yields below one on the products and on some assemblies
    yields = {item["id"]: item.get("yield_rate", 1.0) for item in doc["items"]}
    assert all(yields[product] < 1 for product in products)


def test_routings_cover_the_work_centers_the_issue_names(doc: dict[str, Any]) -> None:
    centers = {step["work_center"] for step in doc["routings"]}
    assert {"assembly", "electronics", "test", "composite"} <= centers
    hours: dict[str, float] = defaultdict(float)
    for step in doc["routings"]:
        hours[step["item"]] += step["minutes"] / 60
    children: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for line in doc["bom"]:
        children[line["parent"]].append((line["component"], line["quantity"]))

    def labour(item: str) -> float:
        return hours[item] + sum(q * labour(c) for c, q in children[item])

    # research: FPV line 1.5-3 h at maturity (an ISR quad a little more); fixed-wing 15-40 h
    assert 1.5 <= labour("quad") <= 4
    assert 15 <= labour("fw") <= 40


def test_about_a_dozen_purchased_parts_from_several_suppliers(doc: dict[str, Any]) -> None:
    purchased = [item["id"] for item in doc["items"] if item["kind"] == "purchased"]
    assert 10 <= len(purchased) <= 16
    assert len(doc["suppliers"]) >= 4
    assert all(supplier.get("country") for supplier in doc["suppliers"])
    sources: dict[str, list[float]] = defaultdict(list)
    for supplier in doc["suppliers"]:
        for supply in supplier["supplies"]:
            sources[supply["item"]].append(supply["unit_cost"])
    assert set(purchased) <= set(sources)
    second_sourced = [item for item, costs in sources.items() if len(costs) >= 2]
    assert len(second_sourced) >= 3
    for item in second_sourced:
        assert max(sources[item]) > min(sources[item])


def test_chokepoint_parts_have_long_lead_times_finite_capacity_and_orders(
    doc: dict[str, Any],
) -> None:
    items = {item["id"]: item["name"].lower() for item in doc["items"]}
    chokepoints = {part for parts in CHOKEPOINTS.values() for part in parts}
    for word, parts in CHOKEPOINTS.items():
        assert all(word in items[part] for part in parts), word
    supplies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for supplier in doc["suppliers"]:
        for supply in supplier["supplies"]:
            supplies[supply["item"]].append(supply)
    others = [item for item in items if item not in chokepoints and item in supplies]
    longest_other = max(s["lead_time_days"] for item in others for s in supplies[item])
    for part in chokepoints:
        assert all(s.get("capacity_per_period") is not None for s in supplies[part]), part
        main = min(supplies[part], key=lambda s: s["unit_cost"])
        assert main["lead_time_days"] >= 56, part
        assert main["lead_time_days"] > longest_other, part
    ordered = {order["item"] for order in doc["on_order"]}
    for kind, parts in CHOKEPOINTS.items():
        assert ordered & set(parts), kind


def test_initial_inventory_at_several_sites(doc: dict[str, Any]) -> None:
    stocked = [site for site in doc["sites"] if site.get("initial_inventory")]
    assert len(stocked) >= 3


def test_armed_forces_come_before_the_training_units(doc: dict[str, Any]) -> None:
    assert len(doc["customers"]) == 2
    roles = {org["id"]: org for org in doc["organizations"]}
    by_id = {customer["id"]: customer for customer in doc["customers"]}
    forces, training = by_id["armed-forces"], by_id["partner-army"]
    assert roles[forces["organization"]]["role"] == "customer"
    assert forces["backlog_penalty"] > 5 * training["backlog_penalty"]
    assert forces["unmet_penalty"] > training["unmet_penalty"] > 0


def test_lanes_reach_both_customers_and_the_hub_kits_the_sites(doc: dict[str, Any]) -> None:
    site_ids = {site["id"] for site in doc["sites"]}
    targets = {lane["to"] for lane in doc["lanes"]}
    assert {"armed-forces", "partner-army"} <= targets
    transfers = [lane for lane in doc["lanes"] if lane["to"] in site_ids]
    assert len(transfers) >= 3
    # every site that makes a product can deliver it
    products = {item["id"] for item in doc["items"] if item["kind"] == "product"}
    senders = {lane["from"] for lane in doc["lanes"] if lane["to"] not in site_ids}
    for site in doc["sites"]:
        if products & set(site["makes"]):
            assert site["id"] in senders, site["id"]


def test_demand_grows_and_outruns_capacity_only_early(
    doc: dict[str, Any], demand: list[dict[str, Any]]
) -> None:
    periods = doc["horizon"]["periods"]
    weekly: dict[str, list[float]] = defaultdict(lambda: [0.0] * periods)
    pairs = set()
    for row in demand:
        period = _period(doc, row["due"])
        assert 1 <= period <= periods
        weekly[row["item"]][period - 1] += row["quantity"]
        pairs.add((row["customer"], row["item"]))
    assert len(pairs) == 4  # both customers want both products
    for series in weekly.values():
        first, last = sum(series[:13]) / 13, sum(series[-13:]) / 13
        assert last > 1.5 * first
    # week 1: final-assembly capacity of the sites already running is below the demand;
    # week 52: every site at full rate covers it.
    for product, series in weekly.items():
        makers = [site for site in doc["sites"] if product in site["makes"]]
        running = [site for site in makers if site.get("opens") is None]
        early = sum(_final_assembly_per_week(doc, site, product) for site in running)
        full = sum(_final_assembly_per_week(doc, site, product) for site in makers)
        assert early < series[0], product
        assert full > series[-1], product


def test_risks_cover_strikes_alerts_suppliers_and_lanes(doc: dict[str, Any]) -> None:
    risks = doc["risks"]
    bands = risks["strike_rate_by_distance"]
    assert [b["max_km"] for b in bands] == sorted(b["max_km"] for b in bands)
    assert [b["per_year"] for b in bands] == sorted((b["per_year"] for b in bands), reverse=True)
    assert bands[-1]["max_km"] >= max(s["distance_to_front_km"] for s in doc["sites"])
    strike = risks["strike"]
    assert strike["repair_days_p90"] > strike["repair_days_median"] > 0
    assert 0 < strike["inventory_loss_fraction"] < 1
    assert risks["alerts"]["hours_per_day_mean"] > 0
    assert set(risks["sites"]) <= {site["id"] for site in doc["sites"]}
    # every cheapest source of a chokepoint part has a disruption profile
    chokepoints = {part for parts in CHOKEPOINTS.values() for part in parts}
    for part in chokepoints:
        sources = [
            (supply["unit_cost"], supplier["id"])
            for supplier in doc["suppliers"]
            for supply in supplier["supplies"]
            if supply["item"] == part
        ]
        assert min(sources)[1] in risks["suppliers"], part
    assert risks["lanes"]["delay_probability"] > 0


def test_a_copy_with_new_tables_looks_up_the_new_rows() -> None:
    scenario = load_demo()
    first = scenario.sites[0]
    assert scenario.site_by_id[first.id] is first  # the lookup is cached on the original
    moved = first.model_copy(update={"distance_to_front_km": first.distance_to_front_km + 1})
    copy = scenario.model_copy(update={"sites": [moved, *scenario.sites[1:]]})
    assert copy.site_by_id[first.id] is moved
    assert scenario.site_by_id[first.id] is first  # the original keeps its own
