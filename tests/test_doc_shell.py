"""Every shell example of the README and the docs runs as written (issue 15, defect 4).

Each document's ```bash, ```sh, ```shell and ```console blocks run in one fresh folder, in the
document's order (a later command reads what an earlier one wrote), through bash, with
``dronefab`` on PATH as this checkout and a bounded time. Every command must exit 0 unless its
line says otherwise with a comment ``# exit N``. In a ```console block only the lines after
``$ `` are commands (the rest is what they print). A block that cannot run in a test says so in
the document itself, on the line before it: ``<!-- not run: the reason -->``; a block of any kind
introduced by ``<!-- file: NAME -->`` is written to NAME before the commands run (the events
file of docs/record.md). ``EDITOR`` is ``true``: the walkthroughs' "edit the file" keeps it as is.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SHELLS = {"bash", "sh", "shell", "console"}
NOT_RUN = re.compile(r"<!--\s*not run:(.*?)-->")
FILE = re.compile(r"<!--\s*file:\s*(\S+)\s*-->")
EXPECTED_EXIT = re.compile(r"\s#\s*exit\s+(\d+)\b")
COMMAND_START = re.compile(r"^(\$ |dronefab |curl |pip |pybabel |python3? |pytest\b)")

SLOW = {
    "docs/getting-started.md": "dronefab demo runs every analysis (about a minute)",
    "docs/simulate.md": "two stress tests of 1,000 runs and a comparison (about a minute)",
    "docs/record.md": "a dozen commands on a store (half a minute); the quick subset runs "
    "them in-process in tests/test_record_docs.py",
}
"""Documents whose commands take long, with why; the README's test command runs them in CI."""

TIMEOUT_S = 600
"""The most one document's commands may take together (the slow ones take about a minute)."""
TIMED_OUT, KILLED = 124, 137
"""timeout(1)'s exit codes: the time was up; the commands did not stop when told and were killed."""


@dataclass(frozen=True)
class Block:
    """A fenced block of a document: its language, where it starts, its text, its marker."""

    language: str
    line: int
    text: str
    marker: str

    @property
    def not_run(self) -> str | None:
        """Why the block does not run (None: it runs); an empty reason is no reason."""
        found = NOT_RUN.fullmatch(self.marker)
        return found.group(1).strip() if found else None

    @property
    def file(self) -> str | None:
        """The file the block is the content of, if its marker names one."""
        found = FILE.fullmatch(self.marker)
        return found.group(1) if found else None


def blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text, each with the HTML comment just before it."""
    found = []
    lines = text.splitlines()
    n = 0
    while n < len(lines):
        if not lines[n].startswith("```"):
            n += 1
            continue
        end = next(i for i in range(n + 1, len(lines)) if lines[i].startswith("```"))
        before = next((lines[i].strip() for i in range(n - 1, -1, -1) if lines[i].strip()), "")
        marker = before if before.startswith("<!--") else ""
        body = "\n".join(lines[n + 1 : end]) + "\n"
        found.append(Block(lines[n][3:].strip(), n + 1, body, marker))
        n = end + 1
    return found


def commands(block: Block) -> list[tuple[int, str, int]]:
    """The commands of a shell block: (line in the document, command, expected exit code).

    A line ending in ``\\`` goes on to the next; blank and comment lines are no commands."""
    found: list[tuple[int, str, int]] = []
    pending: list[str] = []
    start = 0
    for n, raw in enumerate(block.text.splitlines(), start=block.line + 1):
        line = raw
        if not pending:
            if block.language == "console":
                if not line.startswith("$ "):
                    continue  # what the command printed
                line = line[2:]
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            start = n
        pending.append(line)
        if line.endswith("\\"):
            continue
        command = "\n".join(pending)
        pending = []
        expected = EXPECTED_EXIT.search(command)
        found.append((start, command, int(expected.group(1)) if expected else 0))
    return found


def indented_commands(document: Path) -> list[int]:
    """The lines where a command starts an indented code block (outside the fenced ones)."""
    lines = document.read_text(encoding="utf-8").splitlines()
    found, fenced = [], False
    for n, line in enumerate(lines):
        fenced ^= line.startswith("```")
        opens = not fenced and n > 0 and not lines[n - 1].strip() and line.startswith("    ")
        if opens and COMMAND_START.match(line.strip()):
            found.append(n + 1)
    return found


def script(name: str, document: list[Block]) -> str:
    """A bash script that runs the document's commands in order and stops at the first one
    that exits otherwise than its line expects, naming it."""
    parts = []
    for block in document:
        if block.language not in SHELLS or block.not_run is not None:
            continue
        for line, command, expected in commands(block):
            where = shlex.quote(f"{name}:{line}: {command}")
            parts += [
                f"printf '\\n==> %s\\n' {where}",
                command,
                "__rc=$?",
                f'if [ "$__rc" -ne {expected} ]; then',
                f"  printf '\\n%s: exit %s, expected {expected}\\n' {where} \"$__rc\" >&2; exit 97",
                "fi",
            ]
    return "\n".join(parts) + "\n"


def run(
    name: str, text: str, folder: Path, shims: Path, timeout_s: float = TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """Run the document's commands in ``folder`` (its file blocks written there first)."""
    document = blocks(text)
    for block in document:
        if block.file is not None:
            (folder / block.file).write_text(block.text, encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DRONEFAB_")}
    environment.update(
        PATH=f"{shims}{os.pathsep}{environment.get('PATH', '')}",
        PYTHONPATH=str(ROOT / "src"),
        EDITOR="true",
    )
    # timeout(1) stops the whole process group, the dronefab still running with bash
    bash = ["bash", "--noprofile", "--norc", "-o", "pipefail", "-c", script(name, document)]
    result = subprocess.run(
        ["timeout", "--kill-after=5", str(timeout_s), *bash],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode in (TIMED_OUT, KILLED):
        result.stderr += f"\n{name}: stopped after {timeout_s} s\n"
    return result


@pytest.fixture(scope="module")
def shims(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a ``dronefab`` that is this checkout (``python -m dronefab``)."""
    folder = tmp_path_factory.mktemp("bin")
    shim = folder / "dronefab"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m dronefab "$@"\n')
    shim.chmod(0o755)
    return folder


def _name(document: Path) -> str:
    return str(document.relative_to(ROOT))


def _runnable() -> list[str]:
    names = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        if any(b.language in SHELLS and b.not_run is None for b in blocks(text)):
            names.append(_name(document))
    return names


RUNNABLE = _runnable()


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=[pytest.mark.slow] if n in SLOW else []) for n in RUNNABLE],
)
def test_the_documents_shell_examples_run_as_written(
    name: str, tmp_path: Path, shims: Path
) -> None:
    result = run(name, (ROOT / name).read_text(encoding="utf-8"), tmp_path, shims)
    if result.returncode != 0:  # what the commands printed, up to the one that failed
        pytest.fail(f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}", pytrace=False)


def test_a_block_not_run_says_why_and_every_shell_block_is_seen() -> None:
    unsaid, hidden = [], []
    for document in DOCUMENTS:
        for block in blocks(document.read_text(encoding="utf-8")):
            where = f"{_name(document)}:{block.line}"
            if block.not_run == "":
                unsaid.append(where)
            first = block.text.lstrip().split("\n", 1)[0]
            if block.language not in SHELLS and COMMAND_START.match(first):
                hidden.append(where)  # a command in a block marked as another language
        hidden += [f"{_name(document)}:{n}" for n in indented_commands(document)]
    assert unsaid == []
    assert hidden == [], (
        "label these ```bash (or ```console, commands after '$ '); one that cannot run in a "
        "test gets <!-- not run: the reason --> on the line before it"
    )


def test_the_slow_ones_are_documents_that_run() -> None:
    assert set(SLOW) <= set(RUNNABLE)
    assert {"README.md", "docs/record.md", "docs/getting-started.md"} <= {
        _name(d) for d in DOCUMENTS
    }


SAMPLE = """\
A walkthrough.

<!-- file: net.txt -->
```text
hello
```

```bash
export GREETING=$(cat net.txt)
test "$GREETING" = hello
ls no-such-file        # exit 2
```

<!-- not run: it never returns -->
```bash
sleep 1000
```

```console
$ printf 'a\\n' \\
    > out.txt
printed text, not a command
$ grep -q a out.txt
```
"""


def test_the_runner_checks_exit_codes_and_keeps_the_shell_between_blocks(
    tmp_path: Path, shims: Path
) -> None:
    assert run("sample.md", SAMPLE, tmp_path, shims).returncode == 0
    assert [c for b in blocks(SAMPLE) if b.language == "console" for c in commands(b)] == [
        (20, "printf 'a\\n' \\\n    > out.txt", 0),
        (23, "grep -q a out.txt", 0),
    ]
    wrong = SAMPLE.replace("# exit 2", "# exit 0")
    again = tmp_path / "again"
    again.mkdir()
    failed = run("sample.md", wrong, again, shims)
    assert failed.returncode == 97
    assert (
        "sample.md:11: ls no-such-file" in failed.stderr and "exit 2, expected 0" in failed.stderr
    )
    unmarked = SAMPLE.replace("# exit 2", "")
    assert run("sample.md", unmarked, tmp_path, shims).returncode == 97


def test_a_command_that_does_not_return_is_stopped(tmp_path: Path, shims: Path) -> None:
    hanging = "```bash\nsleep 60 & wait\n```\n"
    result = run("hang.md", hanging, tmp_path, shims, timeout_s=1)
    assert result.returncode != 0 and "hang.md: stopped after 1 s" in result.stderr
