"""``/users``, ``/audit``, ``/audit/chain`` and ``PATCH /me`` for every organisation x user role,
on SQLite and PostgreSQL: admins 200 (their organisation's part; the programme's every one), the
others 403, a user of an organisation not administered 404, and no answer naming another
organisation's user."""

from __future__ import annotations

import json

import pytest

from api.conftest import PASSWORD, World, user_name, users
from storage import access_world as world

CASES = users()


def test_every_org_and_role_gets_its_status_and_only_its_part(api_world: World) -> None:
    client = api_world.client()
    assert client.get("/api/v1/users").status_code == 401
    assert client.get("/api/v1/audit").status_code == 401
    for org, role in CASES:
        headers = api_world.headers(org, role)
        programme = world.ORGANIZATIONS[org] == "programme"
        listed = client.get("/api/v1/users", params={"limit": 1000}, headers=headers)
        entries = client.get("/api/v1/audit", params={"limit": 1000}, headers=headers)
        chain = client.get("/api/v1/audit/chain", headers=headers)
        other = "opb" if org != "opb" else "opa"
        one = client.get(f"/api/v1/users/{user_name(other, 'viewer')}", headers=headers)
        if role != "admin":
            assert (listed.status_code, entries.status_code, chain.status_code) == (403, 403, 403)
            assert one.status_code == 403
            continue
        assert listed.status_code == entries.status_code == 200, (org, listed.text)
        names = {u["name"] for u in listed.json()["items"]}
        expected = {user_name(o, r) for o, r in CASES if programme or o == org}
        assert names == expected
        assert chain.status_code == (200 if programme else 403)
        if programme:
            assert chain.json()["ok"] is True
            assert one.status_code == 200
            continue
        assert one.status_code == 404
        missing = client.get("/api/v1/users/nobody-at-all", headers=headers)
        assert missing.status_code == 404 and missing.json() == one.json()
        text = json.dumps([listed.json(), entries.json(), one.json()])
        for hidden in set(world.ORGANIZATIONS) - {org}:
            assert f'"{hidden}-' not in text and f'"{hidden}"' not in text, (org, hidden)


def test_the_audit_log_pages_by_cursor_and_filters(api_world: World) -> None:
    client = api_world.client()
    headers = api_world.headers("prog", "admin")
    seen: list[int] = []
    params: dict[str, str | int] = {"limit": 5, "action": "user.add"}
    while True:
        page = client.get("/api/v1/audit", params=params, headers=headers).json()
        seen += [e["seq"] for e in page["items"]]
        if page["next"] is None:
            break
        params["cursor"] = page["next"]
    assert len(seen) == len(set(seen)) == len(CASES)  # one user.add per world user
    assert client.get("/api/v1/audit", params={"to": "2000-01-01"}, headers=headers).json() == {
        "items": [],
        "next": None,
    }
    edge = client.get(
        "/api/v1/audit", params={"from": "9999-12-31T23:00:00-05:00"}, headers=headers
    )
    assert edge.status_code == 200 and edge.json()["items"] == []  # past year 9999 in UTC
    bad = client.get("/api/v1/audit", params={"from": "yesterday", "cursor": "x!"}, headers=headers)
    assert bad.status_code == 422


def test_an_admin_adds_changes_and_resets_a_user(api_world: World) -> None:
    client = api_world.client()
    headers = api_world.headers("maker", "admin")
    new = {"name": "maker-api", "organization": "maker", "roles": ["viewer"], "password": PASSWORD}
    assert client.post("/api/v1/users", json=new, headers=headers).status_code == 201
    again = client.post("/api/v1/users", json={**new, "password": "tiny-pw"}, headers=headers)
    assert again.status_code == 422
    assert {tuple(e["loc"]) for e in again.json()["detail"]} == {
        ("body", "name"),
        ("body", "password"),
    }
    assert "tiny-pw" not in again.text
    elsewhere = {**new, "name": "opa-api", "organization": "opa"}
    assert client.post("/api/v1/users", json=elsewhere, headers=headers).status_code == 403
    token = client.post(
        "/api/v1/token", data={"username": "maker-api", "password": PASSWORD}
    ).json()["access_token"]
    mine = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=mine).status_code == 200
    roles = client.patch("/api/v1/users/maker-api", json={"roles": ["planner"]}, headers=headers)
    assert roles.json()["roles"] == ["planner"]
    off = client.patch("/api/v1/users/maker-api", json={"disabled": True}, headers=headers)
    assert off.json()["disabled"] is True
    assert client.get("/api/v1/me", headers=mine).status_code == 401
    client.patch("/api/v1/users/maker-api", json={"disabled": False}, headers=headers)
    assert client.get("/api/v1/me", headers=mine).status_code == 200
    reset = client.put(
        "/api/v1/users/maker-api/password",
        json={"password": "a new long passphrase"},
        headers=headers,
    )
    assert reset.status_code == 204 and reset.text == ""
    assert client.get("/api/v1/me", headers=mine).status_code == 401
    audit = client.get(
        "/api/v1/audit", params={"actor": "maker-admin", "limit": 100}, headers=headers
    ).text
    for action in ("user.add", "user.roles", "user.disable", "user.enable", "user.password"):
        assert f'"{action}"' in audit
    assert "a new long passphrase" not in audit and PASSWORD not in audit
    hidden = client.patch("/api/v1/users/opa-viewer", json={"disabled": True}, headers=headers)
    assert hidden.status_code == 404


@pytest.mark.parametrize("language", ["uk", "fr", "en", None])
def test_a_user_sets_their_language(api_world: World, language: str | None) -> None:
    client = api_world.client()
    headers = api_world.headers("guard", "viewer")
    answer = client.patch("/api/v1/me", json={"language": language}, headers=headers)
    assert answer.status_code == 200 and answer.json()["language"] == language


def test_an_unknown_language_is_refused_naming_the_field(api_world: World) -> None:
    client = api_world.client()
    answer = client.patch(
        "/api/v1/me", json={"language": "xx"}, headers=api_world.headers("guard", "viewer")
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "language"]
