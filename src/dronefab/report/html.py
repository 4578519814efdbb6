"""HTML building blocks of the reports: the page, its stylesheet, tables, cards and numbers.

Styles are inline; the charting library is one ``plotly.min.js`` beside the pages of a folder
(:func:`write_page`), so a report folder opens offline. Text is escaped on the way in.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from plotly.offline import get_plotlyjs

from dronefab.files import write_bytes, write_text

CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --panel: #ffffff; --page: #f4f6f8;
  --accent: #2f6fab; --good: #1e7d46; --warn: #b7791f; --bad: #c0392b; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: #15314f; color: #fff; padding: 28px 0 20px; }
header h1 { margin: 0 0 4px; font-size: 28px; font-weight: 600; }
header p { margin: 0; color: #c9d6e3; }
nav { margin-top: 14px; font-size: 14px; }
nav .related { color: #c9d6e3; margin-right: 10px; }
nav a { color: #dbe7f3; margin-right: 18px; text-decoration: none; border-bottom: 1px dotted #8fb0d0; }
.wrap { max-width: 1240px; margin: 0 auto; padding: 0 24px; }
main section { margin: 28px 0 36px; }
h2 { font-size: 21px; font-weight: 600; margin: 0 0 6px; }
h3 { font-size: 16px; font-weight: 600; margin: 20px 0 6px; }
p.lead { margin: 0 0 14px; color: var(--muted); }
p.caption { margin: 6px 2px 0; color: var(--muted); font-size: 13.5px; }
p.note { background: #eaf4ec; border-left: 4px solid var(--good); padding: 10px 14px; margin: 8px 0; }
p.missing { background: #fdecea; border-left-color: var(--bad); }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(270px, 1fr)); gap: 16px; }
.cards.wide { grid-template-columns: 3fr 2fr; margin-top: 16px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; }
.card h3 { margin: 0 0 2px; font-size: 15px; color: var(--muted); font-weight: 600; }
.big { font-size: 40px; font-weight: 700; line-height: 1.15; letter-spacing: -0.5px; }
.big.good { color: var(--good); } .big.warn { color: var(--warn); } .big.bad { color: var(--bad); }
.sub { color: var(--muted); font-size: 13px; margin-bottom: 10px; }
.split { display: flex; height: 10px; border-radius: 5px; overflow: hidden; background: var(--line); margin: 6px 0 10px; }
.split span { display: block; height: 100%; }
.kv { width: 100%; border-collapse: collapse; font-size: 14px; }
.kv td { padding: 2px 0; border: 0; }
.kv td:first-child { white-space: nowrap; padding-right: 12px; }
.kv td:last-child { text-align: right; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.kv.costs td.track { width: 45%; padding: 0 14px; }
.kv.costs td:nth-child(3) { width: 1%; white-space: nowrap; }
.kv.costs td:last-child { width: 48px; color: var(--muted); }
.bar { display: block; height: 9px; background: #8fb0d0; border-radius: 2px; min-width: 1px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 600; }
.badge.good { background: #d8f0e0; color: var(--good); } .badge.warn { background: #fbecd0; color: #8a5a10; }
.badge.bad { background: #f8d9d5; color: var(--bad); }
table.data { width: 100%; border-collapse: collapse; font-size: 14px; background: var(--panel); }
table.data th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 2px solid var(--line);
  padding: 7px 10px; white-space: nowrap; }
table.data td { padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.data tbody tr:nth-child(even) { background: #f9fbfc; }
table.data .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.data tfoot td { font-weight: 700; border-top: 2px solid var(--line); border-bottom: 0; }
table.data td.nowrap { white-space: nowrap; }
table.data td.detail { color: #3e4c59; font-size: 13.5px; }
.figure { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 6px; }
details { margin-top: 14px; }
details summary { cursor: pointer; color: var(--accent); font-weight: 600; margin-bottom: 8px; }
footer { color: var(--muted); font-size: 13px; padding: 10px 0 30px; }
@media (max-width: 800px) { .cards.wide { grid-template-columns: 1fr; } }
@media print { header { background: #fff; color: #000; } nav { display: none; }
  .figure, .card, .panel { break-inside: avoid; } }
"""


