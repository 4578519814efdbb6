"""Ids and names refuse what a terminal would act on or hide: control and bidirectional
characters (issue 19: ESC, NUL and overrides in ids were accepted and printed raw)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dronefab.model.loader import validate_scenario

MINIMAL = Path(__file__).parent / "scenarios" / "minimal.yaml"

UNSEEN = {
    "\x1b": "\\x1b",  # ESC: starts terminal escapes
    "\x00": "\\x00",
    "\x07": "\\x07",
    "\x7f": "\\x7f",
    "\x9b": "\\x9b",  # C1 CSI
    "\u202a": "\\u202a",
    "\u202e": "\\u202e",  # right-to-left override
    "\u2066": "\\u2066",
    "\u2069": "\\u2069",
    "\u200e": "\\u200e",
    "\u200f": "\\u200f",
    "\u061c": "\\u061c",
    "\u2028": "\\u2028",
}


def write(data: dict[str, Any], tmp_path: Path) -> Path:
    target = tmp_path / "scenario.yaml"
    # allow_unicode=False: the dumper writes every such character as a "\e"-style escape
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target


def minimal() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    return data


def lines(path: Path) -> list[str]:
    return [str(problem) for problem in validate_scenario(path).problems]


@pytest.mark.parametrize("char", list(UNSEEN), ids=[repr(c) for c in UNSEEN])
def test_an_id_with_a_control_or_bidi_character_is_refused_and_shown_escaped(
    char: str, tmp_path: Path
) -> None:
    data = minimal()
    data["customers"][0]["id"] = f"ar{char}my"
    found = lines(write(data, tmp_path))
    expected = (
        f"customers[0].id: must not contain control or formatting characters; found "
        f"{UNSEEN[char]} at character 3"
    )
    assert any(line.endswith(expected) for line in found), found
    assert not any(char in line for char in UNSEEN for line in found)


def test_references_and_map_keys_are_ids_too(tmp_path: Path) -> None:
    data = minimal()
    data["demand"][0]["customer"] = "army\u202e"
    data["sites"][0]["initial_inventory"] = {"mo\x1btor": 40}
    data["risks"] = {"sites": {"west\x1b-1": {"strikes_per_year": 1}}}
    found = lines(write(data, tmp_path))
    assert any(
        "demand[0].customer: must not contain control or formatting characters; found \\u202e"
        in line
        for line in found
    ), found
    assert any("sites[0].initial_inventory.mo\\x1btor: must not" in line for line in found), found
    assert any("risks.sites.west\\x1b-1: must not contain" in line for line in found), found
    assert not any(char in line for char in UNSEEN for line in found)


def test_names_refuse_control_and_bidi_characters_but_keep_joiners(tmp_path: Path) -> None:
    data = minimal()
    data["name"] = "demo\x1b[2J"
    data["sites"][0]["name"] = "West \u202eline"
    data["items"][0]["name"] = "Quad\tcopter"
    data["customers"][0]["name"] = "Armed forces \U0001f469\u200d\U0001f527"  # a ZWJ emoji
    found = lines(write(data, tmp_path))
    assert [line.split(" ", 1)[1] for line in found] == [
        "name: must not contain control characters; found \\x1b at character 5",
        "items[0].name: must not contain control characters; found \\x09 at character 5",
        "sites[0].name: must not contain control characters; found \\u202e at character 6",
    ]


def test_a_zero_width_joiner_is_refused_in_an_id(tmp_path: Path) -> None:
    data = minimal()
    data["items"][2]["id"] = "mo\u200dtor"
    found = lines(write(data, tmp_path))
    assert any(
        "items[2].id: must not contain control or formatting characters; found \\u200d" in line
        for line in found
    ), found


def test_an_escape_in_a_csv_id_or_an_unknown_key_is_shown_escaped(tmp_path: Path) -> None:
    data = minimal()
    data["demand"] = "demand.csv"
    data["lanes"][0]["c\x1bost"] = 1
    write(data, tmp_path)
    (tmp_path / "demand.csv").write_text(
        "customer,item,due,quantity\narmy\x1b[31m,quad,2026-02-02,5\n", encoding="utf-8"
    )
    found = lines(tmp_path / "scenario.yaml")
    assert any(
        "demand.csv:2 demand[0].customer: must not contain control" in line and "\\x1b" in line
        for line in found
    ), found
    assert any("unknown key 'c\\x1bost'" in line for line in found), found
    assert all("\x1b" not in line for line in found)


def test_an_id_longer_than_the_record_stores_is_refused(tmp_path: Path) -> None:
    """The record keeps ids of up to 100 characters (EXECUTION.md): a longer one is refused at
    the door, naming the field, not by the database on the first release."""
    data = minimal()
    long = "q" * 101
    data["items"][0]["id"] = long
    data["bom"] = [
        {**row, "parent": long} if row["parent"] == "quad" else row for row in data["bom"]
    ]
    found = lines(write(data, tmp_path))
    assert any(
        line.endswith("items[0].id: must be at most 100 characters long, got 101") for line in found
    ), found
    data["items"][0]["id"] = "q" * 100
    assert not any("items[0].id" in line for line in lines(write(data, tmp_path)))
