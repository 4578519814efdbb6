"""The built-in demo network: a year of a dispersed drone production programme.

The scenario ships as package data: ``demo.yaml`` and the CSV tables it names (``demand.csv``).
:func:`write_demo_scenario` copies them into a folder a user can edit; :func:`load_demo` returns
the validated :class:`~dronefab.model.scenario.Scenario`. ``docs/demo.md`` explains the network
and where each of its numbers comes from.
"""

from __future__ import annotations

import os
import tempfile
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from dronefab.files import write_text
from dronefab.model.loader import load_scenario
from dronefab.model.scenario import Scenario

DEMO_YAML = "demo.yaml"


def _package() -> Traversable:
    return resources.files(__name__)


def _csv_references(value: Any) -> list[str]:
    """Every string in a YAML document that names a CSV file, in document order."""
    if isinstance(value, str):
        return [value] if value.lower().endswith(".csv") else []
    found: list[str] = []
    if isinstance(value, dict):
        for child in value.values():
            found += _csv_references(child)
    elif isinstance(value, list):
        for child in value:
            found += _csv_references(child)
    return found


def demo_files() -> list[str]:
    """Names of the files that make up the demo scenario.

    Returns
    -------
    list of str
        ``demo.yaml`` first, then each CSV file it refers to (e.g. ``demand.csv``), without
        repeats; all of them live side by side in the package.
    """
    document = yaml.safe_load(_package().joinpath(DEMO_YAML).read_text(encoding="utf-8"))
    names = [DEMO_YAML]
    for name in _csv_references(document):
        if name not in names:
            names.append(name)
    return names


def write_demo_scenario(folder: str | os.PathLike[str]) -> Path:
    """Write the demo scenario (the YAML file and every CSV file it names) into a folder.

    Parameters
    ----------
    folder
        Where to write; created with its parents if missing. Existing files of the same names
        are replaced, each one atomically.

    Returns
    -------
    Path
        The YAML file written, ``folder/demo.yaml``.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    package = _package()
    for name in demo_files():
        write_text(target / name, package.joinpath(name).read_text(encoding="utf-8"))
    return target / DEMO_YAML


def load_demo() -> Scenario:
    """Load and validate the demo scenario.

    Reads it in place when the package data are plain files (the usual install); otherwise
    (e.g. a zipped package) writes them to a temporary folder first.

    Returns
    -------
    Scenario
        The demo network.
    """
    source = _package().joinpath(DEMO_YAML)
    if isinstance(source, Path) and source.is_file():
        return load_scenario(source)
    with tempfile.TemporaryDirectory(prefix="dronefab-demo-") as folder:
        return load_scenario(write_demo_scenario(folder))