def escape(value: object) -> str:
    """``value`` as HTML text."""
    return html.escape(str(value))


def units(value: float) -> str:
    """A unit count with thousands separators: ``12,865`` (``<1`` for a fraction of one)."""
    if not math.isfinite(value):
        return "–"
    if 1e-6 < abs(value) < 0.5:  # continuous plans have fractions of a unit
        return "<1"
    return f"{value:,.0f}"


def money(value: float) -> str:
    """An amount of money, compact: ``75.8 M``, ``612 k``, ``950``."""
    size = abs(value)
    if size >= 1e9:
        return f"{value / 1e9:,.2f} bn"
    if size >= 1e6:
        return f"{value / 1e6:,.1f} M"
    if size >= 1e4:
        return f"{value / 1e3:,.0f} k"
    return f"{value:,.0f}"


def percent(value: float) -> str:
    """A share as a percentage with one decimal: ``78.8%`` (``<0.1%`` for a sliver)."""
    if 0 < value < 0.0005:
        return "<0.1%"
    return f"{value:.1%}"


def day(value: date) -> str:
    """A date as a reader writes it: ``4 Jan 2027``."""
    return f"{value.day} {value:%b %Y}"


def rating(fill_rate: float) -> str:
    """``good`` from 95 %, ``warn`` from 80 %, else ``bad`` (a CSS class)."""
    if fill_rate >= 0.95:
        return "good"
    return "warn" if fill_rate >= 0.80 else "bad"


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    numeric: Iterable[int] = (),
    footer: Sequence[object] | None = None,
    attributes: str = "",
    classes: dict[int, str] | None = None,
) -> str:
    """An HTML table; columns listed in ``numeric`` are right-aligned.

    Parameters
    ----------
    header
        Column titles.
    rows
        Cell values (escaped).
    numeric
        Indexes of the right-aligned (number) columns.
    footer
        A totals row, or None.
    attributes
        Extra attributes of the ``<table>`` tag (markup).
    classes
        CSS class of the cells of a column, by index.
    """
    right = set(numeric)
    extra = dict(classes or {})

    def cell(tag: str, index: int, value: object) -> str:
        names = " ".join(n for n in ("num" if index in right else "", extra.get(index, "")) if n)
        attr = f' class="{names}"' if names else ""
        return f"<{tag}{attr}>{escape(value)}</{tag}>"

    head = "".join(cell("th", n, v) for n, v in enumerate(header))
    body = "\n".join(
        "<tr>" + "".join(cell("td", n, v) for n, v in enumerate(row)) + "</tr>" for row in rows
    )
    foot = ""
    if footer is not None:
        foot = "<tfoot><tr>" + "".join(cell("td", n, v) for n, v in enumerate(footer))
        foot += "</tr></tfoot>"
    space = " " if attributes else ""
    return (
        f'<table class="data"{space}{attributes}><thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>{foot}</table>"
    )


def key_values(rows: Iterable[tuple[str, str]]) -> str:
    """The rows of a card's two-column table, text escaped; labels wrap, figures do not."""
    return "".join(
        f'<tr><td style="white-space:normal">{escape(k)}</td>'
        f'<td style="white-space:nowrap;padding-left:8px">{escape(v)}</td></tr>'
        for k, v in rows
    )


