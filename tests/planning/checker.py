"""An independent checker of a written plan folder against the SCENARIO.md planning semantics.

:func:`check_plan` reads only the plan's CSV files and ``summary.json`` (plus the scenario's
input data) and recomputes every rule a plan must satisfy: flows on existing lanes and
suppliers, arrival periods, balances, capacities, backlogs, the objective by kind and the on-time
fill rates. It returns the violations as readable strings; an empty list means the plan is
feasible and consistent with itself. It knows nothing of how the plan was made.

Numbers are compared with a tolerance relative to their magnitude:
``|a - b| <= tol * max(1, |a|, |b|)``, and for a balance, ``tol`` times the largest term.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dronefab.model import Scenario

from .reference_model import (
    COST_KINDS,
    available_hours,
    demand_per_period,
    lead_time,
    routing_minutes,
    scheduled_receipts,
    solve_reference,
)

FILES: dict[str, tuple[str, ...]] = {
    "production.csv": ("site", "item", "period", "quantity"),
    "purchases.csv": (
        "supplier",
        "item",
        "site",
        "order_period",
        "arrival_period",
        "quantity",
        "status",
    ),
    "shipments.csv": ("site", "customer", "item", "ship_period", "arrival_period", "quantity"),
    "transfers.csv": ("from_site", "to_site", "item", "ship_period", "arrival_period", "quantity"),
    "inventory.csv": ("site", "item", "period", "on_hand"),
    "backlog.csv": ("customer", "item", "period", "demand", "delivered", "backlog"),
    "capacity.csv": (
        "site",
        "work_center",
        "period",
        "available_hours",
        "used_hours",
        "shadow_price",
    ),
}
INTEGER_COLUMNS = {"period", "order_period", "arrival_period", "ship_period"}
TEXT_COLUMNS = {
    "site",
    "item",
    "supplier",
    "customer",
    "from_site",
    "to_site",
    "work_center",
    "status",
}


def reference_objective(scenario: Scenario, **options: Any) -> float:
    """The optimal objective of the reference model (keyword options as ``solve_reference``).

    Raises
    ------
    AssertionError
        If the reference model does not reach optimality.
    """
    result = solve_reference(scenario, **options)
    message = f"reference model did not solve to optimality: {result.status}"
    assert result.optimal, message
    return result.objective


def _close(a: float, b: float, tol: float, scale: float = 1.0) -> bool:
    return abs(a - b) <= tol * max(1.0, scale, abs(a), abs(b))


def _fmt(value: float) -> str:
    return f"{value:.9g}"


class _Plan:
    """The rows of a plan folder, parsed, with every reading problem collected."""

    def __init__(self, folder: Path, problems: list[str]) -> None:
        self.problems = problems
        self.rows: dict[str, list[dict[str, Any]]] = {}
        for name, columns in FILES.items():
            self.rows[name] = self._read(folder / name, columns)
        self.summary: dict[str, Any] = {}
        path = folder / "summary.json"
        if not path.is_file():
            problems.append("summary.json: missing")
        else:
            try:
                self.summary = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as error:
                problems.append(f"summary.json: not valid JSON ({error})")

    def _read(self, path: Path, columns: tuple[str, ...]) -> list[dict[str, Any]]:
        if not path.is_file():
            self.problems.append(f"{path.name}: missing")
            return []
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                self.problems.append(f"{path.name}: missing columns {', '.join(missing)}")
                return []
            rows = []
            for line, raw in enumerate(reader, start=2):
                row = self._parse(path.name, line, raw, columns)
                if row is not None:
                    rows.append(row)
            return rows

    def _parse(
        self, name: str, line: int, raw: dict[str, str], columns: tuple[str, ...]
    ) -> dict[str, Any] | None:
        row: dict[str, Any] = {"_where": f"{name} line {line}"}
        overload = (raw.get("overload_hours") or "").strip()
        if overload:  # optional column: the excess of an unconstrained plan
            try:
                row["overload_hours"] = float(overload)
            except ValueError:
                self.problems.append(
                    f"{name} line {line}: overload_hours {overload!r} is not a number"
                )
        for column in columns:
            text = (raw.get(column) or "").strip()
            if column in TEXT_COLUMNS:
                row[column] = text
                continue
            if column == "shadow_price" and text == "":
                row[column] = math.nan  # not given (e.g. an integer plan)
                continue
            try:
                value = float(text)
            except ValueError:
                self.problems.append(f"{name} line {line}: {column} {text!r} is not a number")
                return None
            if column in INTEGER_COLUMNS:
                if value != int(value):
                    self.problems.append(f"{name} line {line}: {column} {text!r} is not whole")
                    return None
                value = int(value)
            elif column != "shadow_price" and not math.isfinite(value):
                self.problems.append(f"{name} line {line}: {column} {text!r} is not finite")
                return None
            row[column] = value
        return row


def check_plan(
    scenario: Scenario,
    plan_dir: str | os.PathLike[str],
    tol: float = 1e-6,
    unconstrained: bool = False,
) -> list[str]:
    """Every way the plan in ``plan_dir`` breaks the SCENARIO.md semantics or itself.

    Parameters
    ----------
    scenario
        The scenario the plan was made for.
    plan_dir
        A folder with production.csv, purchases.csv, shipments.csv, transfers.csv,
        inventory.csv, backlog.csv, capacity.csv and summary.json.
    tol
        Relative tolerance of every comparison.
    unconstrained
        The plan ignores work-center and supplier capacities (``--unconstrained``): exceeding
        them is allowed, and capacity.csv's ``overload_hours`` must show the excess.

    Returns
    -------
    list of str
        The violations, each naming its file and key; empty when the plan passes.
    """
    problems: list[str] = []
    plan = _Plan(Path(plan_dir), problems)
    checker = _Checker(scenario, plan, tol, problems)
    checker.unconstrained = unconstrained
    checker.run()
    return problems


class _Checker:
    def __init__(self, scenario: Scenario, plan: _Plan, tol: float, problems: list[str]) -> None:
        self.scenario = scenario
        self.plan = plan
        self.tol = tol
        self.problems = problems
        self.last = scenario.horizon.periods
        self.periods = range(1, self.last + 1)
        self.period_days = scenario.horizon.period_days
        self.items = {item.id: item for item in scenario.items}
        self.sites = {site.id: site for site in scenario.sites}
        self.customers = {customer.id: customer for customer in scenario.customers}
        self.supplies = {(s.id, row.item): row for s in scenario.suppliers for row in s.supplies}
        self.lanes = {(lane.from_, lane.to): lane for lane in scenario.lanes}
        self.minutes = routing_minutes(scenario)
        self.unconstrained = False
        self.components: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for line in scenario.bom:
            self.components[line.parent].append((line.component, line.quantity))
        # Flows read from the files, aggregated by key.
        self.production: dict[tuple[str, str, int], float] = defaultdict(float)
        self.receipts: dict[tuple[str, str, int], float] = defaultdict(float)
        self.planned: dict[tuple[str, str, int], float] = defaultdict(float)  # (u, i, o)
        self.purchase_cost = 0.0
        self.lane_cost = 0.0
        self.shipped_out: dict[tuple[str, str, int], float] = defaultdict(float)
        self.delivered: dict[tuple[str, str, int], float] = defaultdict(float)
        self.transfers_in: dict[tuple[str, str, int], float] = defaultdict(float)
        self.transfers_out: dict[tuple[str, str, int], float] = defaultdict(float)
        self.used: dict[tuple[str, str, int], float] = defaultdict(float)
        self.backlog: dict[tuple[str, str, int], float] = {}
        self.costs: dict[str, float] = dict.fromkeys(COST_KINDS, 0.0)

    def report(self, message: str) -> None:
        self.problems.append(message)

    def run(self) -> None:
        self.check_production()
        self.check_purchases()
        self.check_shipments()
        self.check_transfers()
        self.check_balance()
        self.check_capacity()
        self.check_backlog()
        self.check_objective()
        self.check_fill_rates()

    # -- common row checks ------------------------------------------------------------------
    def _period_ok(self, row: dict[str, Any], column: str) -> bool:
        if not 1 <= row[column] <= self.last:
            self.report(
                f"{row['_where']}: {column} {row[column]} outside the horizon 1..{self.last}"
            )
            return False
        return True

    def _quantity_ok(self, row: dict[str, Any], column: str = "quantity") -> bool:
        if row[column] < -self.tol:
            self.report(f"{row['_where']}: negative {column} {_fmt(row[column])}")
            return False
        return True

    def _arrival_ok(self, row: dict[str, Any], leave: str, lt: int, what: str) -> bool:
        ok = True
        if row[leave] < 1:
            self.report(f"{row['_where']}: {leave} {row[leave]} before period 1")
            ok = False
        expected = row[leave] + lt
        if row["arrival_period"] != expected:
            self.report(
                f"{row['_where']}: arrival_period {row['arrival_period']} should be "
                f"{leave} {row[leave]} + LT {lt} = {expected} ({what})"
            )
            ok = False
        if row["arrival_period"] > self.last or expected > self.last:
            self.report(
                f"{row['_where']}: arrives after the last period {self.last} "
                f"(arrival_period {row['arrival_period']}, {what})"
            )
            ok = False
        return ok

    # -- flows ---------------------------------------------------------------------------------
    def check_production(self) -> None:
        """Production only of items in ``makes``, at sites with the routing's work centers."""
        for row in self.plan.rows["production.csv"]:
            site, item = row["site"], row["item"]
            if site not in self.sites:
                self.report(f"{row['_where']}: unknown site {site!r}")
                continue
            if item not in self.sites[site].makes:
                self.report(
                    f"{row['_where']}: site {site!r} produces {item!r}, which is not in its makes"
                )
            centers = {wc.id for wc in self.sites[site].work_centers}
            missing = sorted(set(self.minutes.get(item, {})) - centers)
            if missing:
                self.report(
                    f"{row['_where']}: site {site!r} lacks work centers {missing} for {item!r}"
                )
            if self._period_ok(row, "period") and self._quantity_ok(row):
                self.production[site, item, row["period"]] += row["quantity"]

    def check_purchases(self) -> None:
        """Planned orders: a supplies row, ``arrival = order + LT <= T``, supplier capacity.

        Scheduled receipts (status ``on_order``, order period 0) must match ``on_order``.
        """
        listed: dict[tuple[str, str, str, int], float] = defaultdict(float)
        for row in self.plan.rows["purchases.csv"]:
            supplier, item, site = row["supplier"], row["item"], row["site"]
            if site not in self.sites:
                self.report(f"{row['_where']}: unknown site {site!r}")
                continue
            if row["status"] == "on_order":
                if row["order_period"] != 0:
                    self.report(
                        f"{row['_where']}: an on_order row has order_period {row['order_period']}, expected 0"
                    )
                if self._period_ok(row, "arrival_period"):
                    listed[supplier, item, site, row["arrival_period"]] += row["quantity"]
                    self.receipts[site, item, row["arrival_period"]] += row["quantity"]
                continue
            if row["status"] != "planned":
                self.report(
                    f"{row['_where']}: status {row['status']!r} is neither 'planned' nor 'on_order'"
                )
                continue
            supply = self.supplies.get((supplier, item))
            if supply is None:
                self.report(f"{row['_where']}: supplier {supplier!r} does not supply {item!r}")
                continue
            lt = lead_time(supply.lead_time_days, self.period_days)
            what = f"{supplier} -> {site} {item}"
            if not self._arrival_ok(row, "order_period", lt, what) or not self._quantity_ok(row):
                continue
            self.receipts[site, item, row["arrival_period"]] += row["quantity"]
            self.planned[supplier, item, row["order_period"]] += row["quantity"]
            self.costs["purchase"] += supply.unit_cost * row["quantity"]
        expected = scheduled_receipts(self.scenario)
        for key in sorted(set(expected) | set(listed)):
            if not _close(listed.get(key, 0.0), expected.get(key, 0.0), self.tol):
                supplier, item, site, t = key
                self.report(
                    f"purchases.csv: on_order {supplier}/{item} to {site} arriving {t}: listed "
                    f"{_fmt(listed.get(key, 0.0))}, scenario has {_fmt(expected.get(key, 0.0))}"
                )
        for (supplier, item, o), total in sorted(self.planned.items()):
            cap = self.supplies[supplier, item].capacity_per_period
            if (
                cap is not None
                and total > cap + self.tol * max(1.0, cap)
                and not self.unconstrained
            ):
                self.report(
                    f"purchases.csv: {supplier}/{item} ordered {_fmt(total)} in period {o}, "
                    f"exceeds supplier capacity {_fmt(cap)}"
                )

    def check_shipments(self) -> None:
        """Deliveries only on site -> customer lanes, of products, arriving by ``T``."""
        for row in self.plan.rows["shipments.csv"]:
            site, customer, item = row["site"], row["customer"], row["item"]
            lane = self.lanes.get((site, customer))
            if lane is None or customer not in self.customers or site not in self.sites:
                self.report(f"{row['_where']}: no lane from {site!r} to customer {customer!r}")
                continue
            if item not in self.items or self.items[item].kind != "product":
                self.report(f"{row['_where']}: {item!r} is not a product")
            lt = lead_time(lane.transit_days, self.period_days)
            what = f"lane {site} -> {customer}"
            if not self._arrival_ok(row, "ship_period", lt, what) or not self._quantity_ok(row):
                continue
            self.shipped_out[site, item, row["ship_period"]] += row["quantity"]
            self.delivered[customer, item, row["arrival_period"]] += row["quantity"]
            self.costs["lane"] += lane.cost_per_unit * row["quantity"]

    def check_transfers(self) -> None:
        """Transfers only on site -> site lanes, arriving by ``T``."""
        for row in self.plan.rows["transfers.csv"]:
            source, target, item = row["from_site"], row["to_site"], row["item"]
            lane = self.lanes.get((source, target))
            if lane is None or source not in self.sites or target not in self.sites:
                self.report(f"{row['_where']}: no lane from site {source!r} to site {target!r}")
                continue
            if item not in self.items:
                self.report(f"{row['_where']}: unknown item {item!r}")
                continue
            lt = lead_time(lane.transit_days, self.period_days)
            what = f"lane {source} -> {target}"
            if not self._arrival_ok(row, "ship_period", lt, what) or not self._quantity_ok(row):
                continue
            self.transfers_out[source, item, row["ship_period"]] += row["quantity"]
            self.transfers_in[target, item, row["arrival_period"]] += row["quantity"]
            self.costs["lane"] += lane.cost_per_unit * row["quantity"]

    # -- stocks ----------------------------------------------------------------------------------
    def _table(
        self, name: str, key: Callable[[dict[str, Any]], tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in self.plan.rows[name]:
            k = key(row)
            if k in out:
                self.report(f"{row['_where']}: duplicate row for {k} (first at {out[k]['_where']})")
                continue
            out[k] = row
        return out

    def check_balance(self) -> None:
        """``inv[t] = inv[t-1] + yield*x + receipts + in - bom use - shipments - out >= 0``."""
        stock = self._table("inventory.csv", lambda r: (r["site"], r["item"], r["period"]))
        for site, item, t in stock:
            if site not in self.sites or item not in self.items or not 1 <= t <= self.last:
                self.report(f"inventory.csv: unknown site, item or period {(site, item, t)}")
        use: dict[tuple[str, str, int], float] = defaultdict(float)
        for (site, parent, t), qty in self.production.items():
            for component, per_unit in self.components[parent]:
                use[site, component, t] += per_unit * qty
        for site in self.scenario.sites:
            for item in self.items.values():
                before = site.initial_inventory.get(item.id, 0.0)
                for t in self.periods:
                    key = (site.id, item.id, t)
                    row = stock.get(key)
                    on_hand = row["on_hand"] if row is not None else 0.0
                    terms = (
                        before,
                        item.yield_rate * self.production.get(key, 0.0),
                        self.receipts.get(key, 0.0),
                        self.transfers_in.get(key, 0.0),
                        -use.get(key, 0.0),
                        -self.shipped_out.get(key, 0.0),
                        -self.transfers_out.get(key, 0.0),
                    )
                    expected = sum(terms)
                    scale = max(abs(term) for term in terms)
                    if not _close(on_hand, expected, self.tol, scale):
                        self.report(
                            f"balance {site.id}/{item.id} period {t}: inventory.csv on_hand "
                            f"{_fmt(on_hand)} but flows give {_fmt(expected)} "
                            f"(previous {_fmt(before)}, made {_fmt(terms[1])}, received "
                            f"{_fmt(terms[2])}, transferred in {_fmt(terms[3])}, used "
                            f"{_fmt(-terms[4])}, shipped {_fmt(-terms[5])}, transferred out "
                            f"{_fmt(-terms[6])})"
                        )
                    if on_hand < -self.tol * max(1.0, scale):
                        self.report(
                            f"inventory {site.id}/{item.id} period {t}: negative on_hand {_fmt(on_hand)}"
                        )
                    self.costs["holding"] += item.holding_cost * on_hand
                    before = on_hand

    def check_capacity(self) -> None:
        """Used hours from production and routings ``<=`` available hours, as in capacity.csv."""
        for (site, item, t), qty in self.production.items():
            for center, minutes in self.minutes.get(item, {}).items():
                self.used[site, center, t] += minutes / 60.0 * qty
        listed = self._table("capacity.csv", lambda r: (r["site"], r["work_center"], r["period"]))
        known = set()
        horizon = self.scenario.horizon
        for site in self.scenario.sites:
            for center in site.work_centers:
                for t in self.periods:
                    key = (site.id, center.id, t)
                    known.add(key)
                    hours = available_hours(site, center, horizon, t)
                    used = self.used.get(key, 0.0)
                    self.costs["labour"] += site.labour_cost_per_hour * used
                    where = f"capacity {site.id}/{center.id} period {t}"
                    if used > hours + self.tol * max(1.0, hours) and not self.unconstrained:
                        self.report(
                            f"{where}: used {_fmt(used)} h exceeds available {_fmt(hours)} h"
                        )
                    row = listed.get(key)
                    overloaded = self.unconstrained and row is not None and "overload_hours" in row
                    if overloaded and not _close(
                        row["overload_hours"], max(0.0, used - hours), self.tol
                    ):
                        self.report(
                            f"{where}: overload_hours {_fmt(row['overload_hours'])}, "
                            f"expected {_fmt(max(0.0, used - hours))}"
                        )
                    if row is None:
                        if abs(used) > self.tol:
                            self.report(f"{where}: no capacity.csv row but {_fmt(used)} h used")
                        continue
                    if not _close(row["available_hours"], hours, self.tol):
                        self.report(
                            f"{where}: capacity.csv available_hours {_fmt(row['available_hours'])},"
                            f" the formula gives {_fmt(hours)}"
                        )
                    if not _close(row["used_hours"], used, self.tol):
                        self.report(
                            f"{where}: capacity.csv used_hours {_fmt(row['used_hours'])}, "
                            f"production and routings give {_fmt(used)}"
                        )
                    price = row["shadow_price"]
                    slack = hours - used > 1e-4 * max(1.0, hours)
                    if math.isfinite(price) and slack and abs(price) > 1e-6 * max(1.0, abs(price)):
                        self.report(
                            f"{where}: shadow_price {_fmt(price)} on a work center with "
                            f"{_fmt(hours - used)} h spare (complementary slackness)"
                        )
        for key in set(listed) - known:
            self.report(f"capacity.csv: unknown site, work center or period {key}")
        for key in set(self.used) - known:
            self.report(f"production uses work center {key[1]!r} that site {key[0]!r} lacks")

    def check_backlog(self) -> None:
        """``b[t] = b[t-1] + demand - delivered >= 0`` per customer and product, as in backlog.csv."""
        listed = self._table("backlog.csv", lambda r: (r["customer"], r["item"], r["period"]))
        demand = demand_per_period(self.scenario)
        pairs = {(k, p) for k, p, _ in demand} | {(k, p) for k, p, _ in self.delivered}
        pairs |= {(k, p) for k, p, _ in listed}
        for customer_id, product in sorted(pairs):
            customer = self.customers.get(customer_id)
            if customer is None:
                self.report(f"backlog.csv: unknown customer {customer_id!r}")
                continue
            owed = 0.0
            for t in self.periods:
                key = (customer_id, product, t)
                due = demand.get(key, 0.0)
                got = self.delivered.get(key, 0.0)
                owed = owed + due - got
                self.backlog[key] = owed
                where = f"backlog {customer_id}/{product} period {t}"
                scale = max(abs(due), abs(got), abs(owed))
                if owed < -self.tol * max(1.0, scale):
                    self.report(
                        f"{where}: negative backlog {_fmt(owed)} (delivered ahead of demand)"
                    )
                self.costs["backlog"] += customer.backlog_penalty * owed
                if t == self.last:
                    self.costs["unmet"] += customer.unmet_penalty * owed
                row = listed.get(key)
                if row is None:
                    if scale > self.tol:
                        self.report(
                            f"{where}: no backlog.csv row (demand {_fmt(due)}, "
                            f"delivered {_fmt(got)}, backlog {_fmt(owed)})"
                        )
                    continue
                for column, value in (("demand", due), ("delivered", got), ("backlog", owed)):
                    if not _close(row[column], value, self.tol, scale):
                        self.report(
                            f"{where}: backlog.csv {column} {_fmt(row[column])}, recomputed "
                            f"{_fmt(value)}"
                        )
        for key in listed:
            if not 1 <= key[2] <= self.last:
                self.report(f"backlog.csv: period {key[2]} outside the horizon for {key[:2]}")

    # -- summary ---------------------------------------------------------------------------------
    def check_objective(self) -> None:
        """Each cost kind and the objective, recomputed from the files, against summary.json."""
        summary = self.plan.summary
        if not summary:
            return
        costs = summary.get("costs")
        if not isinstance(costs, dict):
            self.report("summary.json: no 'costs' mapping")
            costs = {}
        scale = sum(abs(v) for v in self.costs.values())
        for kind in COST_KINDS:
            if kind not in costs:
                self.report(f"summary.json: costs has no {kind!r}")
            elif not _close(float(costs[kind]), self.costs[kind], self.tol, scale):
                self.report(
                    f"summary.json: costs.{kind} {_fmt(float(costs[kind]))}, recomputed "
                    f"{_fmt(self.costs[kind])}"
                )
        for kind in set(costs) - set(COST_KINDS):
            self.report(f"summary.json: unknown cost kind {kind!r}")
        objective = summary.get("objective")
        if not isinstance(objective, int | float):
            self.report(f"summary.json: objective {objective!r} is not a number")
            return
        total = sum(self.costs.values())
        if not _close(float(objective), total, self.tol, scale):
            self.report(
                f"summary.json: objective {_fmt(objective)}, recomputed from the files "
                f"{_fmt(total)}"
            )
        listed = sum(float(v) for v in costs.values() if isinstance(v, int | float))
        if costs and not _close(float(objective), listed, self.tol, scale):
            self.report(
                f"summary.json: costs sum to {_fmt(listed)}, not the objective {_fmt(objective)}"
            )

    def check_fill_rates(self) -> None:
        """On-time fill rate per customer: FIFO matching of deliveries to the oldest demand.

        With cumulative demand ``D(t)`` and deliveries ``S(t)``, the units due in ``t`` are the
        slice ``(D(t-1), D(t)]`` of the queue; those delivered by ``t`` number
        ``clip(S(t) - D(t-1), 0, D(t) - D(t-1))``. A customer with no demand is not checked.
        """
        summary = self.plan.summary
        if not summary:
            return
        rates = summary.get("fill_rate")
        if not isinstance(rates, dict):
            self.report("summary.json: no 'fill_rate' mapping")
            return
        demand = demand_per_period(self.scenario)
        on_time: dict[str, float] = defaultdict(float)
        total: dict[str, float] = defaultdict(float)
        for customer, product in {(k, p) for k, p, _ in demand}:
            cum_demand = cum_delivered = 0.0
            for t in self.periods:
                before = cum_demand
                cum_demand += demand.get((customer, product, t), 0.0)
                cum_delivered += self.delivered.get((customer, product, t), 0.0)
                on_time[customer] += min(max(cum_delivered - before, 0.0), cum_demand - before)
            total[customer] += cum_demand
        for customer in self.customers:
            if total[customer] <= 0:
                continue
            expected = on_time[customer] / total[customer]
            given = rates.get(customer)
            if not isinstance(given, int | float):
                self.report(f"summary.json: fill_rate of {customer!r} is {given!r}")
            elif not _close(float(given), expected, self.tol):
                self.report(
                    f"summary.json: fill_rate of {customer!r} {_fmt(given)}, FIFO gives "
                    f"{_fmt(expected)}"
                )
        for customer in set(rates) - set(self.customers):
            self.report(f"summary.json: fill_rate for unknown customer {customer!r}")
