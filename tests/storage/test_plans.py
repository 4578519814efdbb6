"""The service's planning below the routes (storage/plans.py): uploads made revisions, plan jobs
run and their progress, who sees them, the four-eyes release, the comparison; every change in the
audit log (issue 13, the plan page)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from dronefab.errors import UsageError
from dronefab.storage import plans, schema
from dronefab.storage.access import NotAllowed, NotVisible, Principal, principal_for
from dronefab.storage.audit import Actor, verify
from dronefab.storage.database import Store

from . import access_world as world


@pytest.fixture
def built(store: Store, tmp_path: Path) -> Store:
    world.build(store, tmp_path)
    return store


def who(store: Store, org: str, role: str) -> Principal:
    with store.reading() as connection:
        return principal_for(connection, org, {role}, f"{org}-{role}")


def actor(principal: Principal) -> Actor:
    return Actor(principal.name, principal.organization)


def upload(store: Store, principal: Principal, name: str, data: bytes) -> int:
    with store.writing() as connection:
        number, _ = plans.load_upload(connection, principal, name, data, actor(principal))
    return number


def planned(store: Store, principal: Principal, folder: Path, revision: int = 1) -> int:
    """A job of ``principal`` planning ``revision``, run here (not in a child)."""
    with store.writing() as connection:
        number = int(plans.start_job(connection, principal, revision, actor(principal))["id"])
    plans.run_job(store, number, folder)
    return number


def actions(store: Store) -> list[str]:
    with store.reading() as connection:
        return list(connection.execute(select(schema.audit.c.action)).scalars())


def test_an_upload_becomes_the_next_revision(built: Store, tmp_path: Path) -> None:
    maker = who(built, "maker", "planner")
    data = (tmp_path / "world.yaml").read_bytes()
    assert upload(built, maker, "C:\\plans\\world.yaml", data) == 2
    assert upload(built, maker, "world.json", yaml.safe_dump(yaml.safe_load(data)).encode()) == 3
    with built.reading() as connection:
        listed = plans.revisions(connection, maker)
    assert [r["revision"] for r in listed] == [3, 2, 1]
    assert actions(built).count("scenario.load") == 3


def test_an_invalid_upload_names_each_line_and_field(built: Store) -> None:
    text = b"format: dronefab/1\nname: broken\nhorizon:\n  start: 2027-02-30\n  periods: -1\n"
    with pytest.raises(plans.UploadRefusedError) as caught:
        upload(built, who(built, "prog", "planner"), "broken.yaml", text)
    rows = plans.problem_rows(caught.value.problems)
    assert any(r["line"] == 4 and r["field"] == "horizon.start" for r in rows), rows
    assert all(r["where"].startswith("broken.yaml") for r in rows if r["where"])


def test_an_upload_reads_no_file_of_the_server(built: Store, tmp_path: Path) -> None:
    data = yaml.safe_load((tmp_path / "world.yaml").read_text(encoding="utf-8"))
    secret = tmp_path / "secret.csv"
    secret.write_text("id,name\nx,y\n", encoding="utf-8")
    data["items"] = str(secret)
    with pytest.raises(plans.UploadRefusedError) as caught:
        upload(built, who(built, "prog", "planner"), "world.yaml", yaml.safe_dump(data).encode())
    assert any("items" in (p.path or str(p)) for p in caught.value.problems)


def test_an_upload_must_keep_the_uploaders_organisation(built: Store, tmp_path: Path) -> None:
    data = yaml.safe_load((tmp_path / "world.yaml").read_text(encoding="utf-8"))
    for org in data["organizations"]:
        if org["id"] == "maker":
            org["role"] = "operator"  # the maker's planner would sign themselves out
    with pytest.raises(plans.UploadRefusedError) as caught:
        upload(built, who(built, "maker", "planner"), "w.yaml", yaml.safe_dump(data).encode())
    assert [p.path for p in caught.value.problems] == ["organizations"]
    with built.reading() as connection:
        assert plans.revisions(connection, who(built, "prog", "planner"))[0]["revision"] == 1


@pytest.mark.parametrize(
    ("name", "size", "expected"),
    [("world.exe", 10, "expected a .yaml"), ("w.yaml", plans.MAX_UPLOAD_BYTES + 1, "10 MB")],
)
def test_an_upload_of_another_kind_or_too_large_is_refused(
    name: str, size: int, expected: str
) -> None:
    with pytest.raises(UsageError, match=expected):
        plans.check_upload(name, size)


def test_only_planners_of_the_programme_or_a_manufacturer_load_and_plan(built: Store) -> None:
    for org, role in (("prog", "viewer"), ("maker", "admin"), ("opa", "supervisor")):
        principal = who(built, org, role)
        with built.writing() as connection, pytest.raises(NotAllowed):
            plans.start_job(connection, principal, 1, actor(principal))
        with built.reading() as connection, pytest.raises(NotAllowed):
            plans.revisions(connection, principal)


def test_a_job_runs_to_done_with_its_progress_and_audit(built: Store, tmp_path: Path) -> None:
    maker = who(built, "maker", "planner")
    number = planned(built, maker, tmp_path / "plans")
    with built.reading() as connection:
        done = plans.job(connection, maker, number)
    assert (done["status"], done["progress"], done["error"]) == ("done", 1.0, None)
    assert done["started_at"] <= done["finished_at"]
    assert (tmp_path / "plans" / f"plan-{number}" / "summary.json").is_file()
    assert actions(built)[-2:] == ["plan.start", "plan.done"]
    assert [plans.fraction(stage) for stage, _ in plans.PHASES] == sorted(
        plans.fraction(stage) for stage, _ in plans.PHASES
    )


def test_a_failed_job_keeps_its_reason(built: Store, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")  # the plan cannot be written under a file
    maker = who(built, "maker", "planner")
    number = planned(built, maker, blocked)
    with built.reading() as connection:
        failed = plans.job(connection, maker, number)
    assert failed["status"] == "failed" and failed["error"]
    assert actions(built)[-1] == "plan.failed"


def test_a_job_that_never_finished_is_failed_not_running(built: Store, tmp_path: Path) -> None:
    maker = who(built, "maker", "planner")
    with built.writing() as connection:
        number = int(plans.start_job(connection, maker, 1, actor(maker))["id"])
    plans.fail_unfinished(built, number, "the planner stopped unexpectedly (exit code -9)")
    with built.reading() as connection:
        assert plans.job(connection, maker, number)["error"].endswith("(exit code -9)")


def test_a_child_that_dies_leaves_its_job_failed(
    built: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    maker = who(built, "maker", "planner")
    with built.writing() as connection:
        number = int(plans.start_job(connection, maker, 1, actor(maker))["id"])
    monkeypatch.setattr(plans.sys, "executable", "/bin/false")  # a child that exits 1 at once
    plans.launch(built, number, tmp_path / "plans").join(60)
    with built.reading() as connection:
        failed = plans.job(connection, maker, number)
    assert (failed["status"], failed["error"]) == (
        "failed",
        "the planner stopped unexpectedly (exit code 1)",
    )


@pytest.mark.parametrize(
    ("org", "sees"),
    [("prog", "all"), ("maker", "own"), ("da", None), ("opa", None), ("forces", None)],
)
def test_who_sees_which_plan(built: Store, tmp_path: Path, org: str, sees: str | None) -> None:
    mine = planned(built, who(built, "maker", "planner"), tmp_path / "plans")
    theirs = planned(built, who(built, "prog", "planner"), tmp_path / "plans")
    viewer = who(built, org, "viewer")
    with built.reading() as connection:
        if sees is None:
            with pytest.raises(NotAllowed):
                plans.jobs(connection, viewer)
            with pytest.raises(NotVisible):
                plans.job(connection, viewer, mine)
            return
        listed = [j["id"] for j in plans.jobs(connection, viewer)]
        assert listed == ([theirs, mine] if sees == "all" else [mine])
        if sees == "own":
            with pytest.raises(NotVisible, match=r"^plan not found$"):
                plans.job(connection, viewer, theirs)
        with pytest.raises(NotVisible, match=r"^plan not found$"):
            plans.job(connection, viewer, 999)


def test_a_release_takes_a_second_person_of_the_programme(built: Store, tmp_path: Path) -> None:
    folder = tmp_path / "plans"
    maker, prog = who(built, "maker", "planner"), who(built, "prog", "planner")
    number = planned(built, prog, folder)
    with built.writing() as connection:
        plans.request_release(connection, prog, number, actor(prog))

    def decide(principal: Principal, approve: bool, note: str = "") -> dict[str, object]:
        with built.writing() as connection:
            return plans.decide(
                connection, principal, number, approve=approve, note=note, plans_dir=folder,
                actor=actor(principal),
            )  # fmt: skip

    with pytest.raises(NotAllowed, match="your own"):
        decide(prog, True)
    with pytest.raises(NotVisible):
        decide(maker, True)  # a manufacturer does not see the programme's plan
    with pytest.raises(UsageError, match="reason"):
        decide(who(built, "prog", "admin"), False)
    approved = decide(who(built, "prog", "admin"), True)
    assert approved["release_status"] == "approved" and approved["decided_by"] == "prog-admin"
    with built.reading() as connection:
        orders = connection.execute(
            select(schema.orders.c.id).where(schema.orders.c.release == approved["release"])
        ).all()
    assert orders
    assert actions(built)[-2:] == ["plan.release", "plan.approve"]
    with pytest.raises(plans.PlanStateError):
        decide(who(built, "prog", "admin"), True)  # decided already
    with built.reading() as connection:
        verify(connection)


def test_a_rejected_plan_may_be_asked_for_again(built: Store, tmp_path: Path) -> None:
    folder = tmp_path / "plans"
    maker = who(built, "maker", "planner")
    number = planned(built, maker, folder)
    with built.writing() as connection:
        plans.request_release(connection, maker, number, actor(maker))
        with pytest.raises(plans.PlanStateError, match="requested already"):
            plans.request_release(connection, maker, number, actor(maker))
    admin = who(built, "prog", "admin")
    with built.writing() as connection:
        rejected = plans.decide(
            connection, admin, number, approve=False, note="wait for the new supplier",
            plans_dir=folder, actor=actor(admin),
        )  # fmt: skip
        assert (rejected["release_status"], rejected["note"]) == (
            "rejected",
            "wait for the new supplier",
        )
        again = plans.request_release(connection, maker, number, actor(maker))
    assert again["release_status"] == "requested" and again["note"] is None


def test_a_failed_plan_cannot_be_asked_for(built: Store, tmp_path: Path) -> None:
    maker = who(built, "maker", "planner")
    with built.writing() as connection:
        number = int(plans.start_job(connection, maker, 1, actor(maker))["id"])
        with pytest.raises(plans.PlanStateError, match="queued"):
            plans.request_release(connection, maker, number, actor(maker))


def test_a_plan_is_compared_with_the_previous_one(built: Store, tmp_path: Path) -> None:
    folder = tmp_path / "plans"
    maker = who(built, "maker", "planner")
    first = planned(built, maker, folder)
    data = yaml.safe_load((tmp_path / "world.yaml").read_text(encoding="utf-8"))
    for line in data["demand"]:
        line["quantity"] *= 2  # twice the demand: more late units, more backlog
    revision = upload(built, maker, "double.yaml", yaml.safe_dump(data).encode())
    second = planned(built, maker, folder, revision)
    with built.reading() as connection:
        assert plans.compare(connection, maker, first, folder)["previous"] is None
        both = plans.compare(connection, maker, second, folder)
    now, before = both["plan"]["figures"], both["previous"]["figures"]
    assert both["previous"]["job"]["id"] == first
    assert now["demand"] == 2 * before["demand"]
    assert set(now["fill_rate"]) == {"army", "militia"}
    assert now["cash_cost"] + now["penalties"] == pytest.approx(now["objective"])
    assert now["bottlenecks"] and now["bottlenecks"][0]["units"] > 0
