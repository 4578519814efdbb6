"""The risk analysis gives the same answers on the lowest and the newest highspy allowed.

The lowest environment is a second virtual environment installed from ``requirements/lowest.txt``
(every direct dependency at the lowest version pyproject.toml allows); ``.ci/run`` makes it and
names its interpreter in ``DRONEFAB_LOWEST_PYTHON``. This environment is the newest one: the lock
(``requirements/test.txt``) holds the newest versions allowed when it was last refreshed, and CI's
drift check runs the demo on whatever is newest on the day.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = Path(__file__).parent / "published.yaml"
NUMBERS = ["tts_days", "ttr_days", "lost_units", "impact", "rei"]


def _lowest_highspy() -> str:
    """The lowest highspy pyproject.toml allows (its ``>=`` bound)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    spec = next(d for d in project["project"]["dependencies"] if d.startswith("highspy"))
    match = re.search(r">=\s*([0-9.]+)", spec)
    assert match, f"highspy has no lower bound in pyproject.toml: {spec}"
    return match.group(1)


def _lowest_python() -> str:
    python = os.environ.get("DRONEFAB_LOWEST_PYTHON")
    if python:
        return python
    reason = (
        "DRONEFAB_LOWEST_PYTHON is not set: it names the interpreter of an environment installed "
        "from requirements/lowest.txt (.ci/run makes one; see docs/install.md)"
    )
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _versions(python: str) -> tuple[str, str]:
    """(highspy version, dronefab's source folder) in the environment of ``python``."""
    script = (
        "import importlib.metadata as m, pathlib, dronefab;"
        "print(m.version('highspy'));"
        "print(pathlib.Path(dronefab.__file__).resolve().parent)"
    )
    out = subprocess.run(
        [python, "-c", script], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split("\n")
    return out[0], out[1]


def _risk_table(python: str, scenario: Path, out: Path) -> pd.DataFrame:
    result = subprocess.run(
        [python, "-m", "dronefab", "risk", str(scenario), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, f"{python}: {result.stderr}"
    assert "HiGHS" not in result.stdout  # no banner, whatever the version
    return pd.read_csv(out / "risk.csv").sort_values("node", ignore_index=True)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["demo", "published"])
def test_risk_is_the_same_on_the_lowest_and_the_newest_highspy(
    tmp_path: Path, scenario: str
) -> None:
    lowest = _lowest_python()
    low_version, low_source = _versions(lowest)
    new_version, new_source = _versions(sys.executable)
    assert Version(low_version) == Version(_lowest_highspy()), "not at the lowest bound"
    assert low_version != new_version, "both environments hold the same highspy"
    assert low_source == new_source, "the two environments run different dronefab sources"
    if scenario == "demo":
        from dronefab.model.demo import write_demo_scenario

        path = write_demo_scenario(tmp_path / "scenario")
    else:
        path = PUBLISHED
    low = _risk_table(lowest, path, tmp_path / "low")
    new = _risk_table(sys.executable, path, tmp_path / "new")
    assert low["node"].tolist() == new["node"].tolist()
    assert low["kind"].tolist() == new["kind"].tolist()
    for column in NUMBERS:
        pd.testing.assert_series_equal(low[column], new[column], rtol=1e-6, atol=1e-4)
