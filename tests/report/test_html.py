"""The shared HTML pieces of the report pages (:mod:`dronefab.report.html`)."""

from __future__ import annotations

import re

from dronefab.report.html import card, key_values


def test_a_card_escapes_its_text_and_keeps_its_html() -> None:
    html = card(
        "A & B",
        "<b>42</b>",
        tone="bad",
        sub="less < more",
        rows=[("units <planned>", "1,000")],
        body='<p class="note">raw</p>',
        attributes='data-node="x"',
        big_attributes='data-value="42"',
    )
    assert html.startswith('<div class="card" data-node="x"><h3>A &amp; B</h3>')
    assert '<div class="big bad" data-value="42"><b>42</b></div>' in html
    assert '<div class="sub">less &lt; more</div><p class="note">raw</p>' in html
    assert "units &lt;planned&gt;" in html and html.endswith("</table></div>")


def test_a_card_leaves_out_what_it_is_not_given() -> None:
    html = card("Runs", rows=[("runs", "3")])
    assert 'class="big' not in html and 'class="sub"' not in html
    assert card("Total", "7").count("<table") == 0
    assert '<div class="big">7</div>' in card("Total", "7")


def test_key_values_gives_one_row_per_pair() -> None:
    rows = key_values([("a", "1"), ("b", "2")])
    assert re.findall(r"<td[^>]*>([^<]*)</td>", rows) == ["a", "1", "b", "2"]
