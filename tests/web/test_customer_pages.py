"""The customer's page and its acceptance (issue 13), on SQLite and PostgreSQL: a customer sees
its own orders and shipments with a weekly plot; its supervisor records an acceptance of one of
its own shipments, through the page and through POST /api/v1/events alike; any other shipment,
event or role is refused 404 / 403 as ACCESS.md's extension says (docs/access.md)."""

from __future__ import annotations

from typing import Any

from .conftest import World, csrf_of_page, signed_in


def acceptance(event: str, shipment: str, site: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": event,
        "type": "acceptance",
        "at": "2026-01-20T09:00:00+00:00",
        "site": site,
        "shipment": shipment,
        **fields,
    }


def test_a_customer_supervisor_records_only_its_own_acceptances_through_the_api(
    api_world: World,
) -> None:
    client = api_world.client()
    guard = api_world.headers("guard", "supervisor")
    post = client.post
    others = post("/api/v1/events", json=[acceptance("g-x", "s2", "ws", accepted=1)], headers=guard)
    missing = post(
        "/api/v1/events", json=[acceptance("g-x", "nope", "ws", accepted=1)], headers=guard
    )
    assert others.status_code == missing.status_code == 404
    assert others.json() == missing.json() == {"detail": "shipment not found"}
    elsewhere = [acceptance("g-x", "north-s9", "ws", accepted=["N1"])]  # not the shipment's site
    assert post("/api/v1/events", json=elsewhere, headers=guard).status_code == 404
    scrap = {"id": "g-s", "type": "scrap", "at": "2026-01-20T09:00:00+00:00", "site": "north",
             "item": "screw", "quantity": 1, "reason": "bent"}  # fmt: skip
    mixed = [acceptance("g-x", "north-s9", "north", accepted=["N1"]), scrap]
    assert post("/api/v1/events", json=mixed, headers=guard).status_code == 403
    viewer = api_world.headers("guard", "viewer")
    mine = [acceptance("g-x", "north-s9", "north", accepted=["N1"])]
    assert post("/api/v1/events", json=mine, headers=viewer).status_code == 403
    done = post("/api/v1/events", json=mine, headers=guard)
    assert done.status_code == 200 and done.json()["recorded"] == ["g-x"]
    shipped = client.get("/api/v1/shipments", headers=guard).json()["items"]
    assert shipped[0]["acceptance"][0]["accepted"] == ["N1"]


def test_the_customer_page_shows_its_own_deliveries_with_a_plot(api_world: World) -> None:
    page = signed_in(api_world, "forces", "viewer", language="uk").get("/customer")
    assert page.status_code == 200
    assert "Поставки та приймання" in page.text and 'data-figure="' in page.text
    assert "s1" in page.text and "D5" in page.text
    assert "north-s9" not in page.text and "N1" not in page.text and "militia" not in page.text
    assert 'id="acceptance"' not in page.text  # a viewer records nothing
    programme = signed_in(api_world, "prog", "viewer").get("/customer")
    assert "north-s9" in programme.text and 'id="acceptance"' not in programme.text


def test_a_customer_supervisor_records_an_acceptance_on_the_page(api_world: World) -> None:
    client = signed_in(api_world, "forces", "supervisor", language="uk")
    page = client.get("/customer")
    assert 'id="acceptance"' in page.text
    form = {"csrf": csrf_of_page(page.text), "event": "forces-x2", "shipment": "s2"}
    both = client.post("/customer/acceptance", data={**form, "accepted": "D5", "quantity": "1"})
    assert both.status_code == 422 and "не обидва" in both.text
    stranger = client.post("/customer/acceptance", data={**form, "accepted": "D1 D9"})
    assert stranger.status_code == 422 and "D9" in stranger.text  # the door's check
    foreign = client.post("/customer/acceptance", data={**form, "shipment": "north-s9"})
    assert foreign.status_code == 404
    data = {**form, "accepted": "", "rejected": "D5 propeller cracked"}
    done = client.post("/customer/acceptance", data=data)
    assert done.status_code == 303 and done.headers["location"] == "/customer?recorded=forces-x2"
    assert client.post("/customer/acceptance", data=data).status_code == 303  # sent again
    shown = client.get("/customer?recorded=forces-x2").text
    assert "propeller cracked" in shown and "forces-x2" in shown
