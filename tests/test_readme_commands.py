"""Every shell command in README.md and docs/*.md runs as printed and exits with code 0.

The convention (also in docs/architecture.md, "Commands in the docs"):

* A fenced block tagged ``sh``, ``bash``, ``shell`` or ``console`` holds commands that run.
  In ``sh``/``bash``/``shell`` blocks every line that is not blank or a ``#`` comment is a
  command (a line ending in ``\\`` continues on the next). In ``console`` blocks the commands
  start with ``$ ``; the lines after a command, up to the next ``$ `` line, are output the
  command must print (compared with runs of white space made one; a line ``...`` stands for
  anything).
* Any other fenced block is not run. A line in one that starts with ``gazelearn `` must be a
  synopsis (an UPPER-CASE placeholder, ``[optional]`` parts or ``...``), so no concrete command
  escapes this test: tag it ``sh`` instead.
* In the prose (outside fenced blocks), an inline code span ```gazelearn ...``` that names a
  file or folder (a word with ``/`` or a file suffix) and is not a synopsis is a command too,
  and runs like the blocks' commands; a span without such a word (```gazelearn events detect
  --method deep```) names a command or an option, not something to type as it is.
* Commands of one page run in document order in one working directory per page (so a model
  trained by one command is used by the next ones), holding links to the real data under the
  short names the pages use (``recordings/``, ``paths/``, ``animals/``, ``gazecom/``,
  ``../shared/data``) and the tables the pages describe (``labels.csv``, ``people.csv``),
  written from the data's file names. A command that names data that is absent is skipped
  with a message. The shell expands each command's words (globs, quotes); ``gazelearn``
  commands then run in this process (``gazelearn.cli.main.main``, the console script's own
  function, with that ``sys.argv``), so torch and the rest are imported once; any other
  command, and a command with pipes or redirections, runs in ``bash`` with the venv on
  ``PATH``.

Exempt (see ``EXEMPT``, each with its reason): ``gazelearn demo --real`` (the whole demo on
every real data set: many CPU minutes; ``tests/demo`` runs its steps), the README's ``scanpath
cv ... --model multi`` (645 CPU s; ``benchmarks/scanpath_cli.py`` runs it as printed and
docs/results.md gives its numbers), the commands of docs/results.md that run
benchmarks or reproduce a measured number on the full data (minutes to hours: their numbers
are the point of that page; its untagged blocks are not checked for hidden commands), ``make
demo`` / ``make test`` (they install the project and run this suite), ``torchrun`` and the
Slurm script (several processes, nodes or GPUs; ``tests/learn`` runs two CPU processes),
``gazelearn track --camera`` (a webcam), the README's ``gazelearn track --calibrate`` on all of
``webcam-crops-dev`` (its defaults train 3 eye-crop CNNs, about 180 CPU s;
``benchmarks/webcam_hybrid.py --cli`` runs it as printed), ``--scheduler tcp://`` (a Dask
cluster) and ``gazelearn server`` (runs until stopped; ``tests/server`` drives it).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import resource
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GAZELEARN_SHARED_DATA", REPO.parent / "shared" / "data"))
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
RUNNABLE = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^\s*```\s*([\w-]*)")
#: Commands not run, with the reason (a regular expression searched in the command).
EXEMPT: dict[str, str] = {
    r"^\.venv/bin/python benchmarks/": "runs a benchmark (minutes to hours; docs/results.md)",
    r"^make (demo|test)\b": "installs the project / runs the whole suite, this test included",
    r"^gazelearn demo --real\b": "the whole demo on every real data set (many CPU minutes; "
                                  "tests/demo runs its steps)",
    r"^gazelearn scanpath cv .*--model multi\b": "645 CPU s; benchmarks/scanpath_cli.py runs it "
                                                  "as printed (docs/results.md)",
    r"^torchrun\b": "several processes, nodes or GPUs (tests/learn runs 2 CPU processes)",
    r"^gazelearn track --camera\b": "needs a webcam",
    r"^gazelearn track --calibrate webcam-crops-dev/eye_data\.csv(?!.*--appearance-frames)":
        "all 479 real frames train 3 eye-crop CNNs (about 180 CPU s); "
        "benchmarks/webcam_hybrid.py --cli runs it as printed (docs/results.md)",
    r"--scheduler tcp://": "needs a running Dask cluster",
    r"^gazelearn server\b": "runs until stopped (tests/server drives it)",
}
#: Short names the pages use for the real data -> the folder or file under ../shared/data.
DATA_LINKS: dict[str, str] = {
    "recordings": "lund2013-dev/img",
    "paths": "etra2021/paths",
    "animals": "etra2021/animals",
    "gazecom": "gazecom-dev",
    "stimuli": "lund2013-stimuli",
    "s1.asc": "pymovements-files/eyelink_monocular_example.asc",  # an EyeLink file of 5 trials
}
# ... and every folder of ../shared/data under its own name (lund2013-dev/, webcam-crops-dev/)
if SHARED.is_dir():
    DATA_LINKS.update({p.name: p.name for p in sorted(SHARED.iterdir())
                       if p.is_dir() and p.name not in DATA_LINKS})
#: Tables the pages describe, written from the data's file names: name -> (data, rows).
TABLES = {
    # ETRA paths IMG_P.csv: the picture and the participant
    "labels.csv": ("etra2021/paths", "recording,label,group",
                   lambda p: f"{p.name},{p.stem.split('_')[0]},{p.stem.split('_')[1]}"),
    # GazeCom VIDEO/SUBJ_VIDEO.csv: the person
    "people.csv": ("gazecom-dev", "recording,label",
                   lambda p: f"{p.name},{p.stem.split('_')[0]}"),
    # ETRA paths IMG_P.csv: the person is the participant
    "persons.csv": ("etra2021/paths", "recording,label",
                    lambda p: f"{p.name},{p.stem.split('_')[1]}"),
}
#: A calibration manifest: the first frames of webcam-crops-dev (docs/webcam.md says so).
FRAMES = ("frames.csv", "webcam-crops-dev/eye_data.csv", 100)
SYNOPSIS = re.compile(r"\b[A-Z][A-Z_]{1,}\b|\[|\.\.\.|\{")


@dataclass
class Command:
    page: Path
    line: int
    text: str
    output: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.page.name}:{self.line}"


def _join_continued(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Lines ending in a backslash joined with the next (the first line's number kept)."""
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, text in lines:
        if pending is not None:
            number, text = pending[0], pending[1] + " " + text.strip()
        if text.rstrip().endswith("\\"):
            pending = (number, text.rstrip()[:-1].rstrip())
            continue
        pending = None
        joined.append((number, text))
    if pending is not None:
        joined.append(pending)
    return joined


