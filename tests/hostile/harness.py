"""The command fuzz's machinery: base files, running a case, classifying what happened.

A case is one mutation of a small valid input (see :mod:`hostile.mutations`) and the command or
two that read it, each run as ``python -m dronefab ...`` in a subprocess with a wall-clock
timeout and a memory cap. What it did falls in one class:

- ``traceback``: a Python traceback printed, or an exit code the CLI does not document
  (0 ok, 1 input refused, 2 usage, 130 interrupted); a kill by the memory cap lands here too;
- ``hang``: the timeout ran out;
- ``leak``: a secret planted in the command's environment showed up in its output or files;
- ``executes``: user text came out live: a CSV cell or workbook cell that starts a formula, a
  workbook formula cell, rich markup or an emoji code interpreted, a raw control or bidi
  character printed, a live ``<b>``/``<a``/``<img`` tag in an HTML page or its plotly JSON;
- ``silent``: a mutation that must be refused (out of range, malformed) exited 0;
- ``vague``: refused, but the message names neither the file nor the field;
- ``ok``: refused with a message naming the file or field, or accepted when the mutation was legal.

Case ``n`` of seed ``s`` is the same case on every machine: its family is ``n`` modulo the
number of families (so any run of consecutive cases covers them all) and its draws come from
``random.Random(f"{s}:{n}")``.
"""

from __future__ import annotations

import csv
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "model" / "scenarios"
DOCUMENTED_EXITS = frozenset({0, 1, 2, 130})
MEMORY_CAP = 4 * 1024**3
TIMEOUT = 20.0
PWNED = "PWNED"  # the file a command planted in an input would create
SECRET_NAME = "DRONEFAB_FUZZ_SECRET"
SECRET = "fuzz-secret-7f3a9c"
FORMULA_LEADS = "=+-@\t\r"
# Characters a terminal acts on: escapes, NUL, bell, and the bidirectional controls.
RAW_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The markers around injected markup: when the markup between them vanishes or becomes an
# emoji, rich interpreted it.
MARK_OPEN, MARK_CLOSE = "q7", "k9"


class Outcome(StrEnum):
    """What a case did, worst first."""

    TRACEBACK = "traceback"
    HANG = "hang"
    LEAK = "leak"
    EXECUTES = "executes"
    SILENT = "silent"
    VAGUE = "vague"
    OK = "ok"


BAD = tuple(o for o in Outcome if o is not Outcome.OK)


class Expect(StrEnum):
    """What the commands must do with a mutation."""

    REFUSE = "refuse"  # out of range or malformed: exit 1 or 2
    ANY = "any"  # legal, or refusable: either is fine, as long as nothing executes


class Marker(StrEnum):
    """The kind of user text a mutation planted, to look for in the outputs."""

    FORMULA = "formula"
    MARKUP = "markup"
    CONTROL = "control"
    HTML = "html"


@dataclass(frozen=True)
class Setup:
    """A mutation applied in a case's folder, and how to judge the commands that read it.

    Parameters
    ----------
    mutation
        What was changed, for the report (``sites[0].work_centers[0].stations = inf``).
    commands
        The dronefab argument lists to run in turn, in the case's folder; a refusal stops them.
    expect
        Whether the mutation must be refused.
    names
        A refusal must name one of these (a file, a field, an option), case-insensitively.
    text
        The user text planted, when there is one to look for in the outputs.
    marker
        The kind of that text.
    """

    mutation: str
    commands: tuple[tuple[str, ...], ...]
    expect: Expect
    names: tuple[str, ...] = ()
    text: str | None = None
    marker: Marker | None = None


