"""The planning API (issue 13, the plan page): who may load, plan, read, ask for and approve a
release, as a matrix of organisation x user role; a plan run in a child process followed to
done; an invalid upload answered with every line and field."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dronefab.api import ApiSettings, create_app
from storage import access_world

from .conftest import World, users

PLANNERS = {("prog", "planner"), ("maker", "planner")}
PLAN_ORGS = {"prog", "maker"}


@pytest.fixture(scope="module")
def client(api_world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = ApiSettings(plans_dir=tmp_path_factory.mktemp("plans"))
    with TestClient(create_app(api_world.store, settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return access_world.scenario_file(tmp_path_factory.mktemp("scenario")).read_bytes()


def finished(client: TestClient, world: World, number: int, who: tuple[str, str]) -> dict[str, Any]:
    """The plan once its child process finished it (a deadline, not a measure)."""
    deadline = time.monotonic() + 120
    while True:
        answer = client.get(f"/api/v1/plans/{number}", headers=world.headers(*who))
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def started(client: TestClient, world: World, who: tuple[str, str]) -> int:
    answer = client.post("/api/v1/plans", json={"revision": 1}, headers=world.headers(*who))
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "queued"
    return int(answer.json()["id"])


def test_uploads_load_revisions_and_refusals_name_lines(
    client: TestClient, api_world: World, scenario: bytes
) -> None:
    headers = api_world.headers("maker", "planner")
    loaded = client.post(
        "/api/v1/plans/revisions", files={"file": ("world.yaml", scenario)}, headers=headers
    )
    assert loaded.status_code == 201, loaded.text
    listed = client.get("/api/v1/plans/revisions", headers=headers).json()["items"]
    assert listed[0]["revision"] == loaded.json()["revision"] > 1
    broken = scenario.replace(b"periods:", b"periods: -3\n  x:", 1)
    refused = client.post(
        "/api/v1/plans/revisions", files={"file": ("w.yaml", broken)}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["problems"] and all("line" in p for p in refused.json()["problems"])
    assert "Traceback" not in refused.text
    other = client.post(
        "/api/v1/plans/revisions", files={"file": ("w.exe", b"MZ")}, headers=headers
    )
    assert other.status_code == 422 and "expected a .yaml" in other.text


@pytest.mark.parametrize(("org", "role"), users())
def test_who_may_read_and_plan(client: TestClient, api_world: World, org: str, role: str) -> None:
    headers = api_world.headers(org, role)
    planner = (org, role) in PLANNERS
    assert client.get("/api/v1/plans/revisions", headers=headers).status_code == (
        200 if planner else 403
    )
    assert client.get("/api/v1/plans", headers=headers).status_code == (
        200 if org in PLAN_ORGS else 403
    )
    if not planner:  # the planners' starts are the flows' below
        answer = client.post("/api/v1/plans", json={"revision": 1}, headers=headers)
        assert answer.status_code == 403


def test_no_token_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/plans").status_code == 401
    assert client.post("/api/v1/plans", json={"revision": 1}).status_code == 401


def test_bad_input_names_the_field(client: TestClient, api_world: World) -> None:
    headers = api_world.headers("prog", "planner")
    answer = client.post("/api/v1/plans", json={"revision": "one"}, headers=headers)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "revision"
    missing = client.post("/api/v1/plans", json={"revision": 99}, headers=headers)
    assert missing.status_code == 404


def test_a_maker_plan_is_run_compared_asked_for_and_approved(
    client: TestClient, api_world: World
) -> None:
    maker = ("maker", "planner")
    number = started(client, api_world, maker)
    done = finished(client, api_world, number, maker)
    assert (done["status"], done["progress"]) == ("done", 1.0), done
    # who sees it: the programme and its maker, nobody else (404, as a missing plan)
    for org, role in users():
        status = client.get(f"/api/v1/plans/{number}", headers=api_world.headers(org, role))
        assert status.status_code == (200 if org in PLAN_ORGS else 404), (org, role)
    compared = client.get(f"/api/v1/plans/{number}/compare", headers=api_world.headers(*maker))
    assert compared.status_code == 200
    assert set(compared.json()["plan"]["figures"]["fill_rate"]) == {"army", "militia"}
    url = f"/api/v1/plans/{number}"
    refused = client.post(f"{url}/release-request", headers=api_world.headers("maker", "viewer"))
    assert refused.status_code == 403
    asked = client.post(f"{url}/release-request", headers=api_world.headers(*maker))
    assert asked.json()["release_status"] == "requested"
    assert (
        client.post(f"{url}/release-request", headers=api_world.headers(*maker)).status_code == 409
    )
    decision = {"approve": True}
    for who, status in ((maker, 403), (("maker", "admin"), 403), (("prog", "viewer"), 403)):
        answer = client.post(f"{url}/decision", json=decision, headers=api_world.headers(*who))
        assert answer.status_code == status, who
    approved = client.post(
        f"{url}/decision", json=decision, headers=api_world.headers("prog", "admin")
    )
    assert approved.status_code == 200, approved.text
    release = approved.json()["release"]
    orders = client.get("/api/v1/delivery-orders", headers=api_world.headers("prog", "viewer"))
    assert any(o["order"].startswith(f"DO{release}-") for o in orders.json()["items"])


def test_the_programme_planner_may_not_approve_their_own(
    client: TestClient, api_world: World
) -> None:
    prog = ("prog", "planner")
    number = started(client, api_world, prog)
    assert finished(client, api_world, number, prog)["status"] == "done"
    assert (
        client.get(
            f"/api/v1/plans/{number}", headers=api_world.headers("maker", "planner")
        ).status_code
        == 404
    )
    url = f"/api/v1/plans/{number}"
    client.post(f"{url}/release-request", headers=api_world.headers(*prog))
    own = client.post(f"{url}/decision", json={"approve": True}, headers=api_world.headers(*prog))
    assert own.status_code == 403 and "own" in own.json()["detail"]
    rejected = client.post(
        f"{url}/decision", json={"approve": False, "note": "later"},
        headers=api_world.headers("prog", "admin"),
    )  # fmt: skip
    assert rejected.json()["release_status"] == "rejected"


def test_the_openapi_document_has_the_planning_routes(client: TestClient, api_world: World) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/plans", "/api/v1/plans/{plan}", "/api/v1/plans/revisions"} <= set(paths)
    answer = client.get("/api/v1/plans/99999999999", headers=api_world.headers("prog", "viewer"))
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["path", "plan"]