def blocks(page: Path) -> list[tuple[str, list[tuple[int, str]]]]:
    """The fenced blocks of a page: (tag, [(line number, text), ...])."""
    found, tag, body = [], None, []
    for number, line in enumerate(page.read_text().splitlines(), start=1):
        match = FENCE.match(line)
        if match and tag is None:
            tag, body = match.group(1).lower(), []
        elif match:
            found.append((tag, body))
            tag = None
        elif tag is not None:
            body.append((number, line))
    return found


def commands(page: Path) -> list[Command]:
    """The commands of a page's runnable blocks, in document order."""
    result: list[Command] = []
    for tag, body in blocks(page):
        if tag not in RUNNABLE or (body and body[0][1].startswith("#!")):
            continue  # a script file's content (#!...), not commands typed
        if tag == "console":
            current: Command | None = None
            for number, text in _join_continued(body):
                if text.strip().startswith("$ "):
                    current = Command(page, number, text.strip()[2:].strip())
                    result.append(current)
                elif current is not None and text.strip():
                    current.output.append(text.strip())
            continue
        for number, text in _join_continued(body):
            if text.strip() and not text.lstrip().startswith("#"):
                result.append(Command(page, number, text.strip()))
    return result


INLINE = re.compile(r"`(gazelearn [^`]+)`")
FILE_WORD = re.compile(r"/|\.[A-Za-z]\w*$")


