"""Exact reductions on dense national networks (issue 14): pruned and unpruned models agree."""

from __future__ import annotations

import numpy as np
import pytest

from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.model.scenario import Scenario
from dronefab.planning.model import ModelSettings, build_model
from dronefab.planning.network import Network
from dronefab.planning.solve import solve


def dense(seed: int, sites: int = 5, periods: int = 10) -> Scenario:
    return generate_scenario(GeneratorOptions.national(sites=sites, periods=periods, seed=seed))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize(
    "relaxed",
    [
        {},
        {"work_center_capacity": False},
        {"work_center_capacity": False, "supplier_capacity": False},
    ],
    ids=["plan", "without-work-centers", "without-capacity"],
)
def test_pruned_model_has_the_unpruned_optimum_on_dense_networks(
    seed: int, relaxed: dict[str, bool]
) -> None:
    """The plan and the explanations' two relaxations, on networks small enough to solve fast."""
    network = Network(dense(seed))
    pruned = build_model(network, ModelSettings(prune=True, **relaxed))
    full = build_model(network, ModelSettings(prune=False, **relaxed))
    assert pruned.lp.num_cols < full.lp.num_cols
    assert solve(pruned.lp).objective == pytest.approx(solve(full.lp).objective, rel=1e-7)


def dominated_by_hand(scenario: Scenario, all_unlimited: bool = False) -> list[bool]:
    """Offer j is dominated by an unlimited offer k of its item no dearer and no slower (in
    periods), strictly better in one, or equal and earlier / j limited; offers in file order.
    ``all_unlimited`` takes every offer as unlimited (a model without supplier capacity)."""
    offers = [
        (supply.item, supply.unit_cost, scenario.lead_time_periods(supply.lead_time_days), supply)
        for supplier in scenario.suppliers
        for supply in supplier.supplies
    ]
    out = []
    for j, (item, cost, lead, supply) in enumerate(offers):
        found = False
        for k, (other, cost_k, lead_k, supply_k) in enumerate(offers):
            limited_k = supply_k.capacity_per_period is not None and not all_unlimited
            if k == j or other != item or limited_k:
                continue
            if cost_k > cost or lead_k > lead:
                continue
            better = cost_k < cost or lead_k < lead
            limited_j = supply.capacity_per_period is not None and not all_unlimited
            found |= better or limited_j or k < j
        out.append(found)
    return out


@pytest.mark.parametrize("seed", [1, 7])
def test_dominated_offers_are_those_an_unlimited_offer_beats_and_get_no_columns(
    seed: int,
) -> None:
    scenario = dense(seed, sites=8, periods=20)
    network = Network(scenario)
    expected = dominated_by_hand(scenario)
    assert network.offer_dominated.tolist() == expected
    assert 0 < sum(expected) < len(expected)
    purchases = build_model(network).lp.variables["Purchase"]
    bought_from = set(np.unique(purchases.keys["offer"]).tolist())
    assert not bought_from & {n for n, gone in enumerate(expected) if gone}
    unpruned = build_model(network, ModelSettings(prune=False)).lp.variables["Purchase"]
    assert set(np.unique(unpruned.keys["offer"]).tolist()) == set(range(len(expected)))


def test_without_supplier_capacity_only_each_items_frontier_of_offers_is_kept() -> None:
    scenario = dense(3, sites=8, periods=20)
    network = Network(scenario)
    expected = dominated_by_hand(scenario, all_unlimited=True)
    assert network.offer_dominated_uncapacitated.tolist() == expected
    assert sum(expected) > sum(network.offer_dominated)
    relaxed = ModelSettings(work_center_capacity=False, supplier_capacity=False)
    purchases = build_model(network, relaxed).lp.variables["Purchase"]
    kept = set(np.unique(purchases.keys["offer"]).tolist())
    assert not kept & {n for n, gone in enumerate(expected) if gone}
