"""The ``dronefab`` command: thin typer commands over the package.

The application and what the commands share live in :mod:`dronefab.cli.app`; the commands, by
concern, in the ``*_commands`` modules, which register themselves on import.
"""

from __future__ import annotations

# Imported for their side effect: each module registers its commands on ``app``.
from dronefab.cli import (  # noqa: F401
    demo_command,
    history_command,
    plan_commands,
    record_commands,
    risk_commands,
    scenario_commands,
    serve_command,
    simulate_commands,
    users_commands,
)
from dronefab.cli.app import EXIT_INVALID, EXIT_OK, EXIT_USAGE, app

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "app", "run"]


def run() -> None:
    """Entry point of the ``dronefab`` console script."""
    app()
