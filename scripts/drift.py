"""Which installed packages differ from the lock: ``python scripts/drift.py requirements/main.txt``.

CI's drift check installs dronefab with the newest versions pyproject.toml allows and runs the
demo; when the demo fails, this names each package whose version is not the locked one, so the
release that broke it can be found (then mended, or excluded by a tighter range). Standard
library only: it runs in that fresh environment as it is.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock: Path) -> dict[str, set[str]]:
    """Each locked package's versions (several when markers split them by Python version)."""
    pins: dict[str, set[str]] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins.setdefault(_normal(match.group(1)), set()).add(match.group(2))
    return pins


def drift(lock: Path) -> list[str]:
    """One line per installed package whose version differs from the lock, or that the lock
    does not hold."""
    pins = locked_versions(lock)
    lines = []
    for dist in sorted(metadata.distributions(), key=lambda d: _normal(d.metadata["Name"])):
        name = _normal(dist.metadata["Name"])
        if name in {"dronefab", "pip", "setuptools", "wheel"}:  # not what dronefab runs on
            continue
        if name not in pins:
            lines.append(f"{name} {dist.version} (not in the lock)")
        elif dist.version not in pins[name]:
            lines.append(f"{name} {dist.version} (lock: {' or '.join(sorted(pins[name]))})")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python scripts/drift.py LOCK.txt", file=sys.stderr)
        return 2
    lines = drift(Path(argv[0]))
    if not lines:
        print(f"every installed package is at its version in {argv[0]}")
    else:
        print(f"installed versions that differ from {argv[0]}:")
        for line in lines:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
