"""``python -m dronefab``: the same as the ``dronefab`` command."""

from dronefab.cli.main import run

run()
