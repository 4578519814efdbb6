"""``POST /api/v1/events``: whole or nothing, idempotent by id, every refusal named, the caller's
right to record at each event's site checked first (404 for a site they may not know of, 403
for one they may not record at), and the audit entries, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from dronefab.storage import schema
from dronefab.storage.audit import read_entries, verify

from .conftest import World

API = "/api/v1"


def fresh() -> str:
    return f"api-{uuid.uuid4().hex[:10]}"


def downtime(site: str = "north", **extra: Any) -> dict[str, Any]:
    return {
        "id": fresh(),
        "type": "downtime",
        "at": "2027-01-11T08:00:00+02:00",
        "site": site,
        "start": "2027-01-11T08:00:00+02:00",
        "end": "2027-01-11T09:30:00+02:00",
        "cause": "alert",
        **extra,
    }


def flight_test(site: str = "north", serial: str = "N2") -> dict[str, Any]:
    return {
        "id": fresh(),
        "type": "test",
        "at": "2027-01-11T10:00:00+02:00",
        "site": site,
        "serial": serial,
        "test": "flight",
        "result": "pass",
    }


def stored(world: World, ids: list[str]) -> set[str]:
    e = schema.events.c
    with world.store.reading() as connection:
        return set(connection.execute(select(e.id).where(e.id.in_(ids))).scalars())


def audit_after(world: World, seq: int) -> list[Any]:
    with world.store.reading() as connection:
        return read_entries(connection, seq, 1000)


def head(world: World) -> int:
    with world.store.reading() as connection:
        return verify(connection).count


def post(world: World, org: str, role: str, events: list[dict[str, Any]]) -> Any:
    return world.client().post(f"{API}/events", json=events, headers=world.headers(org, role))


def test_a_batch_is_recorded_once_then_acknowledged(api_world: World) -> None:
    batch = [downtime(), downtime(cause="power")]
    ids = [event["id"] for event in batch]
    before = head(api_world)
    first = post(api_world, "opa", "supervisor", batch)
    assert first.status_code == 200, first.text
    assert first.json()["recorded"] == sorted(ids) and first.json()["already"] == []
    assert isinstance(first.json()["batch"], int)
    again = post(api_world, "opa", "supervisor", batch)
    assert again.json() == {"batch": None, "recorded": [], "already": sorted(ids)}
    assert stored(api_world, ids) == set(ids)
    entries = audit_after(api_world, before)
    assert [(e.action, e.actor, e.organization) for e in entries] == [
        ("events.record", "opa-supervisor", "opa")
    ] * 2
    assert '"recorded":2' in entries[0].detail and '"already":2' in entries[1].detail


def test_one_bad_event_refuses_the_whole_batch_naming_every_problem(api_world: World) -> None:
    good = downtime()
    bad_cause = downtime(cause="lunch")
    no_end = downtime()
    del no_end["end"]
    before = head(api_world)
    answer = post(api_world, "opa", "supervisor", [good, bad_cause, no_end])
    assert answer.status_code == 422
    refusals = answer.json()["refusals"]
    assert [(r["line"], r["field"]) for r in refusals] == [(2, "cause"), (3, "end")]
    assert "Traceback" not in answer.text
    assert stored(api_world, [good["id"], bad_cause["id"], no_end["id"]]) == set()
    assert [e.action for e in audit_after(api_world, before)] == ["events.refused"]


def test_the_same_id_with_other_content_is_refused(api_world: World) -> None:
    event = downtime()
    assert post(api_world, "opa", "supervisor", [event]).status_code == 200
    changed = {**event, "cause": "power"}
    answer = post(api_world, "opa", "supervisor", [changed, downtime()])
    assert answer.status_code == 422
    assert [r["field"] for r in answer.json()["refusals"]] == ["id"]


def test_who_may_record_where(api_world: World) -> None:
    cases = [
        # (org, role, events, status)
        ("opa", "supervisor", [downtime("north")], 200),
        ("opa", "supervisor", [downtime("north"), downtime("hub")], 403),  # knows hub
        ("opa", "viewer", [downtime("north")], 403),
        ("opa", "inspector", [downtime("north")], 403),  # a supervisor's event
        ("opa", "supervisor", [flight_test("north")], 403),  # an inspector's event
        ("opa", "inspector", [flight_test("north")], 200),
        ("da", "inspector", [flight_test("north", "N1")], 200),  # the design authority: all
        ("da", "supervisor", [downtime("north")], 403),
        ("prog", "admin", [downtime("hub")], 403),
        ("guard", "supervisor", [downtime("north")], 403),  # a customer knows north
        ("guard", "supervisor", [downtime("hub")], 404),  # and not hub
        ("guard", "supervisor", [downtime("north"), downtime("hub")], 404),
        ("cellco", "supervisor", [downtime("nowhere")], 404),
    ]
    for org, role, events, status in cases:
        answer = post(api_world, org, role, events)
        assert answer.status_code == status, (org, role, events, answer.text)
        if status != 200:
            assert stored(api_world, [e["id"] for e in events]) == set(), (org, role)
    hidden = post(api_world, "guard", "supervisor", [downtime("hub")])
    unknown = post(api_world, "guard", "supervisor", [downtime("zz-nowhere")])
    assert hidden.json() == unknown.json() == {"detail": "site not found"}


def test_a_refusal_is_in_the_audit_log_under_the_caller(api_world: World) -> None:
    before = head(api_world)
    assert post(api_world, "opb", "supervisor", [downtime("north")]).status_code == 403
    client = api_world.client()
    headers = api_world.headers("guard", "viewer")
    assert client.get(f"{API}/sites/hub", headers=headers).status_code == 404
    entries = audit_after(api_world, before)
    assert [(e.action, e.actor, e.target) for e in entries] == [
        ("access.refused", "opb-supervisor", f"{API}/events"),
        ("access.refused", "guard-viewer", f"{API}/sites/hub"),
    ]
    assert '"status":403' in entries[0].detail and '"status":404' in entries[1].detail


def test_by_must_be_the_caller_and_the_body_a_list_of_events(api_world: World) -> None:
    answer = post(api_world, "opa", "supervisor", [downtime(by="someone-else")])
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "0", "by"]
    client = api_world.client()
    headers = api_world.headers("opa", "supervisor")
    for content in ('{"id": 1}', "[1, 2]", "not json", '[{"id": "x"'):
        answer = client.post(
            f"{API}/events",
            content=content,
            headers={**headers, "Content-Type": "application/json"},
        )
        assert answer.status_code == 422, content
        assert "Traceback" not in answer.text
    mine = post(api_world, "opa", "supervisor", [downtime(by="opa-supervisor")])
    assert mine.status_code == 200


def test_a_hold_takes_an_inspector_of_every_site_whatever_site_it_names(api_world: World) -> None:
    """A quarantine stops the serial everywhere: an operator's inspector naming its own site
    may not hold what other sites make or hold (review of the change: it passed)."""
    hold = {"id": fresh(), "type": "quarantine", "at": "2027-01-11T10:00:00+02:00",
            "site": "north", "serial": "N2", "reason": "suspect motor"}  # fmt: skip
    refused = post(api_world, "opa", "inspector", [hold])
    assert refused.status_code == 403, refused.text
    assert stored(api_world, [hold["id"]]) == set()
    assert post(api_world, "da", "inspector", [hold]).status_code == 200


def test_naming_another_sites_order_is_answered_as_naming_none(api_world: World) -> None:
    """The door's message about an order tells what it is for and where: a caller who may not
    see that site's records gets the 404 of a missing order instead."""

    def receipt(order: str) -> dict[str, Any]:
        return {"id": fresh(), "type": "receipt", "at": "2027-01-11T10:00:00+02:00",
                "site": "north", "supplier": "frameco", "item": "frame", "quantity": 1,
                "lot": "F-L9", "order": order}  # fmt: skip

    hidden = post(api_world, "opa", "supervisor", [receipt("PO-H1")])  # the hub's order
    missing = post(api_world, "opa", "supervisor", [receipt("PO-NOWHERE")])
    assert hidden.status_code == missing.status_code == 404, hidden.text
    assert hidden.json() == missing.json() == {"detail": "order not found"}
    assert "hub" not in hidden.text
    own = post(api_world, "opa", "supervisor", [receipt("PO-N1")])
    assert own.status_code == 200, own.text
