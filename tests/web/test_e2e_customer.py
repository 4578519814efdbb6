"""End to end in a real headless Chromium (issue 13, web): a customer's supervisor signs in,
checks its deliveries (the weekly plot drawn under the pages' Content-Security-Policy, only its
own shipments listed) and records an acceptance, on SQLite and PostgreSQL. The browser and the
server are tests/web/test_e2e.py's fixtures (skipped, or failed under
DRONEFAB_REQUIRE_CHROMIUM=1, as there when Chromium or playwright is missing)."""

from __future__ import annotations

from typing import Any

import pytest

from .test_e2e import page, script_problems, served, sign_in

__all__ = ["page", "served"]

pytestmark = pytest.mark.slow


def test_a_customer_checks_its_deliveries_and_records_an_acceptance(page: Any) -> None:
    problems = script_problems(page)
    page.goto("/customer")
    sign_in(page, "guard-supervisor")
    page.wait_for_url("**/customer")
    page.wait_for_selector(".chart .plot-container", timeout=10_000)  # plotly drew it
    table = page.inner_text("#shipments")
    assert "north-s9" in table and "N1" in table
    assert "s1" not in table.split() and "army" not in table  # another customer's
    page.select_option("select[name=shipment]", "north-s9")
    page.fill("textarea[name=accepted]", "N1")
    page.click("#acceptance button[type=submit]")
    page.wait_for_selector("p.notice")
    assert "recorded" in page.inner_text("p.notice")
    assert "N1" in page.inner_text("#shipments")
    assert "awaiting acceptance" not in page.inner_text("#shipments")
    assert problems == [], "\n".join(problems)  # no script error, no policy violation
