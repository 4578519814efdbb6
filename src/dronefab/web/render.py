"""Pages rendered with Jinja2 (autoescape on: every text a user or a scenario gave is escaped)
in the request's language, with the pages' Content-Security-Policy.

Nothing of a user's goes into a script: a chart's figure travels as JSON in a ``data-figure``
attribute (escaped as any attribute is) and ``static/app.js`` draws it. The policy allows
scripts, styles and images from this server only, so no inline script runs and nothing loads
from elsewhere (no CDN: a site's laptop has no internet).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from dronefab.api.auth import Caller, store_of
from dronefab.storage.access.admin import language_of as stored_language
from dronefab.web import i18n
from dronefab.web.charts import EMPTY_STYLE
from dronefab.web.session import csrf_of

TEMPLATES = Path(__file__).parent / "templates"

PAGE_POLICY = (
    f"default-src 'none'; script-src 'self'; style-src 'self' {EMPTY_STYLE}; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
"""The pages' Content-Security-Policy."""


@cache
def environment() -> Environment:
    """The templates' environment (autoescaping every ``.html`` template)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["figure"] = figure_json
    env.filters["number"] = number
    return env


def figure_json(figure: dict[str, Any]) -> str:
    """A plotly figure as the JSON of a ``data-figure`` attribute."""
    return json.dumps(figure, separators=(",", ":"), default=str)


def number(value: Any) -> str:
    """A quantity as the pages show it: whole numbers without ``.0``, nothing known as a dash."""
    if value is None:
        return "\u2014"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    if isinstance(value, float):
        return f"{value:,.2f}".replace(",", "\u202f")
    return str(value)


def language_of(request: Request) -> str:
    """The request's language: the signed-in user's stored choice, else
    :func:`dronefab.web.i18n.choose` (the chooser's cookie, else the browser's preference)."""
    chosen = getattr(request.state, "language", None)
    caller = getattr(request.state, "caller", None)
    if chosen is None and caller is not None:
        with store_of(request).reading() as connection:
            chosen = stored_language(connection, caller.name) or ""
        request.state.language = chosen  # once a request: an error page asks again
    if chosen:
        return str(chosen)
    return i18n.choose(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    caller: Caller | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The page ``template`` rendered for ``request`` in its language.

    The template sees ``_`` and ``ngettext`` (the language's), ``lang``, ``languages``,
    ``user`` (the signed-in ``caller``, or None), ``csrf`` (their CSRF token) and ``here``
    (the page's path, for the language chooser).
    """
    lang = language_of(request)
    words = i18n.translator(lang)
    query = f"?{request.url.query}" if request.url.query else ""
    values: dict[str, Any] = {
        "_": words.gettext,
        "gettext": words.gettext,
        "ngettext": words.ngettext,
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "user": caller,
        "csrf": None if caller is None else csrf_of(caller.token),
        "here": request.url.path + query,
        **(context or {}),
    }
    html = environment().get_template(template).render(values)
    headers = {"Content-Security-Policy": PAGE_POLICY, "Content-Language": lang}
    return HTMLResponse(html, status_code=status, headers=headers)
