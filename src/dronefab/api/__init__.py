"""The service's REST API (ACCESS.md, "The API"), under ``/api/v1``.

:func:`create_app` builds the FastAPI application over a store; :func:`current_user` and
:func:`reading` are the dependencies the routes (and the web pages, later) use to know who asks
and to read the record on their behalf through :mod:`dronefab.storage.access`.
"""

from dronefab.api.app import create_app
from dronefab.api.auth import Caller, current_user, reading
from dronefab.api.settings import ApiSettings

__all__ = ["ApiSettings", "Caller", "create_app", "current_user", "reading"]
