"""End to end in a real headless Chromium (issue 13, the plan page): a planner loads a scenario
revision, plans it, sees its progress reach done and the comparison drawn, asks for its
release; a programme admin approves it; its orders appear at a site. On SQLite and PostgreSQL,
under the pages' Content-Security-Policy (any script error or policy violation fails).

Needs what tests/web/test_e2e.py needs (skipped otherwise, for the same reasons).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dronefab.api import ApiSettings
from dronefab.web import create_service
from storage import access_world

from .conftest import World

# page: the browser, over this module's own `served`
from .test_e2e import page, script_problems, serving, sign_in  # noqa: F401

pytestmark = pytest.mark.slow  # a browser per module: not in the quick subset


@pytest.fixture(scope="module")
def served(api_world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service over the world's store (plans in a test folder), on a loopback port."""
    settings = ApiSettings(plans_dir=tmp_path_factory.mktemp("plans"))
    with serving(create_service(api_world.store, settings)) as url:
        yield url


def sign_in_here(page: Any, user: str) -> None:  # noqa: F811 (the fixture's page, passed on)
    """Sign in, and wait for the page signing in leads to."""
    sign_in(page, user)
    page.wait_for_load_state()


def test_a_planner_plans_and_the_programme_releases(
    page: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    problems = script_problems(page)
    page.goto("/plans")
    sign_in_here(page, "maker-planner")
    page.wait_for_url("**/plans")
    page.set_input_files("#upload input[type=file]", access_world.scenario_file(tmp_path))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("p.done")
    assert "Loaded as revision" in page.inner_text("p.done")
    page.locator("form[action='/plans/start'] button").first.click()  # the newest revision
    page.wait_for_url(re.compile(r".*/plans/\d+$"))
    # app.js polls the plan's status and reloads the page once it is done
    page.wait_for_selector("#plan-status[data-status=done]", timeout=120_000)
    page.wait_for_selector(".chart .plot-container", timeout=10_000)
    assert page.locator(".chart .plot-container").count() == 2
    assert "Compared with the previous plan" in page.inner_text("main")
    plan_url = page.url
    page.click("text=Ask the programme to release this plan")
    page.wait_for_selector("#release-status")
    assert page.inner_text("#release-status") == "Release asked for"
    assert page.locator("#decision").count() == 0  # not for the one who asked
    page.click("nav button[type=submit]")  # sign out
    page.goto(plan_url)
    sign_in_here(page, "prog-admin")
    page.wait_for_url(plan_url)
    page.click("#decision button[value=approve]")
    page.wait_for_selector("p.done")
    released = re.search(r"Released as release (\d+)", page.inner_text("main"))
    assert released is not None
    page.goto("/sites/ws")
    assert f"WO{released.group(1)}-" in page.inner_text("main")
    assert problems == [], "\n".join(problems)