def inline_commands(page: Path) -> list[Command]:
    """The prose's inline ```gazelearn ...``` spans that name a file or folder (see above);
    docs/results.md's spans reproduce measured numbers on the full data, as its blocks do."""
    if page.name == "results.md":
        return []
    lines = page.read_text().splitlines()
    fenced, inside = set(), False
    for number, line in enumerate(lines, start=1):
        if FENCE.match(line):
            inside = not inside
            fenced.add(number)
        elif inside:
            fenced.add(number)
    prose = "\n".join("" if n in fenced else line for n, line in enumerate(lines, start=1))
    result = []
    for match in INLINE.finditer(prose):
        text = " ".join(match.group(1).split())
        words = text.split()[1:]
        if SYNOPSIS.search(text) or not any(FILE_WORD.search(w) for w in words
                                            if not w.startswith("-")):
            continue
        result.append(Command(page, prose.count("\n", 0, match.start()) + 1, text))
    return result


def _page_commands(page: Path) -> list[Command]:
    return sorted([*commands(page), *inline_commands(page)], key=lambda c: c.line)


ALL = [c for page in PAGES for c in _page_commands(page)]


def exemption(command: Command) -> str | None:
    for pattern, reason in EXEMPT.items():
        if re.search(pattern, command.text):
            return reason
    return None


def _needs(command: Command) -> list[str]:
    """The data links and tables a command names."""
    words = re.split(r"[\s'\"=]+", command.text)
    names = [*DATA_LINKS, *TABLES, FRAMES[0]]
    needed = {n for n in names for w in words if w == n or w.startswith(n + "/")}
    if any(w.startswith("../shared/data") for w in words):
        needed.add("../shared/data")
    return sorted(needed)


def _available(name: str) -> bool:
    if name == "../shared/data":
        return SHARED.is_dir()
    source = DATA_LINKS.get(name) or (FRAMES[1] if name == FRAMES[0] else TABLES[name][0])
    return (SHARED / source).exists()


class Workdir:
    """One page's working directory: data links, tables, and which commands have run."""

    def __init__(self, root: Path) -> None:
        (root / "shared").symlink_to(SHARED.parent, target_is_directory=True)
        self.path = root / "project"
        self.path.mkdir()
        for name, source in DATA_LINKS.items():
            if (SHARED / source).exists():
                (self.path / name).symlink_to(SHARED / source)
        for name, (source, header, row) in TABLES.items():
            if (SHARED / source).is_dir():
                files = sorted((SHARED / source).rglob("*.csv"))
                (self.path / name).write_text("\n".join([header, *map(row, files)]) + "\n")
        name, source, rows = FRAMES
        if (SHARED / source).is_file():  # image paths are relative to the manifest's folder
            folder = Path(source).parent.as_posix()
            lines = (SHARED / source).read_text().splitlines()[:rows + 1]
            (self.path / name).write_text("\n".join(
                [lines[0], *(",".join(f"{folder}/{v}" if v.startswith("images/") else v
                                      for v in line.split(",")) for line in lines[1:])]) + "\n")
        # the README's "columns by name" example: a user's own TSV (time in ms, px)
        (self.path / "gaze.tsv").write_text("t\tgx\tgy\n" + "".join(
            f"{2 * i}\t{960 + 40 * (i >= 50)}.0\t{540 + i % 3}.0\n" for i in range(100)))
        self.done: dict[int, tuple[int, str]] = {}
        self.skipped_for_data: set[int] = set()  # lines whose data is absent


@pytest.fixture(scope="session")
def workdirs(tmp_path_factory):
    made: dict[Path, Workdir] = {}

    def get(page: Path) -> Workdir:
        if page not in made:
            made[page] = Workdir(tmp_path_factory.mktemp(page.stem))
        return made[page]

    return get


def _expand(words: str, cwd: Path) -> list[str]:
    """The words as bash expands them in ``cwd`` (globs, quotes; a comment dropped)."""
    done = subprocess.run(["bash", "-c", f'printf "%s\\0" {words}'], cwd=cwd,
                          capture_output=True, text=True, check=True)
    return done.stdout.split("\0")[:-1]


def _shell_operators(text: str) -> bool:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.commenters = "#"
    return any(tok and set(tok) <= set("|&;<>()") for tok in lexer)