def card(
    title: str,
    big: str = "",
    *,
    tone: str = "",
    sub: str = "",
    rows: Iterable[tuple[str, str]] = (),
    body: str = "",
    attributes: str = "",
    big_attributes: str = "",
) -> str:
    """A headline card: a title, a big figure, a line under it, then ``body`` (HTML) and a
    two-column table of ``rows`` (:func:`key_values`).

    ``big`` and ``body`` are HTML (escape text first); ``title`` and ``sub`` are text.
    ``tone`` colours the big figure (``good``, ``warn``, ``bad``); ``attributes`` and
    ``big_attributes`` are extra HTML attributes (e.g. ``data-*`` for tests and scripts) of the
    card and of its big figure.
    """
    table = key_values(rows)
    parts = [f'<div class="card"{" " + attributes if attributes else ""}>']
    parts.append(f"<h3>{escape(title)}</h3>")
    if big:
        extra = f" {big_attributes}" if big_attributes else ""
        css = f"big {tone}" if tone else "big"
        parts.append(f'<div class="{css}"{extra}>{big}</div>')
    if sub:
        parts.append(f'<div class="sub">{escape(sub)}</div>')
    parts.append(body)
    if table:
        parts.append(f'<table class="kv">{table}</table>')
    parts.append("</div>")
    return "".join(parts)


def section(anchor: str, title: str, lead: str, body: str) -> str:
    """A report section: heading (with an anchor for the contents), one-line lead, body."""
    return (
        f'<section id="{anchor}">\n<h2>{escape(title)}</h2>\n'
        f'<p class="lead">{escape(lead)}</p>\n{body}\n</section>'
    )


PLOTLY_FILE = "plotly.min.js"
"""The charting library, written once into the folder of the pages that load it."""
NO_PLOTLY = (
    f"The charts did not load: they need {PLOTLY_FILE}, which dronefab writes beside this page. "
    "Copy the whole folder, not this page alone, or write the report again with "
    "'dronefab report'."
)


def write_plotly(folder: str | os.PathLike[str]) -> Path:
    """Write ``plotly.min.js`` (of the installed plotly) into ``folder`` unless it is there.

    Pages load it from beside them (``<script src="plotly.min.js">``): one copy for every page
    of a folder instead of 5 MB inlined into each, and still nothing to download.
    """
    target = Path(folder) / PLOTLY_FILE
    script = get_plotlyjs()
    data = script.encode("utf-8")
    if not (
        target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data
    ):
        write_bytes(target, data)
    return target


def write_page(target: str | os.PathLike[str], text: str) -> Path:
    """Write a page made by :func:`page` (atomically) and the plotly file beside it."""
    path = Path(target)
    write_text(path, text)
    write_plotly(path.parent)
    return path


def page(
    title: str,
    subtitle: str,
    contents: Sequence[tuple[str, str]],
    sections: Sequence[str],
    footer: str,
    links: Sequence[tuple[str, str]] = (),
) -> str:
    """The whole document: styles inline, plotly loaded from ``plotly.min.js`` beside it
    (:func:`write_page` writes it), so it works offline and a folder holds one copy.

    Parameters
    ----------
    title, subtitle
        The banner text.
    contents
        ``(anchor, title)`` of each section, for the navigation bar.
    sections
        The sections' markup, in order.
    footer
        Text of the page footer.
    links
        ``(label, href)`` of related reports (e.g. the risk analysis beside a plan report),
        shown as a second navigation line.
    """
    nav = "".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in contents)
    if links:
        related = "".join(f'<a href="{escape(h)}">{escape(t)}</a>' for t, h in links)
        nav += f'<br><span class="related">Related reports:</span> {related}'

    body = "\n".join(sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{CSS}</style>
<script type="text/javascript" src="{PLOTLY_FILE}" charset="utf-8"></script>
</head>
<body>
<header><div class="wrap">
<h1>{escape(title)}</h1>
<p>{escape(subtitle)}</p>
<nav>{nav}</nav>
</div></header>
<main class="wrap">
<p id="no-plotly" class="note missing" hidden>{escape(NO_PLOTLY)}</p>
<script>if (typeof window.Plotly === "undefined") {{
document.getElementById("no-plotly").hidden = false; }}</script>
{body}
</main>
<footer class="wrap">{escape(footer)}</footer>
</body>
</html>
"""
