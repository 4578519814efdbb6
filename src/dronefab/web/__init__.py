"""The web UI (issue 13): server-rendered pages over the same need-to-know readers as the API,
in English, French and Ukrainian, signed in with a session cookie and CSRF-protected forms.

:func:`create_service` builds the application ``dronefab serve`` runs: the API under
``/api/v1`` and the pages (docs/web.md).
"""

from dronefab.web.app import create_service

__all__ = ["create_service"]
