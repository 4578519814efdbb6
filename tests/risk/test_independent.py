"""The LP results against an independent computation, on random instances of the published shape.

Products ``j`` (demand ``d_j`` a day, stock ``S_j``, ``q_j`` parts per unit, unit value ``v_j``)
are made from one part bought from suppliers of capacity ``c_u`` a day, with ``P`` parts in
stock. With supplier ``u`` down and ``C`` the capacity left, the network lasts to ``t`` if and
only if ``f(t) = sum_j q_j max(0, d_j t - S_j) - P - C t <= 0``: ``f`` is convex with
``f(0) <= 0``, so the time to survive is its last root, found here by bisection (or unbounded
when ``f`` stops growing: ``sum_j q_j d_j <= C``). Over a window ``T`` the loss is a fractional
knapsack: product ``j`` needs ``n_j = max(0, d_j T - S_j)`` units made; the parts missing are
saved by losing units with the least value per part first.

A second check: the same answers with one LP per question built afresh, so that no bound or
basis left over from a previous node can change a result.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from fluid_networks import document, load

from dronefab.model.demo import load_demo
from dronefab.risk import assess_risk
from dronefab.risk.fluid import FluidModel
from dronefab.risk.nodes import network_nodes
from dronefab.risk.rates import StagedNetwork
from dronefab.risk.recover import loss_over
from dronefab.risk.survive import time_to_survive


def survive_by_bisection(
    d: np.ndarray, s: np.ndarray, q: np.ndarray, parts: float, c: float
) -> float:
    if float(q @ d) <= c:
        return math.inf

    def short(t: float) -> float:
        return float(q @ np.maximum(0.0, d * t - s)) - parts - c * t

    low, high = 0.0, 1.0
    while short(high) <= 0:
        low, high = high, 2 * high
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if short(middle) <= 0 else (low, middle)
    return low


def loss_by_knapsack(
    d: np.ndarray,
    s: np.ndarray,
    q: np.ndarray,
    v: np.ndarray,
    parts: float,
    c: float,
    window: float,
) -> tuple[float, float]:
    need = np.maximum(0.0, d * window - s)
    missing = float(q @ need) - parts - c * window
    lost_units = lost_value = 0.0
    for j in np.argsort(v / q):
        if missing <= 0:
            break
        units = min(need[j], missing / q[j])
        lost_units += units
        lost_value += units * v[j]
        missing -= units * q[j]
    return lost_units, lost_value


@pytest.mark.parametrize("seed", range(12))
def test_random_pooled_networks_match_the_closed_forms(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    products = [f"p{j}" for j in range(int(rng.integers(1, 4)))]
    suppliers = [f"s{u}" for u in range(int(rng.integers(2, 5)))]
    d = rng.uniform(5, 50, len(products)).round(1)
    s = rng.uniform(0, 80, len(products)).round(1)
    q = rng.choice([1.0, 2.0, 3.0], len(products))
    v = rng.uniform(100, 1000, len(products)).round(0)
    # Together the suppliers cover the demand, as in the published model.
    shares = rng.dirichlet(np.ones(len(suppliers)))
    capacity = shares * rng.uniform(1.0, 1.5) * float(q @ d)
    parts = float(rng.uniform(0, 100))
    window = float(rng.uniform(0.5, 6))
    doc = document(
        products=dict(zip(products, d.tolist(), strict=True)),
        suppliers=dict(zip(suppliers, capacity.tolist(), strict=True)),
        stock={**dict(zip(products, s.tolist(), strict=True)), "part": parts},
        values=dict(zip(products, v.tolist(), strict=True)),
        parts_per_product=dict(zip(products, q.tolist(), strict=True)),
        units_per_day=10 * float(d.sum()),
    )
    table = assess_risk(load(tmp_path, doc), ttr_days=window).table.set_index("node")
    for u, supplier in enumerate(suppliers):
        left = float(capacity.sum() - capacity[u])
        expected = survive_by_bisection(d, s, q, parts, left)
        row = table.loc[supplier]
        if math.isinf(expected):
            assert math.isinf(row["tts_days"])
        else:
            assert row["tts_days"] == pytest.approx(expected, rel=1e-5, abs=1e-5)
        lost_units, lost_value = loss_by_knapsack(d, s, q, v, parts, left, window)
        assert row["impact"] == pytest.approx(lost_value, rel=1e-5, abs=1e-3)
        assert row["lost_units"] == pytest.approx(lost_units, rel=1e-5, abs=1e-5)


def test_warm_started_answers_equal_fresh_ones() -> None:
    scenario = load_demo()
    result = assess_risk(scenario).table.set_index("node")
    network = StagedNetwork(scenario)
    for node in network_nodes(network)[::3]:
        fresh = FluidModel(StagedNetwork(scenario))
        tts = time_to_survive(fresh, node)
        row = result.loc[node.name]
        assert tts == pytest.approx(row["tts_days"], abs=1e-5)
        lost, impact = loss_over(FluidModel(StagedNetwork(scenario)), node, row["ttr_days"])
        assert lost == pytest.approx(row["lost_units"], rel=1e-6, abs=1e-4)
        assert impact == pytest.approx(row["impact"], rel=1e-6, abs=1e-2)
