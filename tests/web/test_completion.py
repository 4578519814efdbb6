"""The site page's completion form (issue 13, web): a supervisor records a completion through
the path of POST /api/v1/events; a refused form records nothing and names each field; the
form takes its CSRF token and the right to record at the site. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from dronefab.storage import schema

from .conftest import World, csrf_of_page, signed_in

EVENT = 'name="event" value="'


def event_count(world: World) -> int:
    with world.store.reading() as connection:
        return int(connection.execute(select(func.count()).select_from(schema.events)).scalar_one())


def form_of(page: str, **values: str) -> dict[str, str]:
    event = page.split(EVENT, 1)[1].split('"', 1)[0]
    return {"csrf": csrf_of_page(page), "event": event, **values}


DRONE = {
    "item": "drone",
    "serials": "W7\r\n",
    "consumed": "frame F9 1\npack P3 1\nscrew 4\n",
    "firmware": "2.1",
}


def test_a_supervisor_records_a_completion_once(api_world: World) -> None:
    client = signed_in(api_world, "opa", "supervisor")
    page = client.get("/sites/north").text
    assert "autofocus" in page and "data-scan" in page
    data = form_of(page, **DRONE)
    answer = client.post("/sites/north/completion", data=data)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/sites/north?recorded={data['event']}"
    shown = client.get(answer.headers["location"]).text
    assert data["event"] in shown
    count = event_count(api_world)
    again = client.post("/sites/north/completion", data=data)  # a reload sends it again
    assert again.status_code == 303
    assert again.headers["location"] == f"/sites/north?already={data['event']}"
    assert event_count(api_world) == count
    trace = client.get("/trace?serial=W7").text
    assert "F9" in trace and "2.1" in trace
    with api_world.store.reading() as connection:
        e = schema.events.c
        row = connection.execute(select(e.site, e.type).where(e.id == data["event"])).one()
    assert tuple(row) == ("north", "completion")


def test_a_refused_completion_records_nothing_and_names_the_fields(api_world: World) -> None:
    client = signed_in(api_world, "opa", "supervisor")
    before = event_count(api_world)
    page = client.get("/sites/north").text
    bad = form_of(page, item="drone", good="two", consumed="frame F9\n")
    answer = client.post("/sites/north/completion", data=bad)
    assert answer.status_code == 422
    assert "Expected a whole number of good units" in answer.text
    assert "Line 1: expected ITEM LOT QUANTITY" in answer.text
    assert 'value="two"' in answer.text  # what was typed is shown again
    unknown = form_of(page, item="dron", good="1", consumed="screw 4")
    refused = client.post("/sites/north/completion", data=unknown)
    assert refused.status_code == 422
    assert "Nothing was recorded" in refused.text
    assert "dron" in refused.text
    script = form_of(page, item="<script>alert(1)</script>", good="1", consumed="screw 4")
    escaped = client.post("/sites/north/completion", data=script)
    assert escaped.status_code == 422
    assert "<script>alert(1)" not in escaped.text
    assert "&lt;script&gt;alert(1)" in escaped.text
    assert event_count(api_world) == before


def test_the_form_takes_its_csrf_token_and_the_right_to_record(api_world: World) -> None:
    before = event_count(api_world)
    own = signed_in(api_world, "opa", "supervisor")
    page = own.get("/sites/north").text
    data = form_of(page, **DRONE)
    assert own.post("/sites/north/completion", data={**data, "csrf": "x"}).status_code == 403
    viewer = signed_in(api_world, "opa", "viewer")
    viewer_page = viewer.get("/sites/north").text
    assert "/completion" not in viewer_page
    other = signed_in(api_world, "opb", "supervisor")
    other_page = other.get("/sites/north").text
    assert "/completion" not in other_page
    mine = {**DRONE, "csrf": csrf_of_page(other_page), "event": "opb-try"}
    refused = other.post("/sites/north/completion", data=mine)
    assert refused.status_code == 403
    customer = signed_in(api_world, "guard", "supervisor")
    csrf = csrf_of_page(customer.get("/").text)
    hidden = customer.post("/sites/south/completion", data={**DRONE, "csrf": csrf})
    assert hidden.status_code == 404
    assert event_count(api_world) == before


def test_a_long_list_or_a_thousands_comma_is_refused_never_cut_or_misread(
    api_world: World,
) -> None:
    """Review of the change: a serials field over 10,000 characters was cut (its last serial
    recorded wrong), and "screw 1,000" was read as one screw."""
    client = signed_in(api_world, "opa", "supervisor")
    before = event_count(api_world)
    page = client.get("/sites/north").text
    many = "".join(f"W{n:06d}\n" for n in range(1300))  # 10,400 characters
    long = client.post("/sites/north/completion", data=form_of(page, item="drone", serials=many))
    assert long.status_code == 422
    assert "Too long: at most 10,000 characters." in long.text
    comma = form_of(page, item="drone", serials="W8\n", consumed="screw 1,000\n")
    misread = client.post("/sites/north/completion", data=comma)
    assert misread.status_code == 422
    assert "Line 1: expected ITEM LOT QUANTITY" in misread.text
    assert event_count(api_world) == before
