"""The generated shop-floor history (simulation/history.py): every event passes the door, the
stock it uses is there, and it holds exactly the disruptions and exceptions it promises."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import UsageError
from dronefab.model.demo import load_demo, write_demo_scenario
from dronefab.model.scenario import Scenario
from dronefab.planning.plan import Plan, PlanOptions, chokepoint_items, plan
from dronefab.simulation.history import HistoryOptions, generate_history, write_history
from dronefab.storage.door import Known, check_event
from dronefab.storage.events import Dispatch, Shipment, parse_event
from dronefab.storage.master import Master

Event = dict[str, Any]


@pytest.fixture(scope="module")
def demo() -> Scenario:
    return load_demo()


@pytest.fixture(scope="module")
def demo_plan(demo: Scenario) -> Plan:
    return plan(demo, PlanOptions(explain=False))


@pytest.fixture(scope="module")
def history(demo: Scenario, demo_plan: Plan) -> list[Event]:
    """Four weeks of the demo at the default options."""
    return list(generate_history(demo, demo_plan))


@pytest.fixture(scope="module")
def calm(demo: Scenario, demo_plan: Plan) -> list[Event]:
    """Five weeks without disruptions, one serial per completion."""
    options = HistoryOptions(
        until=demo.horizon.start + timedelta(days=35),
        seed=3,
        serials_per_completion=1,
        disruptions=False,
    )
    return list(generate_history(demo, demo_plan, options))


@pytest.fixture(scope="module")
def variant(demo: Scenario) -> Scenario:
    """The demo with serial-tracked thermal cameras and untracked harnesses."""
    tracking = {"thermal": "serial", "harness": "none"}
    items = [i.model_copy(update={"tracking": tracking.get(i.id, i.tracking)}) for i in demo.items]
    return demo.model_copy(update={"items": items})


@pytest.fixture(scope="module")
def varied(variant: Scenario, demo_plan: Plan) -> list[Event]:
    """Four weeks of the variant (the plan does not depend on tracking)."""
    return list(generate_history(variant, demo_plan, HistoryOptions(seed=5)))


def of(events: list[Event], kind: str) -> list[Event]:
    return [e for e in events if e["type"] == kind]


def stamp(event: Event, key: str = "at") -> datetime:
    return datetime.fromisoformat(event[key])


def door_problems(scenario: Scenario, events: list[Event]) -> list[tuple[str, str, str]]:
    """What the door refuses, with ``Known`` rebuilt from the events seen so far."""
    master, known = Master(1, scenario), Known()
    problems: list[tuple[str, str, str]] = []
    for raw in events:
        event = parse_event(raw)
        check_event(event, master, known, lambda f, m, i=raw["id"]: problems.append((i, f, m)))
        if isinstance(event, Dispatch):
            known.dispatches[event.id] = event
        elif isinstance(event, Shipment):
            known.shipments[event.id] = event
        elif event.type == "arrival":
            known.arrived.add(event.dispatch)
        if event.type in {"completion", "receipt"} and event.serials:
            known.serial_items.update(dict.fromkeys(event.serials, event.item))
    return problems


@pytest.mark.parametrize("which", ["history", "calm", "varied"])
def test_every_event_passes_the_door(
    demo: Scenario, variant: Scenario, which: str, request: pytest.FixtureRequest
) -> None:
    events = request.getfixturevalue(which)
    assert events
    assert door_problems(variant if which == "varied" else demo, events) == []


@pytest.mark.parametrize("which", ["history", "calm"])
def test_ids_are_unique_and_events_sorted(which: str, request: pytest.FixtureRequest) -> None:
    events = request.getfixturevalue(which)
    ids = [e["id"] for e in events]
    assert len(set(ids)) == len(ids)
    keys = [(stamp(e), e["id"]) for e in events]
    assert keys == sorted(keys)
    assert all(e["at"].endswith("+02:00") for e in events)


def test_same_seed_same_history_other_seed_another(
    demo: Scenario, demo_plan: Plan, history: list[Event]
) -> None:
    assert list(generate_history(demo, demo_plan)) == history
    other = list(generate_history(demo, demo_plan, HistoryOptions(seed=1)))
    assert other != history


def test_it_covers_what_the_options_ask(
    demo: Scenario, history: list[Event], calm: list[Event]
) -> None:
    start = demo.horizon.start
    assert stamp(history[0]).date() >= start
    assert stamp(history[-1]).date() < start + timedelta(days=28)
    assert stamp(calm[-1]).date() < start + timedelta(days=35)
    assert stamp(calm[-1]).date() >= start + timedelta(days=28)
    kinds = Counter(e["type"] for e in history)
    for kind in ("receipt", "completion", "test", "dispatch", "arrival", "shipment"):
        assert kinds[kind] > 0, kind
    assert kinds["acceptance"] > 0
    assert kinds["test"] > kinds["completion"]


def test_events_fall_in_working_hours_on_working_days(demo: Scenario, history: list[Event]) -> None:
    for event in history:
        moment = stamp(event)
        assert "07:00:00" <= event["at"][11:19] <= "19:00:00", event
        site = demo.site_by_id[event["site"]]
        assert moment.weekday() < round(site.days_per_week), event
    for event in of(history, "downtime"):
        hours = (stamp(event, "end") - stamp(event, "start")).total_seconds() / 3600
        assert event["cause"] == "alert"
        assert 1 <= hours <= 4


def test_serial_counts_equal_good(demo: Scenario, history: list[Event], calm: list[Event]) -> None:
    for event in of(history, "completion") + of(calm, "completion"):
        if demo.item_by_id[event["item"]].tracked_by == "serial":
            assert len(event["serials"]) == event["good"]
        else:
            assert "lot" in event
    batches = [e["good"] for e in of(history, "completion") if e["item"] == "quad"]
    assert max(batches) == 10
    assert {e["good"] for e in of(calm, "completion") if e["item"] in {"quad", "fw"}} == {1}
    made = [s for e in of(history, "completion") for s in e.get("serials", ())]
    assert len(made) == len(set(made))


def off_bom(scenario: Scenario, events: list[Event]) -> list[str]:
    """Completions consuming other than the bill of materials times (good + scrap)."""
    bom = Master(1, scenario).bom
    out = []
    for event in of(events, "completion"):
        used: dict[str, float] = defaultdict(float)
        for part in event["consumed"]:
            used[part["item"]] += part.get("quantity", 1)
        started = event["good"] + event.get("scrap", 0)
        need = {item: q * started for item, q in bom[event["item"]].items()}
        if used.keys() != need.keys() or any(abs(used[i] - need[i]) > 1e-6 for i in need):
            out.append(event["id"])
    return out


def test_consumption_follows_the_bom_except_once(
    demo: Scenario, history: list[Event], calm: list[Event]
) -> None:
    assert len(off_bom(demo, history)) == 1
    assert off_bom(demo, calm) == []
    assert any(e.get("scrap", 0) > 0 for e in of(history, "completion"))
    assert any(
        len(e["consumed"]) > len(Master(1, demo).bom[e["item"]]) for e in of(history, "completion")
    )


def untested_serials(scenario: Scenario, events: list[Event]) -> list[str]:
    """Serials shipped before passing every test their item requires."""
    required: dict[str, set[str]] = defaultdict(set)
    for row in scenario.required_tests:
        required[row.item].add(row.test)
    passed: dict[str, set[str]] = defaultdict(set)
    out = []
    for event in events:
        if event["type"] == "test" and event["result"] == "pass":
            passed[event["serial"]].add(event["test"])
        elif event["type"] == "shipment":
            out += [s for s in event.get("serials", ()) if required[event["item"]] - passed[s]]
    return out


def test_shipped_serials_were_tested_except_one(
    demo: Scenario, history: list[Event], calm: list[Event]
) -> None:
    assert len(untested_serials(demo, history)) == 1
    assert untested_serials(demo, calm) == []
    tests = Counter((e["serial"], e["test"]) for e in of(history, "test"))
    made = [s for e in of(history, "completion") for s in e.get("serials", ())]
    assert {test for _, test in tests} == {"flight", "rf", "thermal-boresight"}
    assert len({serial for serial, _ in tests}) > 0.9 * len(made)
    failed = [e for e in of(history + calm, "test") if e["result"] == "fail"]
    assert failed
    assert all(e["measurements"] for e in of(history, "test"))


def test_a_failed_unit_is_retested_or_scrapped(history: list[Event], calm: list[Event]) -> None:
    for events in (history, calm):
        results: dict[tuple[str, str], list[str]] = defaultdict(list)
        for event in of(events, "test"):
            results[event["serial"], event["test"]].append(event["result"])
        scrapped = {e["serial"] for e in of(events, "scrap")}
        for (serial, _), seen in results.items():
            if seen[0] == "fail":
                assert seen == ["fail", "pass"] or (seen == ["fail"] and serial in scrapped)
        assert scrapped
        shipped = {s for e in of(events, "shipment") for s in e.get("serials", ())}
        assert not scrapped & shipped


def ledger(scenario: Scenario, events: list[Event]) -> dict[tuple[str, str, str], float]:
    """The lowest stock each (site, item, lot) reaches, folded as the record folds it; serial
    items are counted by (site, item)."""
    tracking = {item.id: item.tracked_by for item in scenario.items}
    stock: dict[tuple[str, str, str], float] = defaultdict(float)
    for site in scenario.sites:
        for item, quantity in site.initial_inventory.items():
            stock[site.id, item, "opening" if tracking[item] == "lot" else ""] += quantity
    lowest: dict[tuple[str, str, str], float] = {}
    dispatches = {e["id"]: e for e in of(events, "dispatch")}

    def move(site: str, item: str, lot: str | None, quantity: float) -> None:
        key = (site, item, (lot or "") if tracking[item] == "lot" else "")
        stock[key] += quantity
        lowest[key] = min(lowest.get(key, 0.0), stock[key])

    def moved(event: Event, site: str, sign: int) -> None:
        if event.get("lots"):
            for part in event["lots"]:
                move(site, event["item"], part["lot"], sign * part["quantity"])
        else:
            move(site, event["item"], None, sign * event["quantity"])

    for e in events:
        kind, site = e["type"], e.get("site", "")
        if kind == "receipt":
            move(site, e["item"], e.get("lot"), e["quantity"])
        elif kind == "completion":
            move(site, e["item"], e.get("lot"), e["good"])
            for part in e["consumed"]:
                move(site, part["item"], part.get("lot"), -part.get("quantity", 1))
        elif kind == "dispatch":
            moved(e, site, -1)
        elif kind == "arrival":
            dispatch = dispatches[e["dispatch"]]
            moved(dispatch, dispatch["to_site"], 1)
        elif kind == "shipment":
            moved(e, site, -1)
        elif kind == "strike":
            for part in e["destroyed"]:
                move(site, part["item"], part.get("lot"), -part.get("quantity", 1))
        elif kind == "scrap":
            move(site, e["item"], e.get("lot"), -e.get("quantity", 1))
    return lowest


@pytest.mark.parametrize("which", ["history", "calm", "varied"])
def test_stock_never_goes_below_zero(
    demo: Scenario, variant: Scenario, which: str, request: pytest.FixtureRequest
) -> None:
    lowest = ledger(variant if which == "varied" else demo, request.getfixturevalue(which))
    assert {key: low for key, low in lowest.items() if low < -1e-9} == {}


@pytest.mark.parametrize("which", ["history", "varied"])
def test_units_move_only_once_each(which: str, request: pytest.FixtureRequest) -> None:
    """A serial is consumed, dispatched or shipped only while it is where the event says."""
    where: dict[str, str] = {}
    for event in request.getfixturevalue(which):
        if event["type"] in {"completion", "receipt"}:
            for part in event.get("consumed", ()):
                if "serial" in part:
                    assert where.pop(part["serial"]) == event["site"]
            where.update(dict.fromkeys(event.get("serials", ()), event["site"]))
        elif event["type"] in {"shipment", "dispatch"}:
            for serial in event.get("serials", ()):
                assert where.pop(serial) == event["site"]
        elif event["type"] == "scrap":
            assert where.pop(event["serial"]) == event["site"]
        elif event["type"] == "strike":
            for part in event["destroyed"]:
                if "serial" in part:
                    assert where.pop(part["serial"]) == event["site"]


def test_serial_and_untracked_parts(varied: list[Event]) -> None:
    thermal = [e for e in of(varied, "receipt") if e["item"] == "thermal"]
    assert thermal
    assert all(len(e["serials"]) == e["quantity"] and "lot" not in e for e in thermal)
    consumed = [p for e in of(varied, "completion") for p in e["consumed"]]
    used = [p for p in consumed if p["item"] == "thermal"]
    assert used
    assert all(set(p) == {"item", "serial"} for p in used)
    assert {p["serial"] for p in used} <= {s for e in thermal for s in e["serials"]}
    harness = [p for p in consumed if p["item"] == "harness"]
    assert harness
    assert all(set(p) == {"item", "quantity"} for p in harness)


def test_planned_production_is_mostly_completed(
    demo: Scenario, demo_plan: Plan, history: list[Event]
) -> None:
    yields = {item.id: item.yield_rate for item in demo.items}
    rows = demo_plan.production[demo_plan.production["period"] <= 4]
    planned = sum(yields[r.item] * r.quantity for r in rows.itertuples())
    done = sum(e["good"] for e in of(history, "completion"))
    assert 0.9 * planned <= done <= planned + 1


def test_nothing_happens_at_a_struck_site_until_it_is_repaired(history: list[Event]) -> None:
    (strike,) = of(history, "strike")
    assert 10 <= strike["repair_days"] <= 21
    struck = stamp(strike)
    repaired = struck + timedelta(days=strike["repair_days"])
    start = stamp(history[0])
    assert struck >= start + timedelta(days=14)
    during = [
        e["id"]
        for e in history
        if e.get("site") == strike["site"] and struck <= stamp(e) < repaired and e is not strike
    ]
    assert during == []
    assert any("serial" in part for part in strike["destroyed"])
    assert any("lot" in part and part["quantity"] > 0 for part in strike["destroyed"])
    sent = [e for e in of(history, "arrival") if e["site"] == strike["site"] and stamp(e) >= struck]
    assert sent == []


def test_alerts_hit_the_sites_nearest_the_front(demo: Scenario, history: list[Event]) -> None:
    alerted = {e["site"] for e in of(history, "downtime")}
    distance = {s.id: s.distance_to_front_km for s in demo.sites}
    nearest = min(distance, key=lambda s: distance[s])
    assert nearest in alerted
    assert max(distance[s] for s in alerted) < sorted(distance.values())[len(distance) // 2]


def test_a_cell_lot_is_quarantined_for_a_week(history: list[Event]) -> None:
    (hold,) = of(history, "quarantine")
    (release,) = of(history, "release")
    assert (hold["item"], hold["lot"]) == (release["item"], release["lot"])
    assert hold["item"] == "cell"
    assert hold["reason"] and release["reason"]
    assert timedelta(days=7) <= stamp(release) - stamp(hold) < timedelta(days=8)
    held = (stamp(hold), stamp(release))
    for event in history:
        if not held[0] < stamp(event) < held[1]:
            continue
        lots = [(p["item"], p.get("lot")) for p in event.get("consumed", ())]
        lots += [(event.get("item"), p["lot"]) for p in event.get("lots", ())]
        assert (hold["item"], hold["lot"]) not in lots, event["id"]
    used = [
        e
        for e in of(history, "completion")
        if any(p.get("lot") == hold["lot"] for p in e["consumed"])
    ]
    assert used
    assert all(stamp(e) > held[1] for e in used)


def test_one_dispatch_never_arrives(
    demo: Scenario, history: list[Event], calm: list[Event]
) -> None:
    for events, lost in ((history, 1), (calm, 0)):
        arrived = {e["dispatch"]: stamp(e) for e in of(events, "arrival")}
        end = stamp(events[-1])
        missing = []
        for dispatch in of(events, "dispatch"):
            transit = next(
                lane.transit_days
                for lane in demo.lanes
                if (lane.from_, lane.to) == (dispatch["site"], dispatch["to_site"])
            )
            due = stamp(dispatch) + timedelta(days=max(2 * transit, 1))
            if dispatch["id"] in arrived:
                assert arrived[dispatch["id"]] <= due
                assert arrived[dispatch["id"]] > stamp(dispatch)
            elif due < end:
                missing.append(dispatch["id"])
        assert len(missing) == lost


def test_no_disruptions_means_none(calm: list[Event]) -> None:
    kinds = Counter(e["type"] for e in calm)
    for kind in ("downtime", "strike", "quarantine", "release"):
        assert kinds[kind] == 0


def test_receipts_carry_lots_origin_and_licences(demo: Scenario, history: list[Event]) -> None:
    receipts = of(history, "receipt")
    assert all("lot" in e for e in receipts)
    lots = [(e["item"], e["lot"]) for e in receipts]
    assert len(lots) == len(set(lots))
    country = {s.id: s.country for s in demo.suppliers}
    assert all(e["origin"] == country[e["supplier"]] for e in receipts)
    chokepoints = set(chokepoint_items(demo))
    licensed = {(e["supplier"], e["item"]) for e in receipts if "licence" in e}
    assert ("cells-cn", "cell") in licensed
    assert ("thermal-cn", "thermal") in licensed
    assert all(item in chokepoints and country[s] != "domestic" for s, item in licensed)


def test_shipments_are_accepted_by_their_customers(history: list[Event]) -> None:
    shipments = {e["id"]: e for e in of(history, "shipment")}
    for acceptance in of(history, "acceptance"):
        shipment = shipments[acceptance["shipment"]]
        assert stamp(acceptance) > stamp(shipment)
        rejected = [r["serial"] for r in acceptance.get("rejected", ())]
        assert sorted(acceptance["accepted"] + rejected) == sorted(shipment["serials"])
    products = {e["item"] for e in shipments.values()}
    assert products == {"quad", "fw"}
    assert all(e["firmware"] for e in of(history, "completion") if e["item"] in products)


def test_write_history_writes_json_lines(history: list[Event], tmp_path: Path) -> None:
    target = tmp_path / "events.jsonl"
    assert write_history(history, target) == len(history)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines == [json.dumps(e, separators=(",", ":")) for e in history]
    assert [p.name for p in tmp_path.iterdir()] == ["events.jsonl"]


def test_a_hand_made_plan(demo: Scenario) -> None:
    """A plan built from DataFrames: one workshop's quads from its opening stock, shipped."""
    production = pd.DataFrame(
        {"site": ["ws-s4"] * 2, "item": ["quad"] * 2, "period": [1, 2], "quantity": [52.1, 31.3]}
    )
    shipments = pd.DataFrame(
        {
            "site": ["ws-s4"],
            "customer": ["armed-forces"],
            "item": ["quad"],
            "ship_period": [1],
            "arrival_period": [1],
            "quantity": [40.0],
        }
    )
    empty = pd.DataFrame()
    hand = Plan(production, empty, shipments, empty, empty, empty, empty, empty, empty)
    until = demo.horizon.start + timedelta(days=14)
    events = list(generate_history(demo, hand, HistoryOptions(until=until, disruptions=False)))
    made = sum(e["good"] for e in of(events, "completion"))
    assert made == round(0.96 * 52.1 + 0.96 * 31.3)
    assert 35 <= sum(e["quantity"] for e in of(events, "shipment")) <= 40
    assert door_problems(demo, events) == []


