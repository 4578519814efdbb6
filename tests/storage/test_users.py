"""Users: who may be added (organisation, roles, password policy), signing in without a timing
oracle, rehashing, and the log of it, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from sqlalchemy import insert, select, text

from dronefab.errors import UsageError
from dronefab.model.loader import load_scenario
from dronefab.storage import schema, users
from dronefab.storage.audit import Actor, read_entries, verify
from dronefab.storage.database import Store, open_store
from dronefab.storage.migrate import head_revision, upgrade
from dronefab.storage.users import (
    UserRefusedError,
    add_user,
    authenticate,
    get_user,
    list_users,
    parse_roles,
)

from . import tiny_history as tiny
from .recording import load

ADMIN = Actor("cli:tester")
PASSWORD = "correct horse battery"


@pytest.fixture
def loaded(store: Store) -> Store:
    """A store holding tiny.yaml: organisations maker (manufacturer) and forces (customer)."""
    load(store, tiny.SCENARIO)
    return store


def refusal(store: Store, name: str, org: str, roles: list[str], password: str) -> str:
    """The message refusing the user; nothing is written (no user, no log entry)."""
    with store.reading() as connection:
        before = (list_users(connection), read_entries(connection))
    with pytest.raises(UserRefusedError) as caught, store.writing() as connection:
        add_user(connection, name, org, roles, password, actor=ADMIN)
    with store.reading() as connection:
        assert (list_users(connection), read_entries(connection)) == before
    return str(caught.value)


def test_a_user_is_added_with_its_roles_and_logged(loaded: Store) -> None:
    with loaded.writing() as connection:
        added = add_user(connection, "olena", "maker", ["admin", "planner"], PASSWORD, actor=ADMIN)
    assert (added.name, added.organization, added.roles) == ("olena", "maker", ("planner", "admin"))
    with loaded.reading() as connection:
        assert list_users(connection) == [added] == list_users(connection, "maker")
        assert list_users(connection, "forces") == []
        assert get_user(connection, "olena") == added
        stored = connection.execute(select(schema.users.c.password_hash)).scalar_one()
        entry = read_entries(connection)[-1]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert not hasattr(added, "password_hash")
    assert (entry.action, entry.target, entry.organization) == ("user.add", "olena", "maker")
    assert json.loads(entry.detail) == {"roles": ["planner", "admin"]}
    assert PASSWORD not in entry.detail and stored not in entry.detail


def test_an_unknown_organisation_is_refused_naming_the_known_ones(loaded: Store) -> None:
    message = refusal(loaded, "olena", "acme", ["viewer"], PASSWORD)
    assert "organization: 'acme' is not an organisation of revision 1" in message
    assert "known: forces, maker" in message


def test_without_a_scenario_the_store_says_load_one_first(store: Store) -> None:
    message = refusal(store, "olena", "maker", ["admin"], PASSWORD)
    assert "load a scenario first (dronefab db load SCENARIO)" in message


def test_planners_belong_to_programme_and_manufacturer_organisations(loaded: Store) -> None:
    message = refusal(loaded, "ivan", "forces", ["viewer", "planner"], PASSWORD)
    assert (
        "roles: planner is for programme and manufacturer organisations; 'forces' is a customer"
        in message
    )
    with loaded.writing() as connection:
        add_user(connection, "ivan", "forces", ["viewer", "admin"], PASSWORD, actor=ADMIN)


@pytest.mark.parametrize(
    ("name", "roles", "password", "expected"),
    [
        ("olena", ["viewer"], "short", "password: too short: 5 characters, at least 12"),
        ("olena", ["viewer"], "x" * 1025, "password: too long: 1,025 characters, at most 1024"),
        ("olena.kovalenko", ["viewer"], "Olena.Kovalenko", "password: it is the login name"),
        ("Olena", ["viewer"], PASSWORD, "name: 'Olena' is not a login name: expected 1 to 100 lower-case"),
        ("", ["viewer"], PASSWORD, "name: '' is not a login name"),
        ("olena", [], PASSWORD, "roles: give at least one of viewer, supervisor"),
        ("olena", ["root"], PASSWORD, "roles: unknown role 'root'; expected viewer, supervisor, inspector, planner, admin"),
    ],
)  # fmt: skip
def test_bad_fields_are_refused_by_name(
    loaded: Store, name: str, roles: list[str], password: str, expected: str
) -> None:
    message = refusal(loaded, name, "maker", roles, password)
    assert expected in message
    if len(password) > 5:
        assert password not in message.replace(f"'{name}'", "")  # the password is never shown


def test_every_problem_is_named_at_once_and_a_name_is_taken_once(loaded: Store) -> None:
    message = refusal(loaded, "Bad Name", "acme", ["planner"], "short")
    assert [line.split(":")[0].strip() for line in message.splitlines()[1:]] == [
        "name",
        "organization",
        "password",
    ]
    with loaded.writing() as connection:
        add_user(connection, "olena", "maker", ["viewer"], PASSWORD, actor=ADMIN)
    taken = pytest.raises(UserRefusedError, match="a user named 'olena' exists already")
    with taken, loaded.writing() as connection:
        add_user(connection, "olena", "forces", ["viewer"], PASSWORD, actor=ADMIN)


def test_roles_are_given_repeated_or_comma_separated() -> None:
    assert parse_roles(["admin", "viewer, supervisor"]) == ("viewer", "supervisor", "admin")
    with pytest.raises(UsageError, match="unknown role 'boss', 'root'"):
        parse_roles(["root,viewer", "boss"])
    with pytest.raises(UsageError, match="give at least one"):
        parse_roles([" , "])


def _logins(store: Store) -> list[tuple[str, str, dict]]:
    with store.reading() as connection:
        return [
            (e.action, e.actor, json.loads(e.detail))
            for e in read_entries(connection)
            if e.action.startswith("login")
        ]


@pytest.fixture
def olena(loaded: Store) -> Store:
    with loaded.writing() as connection:
        add_user(connection, "olena", "maker", ["supervisor"], PASSWORD, actor=ADMIN)
    return loaded


def test_signing_in_with_the_right_password_only(olena: Store) -> None:
    with olena.writing() as connection:
        signed_in = authenticate(connection, "olena", PASSWORD, client="10.0.0.7")
        wrong = authenticate(connection, "olena", PASSWORD + "!")
        nobody = authenticate(connection, "nobody", PASSWORD)
    assert signed_in is not None and signed_in.roles == ("supervisor",)
    assert wrong is None and nobody is None
    assert _logins(olena) == [
        ("login", "olena", {"client": "10.0.0.7"}),
        ("login.failed", "olena", {"reason": "wrong password"}),
        ("login.failed", "nobody", {"reason": "unknown user"}),
    ]
    with olena.reading() as connection:
        assert verify(connection).count == 5  # load, user.add and the three sign-ins
        assert all(PASSWORD not in e.detail for e in read_entries(connection))


def test_a_disabled_user_cannot_sign_in(olena: Store) -> None:
    with olena.writing() as connection:
        connection.execute(text("UPDATE users SET disabled = :yes"), {"yes": True})
        assert authenticate(connection, "olena", PASSWORD) is None
        assert get_user(connection, "olena").disabled  # type: ignore[union-attr]
    assert _logins(olena)[-1][2] == {"reason": "disabled"}


def test_an_unknown_name_costs_one_verification_like_a_known_one(
    olena: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    real = users._verify

    def counting(stored: str, password: str) -> bool:
        verified.append(stored)
        return real(stored, password)

    monkeypatch.setattr(users, "_verify", counting)
    with olena.writing() as connection:
        authenticate(connection, "nobody", PASSWORD)
        authenticate(connection, "olena", "wrong password!")
    assert len(verified) == 2
    assert verified[0] == users._dummy_hash()  # argon2 with today's parameters, as a real one
    assert PasswordHasher().check_needs_rehash(verified[0]) is False


def test_a_hash_made_with_older_parameters_is_replaced_at_sign_in(loaded: Store) -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with loaded.writing() as connection:
        connection.execute(
            insert(schema.users).values(
                name="petro",
                organization="maker",
                roles="viewer",
                password_hash=old,
                created_at="2027-01-01T00:00:00.000000Z",
                disabled=False,
            )
        )
        assert authenticate(connection, "petro", PASSWORD) is not None
    with loaded.reading() as connection:
        new = connection.execute(select(schema.users.c.password_hash)).scalar_one()
    assert new != old and not PasswordHasher().check_needs_rehash(new)
    with loaded.writing() as connection:
        assert authenticate(connection, "petro", PASSWORD) is not None


def test_a_store_of_the_previous_schema_upgrades_with_its_record(store_url: str) -> None:
    empty = open_store(store_url, check_schema=False)
    upgrade(empty, "0001")
    scenario = load_scenario(tiny.SCENARIO)
    with empty.writing() as connection:
        connection.execute(
            insert(schema.revisions).values(
                number=1,
                name=scenario.name,
                loaded_at="2027-01-01T00:00:00.000000Z",
                fingerprint=scenario.fingerprint,
                scenario=scenario.model_dump_json(),
                opening_stock=False,
            )
        )
    assert upgrade(empty) == ("0001", head_revision())
    empty.engine.dispose()
    store = open_store(store_url)
    try:
        with store.writing() as connection:
            add_user(connection, "olena", "maker", ["admin"], PASSWORD, actor=ADMIN)
        with store.reading() as connection:
            assert verify(connection).count == 1
    finally:
        store.engine.dispose()


def test_a_name_or_password_that_is_not_text_fails_like_a_wrong_one(olena: Store) -> None:
    # What a client's JSON can send: NUL and lone surrogates, which neither database stores.
    with olena.writing() as connection:
        assert authenticate(connection, "ol\x00ena\ud800", "pass\ud800word!") is None
        assert authenticate(connection, "olena", PASSWORD + "\ud800") is None
    with olena.reading() as connection:
        failed = [e for e in read_entries(connection) if e.action == "login.failed"]
        assert verify(connection).count == 4
    assert [e.target for e in failed] == ["ol\\x00ena\\ud800", "olena"]
    message = refusal(olena, "petro", "maker", ["viewer"], "long enough \ud800 but")
    assert "password: it holds a lone surrogate" in message