def run(command: Command, cwd: Path) -> tuple[int, str]:
    """Run one command in ``cwd``: exit code and everything it printed."""
    if command.text.startswith("gazelearn") and not _shell_operators(command.text):
        from gazelearn.cli.main import main

        argv = ["gazelearn", *_expand(command.text[len("gazelearn"):], cwd)]
        out, old_argv, old_cwd = io.StringIO(), sys.argv, os.getcwd()
        code = 0
        try:
            sys.argv = argv
            os.chdir(cwd)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                main()
        except SystemExit as end:
            code = end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
        finally:
            sys.argv = old_argv
            os.chdir(old_cwd)
        return code, out.getvalue()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", command.text], cwd=cwd, capture_output=True,
                          text=True, env=env)
    return done.returncode, done.stdout + done.stderr


def _run_in_order(command: Command, workdir: Workdir) -> tuple[int, str]:
    """Run the page's earlier commands first (once each), then this one."""
    for earlier in ALL:
        if earlier.page != command.page:
            continue
        if earlier.line == command.line:
            break
        if earlier.line in workdir.done or exemption(earlier):
            continue
        if all(_available(n) for n in _needs(earlier)):
            workdir.done[earlier.line] = run(earlier, workdir.path)
        else:
            workdir.skipped_for_data.add(earlier.line)
    result = run(command, workdir.path)
    workdir.done[command.line] = result
    return result


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("command", ALL, ids=[c.id for c in ALL])
def test_command_runs_as_printed(command, workdirs, monkeypatch):
    reason = exemption(command)
    if reason:
        pytest.skip(f"exempt: {reason}")
    missing = [n for n in _needs(command) if not _available(n)]
    if missing:
        pytest.skip(f"data not found under {SHARED}: {', '.join(missing)}")
    monkeypatch.setenv("COLUMNS", "160")  # Rich tables unwrapped
    started = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    code, output = _run_in_order(command, workdirs(command.page))
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (time.process_time() - started[0] + children.ru_utime + children.ru_stime
           - started[1].ru_utime - started[1].ru_stime)
    if code != 0 and workdirs(command.page).skipped_for_data:
        pytest.skip(f"an earlier command of {command.page.name} (lines "
                    f"{sorted(workdirs(command.page).skipped_for_data)}) needed data not found "
                    f"under {SHARED}; this one failed after it")
    assert code == 0, f"{command.id}: `{command.text}` exited with {code}:\n{output[-3000:]}"
    printed = _squash(output)
    for line in command.output:
        if line != "...":
            assert _squash(line) in printed, (
                f"{command.id}: `{command.text}` did not print {line!r}:\n{output[-3000:]}")
    print(f"\n{command.id}: {cpu:.1f} s CPU")  # this process and its children


def test_no_concrete_command_hides_in_an_unrun_block():
    hidden = []
    for page in PAGES:
        if page.name == "results.md":
            continue  # its commands reproduce measured numbers (benchmarks, full data)
        for tag, body in blocks(page):
            if tag in RUNNABLE:
                continue
            for number, text in _join_continued(body):
                text = text.strip()
                if text.startswith("gazelearn ") and not SYNOPSIS.search(text):
                    hidden.append(f"{page.name}:{number}: {text}")
    assert not hidden, ("commands in blocks that are not run (tag the block sh, or write a "
                        "synopsis with PLACEHOLDERS):\n" + "\n".join(hidden))


def test_the_extraction_follows_the_convention(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```sh\n# a comment\ngazelearn info a.csv \\\n    --json\n\nmake demo\n```\n"
                    "```console\nignored\n$ gazelearn formats\nlund2013\n...\n"
                    "  $ gazelearn --version\n```\n```\ngazelearn info FILE... [--json]\n```\n"
                    "```bash\n#!/bin/bash\nsrun x\n```\n")
    found = commands(page)
    assert [(c.line, c.text, c.output) for c in found] == [
        (3, "gazelearn info a.csv --json", []), (6, "make demo", []),
        (10, "gazelearn formats", ["lund2013", "..."]), (13, "gazelearn --version", [])]
    assert exemption(found[1]) and not exemption(found[0])
    assert _expand("'paths/*.csv' a\\ b \"c d\"  # note", tmp_path) == ["paths/*.csv", "a b",
                                                                        "c d"]
    assert _shell_operators("gazelearn info x --json > out.json")
    assert not _shell_operators("gazelearn info 'a>b.csv'")
