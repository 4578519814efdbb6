"""Signing in to the pages: the session cookie, CSRF refusals, signing out, redirects, and the
pages' security headers (issue 13, web), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from dronefab.api import ApiSettings
from dronefab.storage.audit import read_entries, verify
from dronefab.web.render import PAGE_POLICY

from .conftest import PASSWORD, World, browser, csrf_of_page, signed_in


def test_a_page_without_a_session_sends_to_the_sign_in_page(api_world: World) -> None:
    answer = browser(api_world).get("/sites/north?events_after=x")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fsites%2Fnorth%3Fevents_after%3Dx"


def test_signing_in_sets_a_strict_httponly_session_and_goes_on_to_next(api_world: World) -> None:
    client = browser(api_world)
    form = client.get("/login?next=/sites/north")
    assert 'name="next" value="/sites/north"' in form.text
    answer = client.post(
        "/login",
        data={"username": "opa-viewer", "password": PASSWORD, "csrf": csrf_of_page(form.text),
              "next": "/sites/north"},
    )  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sites/north"
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("dronefab_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie  # served over http here; over https it is Secure
    assert client.get("/sites/north").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_a_sign_in_never_sends_elsewhere(api_world: World, target: str) -> None:
    client = browser(api_world)
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": "opa-viewer", "password": PASSWORD, "csrf": csrf_of_page(form.text),
              "next": target},
    )  # fmt: skip
    assert answer.headers["location"] == "/"


def test_a_sign_in_without_its_csrf_token_is_refused(api_world: World) -> None:
    client = browser(api_world)
    client.get("/login")
    answer = client.post("/login", data={"username": "opa-viewer", "password": PASSWORD})
    assert answer.status_code == 403
    assert "dronefab_session" not in answer.headers.get("set-cookie", "")


def test_a_wrong_password_is_answered_on_the_form_and_logged(api_world: World) -> None:
    client = browser(api_world)
    form = client.get("/login")
    with api_world.store.reading() as connection:
        head = verify(connection).count
    answer = client.post(
        "/login",
        data={
            "username": "opa-viewer",
            "password": "not the password",
            "csrf": csrf_of_page(form.text),
        },
    )
    assert answer.status_code == 401
    assert "Wrong user name or password." in answer.text
    assert "not the password" not in answer.text
    with api_world.store.reading() as connection:
        actions = [e.action for e in read_entries(connection, head, 100)]
    assert actions == ["login.failed"]


def test_the_sign_in_form_is_rate_limited_as_the_api(api_world: World) -> None:
    client = browser(api_world, settings=ApiSettings(login_failures=2, login_window=600))
    token = csrf_of_page(client.get("/login").text)
    wrong = {"username": "opb-viewer", "password": "wrong password", "csrf": token}
    assert [client.post("/login", data=wrong).status_code for _ in range(2)] == [401, 401]
    right = {**wrong, "password": PASSWORD}
    limited = client.post("/login", data=right)
    assert limited.status_code == 429
    assert "Too many failed sign-ins: try again in" in limited.text
    assert "dronefab_session" not in limited.headers.get("set-cookie", "")


def test_signing_out_takes_its_csrf_token_and_ends_the_session(api_world: World) -> None:
    client = signed_in(api_world, "prog", "viewer")
    page = client.get("/")
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf": "0" * 64}).status_code == 403
    assert client.get("/").status_code == 200  # the refused sign-outs changed nothing
    answer = client.post("/logout", data={"csrf": csrf_of_page(page.text)})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert client.get("/").status_code == 303


def test_pages_forbid_inline_scripts_and_load_nothing_from_elsewhere(api_world: World) -> None:
    client = signed_in(api_world, "prog", "viewer")
    answer = client.get("/")
    assert answer.headers["content-security-policy"] == PAGE_POLICY
    assert "'unsafe-inline'" not in PAGE_POLICY
    assert "<script>" not in answer.text
    assert "http://" not in answer.text and "https://" not in answer.text
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200
    assert plotly.headers["content-type"].startswith("text/javascript")
    assert "newPlot" in plotly.text
    assert client.get("/static/app.js").status_code == 200
