"""The plan pages (issue 13): a planner loads a revision (an invalid one answered with every
line and field), plans it, follows its progress, compares it and asks for its release; a
second person of the programme approves it; who sees which page, in their language."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.conftest import user_name
from dronefab.api import ApiSettings
from storage import access_world

from .conftest import PASSWORD, World, browser, csrf_of_page


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> ApiSettings:
    return ApiSettings(plans_dir=tmp_path_factory.mktemp("plans"))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return access_world.scenario_file(tmp_path_factory.mktemp("scenario")).read_bytes()


def as_user(
    world: World, settings: ApiSettings, org: str, role: str, language: str | None = None
) -> TestClient:
    """A client of the service (with the test's plans folder) signed in through the form."""
    client = browser(world, language, settings)
    form = client.get("/login")
    fields = {"username": user_name(org, role), "password": PASSWORD, "next": "/"}
    answer = client.post("/login", data={**fields, "csrf": csrf_of_page(form.text)})
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture(scope="module")
def planner(api_world: World, settings: ApiSettings) -> Iterator[TestClient]:
    yield as_user(api_world, settings, "maker", "planner")


def done_plan(client: TestClient) -> int:
    """A plan of revision 1 started from the page, followed through its status to done."""
    page = client.get("/plans")
    answer = client.post("/plans/start", data={"csrf": csrf_of_page(page.text), "revision": "1"})
    assert answer.status_code == 303
    number = int(answer.headers["location"].rsplit("/", 1)[1])
    running = client.get(f"/plans/{number}")
    assert 'data-poll="/plans/' in running.text or "plan-status" in running.text
    deadline = time.monotonic() + 120  # a deadline to wait for the child, not a measure
    status = client.get(f"/plans/{number}/status").json()
    while not status["finished"] and time.monotonic() < deadline:
        time.sleep(0.2)
        status = client.get(f"/plans/{number}/status").json()
    assert status["status"] == "done" and status["progress"] == 1.0, status
    return number


def test_a_planner_sees_the_upload_form_and_the_revisions(planner: TestClient) -> None:
    page = planner.get("/plans")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and "Plan this revision" in page.text


@pytest.mark.parametrize(
    ("org", "role", "status", "upload"),
    [("prog", "viewer", 200, False), ("maker", "viewer", 200, False),
     ("opa", "viewer", 403, False), ("forces", "viewer", 403, False), ("prog", "planner", 200, True)],
)  # fmt: skip
def test_who_sees_the_plans_page(
    api_world: World, settings: ApiSettings, org: str, role: str, status: int, upload: bool
) -> None:
    page = as_user(api_world, settings, org, role).get("/plans")
    assert page.status_code == status
    assert ("Load a scenario revision" in page.text) is upload


def test_an_invalid_upload_lists_every_problem(planner: TestClient, scenario: bytes) -> None:
    csrf = csrf_of_page(planner.get("/plans").text)
    broken = scenario.replace(b"periods:", b"periods: -3\n  x:", 1)
    page = planner.post(
        "/plans/revisions", data={"csrf": csrf}, files={"file": ("world.yaml", broken)}
    )
    assert page.status_code == 422
    assert "The scenario was not loaded" in page.text
    assert re.search(r"<td>world\.yaml:\d+</td><td>horizon", page.text), page.text
    other = planner.post("/plans/revisions", data={"csrf": csrf}, files={"file": ("a.exe", b"x")})
    assert other.status_code == 422 and "Expected a scenario file" in other.text
    loaded = planner.post(
        "/plans/revisions", data={"csrf": csrf}, files={"file": ("world.yaml", scenario)}
    )
    assert loaded.status_code == 303 and loaded.headers["location"].startswith("/plans?loaded=")


def test_a_post_without_its_csrf_token_is_refused(planner: TestClient) -> None:
    assert planner.post("/plans/start", data={"revision": "1"}).status_code == 403


def test_plan_compare_ask_and_approve(
    planner: TestClient, api_world: World, settings: ApiSettings
) -> None:
    first = done_plan(planner)
    second = done_plan(planner)
    page = planner.get(f"/plans/{second}")
    assert 'id="comparison"' in page.text and "Previous plan</th>" not in page.text
    assert f"Previous plan ({first})" in page.text
    assert page.text.count("data-figure=") == 2 and "/static/plotly.min.js" in page.text
    asked = planner.post(f"/plans/{second}/release-request", data={"csrf": csrf_of_page(page.text)})
    assert asked.status_code == 303
    mine = planner.get(f"/plans/{second}")
    assert "Release asked for" in mine.text and 'id="decision"' not in mine.text
    admin = as_user(api_world, settings, "prog", "admin")
    decide = admin.get(f"/plans/{second}")
    assert 'id="decision"' in decide.text
    csrf = csrf_of_page(decide.text)
    no_reason = admin.post(f"/plans/{second}/decision", data={"csrf": csrf, "decision": "reject"})
    assert no_reason.status_code == 422 and "A rejection needs a reason." in no_reason.text
    approved = admin.post(f"/plans/{second}/decision", data={"csrf": csrf, "decision": "approve"})
    assert approved.status_code == 303
    after = admin.get(f"/plans/{second}")
    release = re.search(r"Released as release (\d+)", after.text)
    assert release is not None
    site = admin.get("/sites/ws")
    assert f"WO{release.group(1)}-" in site.text or f"DO{release.group(1)}-" in site.text
    again = admin.post(f"/plans/{second}/decision", data={"csrf": csrf, "decision": "approve"})
    assert again.status_code == 409


def test_another_organisation_gets_404_for_a_plan(
    planner: TestClient, api_world: World, settings: ApiSettings
) -> None:
    number = done_plan(planner)
    assert as_user(api_world, settings, "da", "viewer").get(f"/plans/{number}").status_code == 404
    status = as_user(api_world, settings, "opa", "viewer").get(f"/plans/{number}/status")
    assert status.status_code == 404


def test_the_plan_page_in_ukrainian(
    planner: TestClient, api_world: World, settings: ApiSettings
) -> None:
    number = done_plan(planner)
    page = as_user(api_world, settings, "maker", "planner", "uk").get(f"/plans/{number}")
    assert page.status_code == 200 and 'lang="uk"' in page.text
    for english in ("Compared with the previous plan", "Top bottlenecks", "Release"):
        assert f">{english}<" not in page.text


@pytest.mark.parametrize("path", ["/plans/99999999999", "/plans/0/status", "/plans/x"])
def test_a_plan_number_out_of_range_is_not_understood(planner: TestClient, path: str) -> None:
    assert planner.get(path).status_code == 422  # never a 500 (PostgreSQL's integer overflows)
