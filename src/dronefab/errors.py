"""The package's exception hierarchy and the problems a scenario can have.

Every error a user can cause derives from :class:`DronefabError`; the command line turns those
into a message and an exit code, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class DronefabError(Exception):
    """Root of every error dronefab raises for a user's mistake."""


class Severity(StrEnum):
    """How bad a problem is: errors stop loading, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value stands in the user's files.

    Parameters
    ----------
    file
        The file name as the user knows it (relative or base name).
    line
        1-based line in a YAML or CSV file, or row in a workbook sheet.
    sheet
        Sheet name when the source is a workbook.
    column
        Column letter in a workbook sheet.
    """

    file: str
    line: int | None = None
    sheet: str | None = None
    column: str | None = None

    def __str__(self) -> str:
        if self.sheet is not None:
            parts = [f"sheet {self.sheet}"]
            if self.line is not None:
                parts.append(f"row {self.line}")
            if self.column is not None:
                parts.append(f"column {self.column}")
            return f"{self.file} ({', '.join(parts)})"
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario, phrased for the person who wrote it.

    Parameters
    ----------
    location
        Where it is, or None when the problem concerns the whole scenario.
    path
        The field path, e.g. ``sites[2].work_centers[0].stations``; empty for a file-level problem.
    message
        What is wrong and what is expected.
    severity
        Error (the scenario is refused) or warning (it is accepted).
    """

    location: Location | None
    path: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        """True when this problem makes the scenario invalid."""
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = str(self.location) if self.location is not None else ""
        head = " ".join(part for part in (where, self.path) if part)
        tag = "warning: " if self.severity is Severity.WARNING else ""
        return f"{head}: {tag}{self.message}" if head else f"{tag}{self.message}"


def sort_key(problem: Problem) -> tuple[str, int, str]:
    """Order problems by file, then line, then path, as a reader scans them."""
    loc = problem.location
    if loc is None:
        return ("", 0, problem.path)
    return (f"{loc.file}\0{loc.sheet or ''}", loc.line or 0, problem.path)


class ScenarioError(DronefabError):
    """A scenario could not be loaded: it holds every problem found, not only the first.

    Parameters
    ----------
    problems
        All problems found (errors and warnings); at least one is an error. Kept in the
        order given: the loader puts root causes first (see ``dronefab.model.loader.build``).
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        errors = self.errors
        lines = [str(p) for p in errors[:20]]
        if len(errors) > 20:
            lines.append(f"... and {len(errors) - 20} more errors")
        summary = f"{len(errors)} error{'s' if len(errors) != 1 else ''} in the scenario"
        super().__init__(summary + ":\n" + "\n".join(lines))

    @property
    def errors(self) -> list[Problem]:
        """The problems that make the scenario invalid."""
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        """The problems that do not stop loading."""
        return [p for p in self.problems if not p.is_error]


class FolderError(DronefabError):
    """A file dronefab wrote and reads back (a results folder) is damaged or was edited into a
    shape dronefab does not write: it holds every problem found, not only the first.

    Parameters
    ----------
    problems
        All problems found, each naming the file and where possible the line and column.
    command
        The command that writes the folder, offered as the way to write it anew.
    """

    def __init__(self, problems: Iterable[Problem], command: str) -> None:
        self.problems: list[Problem] = sorted(problems, key=sort_key)
        self.command = command
        lines = [str(p) for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"... and {len(self.problems) - 20} more problems")
        n = len(self.problems)
        summary = (
            f"{n} problem{'s' if n != 1 else ''} in files written by '{command}' "
            f"(run it again to write them anew)"
        )
        super().__init__(summary + ":\n" + "\n".join(lines))


class UsageError(DronefabError):
    """The command was called wrongly: a missing file, a bad option value."""
