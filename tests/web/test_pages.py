"""The pages per organisation (issue 13, web): each shows what ACCESS.md lets the user see, a
record they may not know of answers 404 and its ids never appear in the HTML."""

from __future__ import annotations

import pytest

from .conftest import World, signed_in


def test_the_programme_dashboard_shows_kpis_with_charts_and_every_site(api_world: World) -> None:
    html = signed_in(api_world, "prog", "viewer").get("/").text
    for site in ("hub", "ws", "north", "south"):
        assert f'href="/sites/{site}"' in html
    assert html.count('data-figure="') == 2
    assert "/static/plotly.min.js" in html
    assert "militia" in html and "army" in html


def test_a_customer_sees_its_own_kpis_and_only_the_sites_that_shipped_to_it(
    api_world: World,
) -> None:
    html = signed_in(api_world, "guard", "viewer").get("/").text
    assert 'href="/sites/north"' in html
    for hidden in ("hub", "ws", "south", "South works", "army"):
        assert hidden not in html, hidden
    assert "militia" in html


def test_a_supplier_sees_no_kpis(api_world: World) -> None:
    html = signed_in(api_world, "cellco", "viewer").get("/").text
    assert "does not see the network" in html
    assert 'data-figure="' not in html
    assert "north" not in html and "militia" not in html


@pytest.mark.parametrize(
    ("org", "site", "status"),
    [("prog", "north", 200), ("opa", "north", 200), ("opb", "north", 200), ("da", "south", 200),
     ("guard", "south", 404), ("guard", "nowhere", 404), ("cellco", "ws", 404),
     ("forces", "north", 404)],
)  # fmt: skip
def test_a_site_page_answers_as_the_site_is_known(
    api_world: World, org: str, site: str, status: int
) -> None:
    answer = signed_in(api_world, org, "viewer").get(f"/sites/{site}")
    assert answer.status_code == status
    if status == 404:  # the page names only the path asked for (in its language links)
        assert "works" not in answer.text  # the sites' names: "North works", "South works"
        assert f'href="/sites/{site}"' not in answer.text
        assert "Not found" in answer.text


def test_an_operator_sees_another_operators_site_but_none_of_its_records(api_world: World) -> None:
    own = signed_in(api_world, "opa", "viewer").get("/sites/north").text
    other = signed_in(api_world, "opb", "viewer").get("/sites/north").text
    for record in ("F9", "north-c9", "Distance to the front"):
        assert record in own
        assert record not in other
    assert "North works" in other
    # frame F9: 5 received, 2 consumed by north-c9; screws: 20 opening, 8 consumed
    assert '<td>frame</td><td>F9</td><td class="n">3</td><td class="n">0</td>' in own
    assert '<td>screw</td><td></td><td class="n">12</td>' in own


def test_a_customer_traces_its_serial_without_lots_or_suppliers(api_world: World) -> None:
    html = signed_in(api_world, "guard", "viewer").get("/trace?serial=N1").text
    assert "flight" in html
    for hidden in ("F9", "frameco", "P3", "C1", "cellco"):
        assert hidden not in html, hidden
    other = signed_in(api_world, "forces", "viewer").get("/trace?serial=N1")
    assert other.status_code == 404
    assert "flight" not in other.text


def test_the_programme_sees_the_as_built_tree_and_where_a_lot_is_used(api_world: World) -> None:
    client = signed_in(api_world, "prog", "viewer")
    tree = client.get("/trace?serial=N1").text
    for part in ("F9", "P3", "C1", "frameco"):
        assert part in tree, part
    recall = client.get("/recall?item=cell&lot=C1").text
    assert "N1" in recall and "N2" in recall and "militia" in recall


def test_a_customer_sees_its_own_deliveries_only(api_world: World) -> None:
    html = signed_in(api_world, "guard", "viewer").get("/deliveries").text
    assert "north-s9" in html and "DO-N1" in html
    assert "DO-W1" not in html and "army" not in html
    nothing = signed_in(api_world, "cellco", "viewer").get("/deliveries").text
    assert "north-s9" not in nothing and "DO-" not in nothing
