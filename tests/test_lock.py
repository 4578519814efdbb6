"""The lock (requirements/*.txt) agrees with pyproject.toml, and every file in it is hashed.

``scripts/lock --check`` (in CI, with uv and the index) checks that the files are exactly what
uv exports; these checks need neither and say what is wrong in words.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _pins(name: str) -> dict[str, set[Version]]:
    """Package -> pinned versions of a lock file (several where markers split by Python)."""
    pins: dict[str, set[Version]] = {}
    for line in (ROOT / "requirements" / name).read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins.setdefault(canonicalize_name(match.group(1)), set()).add(Version(match.group(2)))
    return pins


def _direct(*extras: str) -> list[Requirement]:
    """pyproject's dependencies, those of ``extras`` and the build group (not self-references)."""
    project = PROJECT["project"]
    specs = list(project["dependencies"]) + list(PROJECT["dependency-groups"]["build"])
    for extra in extras:
        specs += project["optional-dependencies"][extra]
    requirements = [Requirement(spec) for spec in specs]
    return [r for r in requirements if r.name != "dronefab"]


LOCKS = {"main.txt": (), "test.txt": ("test", "ray"), "dev.txt": ("dev", "test", "ray")}


@pytest.mark.parametrize(("lock", "extras"), LOCKS.items())
def test_every_direct_dependency_is_locked_within_its_range(
    lock: str, extras: tuple[str, ...]
) -> None:
    pins = _pins(lock)
    problems = []
    for requirement in _direct(*extras):
        versions = pins.get(canonicalize_name(requirement.name))
        if not versions:
            problems.append(f"{requirement.name} is not in requirements/{lock}")
        elif not any(v in requirement.specifier for v in versions):
            problems.append(f"{requirement.name} {versions} is outside {requirement.specifier}")
    assert problems == [], "run scripts/lock --keep: " + "; ".join(problems)


@pytest.mark.parametrize("lock", ["main.txt", "test.txt", "dev.txt", "lowest.txt"])
def test_every_locked_package_has_its_hashes(lock: str) -> None:
    text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])  # after the header
    unhashed = [e.split()[0] for e in entries if PIN.match(e) and "--hash=sha256:" not in e]
    assert unhashed == []
    assert len([e for e in entries if PIN.match(e)]) >= len(_direct())


def test_the_lowest_environment_is_at_every_lower_bound() -> None:
    """requirements/lowest.txt holds each direct dependency at its ``>=`` bound (or the first
    release after it where the bound's own release has no file for Python 3.11)."""
    pins = _pins("lowest.txt")
    problems = []
    for requirement in _direct("test", "ray"):
        bounds = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        if not bounds:
            continue
        (version,) = pins[canonicalize_name(requirement.name)]
        same_release = version.release[: len(bounds[0].release)] == bounds[0].release
        if version not in requirement.specifier or not same_release:
            problems.append(f"{requirement.name}: lowest.txt has {version}, the bound {bounds[0]}")
    assert problems == []


def test_the_lock_is_frozen_in_time() -> None:
    """scripts/lock resolves up to a recorded moment, so a re-export never moves a version."""
    stamp = PROJECT["tool"]["uv"]["exclude-newer"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
    assert f'exclude-newer = "{stamp}"' in (ROOT / "uv.lock").read_text(encoding="utf-8")


def _drift_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("drift", ROOT / "scripts" / "drift.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_drift_names_each_package_away_from_its_locked_version(tmp_path: Path) -> None:
    drift = _drift_module()
    pytest_version = sys.modules["pytest"].__version__
    lock = tmp_path / "lock.txt"
    lock.write_text(
        "pytest==0.0.1 \\\n    --hash=sha256:00\nnumpy==1.0 ; python_full_version >= '9'\n"
        f"numpy=={importlib.metadata.version('numpy')} ; python_full_version < '9'\n",
        encoding="utf-8",
    )
    lines = drift.drift(lock)
    assert f"pytest {pytest_version} (lock: 0.0.1)" in lines
    assert not [line for line in lines if line.startswith("numpy ")]  # one of its pins holds
    assert f"hypothesis {importlib.metadata.version('hypothesis')} (not in the lock)" in lines
