"""The synthetic scenario generator: valid at every size, reproducible, and realistic enough."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import UsageError
from dronefab.model import timeline
from dronefab.model.generate import GeneratorOptions, generate_scenario, write_generated
from dronefab.model.loader import load_scenario, validate_scenario
from dronefab.model.scenario import Scenario


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file in a folder, by name."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def generate_files(folder: Path, **options: int) -> dict[str, bytes]:
    """Generate with ``options``, write into ``folder`` and return the files written."""
    write_generated(generate_scenario(GeneratorOptions(**options)), folder)
    return files_of(folder)


def load_generated(folder: Path, **options: int) -> Scenario:
    """Generate, write and load back through the loader (so every check runs)."""
    return load_scenario(write_generated(generate_scenario(GeneratorOptions(**options)), folder))


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """A mid-sized network with candidates, loaded back from its files."""
    folder = tmp_path_factory.mktemp("network")
    return load_generated(folder, sites=12, periods=40, seed=5, candidates=2, products=3)


# -- validity -------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sites=st.integers(1, 25),
    periods=st.integers(1, 60),
    products=st.integers(1, 4),
    customers=st.integers(1, 4),
    candidates=st.integers(0, 3),
    seed=st.integers(0, 2**32 - 1),
    demand_rows=st.none() | st.integers(0, 300),
    period_days=st.sampled_from([1, 7, 14, 30]),
)
def test_generated_scenarios_load_without_problems(
    sites: int,
    periods: int,
    products: int,
    customers: int,
    candidates: int,
    seed: int,
    demand_rows: int | None,
    period_days: int,
) -> None:
    options = GeneratorOptions(
        sites=sites,
        periods=periods,
        products=products,
        customers=customers,
        candidates=candidates,
        seed=seed,
        demand_rows=demand_rows,
        period_days=period_days,
    )
    with tempfile.TemporaryDirectory() as folder:
        result = validate_scenario(write_generated(generate_scenario(options), folder))
    # --demand-rows samples orders with replacement, so two equal orders are by design; that
    # warning (a repeated demand row) is the only problem allowed, and only then.
    repeated = "repeats the demand row at"
    problems = [str(p) for p in result.problems if demand_rows is None or repeated not in str(p)]
    assert problems == []
    assert result.scenario is not None
    assert len(result.scenario.sites) == sites + candidates
    assert sum(site.candidate for site in result.scenario.sites) == candidates
    expected_rows = customers * products * periods if demand_rows is None else demand_rows
    assert len(result.scenario.demand) == expected_rows


def test_the_benchmark_network_loads(tmp_path: Path) -> None:
    scenario = load_generated(tmp_path, sites=50, periods=52, seed=0, demand_rows=10_000)
    assert len(scenario.sites) == 50
    assert len(scenario.demand) == 10_000
    assert (tmp_path / "demand.csv").is_file()


# -- reproducibility ------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first = generate_files(tmp_path / "a", sites=8, periods=20, seed=3, candidates=1)
    second = generate_files(tmp_path / "b", sites=8, periods=20, seed=3, candidates=1)
    assert list(first) == ["demand.csv", "scenario.yaml"]
    assert first == second


def test_same_seed_gives_the_same_files_in_another_process(tmp_path: Path) -> None:
    """Nothing may depend on string hashing (set order), which changes between processes."""
    here = generate_files(tmp_path / "here", sites=6, periods=12, seed=9)
    script = (
        "import sys\n"
        "from dronefab.model.generate import GeneratorOptions, generate_scenario, write_generated\n"
        "options = GeneratorOptions(sites=6, periods=12, seed=9)\n"
        "write_generated(generate_scenario(options), sys.argv[1])\n"
    )
    for hash_seed in ("1", "2"):
        target = tmp_path / f"hash-{hash_seed}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", script, str(target)], check=True, env=env)
        assert files_of(target) == here


def test_different_seeds_give_different_files(tmp_path: Path) -> None:
    first = generate_files(tmp_path / "a", sites=5, periods=10, seed=1)
    second = generate_files(tmp_path / "b", sites=5, periods=10, seed=2)
    assert first["scenario.yaml"] != second["scenario.yaml"]
    assert first["demand.csv"] != second["demand.csv"]


def test_write_generated_creates_the_folder_and_returns_the_yaml(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er"
    path = write_generated(generate_scenario(GeneratorOptions(sites=2, periods=3)), target)
    assert path == target / "scenario.yaml"
    assert "demand: demand.csv" in path.read_text(encoding="utf-8")


# -- demand ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [0, 1, 7, 1234])
def test_demand_rows_gives_exactly_that_many_rows(tmp_path: Path, rows: int) -> None:
    scenario = load_generated(tmp_path, sites=3, periods=10, seed=4, demand_rows=rows)
    assert len(scenario.demand) == rows
    with (tmp_path / "demand.csv").open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == rows


def test_default_demand_has_one_row_per_customer_product_and_period() -> None:
    scenario = generate_scenario(GeneratorOptions(sites=3, periods=9, products=2, customers=3))
    cells = {(row.customer, row.item, scenario.period_of(row.due)) for row in scenario.demand}
    assert len(scenario.demand) == len(cells) == 3 * 2 * 9


def test_demand_grows_over_the_horizon(network: Scenario) -> None:
    per_period = sum(network.demand_by_period().values())
    quarter = len(per_period) // 4
    assert per_period[-quarter:].mean() > 1.2 * per_period[:quarter].mean()


@pytest.mark.parametrize(("sites", "seed"), [(1, 0), (4, 1), (12, 2), (30, 3)])
def test_demand_fits_the_network_but_loads_it(tmp_path: Path, sites: int, seed: int) -> None:
    """Work-center hours the whole demand needs against the hours the sites have, by kind:
    never above what exists (so plans are not absurd), and enough to keep the bottleneck busy."""
    scenario = load_generated(tmp_path, sites=sites, periods=26, seed=seed)
    need = hours_needed(scenario)
    have: dict[str, float] = defaultdict(float)
    for site in scenario.sites:
        for center in site.work_centers:
            have[center.id] += float(scenario.available_hours(site.id, center.id).sum())
    load = {kind: need[kind] / have[kind] for kind in need}
    assert 0.5 < max(load.values()) < 1.0


def hours_needed(scenario: Scenario) -> dict[str, float]:
    """Work-center hours to make every demanded unit, through the BOM and yields."""
    components: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for line in scenario.bom:
        components[line.parent].append((line.component, line.quantity))
    steps: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for step in scenario.routings:
        steps[step.item].append((step.work_center, step.minutes))
    hours: dict[str, float] = defaultdict(float)

    def make(item: str, units: float) -> None:
        started = units / scenario.item_by_id[item].yield_rate
        for center, minutes in steps[item]:
            hours[center] += started * minutes / 60
        for component, quantity in components[item]:
            if scenario.item_by_id[component].kind != "purchased":
                make(component, started * quantity)

    for row in scenario.demand:
        make(row.item, row.quantity)
    return hours


# -- structure ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        GeneratorOptions(sites=1, periods=1, products=1, customers=1),
        GeneratorOptions(sites=7, periods=20, seed=11, products=4, candidates=2),
        GeneratorOptions(sites=25, periods=52, seed=12),
    ],
)
def test_every_made_item_is_made_where_its_routing_can_run(
    tmp_path: Path, options: GeneratorOptions
) -> None:
    scenario = load_scenario(write_generated(generate_scenario(options), tmp_path))
    routing: dict[str, set[str]] = defaultdict(set)
    for step in scenario.routings:
        routing[step.item].add(step.work_center)
    made = [item.id for item in scenario.items if item.kind != "purchased"]
    for item in made:
        assert routing[item], f"{item} has no routing"
        able = [
            site.id
            for site in scenario.sites
            if item in site.makes and routing[item] <= {wc.id for wc in site.work_centers}
        ]
        regular = [site_id for site_id in able if not scenario.site_by_id[site_id].candidate]
        assert regular, f"{item} is made at no regular site that has its work centers"


def test_bill_of_materials_has_several_levels_and_realistic_yields(network: Scenario) -> None:
    kinds = {item.id: item.kind for item in network.items}
    children: dict[str, list[str]] = defaultdict(list)
    for line in network.bom:
        children[line.parent].append(line.component)

    def depth(item: str) -> int:
        made = [c for c in children[item] if kinds[c] != "purchased"]
        return 1 + max((depth(c) for c in made), default=0)

    products = [item for item, kind in kinds.items() if kind == "product"]
    assert max(depth(product) for product in products) >= 3  # product -> asm -> asm -> parts
    used = {line.component for line in network.bom}
    assert {item for item, kind in kinds.items() if kind != "product"} <= used
    for item in network.items:
        if item.kind != "purchased":
            assert 0.9 <= item.yield_rate <= 1.0


def test_sizes_follow_the_options(network: Scenario) -> None:
    count = defaultdict(int)
    for item in network.items:
        count[item.kind] += 1
    assert count == {"product": 3, "assembly": 4, "purchased": 14}
    assert [site.id for site in network.sites][:2] == ["site-001", "site-002"]
    assert {item.id for item in network.items} >= {"prod-1", "asm-01", "part-07"}
    assert network.suppliers[0].id == "sup-01"
    assert [customer.id for customer in network.customers] == ["cust-1", "cust-2"]


def test_sites_exercise_the_calendar_and_costs(network: Scenario) -> None:
    regular = [site for site in network.sites if not site.candidate]
    start, end = network.horizon.start, network.end
    opening = [site for site in regular if site.opens is not None and start < site.opens < end]
    assert opening and all(site.ramp_periods > 0 for site in opening)
    assert all(site.ramp_start_efficiency < 1 for site in opening)
    assert any(site.closes is not None for site in regular)
    assert all(30 <= site.distance_to_front_km <= 800 for site in network.sites)
    assert all(site.labour_cost_per_hour > 0 for site in network.sites)
    assert any(site.downtime_hours_per_day > 0 for site in network.sites)
    assert all(1 <= len(site.work_centers) <= 4 for site in network.sites)
    candidates = [site for site in network.sites if site.candidate]
    assert len(candidates) == 2
    assert all(site.fixed_cost_per_period > 0 for site in candidates)
    assert any(site.initial_inventory for site in regular)
    assert timeline.opening_period(opening[0], network.horizon) is not None


def test_suppliers_have_second_sources_and_chokepoints(network: Scenario) -> None:
    sources: dict[str, list[str]] = defaultdict(list)
    capped: set[str] = set()
    for supplier in network.suppliers:
        for supply in supplier.supplies:
            sources[supply.item].append(supplier.id)
            assert 0 <= supply.lead_time_days <= 120
            assert supply.unit_cost > 0
            if supply.capacity_per_period is not None:
                capped.add(supplier.id)
    parts = [item.id for item in network.items if item.kind == "purchased"]
    assert set(sources) == set(parts)
    assert sum(len(ids) > 1 for ids in sources.values()) >= 2
    assert capped
    assert set(network.risks.suppliers) <= capped
    assert network.risks.suppliers
    assert network.on_order


def test_customers_and_lanes(network: Scenario) -> None:
    penalties = [customer.backlog_penalty for customer in network.customers]
    assert penalties[0] == max(penalties)
    customers = set(network.customer_by_id)
    deliveries = {(lane.from_, lane.to) for lane in network.lanes if lane.to in customers}
    transfers = [lane for lane in network.lanes if lane.to not in customers]
    assert transfers
    assert {to for _, to in deliveries} == customers
    assert len(deliveries) < len(network.sites) * len(customers)


@pytest.mark.parametrize("seed", range(5))
def test_lanes_connect_makers_users_and_customers(tmp_path: Path, seed: int) -> None:
    """Each assembly a regular site uses but does not make can come from a regular maker, and
    each site that makes a product can deliver it."""
    scenario = load_generated(tmp_path, sites=15, periods=8, seed=seed, products=3)
    kinds = {item.id: item.kind for item in scenario.items}
    parts_of: dict[str, set[str]] = defaultdict(set)
    for line in scenario.bom:
        parts_of[line.parent].add(line.component)
    lanes = {(lane.from_, lane.to) for lane in scenario.lanes}
    regular = [site for site in scenario.sites if not site.candidate]
    for site in regular:
        used = set().union(*(parts_of[item] for item in site.makes))
        for item in sorted(used - set(site.makes)):
            if kinds[item] == "assembly":
                makers = {other.id for other in regular if item in other.makes}
                assert any((maker, site.id) in lanes for maker in makers), (site.id, item)
        if any(kinds[item] == "product" for item in site.makes):
            assert any((site.id, customer) in lanes for customer in scenario.customer_by_id)


def test_risks_cover_strikes_and_a_few_sites(network: Scenario) -> None:
    risks = network.risks
    assert risks.strike_rate_by_distance[-1].max_km >= 800
    assert 1 <= len(risks.sites) < len(network.sites)
    assert set(risks.sites) <= set(network.site_by_id)


# -- options and the command line -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "phrase"),
    [
        ({"sites": 0}, "sites must be at least 1, got 0"),
        ({"periods": 0}, "periods must be at least 1"),
        ({"periods": 20_000}, "periods must be at most 10000"),
        ({"seed": -1}, "seed must be at least 0"),
        ({"demand_rows": -5}, "demand_rows must be at least 0"),
        ({"products": 0, "customers": 0}, "customers must be at least 1"),
        ({"candidates": -1}, "candidates must be at least 0"),
        ({"period_days": 400}, "period_days must be at most 366"),
        ({"periods": 10_000, "period_days": 366}, "after the year 9999"),
    ],
)
def test_nonsense_options_are_refused(options: dict[str, int], phrase: str) -> None:
    with pytest.raises(UsageError, match=phrase):
        GeneratorOptions(**options)


def test_cli_generate_writes_the_same_files_twice(tmp_path: Path) -> None:
    runner = CliRunner()
    outputs = []
    for name in ("one", "two"):
        target = tmp_path / name
        args = ["generate", str(target), "--sites", "3", "--periods", "10", "--seed", "1"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "scenario.yaml" in result.output
        outputs.append(files_of(target))
    assert outputs[0] == outputs[1]
    assert validate_scenario(tmp_path / "one" / "scenario.yaml").problems == []