@dataclass
class Bench:
    """What a mutation works with: the case's draws, the base files and the case's folder.

    The mutated inputs go under ``work / "in"`` (never scanned for live text: they are the
    user's own files); commands write their outputs elsewhere in ``work``.
    """

    rng: random.Random
    bases: Path
    work: Path

    @property
    def inputs(self) -> Path:
        """The folder of the case's (mutated) inputs."""
        folder = self.work / "in"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def scenario(self, name: str) -> Path:
        """Copy a base scenario (``minimal``, ``tables``, ``rich``, ``demo``) with its CSV
        tables into the inputs; the path of its YAML file."""
        source = self.bases / "scenarios" / name
        target = self.inputs / name
        shutil.copytree(source, target)
        return next(target.glob("*.yaml"))

    def result(self, kind: str) -> Path:
        """Copy a base result folder (``plan``, ``simulation``, ``risk``, ``buffers``,
        ``design``) into the inputs; its path."""
        target = self.inputs / kind
        shutil.copytree(self.bases / "results" / kind, target)
        return target

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options``, drawn from the case's generator."""
        return options[self.rng.randrange(len(options))]


Family = Callable[[Bench], Setup]


@dataclass
class Run:
    """One command's run."""

    argv: tuple[str, ...]
    code: int | None  # None: timed out
    out: str
    seconds: float


@dataclass
class Result:
    """A case and what it did."""

    number: int
    family: str
    mutation: str
    commands: list[str]
    outcome: Outcome
    detail: str
    codes: list[int | None] = field(default_factory=list)
    seconds: float = 0.0


# --- base files ------------------------------------------------------------------------------


def _dronefab(argv: list[str], cwd: Path, timeout: float = 120.0) -> Run:
    """Run ``python -m dronefab argv`` the way every case does (see :func:`run_command`)."""
    return run_command(tuple(argv), cwd, timeout)


def prepare_bases(folder: Path) -> Path:
    """Write the valid inputs cases start from, once: four scenarios, a workbook and a result
    folder of each analysis. Also compiles the simulator (its cache), so cases do not wait.

    Raises
    ------
    RuntimeError
        If any command fails on these valid inputs: the fuzz would measure nothing.
    """
    scenarios = folder / "scenarios"
    for name in ("minimal", "rich"):
        (scenarios / name).mkdir(parents=True, exist_ok=True)
        shutil.copy(SCENARIOS / f"{name}.yaml", scenarios / name)
    (scenarios / "tables").mkdir(exist_ok=True)
    for file in ("tables.yaml", "tables-demand.csv"):
        shutil.copy(SCENARIOS / file, scenarios / "tables")
    minimal = scenarios / "minimal" / "minimal.yaml"
    rich = scenarios / "rich" / "rich.yaml"
    results = folder / "results"
    steps = [
        ["demo-scenario", str(scenarios / "demo")],
        ["export-xlsx", str(minimal), str(folder / "minimal.xlsx")],
        ["plan", str(minimal), "--out", str(results / "plan")],
        [
            "simulate",
            str(rich),
            "--runs",
            "2",
            "--attribution-runs",
            "0",
            "--out",
            str(folder / "warm"),
        ],
        [
            "simulate",
            str(minimal),
            "--plan",
            str(results / "plan"),
            "--runs",
            "2",
            "--attribution-runs",
            "0",
            "--out",
            str(results / "simulation"),
        ],
        ["risk", str(minimal), "--out", str(results / "risk")],
        ["buffers", str(rich), "--check-runs", "2", "--out", str(results / "buffers")],
        ["design", str(rich), "--scenarios", "2", "--no-curve", "--out", str(results / "design")],
    ]
    for argv in steps:
        run = _dronefab(argv, folder)
        if run.code != 0:
            raise RuntimeError(f"preparing the fuzz's bases: dronefab {' '.join(argv)}:\n{run.out}")
    return folder


def all_families() -> dict[str, Family]:
    """Every mutation family, in case order."""
    from hostile import readback  # noqa: F401 - registers the read-back and option families
    from hostile.mutations import FAMILIES

    return FAMILIES


# --- running ---------------------------------------------------------------------------------


