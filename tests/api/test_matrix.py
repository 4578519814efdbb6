"""Every organisation x user role x endpoint x record of tests/storage/access_world.py over HTTP,
on SQLite and PostgreSQL: each answer is 200, 401, 403 or 404 as ACCESS.md says (the expected
outcomes are tests/storage/test_access_matrix.py's encoding of its table, written apart from
the code), a list holds exactly the expected records, a hidden record answers exactly as a
missing one, and no body names an id the organisation may not know of.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from storage import access_world as world
from storage.test_access_matrix import (
    HIDDEN,
    LOTS,
    ORDER_SITE,
    REFUSED,
    SERIALS,
    SITES,
    VISIBLE,
    expect_lot,
    expect_order,
    expect_trace,
    expected_orders,
    expected_shipments,
    leaks,
    listed,
    reach,
    site_data,
)

from .conftest import World, users

API = "/api/v1"
STATUS = {VISIBLE: 200, HIDDEN: 404, REFUSED: 403}

Expect = Callable[[str, Any], str]
RECORDS: dict[str, tuple[Callable[[Any], str], list[Any], Expect]] = {
    # endpoint: (its URL for a record, the records, the expected outcome)
    "site": (lambda s: f"/sites/{s}", sorted(SITES), site_data("site_detail")),
    "site orders": (lambda s: f"/sites/{s}/orders", sorted(SITES), site_data("site_records")),
    "site events": (lambda s: f"/sites/{s}/events", sorted(SITES), site_data("site_records")),
    "site stock": (lambda s: f"/sites/{s}/stock", sorted(SITES), site_data("site_records")),
    "site exceptions": (
        lambda s: f"/sites/{s}/exceptions",
        sorted(SITES),
        site_data("site_records"),
    ),
    "trace": (lambda s: f"/serials/{s}/trace", sorted(SERIALS), expect_trace),
    "lot receipts": (
        lambda lot: f"/lots/{lot[1]}/receipts?item={lot[0]}",
        sorted(LOTS),
        expect_lot("genealogy"),
    ),
    "lot recall": (
        lambda lot: f"/lots/{lot[1]}/recall?item={lot[0]}",
        sorted(LOTS),
        expect_lot("recall"),
    ),
    "order": (lambda o: f"/orders/{o}", sorted(ORDER_SITE), expect_order),
}


def missing(name: str) -> Any:
    """A record of the endpoint's kind that does not exist."""
    unknown = f"zz-{uuid.uuid4().hex[:8]}"
    return ("cell", unknown) if name.startswith("lot") else unknown


def lists(org: str) -> dict[str, tuple[str, set[str] | str, str]]:
    """List endpoints: (URL, the ids expected or the outcome, the id field)."""
    return {
        "sites": ("/sites", listed(org), "site"),
        "purchase orders": ("/purchase-orders", expected_orders(org, "purchase"), "order"),
        "delivery orders": ("/delivery-orders", expected_orders(org, "delivery"), "order"),
        "shipments": ("/shipments", expected_shipments(org), "shipment"),
    }


def body(answer: Any) -> Any:
    return answer.json()


def check(failures: list[str], org: str, case: str, answer: Any, want: int) -> None:
    if answer.status_code != want:
        failures.append(f"{case}: {answer.status_code} {answer.text[:200]}, expected {want}")
    if leaked := leaks(org, body(answer)):
        failures.append(f"{case}: names {sorted(leaked)}")


def record_cases(client: TestClient, headers: dict[str, str], org: str, who: str) -> list[str]:
    failures: list[str] = []
    for name, (url, records, expect) in RECORDS.items():
        unknown = client.get(API + url(missing(name)), headers=headers)
        check(failures, org, f"{who} {name} (missing)", unknown, 404)
        for record in records:
            want = expect(org, record)
            answer = client.get(API + url(record), headers=headers)
            case = f"{who} {name} {record}"
            check(failures, org, case, answer, STATUS[want])
            if want == HIDDEN and body(answer) != body(unknown):
                failures.append(f"{case}: hidden {answer.text}, missing {unknown.text}")
    return failures


def list_cases(client: TestClient, headers: dict[str, str], org: str, who: str) -> list[str]:
    failures: list[str] = []
    for name, (url, want, key) in lists(org).items():
        answer = client.get(API + url, headers=headers)
        if isinstance(want, str):
            check(failures, org, f"{who} {name}", answer, STATUS[want])
            continue
        check(failures, org, f"{who} {name}", answer, 200)
        got = {str(item[key]) for item in body(answer)["items"]}
        if got != want or body(answer)["next"] is not None:
            failures.append(f"{who} {name}: {sorted(got)}, expected {sorted(want)}")
    for kind, data in (("purchase", "purchase_orders"), ("delivery", "deliveries")):
        answer = client.get(f"{API}/orders/totals?kind={kind}", headers=headers)
        check(
            failures, org, f"{who} totals {kind}", answer, 403 if reach(org, data) is None else 200
        )
    answer = client.get(f"{API}/kpis", headers=headers)
    check(failures, org, f"{who} kpis", answer, 403 if reach(org, "kpis") is None else 200)
    answer = client.get(f"{API}/me", headers=headers)
    check(failures, org, f"{who} me", answer, 200)
    return failures


@pytest.mark.parametrize("org", sorted(world.ORGANIZATIONS))
def test_every_endpoint_answers_each_user_as_access_md_says(api_world: World, org: str) -> None:
    client = api_world.client()
    failures: list[str] = []
    for user_org, role in users():
        if user_org == org:
            headers = api_world.headers(org, role)
            failures += record_cases(client, headers, org, role)
            failures += list_cases(client, headers, org, role)
    assert not failures, "\n".join(failures)


def every_url() -> list[str]:
    urls = [API + url(records[0]) for url, records, _ in RECORDS.values()]
    urls += [API + url for url, _, _ in lists("prog").values()]
    return [*urls, f"{API}/orders/totals?kind=purchase", f"{API}/kpis", f"{API}/me"]


def test_every_endpoint_answers_401_without_a_token_and_names_nothing(api_world: World) -> None:
    client = api_world.client()
    for url in every_url():
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            answer = client.get(url, headers=headers)
            assert answer.status_code == 401, url
            assert answer.headers["WWW-Authenticate"] == "Bearer"
            assert not leaks("guard", body(answer)) and not leaks("fund", body(answer)), url
    answer = client.post(f"{API}/events", json=[])
    assert answer.status_code == 401


def test_pages_follow_their_cursor_to_the_end(api_world: World) -> None:
    client = api_world.client()
    headers = api_world.headers("prog", "viewer")
    for url, field in (
        ("/sites", "site"),
        ("/sites/hub/events", "event"),
        ("/sites/north/stock", "item"),
    ):
        whole = body(client.get(f"{API}{url}?limit=1000", headers=headers))["items"]
        seen: list[Any] = []
        cursor = None
        while True:
            query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
            page = body(client.get(f"{API}{url}{query}", headers=headers))
            seen += page["items"]
            cursor = page["next"]
            if cursor is None:
                break
            assert json.dumps(page).count(cursor) == 1  # opaque: not an id of the page
        assert [row[field] for row in seen] == [row[field] for row in whole], url
        assert len(whole) > 2, url
