"""Signing in, bearer tokens, 401s, the sign-in rate limit, the security headers and the
audit entries of sign-ins (ACCESS.md, "The API"), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from dronefab.api import ApiSettings
from dronefab.api.errors import SECURITY_HEADERS
from dronefab.api.limiter import LoginLimiter
from dronefab.storage import schema
from dronefab.storage.audit import read_entries, verify
from dronefab.storage.tokens import issue_token

from .conftest import PASSWORD, World

API = "/api/v1"


def sign_in(client, name: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/token", data={"username": name, "password": password})


def entries_since(world: World, seq: int) -> list[tuple[str, str, str | None]]:
    with world.store.reading() as connection:
        return [(e.action, e.actor, e.target) for e in read_entries(connection, seq, 1000)]


def audit_head(world: World) -> int:
    with world.store.reading() as connection:
        return verify(connection).count


def test_a_sign_in_gives_a_bearer_token_kept_only_as_its_digest(api_world: World) -> None:
    client = api_world.client()
    before = audit_head(api_world)
    answer = sign_in(client, "opa-supervisor")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "token_type"} and body["token_type"] == "bearer"
    token = body["access_token"]
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json() == {
        "name": "opa-supervisor",
        "organization": "opa",
        "organization_role": "operator",
        "roles": ["supervisor"],
        "sites": ["north"],
    }
    with api_world.store.reading() as connection:
        rows = connection.execute(select(schema.api_tokens)).all()
        audit = connection.execute(select(schema.audit.c.detail, schema.audit.c.target)).all()
    assert hashlib.sha256(token.encode()).hexdigest() in {row.digest for row in rows}
    assert not any(token in str(row) for row in rows)
    assert not any(token in str(row) or PASSWORD in str(row) for row in audit)
    assert ("login", "opa-supervisor", "opa-supervisor") in entries_since(api_world, before)


def test_a_wrong_password_and_an_unknown_user_are_refused_alike_and_logged(
    api_world: World,
) -> None:
    client = api_world.client()
    before = audit_head(api_world)
    wrong = sign_in(client, "opa-supervisor", "not the password at all")
    unknown = sign_in(client, "nobody-here", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["WWW-Authenticate"] == "Bearer"
    logged = entries_since(api_world, before)
    assert [action for action, _, _ in logged] == ["login.failed", "login.failed"]
    assert PASSWORD not in str(logged)


def test_missing_wrong_expired_and_revoked_tokens_answer_401(api_world: World) -> None:
    client = api_world.client()
    with api_world.store.writing() as connection:
        expired = issue_token(
            connection, "opa-viewer", hours=1, now=datetime.now(UTC) - timedelta(hours=2)
        )
        revoked = issue_token(connection, "opa-viewer")
    assert (
        client.get(f"{API}/me", headers={"Authorization": f"Bearer {revoked}"}).status_code == 200
    )
    assert (
        client.delete(f"{API}/token", headers={"Authorization": f"Bearer {revoked}"}).status_code
        == 204
    )
    cases = {
        "missing": {},
        "wrong": {"Authorization": "Bearer not-a-token"},
        "not bearer": {"Authorization": f"Basic {api_world.tokens[('opa', 'viewer')]}"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "huge": {"Authorization": "Bearer " + "x" * 5000},
    }
    for case, headers in cases.items():
        answer = client.get(f"{API}/sites", headers=headers)
        assert answer.status_code == 401, case
        assert answer.headers["WWW-Authenticate"] == "Bearer", case
        assert "sites" not in answer.text and "north" not in answer.text, case


def test_a_disabled_users_token_stops_working(api_world: World) -> None:
    client = api_world.client()
    with api_world.store.writing() as connection:
        token = issue_token(connection, "opb-inspector")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/me", headers=headers).status_code == 200
    users = schema.users
    with api_world.store.writing() as connection:
        connection.execute(
            update(users).where(users.c.name == "opb-inspector").values(disabled=True)
        )
    try:
        assert client.get(f"{API}/me", headers=headers).status_code == 401
    finally:
        with api_world.store.writing() as connection:
            connection.execute(
                update(users).where(users.c.name == "opb-inspector").values(disabled=False)
            )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sign_ins_are_limited_per_user_name_then_per_client(api_world: World) -> None:
    client = api_world.client(ApiSettings(login_failures=3, login_window=60))
    clock = Clock()
    client.app.state.limiter = LoginLimiter(3, 60, clock)  # type: ignore[attr-defined]
    for _ in range(3):
        assert sign_in(client, "da-viewer", "wrong password here").status_code == 401
    before = audit_head(api_world)
    limited = sign_in(client, "da-viewer")  # the right password: still refused
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "60"
    assert "token" not in limited.json()
    assert [a for a, _, _ in entries_since(api_world, before)] == ["login.limited"]
    clock.now += 30
    assert sign_in(client, "da-viewer").headers["Retry-After"] == "30"
    clock.now += 31  # the first failures aged out
    assert sign_in(client, "da-viewer").status_code == 200
    # the same client, other names: the address's failures count too (3 already, then these)
    clock.now += 61
    for name in ("fund-viewer", "fund-admin", "fund-supervisor"):
        assert sign_in(client, name, "wrong password here").status_code == 401
    assert sign_in(client, "prog-viewer").status_code == 429


def test_every_answer_carries_the_security_headers_and_no_docs_page(api_world: World) -> None:
    client = api_world.client()
    headers = api_world.headers("prog", "viewer")
    answers = [
        client.get(f"{API}/sites", headers=headers),
        client.get(f"{API}/sites/nowhere", headers=headers),
        client.get(f"{API}/sites"),
        client.get(f"{API}/openapi.json"),
        client.get("/docs"),
    ]
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value, (answer.url, name)
    assert answers[3].status_code == 200
    assert answers[3].json()["paths"][f"{API}/token"]["post"]
    assert answers[4].status_code == 404
    assert client.get("/redoc").status_code == 404


def test_bad_input_answers_422_naming_the_field_without_echoing_it(api_world: World) -> None:
    client = api_world.client()
    headers = api_world.headers("prog", "viewer")
    cases = {
        f"{API}/sites?limit=0": ["query", "limit"],
        f"{API}/sites?limit=abc<script>": ["query", "limit"],
        f"{API}/sites?cursor=%25%25%25": ["query", "cursor"],
        f"{API}/orders/totals?kind=bogus<b>": ["query", "kind"],
        f"{API}/lots/C1/receipts": ["query", "item"],
    }
    for url, loc in cases.items():
        answer = client.get(url, headers=headers)
        assert answer.status_code == 422, url
        assert [e["loc"] for e in answer.json()["detail"]] == [loc], url
        assert "<" not in answer.text and "Traceback" not in answer.text, url
    # the sign-in form: both fields missing, both named
    answer = client.post(f"{API}/token", data={})
    assert answer.status_code == 422
    assert sorted(e["loc"][-1] for e in answer.json()["detail"]) == ["password", "username"]