def _cap_memory() -> None:
    """In the child: cap its address space, so a runaway allocation fails instead of swapping."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def command_env() -> dict[str, str]:
    """The environment of every command: this worktree's sources, no colour forcing, and a
    planted secret that must never come out."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    env["PYTHONPATH"] = str(ROOT / "src")
    env[SECRET_NAME] = SECRET
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run_command(argv: tuple[str, ...], cwd: Path, timeout: float = TIMEOUT) -> Run:
    """Run ``python -m dronefab *argv`` in ``cwd``: its exit code (None if it timed out) and
    its standard output and error together."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "dronefab", *argv]
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=command_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=_cap_memory,
        start_new_session=True,
    ) as child:
        try:
            raw, _ = child.communicate(timeout=timeout)
            code: int | None = child.returncode
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, 9)
            raw, _ = child.communicate()
            code = None
    text = raw.decode("utf-8", errors="replace")
    return Run(argv, code, text, time.perf_counter() - started)


def run_case(
    number: int,
    seed: int,
    bases: Path,
    scratch: Path,
    families: dict[str, Family],
    timeout: float = TIMEOUT,
) -> Result:
    """Build case ``number`` in ``scratch / f"case-{number}"``, run it and classify it."""
    name = list(families)[number % len(families)]
    work = scratch / f"case-{number}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    bench = Bench(random.Random(f"{seed}:{number}"), bases, work)
    setup = families[name](bench)
    runs: list[Run] = []
    for argv in setup.commands:
        run = run_command(argv, work, timeout)
        runs.append(run)
        if run.code != 0:
            break
    outcome, detail = classify(setup, runs, work)
    return Result(
        number,
        name,
        setup.mutation,
        [_command_line(argv, work) for argv in setup.commands],
        outcome,
        detail,
        [run.code for run in runs],
        sum(run.seconds for run in runs),
    )


def _command_line(argv: tuple[str, ...], work: Path) -> str:
    """A command as the report shows it: paths relative to the case's folder, odd arguments
    quoted."""
    shown = []
    for arg in argv:
        arg = arg.removeprefix(f"{work}/")
        shown.append(arg if re.fullmatch(r"[\w./:=,+@-]+", arg) else repr(arg))
    return "dronefab " + " ".join(shown)


# --- classifying -----------------------------------------------------------------------------


def classify(setup: Setup, runs: list[Run], work: Path) -> tuple[Outcome, str]:
    """The worst outcome of a case's runs, and the first lines that show it."""
    for run in runs:
        if run.code is None:
            return Outcome.HANG, f"no exit after the timeout: dronefab {' '.join(run.argv)[:200]}"
        if "Traceback (most recent call last)" in run.out or run.code not in DOCUMENTED_EXITS:
            return Outcome.TRACEBACK, f"exit {run.code}:\n" + _tail(run.out)
    printed = "\n".join(run.out for run in runs)
    leaked = _leak(printed, work)
    if leaked:
        return Outcome.LEAK, leaked
    live = _live(setup, printed, work)
    if live:
        return Outcome.EXECUTES, live
    refused = runs[-1].code != 0 if runs else False
    if setup.expect is Expect.REFUSE and not refused:
        return Outcome.SILENT, "accepted (exit 0):\n" + _tail(printed, 4)
    if refused and setup.names:
        lowered = runs[-1].out.lower()
        if not any(name.lower() in lowered for name in setup.names):
            wanted = ", ".join(setup.names)
            return Outcome.VAGUE, f"refused without naming {wanted}:\n" + _tail(runs[-1].out, 4)
    return Outcome.OK, ""


def _tail(text: str, lines: int = 8) -> str:
    """The last lines of an output, each cut to a readable length."""
    kept = [line[:240] for line in text.strip().splitlines()[-lines:]]
    return "\n".join(kept)


def _outputs(work: Path) -> Iterator[Path]:
    """The files the commands wrote (everything in the case's folder but its inputs)."""
    for path in sorted(work.rglob("*")):
        if path.is_file() and not path.is_symlink() and "in" not in path.relative_to(work).parts:
            yield path


def _leak(printed: str, work: Path) -> str:
    """Where the planted secret came out, if it did."""
    if SECRET in printed:
        return "the environment's secret was printed: " + _line_with(printed, SECRET)
    for path in _outputs(work):
        if path.stat().st_size < 50_000_000 and SECRET.encode() in path.read_bytes():
            return f"the environment's secret was written to {path.relative_to(work)}"
    return ""


