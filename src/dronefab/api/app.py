"""The application factory: :func:`create_app` over a store, the API under ``/api/v1``.

The OpenAPI document is ``/api/v1/openapi.json``; FastAPI's documentation pages are off (they
load their scripts from a CDN, and a site's laptop has no internet: ACCESS.md, issue 13).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from dronefab import __version__
from dronefab.api import admin, auth, errors, events, plans, records, sites
from dronefab.api.limiter import LoginLimiter
from dronefab.api.settings import PREFIX, ApiSettings
from dronefab.storage.database import Store, open_store

DESCRIPTION = """The programme's record, each organisation seeing what it needs to know
(ACCESS.md). Sign in with `POST /api/v1/token` (form fields `username`, `password`), then send
`Authorization: Bearer TOKEN`. Lists answer `{"items": [...], "next": CURSOR or null}`."""


def create_app(store: Store | str | None = None, settings: ApiSettings | None = None) -> FastAPI:
    """The service's application.

    Parameters
    ----------
    store
        An open store, or its URL (None: ``$DRONEFAB_DB``, else ``sqlite:///dronefab.db``),
        opened now so that a missing or old schema is refused before serving.
    settings
        Token lifetime, sign-in limits (default :class:`ApiSettings`).

    Raises
    ------
    StoreUnavailableError
        If the store cannot be opened or its schema is not current.
    """
    opened = store if isinstance(store, Store) else open_store(store)
    app = FastAPI(
        title="dronefab",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    chosen = settings or ApiSettings()
    app.state.store = opened
    app.state.settings = chosen
    app.state.limiter = LoginLimiter(chosen.login_failures, chosen.login_window)
    api = APIRouter(prefix=PREFIX)
    for module in (auth, sites, records, events, plans, admin):
        api.include_router(module.router)
    app.include_router(api)
    errors.install(app)
    return app
