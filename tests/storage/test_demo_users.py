"""The demo's store comes with a user per organisation (issue 13: `dronefab serve` opens it)."""

from __future__ import annotations

from dronefab.model.demo import load_demo
from dronefab.storage.database import Store
from dronefab.storage.demo_record import DEMO_ROLES, add_demo_users
from dronefab.storage.master import store_revision
from dronefab.storage.users import authenticate


def test_every_organisation_gets_a_user_who_can_sign_in(store: Store) -> None:
    scenario = load_demo()
    with store.writing() as connection:
        store_revision(connection, scenario, opening_stock=False)
        users = add_demo_users(connection, scenario)
    assert sorted(u.organization for u, _ in users) == sorted(o.id for o in scenario.organizations)
    roles = {o.id: o.role for o in scenario.organizations}
    with store.writing() as connection:
        for user, password in users:
            assert set(user.roles) == set(DEMO_ROLES[roles[user.organization]])
            assert len(password) >= 16
            signed_in = authenticate(connection, user.name, password)
            assert signed_in is not None and signed_in.organization == user.organization
            assert authenticate(connection, user.name, password + "x") is None
    assert len({password for _, password in users}) == len(users)  # drawn, not shared