def test_bad_options_are_refused(demo: Scenario, demo_plan: Plan) -> None:
    with pytest.raises(UsageError, match="after the horizon start"):
        generate_history(demo, demo_plan, HistoryOptions(until=demo.horizon.start))
    with pytest.raises(UsageError, match="serials per completion"):
        generate_history(demo, demo_plan, HistoryOptions(serials_per_completion=0))
    beyond = HistoryOptions(until=date(2100, 1, 1), disruptions=False, serials_per_completion=50)
    last = stamp(list(generate_history(demo, demo_plan, beyond))[-1])
    assert demo.end - timedelta(days=7) < last.date() < demo.end


def test_the_command_writes_the_history(demo_plan: Plan, tmp_path: Path) -> None:
    scenario = write_demo_scenario(tmp_path / "demo")
    demo_plan.write(tmp_path / "plan")
    target = tmp_path / "events.jsonl"
    args = [str(scenario), str(tmp_path / "plan"), "--out", str(target), "--until", "2027-01-18"]
    result = CliRunner().invoke(app, ["generate-history", *args, "--seed", "2"])
    assert result.exit_code == 0, result.output
    lines = target.read_text(encoding="utf-8").splitlines()
    assert f"{len(lines):,} events" in result.output
    assert "completion" in result.output
    assert "2027-01-04" in result.output
    assert max(json.loads(line)["at"] for line in lines) < "2027-01-18"


def test_the_command_names_a_missing_plan_folder(tmp_path: Path) -> None:
    scenario = write_demo_scenario(tmp_path / "demo")
    target = tmp_path / "events.jsonl"
    args = [str(scenario), str(tmp_path / "nowhere"), "--out", str(target)]
    result = CliRunner().invoke(app, ["generate-history", *args])
    assert result.exit_code == 2
    assert "nowhere is not a plan folder" in result.stderr
    assert "Traceback" not in result.output
    assert not target.exists()
