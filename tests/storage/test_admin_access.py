"""The users and audit readers of storage/access/admin.py, on SQLite and PostgreSQL: every
organisation role x user role of tests/storage/access_world.py gets what ACCESS.md says (admins:
the programme's every organisation's users and entries, the others their own; non-admins 403),
and no answer or refusal names a user or organisation it may not know of."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dronefab.errors import UsageError
from dronefab.storage.access import NotAllowed, NotVisible, Principal, principal_for
from dronefab.storage.access import admin as readers
from dronefab.storage.audit import Actor, append
from dronefab.storage.database import Store
from dronefab.storage.tokens import issue_token, token_user
from dronefab.storage.users import UserRefusedError, add_user, authenticate

from . import access_world as world
from .tampering import run_sql, tamper

ROLES = ("viewer", "supervisor", "inspector", "admin")
PASSWORD = "correct horse battery staple"


def name_of(org: str, role: str) -> str:
    return f"{org}-{role}"


@pytest.fixture
def admin_world(store: Store, tmp_path: Path) -> Iterator[Store]:
    """The access world with a user of every organisation x (viewer, supervisor, inspector,
    admin), and an audit entry of no organisation (the command line's)."""
    world.build(store, tmp_path)
    with store.writing() as connection:
        for org in world.ORGANIZATIONS:
            for role in ROLES:
                add_user(connection, name_of(org, role), org, [role], PASSWORD, actor=Actor.cli())
        append(connection, Actor.cli(), "db.load", "scenario.yaml")
    yield store


def principal(store: Store, org: str, role: str) -> Principal:
    with store.reading() as connection:
        return principal_for(connection, org, {role}, name_of(org, role))


CASES = [(org, role) for org in world.ORGANIZATIONS for role in ROLES]


def test_users_and_audit_readers_answer_each_org_and_role_its_part(admin_world: Store) -> None:
    for org, role in CASES:  # one world for every case: building it is the cost
        _check_one(admin_world, org, role)
    _check_pages_and_filters(admin_world)


def _check_one(admin_world: Store, org: str, role: str) -> None:
    who = principal(admin_world, org, role)
    programme = world.ORGANIZATIONS[org] == "programme"
    with admin_world.reading() as connection:
        if role != "admin":
            for reader in (readers.list_users, readers.audit_entries, readers.chain_state):
                with pytest.raises(NotAllowed):
                    reader(who, connection)
            with pytest.raises(NotAllowed):
                readers.get_user(who, connection, name_of(org, "viewer"))
            return
        listed = readers.list_users(who, connection, limit=1000).items
        entries = readers.audit_entries(who, connection, limit=1000).items
        others = {o for o in world.ORGANIZATIONS if o != org}
        expected = {
            name_of(o, r) for o in (world.ORGANIZATIONS if programme else [org]) for r in ROLES
        }
        assert {u["name"] for u in listed} == expected
        assert entries, "an admin sees at least the entries of its users' creation"
        orgs_seen = {e["organization"] for e in entries}
        if programme:
            assert None in orgs_seen and set(world.ORGANIZATIONS) <= orgs_seen
            assert readers.chain_state(who, connection)["ok"] is True
        else:
            assert orgs_seen == {org}
            text = json.dumps([listed, entries])
            assert not any(f'"{o}-' in text or f'"{o}"' in text for o in others), text
            with pytest.raises(NotAllowed):
                readers.chain_state(who, connection)
        for other in sorted(others):
            target = name_of(other, "viewer")
            if programme:
                assert readers.get_user(who, connection, target)["organization"] == other
                continue
            with pytest.raises(NotVisible) as hidden:
                readers.get_user(who, connection, target)
            with pytest.raises(NotVisible) as missing:
                readers.get_user(who, connection, "nobody-at-all")
            assert str(hidden.value) == str(missing.value) == "user not found"


def _check_pages_and_filters(admin_world: Store) -> None:
    who = principal(admin_world, "prog", "admin")
    with admin_world.reading() as connection:
        every = readers.audit_entries(who, connection, limit=1000).items
        seen: list[int] = []
        after = None
        while True:
            page = readers.audit_entries(who, connection, limit=7, after=after)
            seen += [e["seq"] for e in page.items]
            if page.next is None:
                break
            after = int(page.next)
        assert seen == [e["seq"] for e in every] == sorted(seen, reverse=True)
        adds = readers.audit_entries(who, connection, readers.AuditFilter(action="user.add"))
        assert {e["target"] for e in adds.items} == {name_of(o, r) for o, r in CASES}
        by_cli = readers.audit_entries(
            who, connection, readers.AuditFilter(actor=every[0]["actor"])
        )
        assert {e["actor"] for e in by_cli.items} == {every[0]["actor"]}
        future = datetime.now(UTC) + timedelta(days=1)
        assert not readers.audit_entries(who, connection, readers.AuditFilter(since=future)).items
        assert len(
            readers.audit_entries(
                who, connection, readers.AuditFilter(until=future), limit=1000
            ).items
        ) == len(every)


def test_admin_changes_take_effect_and_are_audited(admin_world: Store) -> None:
    admin = principal(admin_world, "maker", "admin")
    target = name_of("maker", "viewer")
    with admin_world.writing() as connection:
        token = issue_token(connection, target)
        added = readers.create_user(admin, connection, "maker-new", "maker", ["planner"], PASSWORD)
        assert added["roles"] == ["planner"] and added["organization"] == "maker"
        readers.set_disabled(admin, connection, target, True)
        assert token_user(connection, token) is None
        readers.set_disabled(admin, connection, target, False)
        assert token_user(connection, token) is not None
        assert readers.set_roles(admin, connection, target, ["supervisor", "viewer"])["roles"] == [
            "viewer",
            "supervisor",
        ]
        readers.reset_password(admin, connection, target, "another long passphrase")
        assert token_user(connection, token) is None  # every session of theirs revoked
        assert authenticate(connection, target, "another long passphrase") is not None
    with admin_world.reading() as connection:
        actions = [
            e["action"]
            for e in readers.audit_entries(admin, connection, limit=50).items
            if e["target"] in (target, "maker-new") and e["actor"] == admin.name
        ]
        assert sorted(actions) == sorted(
            ["user.add", "user.disable", "user.enable", "user.roles", "user.password"]
        )
        details = json.dumps(readers.audit_entries(admin, connection, limit=1000).items)
        assert "another long passphrase" not in details and PASSWORD not in details


REFUSALS = [
    (lambda a, c: readers.set_disabled(a, c, a.name, True), "disabled"),
    (lambda a, c: readers.set_roles(a, c, a.name, ["viewer"]), "roles"),
    (lambda a, c: readers.set_roles(a, c, "forces-viewer", ["planner"]), "roles"),
    (lambda a, c: readers.reset_password(a, c, "forces-viewer", "tiny-pw"), "password"),
    (lambda a, c: readers.create_user(a, c, "Bad Name", "forces", ["viewer"], PASSWORD), "name"),
]


def test_a_refused_change_names_its_field_and_writes_nothing(admin_world: Store) -> None:
    admin = principal(admin_world, "forces", "admin")
    with admin_world.reading() as connection:
        before = len(readers.audit_entries(admin, connection, limit=1000).items)
    for change, field in REFUSALS:
        with pytest.raises(UserRefusedError) as refused, admin_world.writing() as connection:
            change(admin, connection)
        assert [f for f, _ in refused.value.problems] == [field]
        assert "tiny-pw" not in str(refused.value)  # a password is never repeated back
    with admin_world.reading() as connection:
        assert len(readers.audit_entries(admin, connection, limit=1000).items) == before


def test_an_admin_changes_no_user_of_another_organisation_and_languages(
    admin_world: Store,
) -> None:
    admin = principal(admin_world, "opa", "admin")
    with admin_world.writing() as connection:
        with pytest.raises(NotVisible):
            readers.set_disabled(admin, connection, "opb-viewer", True)
        with pytest.raises(NotVisible):
            readers.reset_password(admin, connection, "opb-viewer", "a long new password")
        with pytest.raises(NotAllowed):
            readers.create_user(admin, connection, "opb-extra", "opb", ["viewer"], PASSWORD)


def test_the_chain_state_names_the_first_bad_entry(admin_world: Store) -> None:
    tamper(admin_world, run_sql("UPDATE audit SET target = 'someone-else' WHERE seq = 3"))
    with admin_world.reading() as connection:
        state = readers.chain_state(principal(admin_world, "prog", "admin"), connection)
    assert state["ok"] is False and state["seq"] == 3
    with admin_world.writing() as connection:
        assert readers.language_of(connection, "guard-viewer") is None
        readers.set_language(connection, "guard-viewer", "uk")
        assert readers.language_of(connection, "guard-viewer") == "uk"
        with pytest.raises(UsageError, match="language: got 'xx'"):
            readers.set_language(connection, "guard-viewer", "xx")
