"""Ids in chart labels are text: a site ``<b>x</b>`` is not bold, ``<a href=...>`` not a link.

Plotly reads a subset of HTML in axis labels, legends, titles and hover text. Every report page
is made from a scenario whose ids are such tags, and no label of any figure may hold one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest
import yaml
from typer.testing import CliRunner

import hostile_scenario as hostile
from dronefab.cli.main import app
from dronefab.report.figures import inert_labels
from hostile_scenario import hostile_document, renamed

BOLD, LINK = "<b>x</b>", '<a href="http://x">y</a>'
SITES = (BOLD, LINK)
CUSTOMER, PRODUCT, PART, SUPPLIER = "<i>c</i>", "<sup>p</sup>", "<u>part</u>", "<s>supplier</s>"
TAG = re.compile(r"<(b|a|i|sup|u|s)[\s>]")
ID_TAGS = re.compile(
    r'<b>x</b>|<a href="http://x">|<i>c</i>|<sup>p</sup>|<u>part</u>|<s>supplier</s>'
)


def document() -> dict[str, Any]:
    """The small network of ``tests/hostile.py`` with the ids above."""
    names = {
        hostile.SITE_A: BOLD,
        hostile.SITE_B: LINK,
        hostile.CUSTOMER: CUSTOMER,
        hostile.PRODUCT: PRODUCT,
        hostile.PART: PART,
        hostile.SUPPLIER: SUPPLIER,
    }
    return dict(renamed(hostile_document(), names))


def run(*args: str | Path) -> None:
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every report page of the hostile scenario: plan, simulation, risk, buffers, design."""
    root = tmp_path_factory.mktemp("labels")
    scenario = root / "s.yaml"
    scenario.write_text(yaml.safe_dump(document(), sort_keys=False), encoding="utf-8")
    run("plan", scenario, "--out", root / "plan")
    run("simulate", scenario, "--plan", root / "plan", "--runs", "8", "--out", root / "sim")
    run("risk", scenario, "--out", root / "risk")
    run("buffers", scenario, "--plan", root / "plan", "--check-runs", "8", "--out", root / "buf")
    run("design", scenario, "--scenarios", "4", "--out", root / "design")
    out = {}
    for folder in ("plan", "sim", "risk", "buf", "design"):
        run("report", root / folder, "--out", root / f"{folder}.html")
        out[folder] = (root / f"{folder}.html").read_text(encoding="utf-8")
    return out


def figures_of(page: str) -> list[dict[str, Any]]:
    """The figures a report page embeds, decoded from its ``Plotly.newPlot`` calls."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*", page):
        data, end = decoder.raw_decode(page, match.end())
        rest = page[end:].lstrip(", \n")
        layout, _ = decoder.raw_decode(rest)
        found.append({"data": data, "layout": layout})
    return found


def labels(figure: dict[str, Any]) -> list[str]:
    """Every label string of a figure: trace names, categories, titles and annotations."""
    out: list[str] = []
    for trace in figure["data"]:
        out += [trace["name"]] if isinstance(trace.get("name"), str) else []
        for key in ("x", "y", "labels"):
            out += [v for v in trace.get(key) or [] if isinstance(v, str)]
    layout = figure["layout"]
    out += [a.get("text", "") for a in layout.get("annotations", [])]
    out += [str(layout.get("title", {}).get("text", ""))]
    for key, axis in layout.items():
        if re.fullmatch(r"[xy]axis\d*", key):
            out.append(str((axis.get("title") or {}).get("text", "")))
    return out


@pytest.mark.parametrize("page", ["plan", "sim", "risk", "buf", "design"])
def test_no_label_of_any_figure_is_html(pages: dict[str, str], page: str) -> None:
    figures = figures_of(pages[page])
    assert figures, f"the {page} page embeds no figure"
    shown = [label for figure in figures for label in labels(figure)]
    assert [label for label in shown if TAG.search(label)] == []
    if page != "design":  # its charts are of costs and days; the sites are in the hover
        assert any("&lt;" in label for label in shown), "the ids must be in the labels, as text"
    # hover texts keep their own <b> and <br>, around ids that are escaped
    hovers = [
        text
        for figure in figures
        for trace in figure["data"]
        for text in (trace.get("text") or [])
        if isinstance(text, str)
    ]
    assert [text for text in hovers if ID_TAGS.search(text)] == []


def test_no_id_is_a_live_tag_anywhere_in_the_page(pages: dict[str, str]) -> None:
    for name, page in pages.items():
        decoded = page
        for escaped, plain in (
            ("\\u003c", "<"),
            ("\\u003e", ">"),
            ("\\u0026", "&"),
            ("\\u002f", "/"),
            ("\\/", "/"),
        ):
            decoded = decoded.replace(escaped, plain)
        decoded = decoded.replace('\\"', '"')  # the JSON of the figures, as plotly will read it
        assert ID_TAGS.findall(decoded) == [], name


def test_inert_labels_leaves_hover_text_and_numbers_alone() -> None:
    figure = go.Figure(
        go.Bar(
            x=[BOLD, LINK],
            y=[1, 2],
            name=LINK,
            text=["<b>&lt;b&gt;x&lt;/b&gt;</b><br>1 unit", "2"],
            hovertemplate="%{text}<extra></extra>",
        )
    )
    figure.update_layout(title={"text": f"Plan of {BOLD}"}, xaxis={"title": {"text": "site & co"}})
    spec = inert_labels(figure).to_plotly_json()
    trace = spec["data"][0]
    assert list(trace["x"]) == ["&lt;b&gt;x&lt;/b&gt;", '&lt;a href="http://x"&gt;y&lt;/a&gt;']
    assert list(trace["y"]) == [1, 2]
    assert trace["name"] == '&lt;a href="http://x"&gt;y&lt;/a&gt;'
    assert list(trace["text"]) == ["<b>&lt;b&gt;x&lt;/b&gt;</b><br>1 unit", "2"]
    assert spec["layout"]["title"]["text"] == "Plan of &lt;b&gt;x&lt;/b&gt;"
    assert spec["layout"]["xaxis"]["title"]["text"] == "site &amp; co"


def test_inert_labels_makes_a_legend_group_inert() -> None:
    figure = go.Figure(go.Scatter(x=[1], y=[2], name=BOLD, legendgroup=BOLD))
    trace = inert_labels(figure).data[0]
    assert trace.legendgroup == trace.name == "&lt;b&gt;x&lt;/b&gt;"