def _line_with(text: str, needle: str) -> str:
    """The first line of ``text`` holding ``needle``, cut around it."""
    line = next(line for line in text.splitlines() if needle in line)
    at = line.index(needle)
    return repr(line[max(0, at - 100) : at + 100])


def _live(setup: Setup, printed: str, work: Path) -> str:
    """Where planted user text came out live, if it did; workbook formula cells and a file
    made by a command planted in the input always count."""
    if (work / PWNED).exists():
        return f"a command in the input ran: {PWNED} was created"
    for path in _outputs(work):
        if path.suffix == ".xlsx":
            found = _formula_cell(path)
            if found:
                return f"{path.relative_to(work)}: {found}"
    if setup.text is None:
        return ""
    if setup.marker is Marker.FORMULA:
        return _live_csv(setup.text, work)
    if setup.marker is Marker.MARKUP:
        return _interpreted(setup.text, printed)
    if setup.marker is Marker.CONTROL:
        raw = RAW_CONTROLS.search(printed)
        return f"a raw {raw.group()!r} printed: {_around(printed, raw.start())}" if raw else ""
    if setup.marker is Marker.HTML:
        return _live_tag(setup.text, work)
    return ""


def _around(text: str, at: int) -> str:
    return repr(text[max(0, at - 60) : at + 60])


def _formula_cell(path: Path) -> str:
    """The first formula cell of a workbook dronefab wrote."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path)
    except Exception as exc:
        return f"does not open ({type(exc).__name__})"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    return (
                        f"formula cell {sheet.title}!{cell.coordinate} = {str(cell.value)[:80]!r}"
                    )
    return ""


def _live_csv(text: str, work: Path) -> str:
    """The first written CSV cell that starts a formula with the planted text."""
    core = text.lstrip(FORMULA_LEADS)[:12]
    for path in _outputs(work):
        if path.suffix != ".csv":
            continue
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                for cell in row:
                    if cell[:1] in tuple(FORMULA_LEADS) and core in cell:
                        return f"{path.relative_to(work)}:{number}: live cell {cell[:80]!r}"
    return ""


def _interpreted(text: str, printed: str) -> str:
    """Whether markup between the markers vanished from, or became an emoji in, the output."""
    between = text.split(MARK_OPEN, 1)[-1].split(MARK_CLOSE, 1)[0]
    pattern = re.escape(MARK_OPEN) + "(.{0,3}?)" + re.escape(MARK_CLOSE)
    for found in re.finditer(pattern, printed):
        if found.group(1) == "" or not found.group(1).isascii():
            return f"markup {between!r} interpreted: {_around(printed, found.start())}"
    return ""


def _live_tag(text: str, work: Path) -> str:
    """The first page that holds the planted tag as a tag (raw, or JSON-escaped in a chart's
    data, which the chart library would render as markup), or JSON file that holds it raw (a
    page that embeds the file would hold it raw too; ``\\u003c`` is inert there)."""
    in_page = {
        text,
        text.replace("<", "\\u003c").replace(">", "\\u003e"),
        text.replace("</", "<\\/"),
    }
    for path in _outputs(work):
        if path.suffix not in (".html", ".json"):
            continue
        content = path.read_text(encoding="utf-8", errors="replace")
        for form in in_page if path.suffix == ".html" else {text}:
            if form in content:
                return f"{path.relative_to(work)}: live tag {form[:60]!r}"
    return ""


# --- reporting -------------------------------------------------------------------------------


def counts(results: list[Result]) -> dict[str, dict[str, int]]:
    """Cases per family and outcome (and a ``total`` family)."""
    table: dict[str, dict[str, int]] = {}
    for result in results:
        for family in (result.family, "total"):
            row = table.setdefault(family, {o.value: 0 for o in Outcome})
            row[result.outcome.value] += 1
    total = table.pop("total", {o.value: 0 for o in Outcome})
    return {**dict(sorted(table.items())), "total": total}
