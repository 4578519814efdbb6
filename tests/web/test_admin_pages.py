"""The admins' pages (users, audit log) for every organisation x user role, on SQLite and
PostgreSQL, and the pages' language stored on the user."""

from __future__ import annotations

import pytest

from api.conftest import users
from storage import access_world as world

from .conftest import World, csrf_of_page, signed_in

CASES = users()


def test_admin_pages_answer_each_org_and_role(api_world: World) -> None:
    for org, role in CASES:
        client = signed_in(api_world, org, role, language="uk")
        page = client.get("/admin/users")
        audit = client.get("/admin/audit")
        if role != "admin":
            assert (page.status_code, audit.status_code) == (403, 403), (org, role)
            assert "/admin/users" not in client.get("/").text  # no link either
            continue
        assert page.status_code == audit.status_code == 200, (org, page.text)
        assert "Користувачі" in page.text and "Журнал аудиту" in audit.text
        programme = world.ORGANIZATIONS[org] == "programme"
        assert ("Ланцюжок перевірено" in audit.text) is programme
        if not programme:
            for hidden in set(world.ORGANIZATIONS) - {org}:
                assert f"{hidden}-viewer" not in page.text + audit.text, (org, hidden)


def test_an_admin_adds_a_user_through_the_form_and_a_refusal_names_the_field(
    api_world: World,
) -> None:
    client = signed_in(api_world, "opa", "admin", language="fr")
    csrf = csrf_of_page(client.get("/admin/users").text)
    form = {"csrf": csrf, "name": "opa-web", "organization": "opa", "roles": ["supervisor"]}
    refused = client.post("/admin/users", data={**form, "password": "tiny-pw"})
    assert refused.status_code == 422
    assert "Mot de passe" in refused.text and "tiny-pw" not in refused.text
    added = client.post("/admin/users", data={**form, "password": "a long enough passphrase"})
    assert added.status_code == 303
    listed = client.get("/admin/users").text
    assert "opa-web" in listed
    off = client.post("/admin/users/opa-web/disabled", data={"csrf": csrf, "disabled": "true"})
    assert off.status_code == 303
    assert "désactivé" in client.get("/admin/users").text
    foreign = client.post(
        "/admin/users/opb-viewer/disabled", data={"csrf": csrf, "disabled": "true"}
    )
    assert foreign.status_code == 404
    no_csrf = client.post("/admin/users/opa-web/disabled", data={"disabled": "false"})
    assert no_csrf.status_code == 403
    audit = client.get("/admin/audit", params={"action": "user.disable"}).text
    assert "opa-web" in audit


@pytest.mark.parametrize(("chosen", "role"), [("uk", "supervisor"), ("fr", "inspector")])
def test_the_language_chosen_signed_in_follows_the_user(
    api_world: World, chosen: str, role: str
) -> None:
    first = signed_in(api_world, "guard", role, language="en")
    assert first.get("/").headers["Content-Language"] == "en"
    assert first.get("/language", params={"lang": chosen, "next": "/"}).status_code == 303
    again = signed_in(api_world, "guard", role, language="de")  # another browser: no cookie
    assert "dronefab_lang" not in again.cookies
    assert again.get("/").headers["Content-Language"] == chosen
    never = signed_in(api_world, "guard", "viewer", language="fr")  # never chose: the browser's
    assert never.get("/").headers["Content-Language"] == "fr"
