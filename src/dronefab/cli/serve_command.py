"""``dronefab serve``: the service's API (ACCESS.md, "The API") over the store, with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from dronefab.cli.app import app, out
from dronefab.cli.record_commands import DbOption


@app.command("serve")
def serve(
    host: Annotated[
        str, typer.Option("--host", help="The address to listen on (127.0.0.1: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="The port to listen on.")
    ] = 8000,
    db: DbOption = None,
) -> None:
    """Run the web UI and the API (under /api/v1; its OpenAPI document at /api/v1/openapi.json)
    until Ctrl-C."""
    import uvicorn

    from dronefab.web import create_service

    application = create_service(db)  # a store that cannot be opened is refused before listening
    out.print(f"{application.state.store.url}: serving http://{host}:{port}/api/v1 (Ctrl-C stops)")
    # uvicorn's access log names the method and path only: no header (tokens) nor body
    # (passwords) is logged.
    uvicorn.run(application, host=host, port=port, log_level="info", server_header=False)
