"""The record's commands, as a user runs them: messages, exit codes, files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dronefab.cli.main import app

from . import tiny_history as tiny

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def write_events(path: Path, events: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def db(store_url: str) -> str:
    code, output = run("db", "upgrade", "--db", store_url)
    assert code == 0, output
    code, output = run("db", "load", tiny.SCENARIO, "--db", store_url)
    assert code == 0, output
    assert "revision 1" in output
    return store_url


def test_a_store_without_the_schema_says_what_to_run(store_url: str) -> None:
    code, output = run("stock", "--db", store_url)
    assert code == 2
    assert "has no dronefab schema yet" in output
    assert f"dronefab db upgrade --db {store_url}" in output
    assert "Traceback" not in output


def test_a_malformed_url_is_a_usage_error() -> None:
    code, output = run("stock", "--db", "not a url")
    assert code == 2
    assert "is not a database URL" in output


def test_record_then_query(db: str, tmp_path: Path) -> None:
    events = write_events(tmp_path / "history.jsonl", tiny.events())
    code, output = run("record", str(events), "--db", db)
    assert code == 0, output
    assert f"{len(tiny.events())} events recorded" in output
    code, output = run("record", str(events), "--db", db)
    assert code == 0 and f"{len(tiny.events())} already recorded" in output

    code, output = run(
        "stock", "--as-of", "2027-01-15", "--out", str(tmp_path / "s.csv"), "--db", db
    )
    assert code == 0, output
    stock = {
        (r["site"], r["item"], r["lot"]): float(r["on_hand"]) for r in rows(tmp_path / "s.csv")
    }
    assert stock == tiny.STOCK_ON_JAN_15
    assert rows(tmp_path / "s.csv")[0].keys() >= {"site", "item", "lot", "on_hand", "quarantined"}

    code, output = run("trace", "D1", "--json", "--db", db)
    assert code == 0, output
    assert json.loads(output)["completion"]["event"] == "c2"
    code, output = run("trace", "D1", "--db", db)
    assert code == 0 and "pack lot P1" in output and "cell lot opening" in output

    code, output = run("recall", "cell", "opening", "--out", str(tmp_path / "r.csv"), "--db", db)
    assert code == 0, output
    assert [r["serial"] for r in rows(tmp_path / "r.csv")] == ["D1", "D2", "D3", "D4", "D5", "D6"]

    code, output = run(
        "exceptions", "--as-of", "2027-02-01", "--out", str(tmp_path / "x.csv"), "--db", db
    )
    assert code == 0, output
    kinds = {(r["kind"], r["events"]) for r in rows(tmp_path / "x.csv")}
    assert kinds == {(kind, "; ".join(ids)) for kind, ids in tiny.EXCEPTIONS}


def test_a_refused_file_exits_1_and_names_the_line(db: str, tmp_path: Path) -> None:
    bad = tiny.events()[:3]
    bad[1] = {**bad[1], "site": "hubb"}
    code, output = run("record", str(write_events(tmp_path / "bad.jsonl", bad)), "--db", db)
    assert code == 1
    assert "bad.jsonl:2 site: unknown site 'hubb' (did you mean 'hub'?)" in output
    assert "nothing recorded" in output


def test_unknown_serial_and_bad_as_of_are_usage_errors(db: str) -> None:
    code, output = run("trace", "NOPE", "--db", db)
    assert (code, "no event names the serial 'NOPE'" in output) == (2, True)
    code, output = run("stock", "--as-of", "yesterday", "--db", db)
    assert code == 2 and "expected a date" in output


def test_text_a_user_typed_cannot_become_a_spreadsheet_formula(db: str, tmp_path: Path) -> None:
    receipt = {"id": "=evil", "type": "receipt", "at": tiny.at(5, 9), "site": "hub",
               "supplier": "cellco", "item": "cell", "quantity": 1, "lot": "=HYPERLINK(\"x\")"}  # fmt: skip
    code, output = run("record", str(write_events(tmp_path / "e.jsonl", [receipt])), "--db", db)
    assert code == 0, output
    run("stock", "--out", str(tmp_path / "s.csv"), "--db", db)
    lots = [r["lot"] for r in rows(tmp_path / "s.csv")]
    assert '\'=HYPERLINK("x")' in lots
    assert not any(lot.startswith("=") for lot in lots)


def test_release_orders_and_spill_over(db: str, tmp_path: Path) -> None:
    plan_dir = tmp_path / "plan"
    code, output = run("plan", tiny.SCENARIO, "--out", str(plan_dir), "--no-explain")
    assert code == 0, output
    code, output = run("release", str(plan_dir), "--db", db)
    assert code == 0, output
    assert "release 1" in output
    code, output = run("orders", "--kind", "work", "--out", str(tmp_path / "o.csv"), "--db", db)
    assert code == 0, output
    work = [r for r in rows(tmp_path / "o.csv") if r["item"] == "drone"]
    assert work and all(r["status"] == "released" for r in work)
    first, second = work[0], work[1]
    # Completions naming no order fill the earliest due, and spill to the next.
    quantity = float(first["quantity"])
    made = int(quantity) + 2
    completion = {"id": "w1", "type": "completion", "at": tiny.at(5, 10), "site": "ws",
                  "item": "drone", "good": made, "serials": [f"W{n}" for n in range(made)],
                  "consumed": [{"item": "frame", "lot": "opening", "quantity": made},
                               {"item": "pack", "lot": "opening", "quantity": made},
                               {"item": "screw", "quantity": 4 * made}]}  # fmt: skip
    code, output = run("record", str(write_events(tmp_path / "w.jsonl", [completion])), "--db", db)
    assert code == 0, output
    run("orders", "--kind", "work", "--site", "ws", "--out", str(tmp_path / "o.csv"), "--db", db)
    after = {r["order"]: r for r in rows(tmp_path / "o.csv")}
    assert after[first["order"]]["status"] == "completed"
    assert float(after[first["order"]]["done"]) == pytest.approx(quantity)
    assert after[second["order"]]["status"] == "in_progress"
    assert float(after[second["order"]]["done"]) == pytest.approx(made - quantity)
    # A second release of the same plan cancels the open orders due from its start.
    code, output = run("release", str(plan_dir), "--db", db)
    assert code == 0 and "release 2" in output
    run("orders", "--out", str(tmp_path / "all.csv"), "--db", db)
    old = [r for r in rows(tmp_path / "all.csv") if r["release"] == "1"]
    assert {r["status"] for r in old} == {"completed", "cancelled"}
    assert [r["order"] for r in old if r["status"] == "completed"] == [first["order"]]


def test_a_plan_of_another_scenario_is_refused(db: str, tmp_path: Path) -> None:
    code, output = run(
        "plan", "tests/planning/tiny/capacity.yaml", "--out", str(tmp_path / "p"), "--no-explain"
    )
    assert code == 0, output
    code, output = run("release", str(tmp_path / "p"), "--db", db)
    assert code == 2
    assert "planned for a scenario the store does not hold" in output


def test_replan_at_the_start_without_events_is_the_stored_plan(db: str, tmp_path: Path) -> None:
    code, output = run("plan", tiny.SCENARIO, "--out", str(tmp_path / "plan"), "--no-explain")
    assert code == 0, output
    code, output = run(
        "replan", "--as-of", "2027-01-04", "--out", str(tmp_path / "re"), "--db", db, "--no-explain"
    )
    assert code == 0, output
    stored = json.loads((tmp_path / "plan" / "summary.json").read_text())
    again = json.loads((tmp_path / "re" / "plan" / "summary.json").read_text())
    assert again["scenario_fingerprint"] == stored["scenario_fingerprint"]
    assert again["objective"] == pytest.approx(stored["objective"], rel=1e-9)
    for table in ("production", "purchases", "shipments", "transfers"):
        assert (tmp_path / "re" / "plan" / f"{table}.csv").read_text() == (
            tmp_path / "plan" / f"{table}.csv"
        ).read_text(), table
    # The replan's scenario is one the store holds: its plan can be released.
    code, output = run("release", str(tmp_path / "re" / "plan"), "--db", db)
    assert code == 0, output


def test_an_older_or_newer_schema_says_what_to_do(store_url: str) -> None:
    from sqlalchemy import text

    from dronefab.storage import migrate
    from dronefab.storage.database import open_store

    # A store of the first schema, opened by this dronefab (which needs a newer one).
    store = open_store(store_url, check_schema=False)
    migrate.upgrade(store, "0001")
    store.engine.dispose()
    head = migrate.head_revision()
    code, output = run("stock", "--db", store_url)
    assert code == 2
    assert f"has an older schema (0001; this dronefab needs {head})" in output
    assert f"dronefab db upgrade --db {store_url}" in output
    code, output = run("db", "upgrade", "--db", store_url)
    assert code == 0, output
    store = open_store(store_url, check_schema=False)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    store.engine.dispose()
    code, output = run("stock", "--db", store_url)
    assert code == 2
    assert "unknown to this dronefab" in output and "made by a newer dronefab" in output
