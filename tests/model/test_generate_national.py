"""The generator's knobs for the dense national class (issue 14): each changes what it says."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import UsageError
from dronefab.model.generate import GeneratorOptions, generate_scenario, write_generated
from dronefab.model.loader import load_scenario, validate_scenario
from dronefab.model.scenario import Scenario


@pytest.fixture(scope="module")
def national() -> Scenario:
    """The issue's shape: 30 sites x 52 weeks."""
    return generate_scenario(GeneratorOptions.national(sites=30, periods=52, seed=1))


def transfers(scenario: Scenario) -> list[tuple[str, str, float, float]]:
    sites = {site.id for site in scenario.sites}
    return [
        (lane.from_, lane.to, lane.transit_days, lane.cost_per_unit)
        for lane in scenario.lanes
        if lane.to in sites
    ]


def test_the_national_network_loads_without_problems(tmp_path: Path, national: Scenario) -> None:
    result = validate_scenario(write_generated(national, tmp_path))
    assert result.problems == []
    assert result.scenario is not None and len(result.scenario.sites) == 30


def test_lanes_join_thirty_percent_of_the_site_pairs_at_one_a_unit(national: Scenario) -> None:
    lanes = transfers(national)
    assert len(lanes) == round(0.3 * 30 * 29) == 261
    assert len({(a, b) for a, b, _, _ in lanes}) == 261
    assert {cost for *_, cost in lanes} == {1.0}
    assert {days for _, _, days, _ in lanes} <= set(map(float, range(1, 9)))
    assert all(a != b for a, b, _, _ in lanes)
    sparse = generate_scenario(replace(GeneratorOptions.national(30, 52, 1), lane_density=None))
    assert len(transfers(sparse)) < 100


def test_thirty_suppliers_offer_two_to_five_parts_sixty_percent_capacitated(
    national: Scenario,
) -> None:
    assert len(national.suppliers) == 30
    assert all(2 <= len(supplier.supplies) <= 5 for supplier in national.suppliers)
    offers = [supply for supplier in national.suppliers for supply in supplier.supplies]
    parts = {item.id for item in national.items if item.kind == "purchased"}
    assert {offer.item for offer in offers} == parts
    capacitated = sum(offer.capacity_per_period is not None for offer in offers)
    assert 0.45 <= capacitated / len(offers) <= 0.75
    assert all(0 <= offer.lead_time_days <= 60 for offer in offers)
    assert len({offer.lead_time_days for offer in offers}) > 20


@pytest.mark.parametrize(("share", "expected"), [(0.0, 0), (1.0, None)])
def test_the_capacitated_share_sets_how_many_offers_have_a_capacity(
    share: float, expected: int | None
) -> None:
    options = replace(GeneratorOptions.national(8, 10, 3), capacitated_share=share, max_lead_days=0)
    offers = [s for supplier in generate_scenario(options).suppliers for s in supplier.supplies]
    capacitated = sum(offer.capacity_per_period is not None for offer in offers)
    assert capacitated == (len(offers) if expected is None else expected)
    assert {offer.lead_time_days for offer in offers} == {0.0}


def test_each_site_holds_three_parts_two_products_and_one_assembly(national: Scenario) -> None:
    kinds = {item.id: item.kind for item in national.items}
    for site in national.sites:
        held = Counter(kinds[item] for item in site.initial_inventory)
        assert held == {"purchased": 3, "product": 2, "assembly": 1}, site.id
        assert all(units >= 1 for units in site.initial_inventory.values())


def test_nineteen_of_thirty_sites_open_during_the_horizon(national: Scenario) -> None:
    assert sum(site.opens is not None for site in national.sites) == 19
    default = generate_scenario(GeneratorOptions(sites=30, periods=52, seed=1))
    assert sum(site.opens is not None for site in default.sites) == 6


def test_the_same_options_give_the_same_files(tmp_path: Path) -> None:
    def files(folder: Path, seed: int) -> dict[str, bytes]:
        write_generated(generate_scenario(GeneratorOptions.national(10, 12, seed)), folder)
        return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}

    first = files(tmp_path / "a", 4)
    assert files(tmp_path / "b", 4) == first
    assert files(tmp_path / "c", 5) != first


@pytest.mark.parametrize(
    ("knob", "value", "named"),
    [
        ("lane_density", 1.5, "lane_density must be a share between 0 and 1"),
        ("opening_share", -0.1, "opening_share must be a share between 0 and 1"),
        ("suppliers", 0, "suppliers must be a whole number of at least 1"),
        ("offers_per_supplier", (4, 2), "offers_per_supplier must be (low, high)"),
        ("max_lead_days", -1, "max_lead_days must be 0 to 3650 days"),
        ("opening_stock", (3, -1, 1), "opening_stock counts must be 0 or more"),
    ],
)
def test_a_knob_that_makes_no_sense_is_named(knob: str, value: object, named: str) -> None:
    with pytest.raises(UsageError, match=named.replace("(", r"\(").replace(")", r"\)")):
        GeneratorOptions(**{knob: value})  # type: ignore[arg-type]


def test_dronefab_generate_national_writes_a_dense_network(tmp_path: Path) -> None:
    args = ["generate", str(tmp_path), "--national", "--sites", "6", "--periods", "8"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    loaded = load_scenario(tmp_path / "scenario.yaml")
    lanes = transfers(loaded)
    assert len(lanes) >= round(0.3 * 6 * 5)  # more when the reference plan's flows need more
    assert {cost for *_, cost in lanes} == {1.0}
    assert len(loaded.suppliers) == 30
