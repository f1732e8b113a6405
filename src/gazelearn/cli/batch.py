"""One job per input file: in this process, on every local core, or on a Dask cluster.

``gazelearn events detect``, ``convert`` and ``info`` read many files the same way: the command
builds a list of picklable work items (an input file and where its output goes) and a job (a
module-level function, its settings bound with :func:`functools.partial`), and
:func:`map_files` runs the job on every item and yields one :class:`Outcome` per item, **in
input order**, so output is printed in the order the files were given whatever finishes first.

* ``--workers 1`` runs in this process; ``--workers N`` on a pool of N processes (default: the
  usable cores, :func:`usable_cores`); one file always runs in this process.
* ``--scheduler tcp://HOST:8786`` runs the same jobs on a Dask distributed cluster (the
  ``[cluster]`` extra, imported only then); the files must be on a filesystem the workers
  share (see docs/cluster.md).
* A bad file is a failed outcome, not an exception: the command reports it and goes on
  (``--keep-going``, the default) or stops there (``--no-keep-going``), and ends with exit code
  1 and one line naming the failures (:class:`Failures`).

A job writes its own outputs (through :func:`gazelearn.io.atomic_write`, so on a cluster the
workers write to the shared filesystem and only small summaries travel back). Outputs never
overwrite an input: :func:`input_identities` and :func:`refuse_overwrite`.

Examples
--------
>>> import functools
>>> outcomes = list(map_files(functools.partial(divmod, 7), [2, 0, 3]))
>>> [(o.item, o.result) for o in outcomes if o.ok]
[(2, (3, 1)), (3, (2, 1))]
>>> outcomes[1].failure.message
'unexpected ZeroDivisionError: integer division or modulo by zero (a bug: please report it)'
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from gazelearn.errors import GazelearnError, InputError

_PANEL = "Batch"

WorkersOption = Annotated[int | None, typer.Option(
    "--workers", "-j", min=1, help="Processes for several files (default: every usable core; 1 = "
    "in this process).", rich_help_panel=_PANEL)]
SchedulerOption = Annotated[str | None, typer.Option(
    "--scheduler", help="Run on a Dask cluster: the scheduler's address, e.g. "
    # help is shown as written (cli.help_format reads no markup)
    "tcp://10.0.0.5:8786 (needs pip install 'gazelearn[cluster]'; files on a shared "
    "filesystem).",
    rich_help_panel=_PANEL)]
KeepGoingOption = Annotated[bool, typer.Option(
    "--keep-going/--no-keep-going", help="With several files: report a bad file and go on "
    "(exit 1 at the end), or stop at the first.", rich_help_panel=_PANEL)]

#: Errors that mean "this file is bad" (the same ones :func:`gazelearn.cli.common.run_safely`
#: turns into one line); anything else is a bug, reported as such.
EXPECTED_ERRORS = (GazelearnError, FileNotFoundError, IsADirectoryError, PermissionError)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. under a batch system).

    Examples
    --------
    >>> usable_cores() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Failure:
    """Why one file failed: its one-line message and the arguments it names (for hints)."""

    message: str
    params: tuple[str, ...] = ()


@dataclass
class Outcome:
    """The result of the job on one item, or its failure."""

    item: Any
    result: Any = None
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def guarded(job: Callable, item) -> Outcome:
    """Run ``job(item)``, turning an exception into a failed :class:`Outcome`.

    Exceptions are not sent between processes as such (gazelearn's errors carry keyword
    arguments pickle would lose): only their message and ``params`` travel.
    """
    try:
        return Outcome(item, result=job(item))
    except EXPECTED_ERRORS as error:
        return Outcome(item, failure=Failure(" ".join(str(error).split()),
                                             tuple(getattr(error, "params", ()))))
    except Exception as error:  # noqa: BLE001 - one file's bug must not end a 10 000-file run
        if os.environ.get("GAZELEARN_DEBUG"):
            raise
        text = " ".join(str(error).split())
        return Outcome(item, failure=Failure(
            f"unexpected {type(error).__name__}: {text} (a bug: please report it)"))


def _init_worker(threads: int) -> None:
    # a pool worker: clean up its temporary files on SIGTERM (the parent forwards it), leave
    # Ctrl-C to the parent, and share the cores with the other workers instead of each
    # starting one thread per core (polars, numpy's BLAS, torch)
    import signal

    from gazelearn.io.atomic import install_sigterm_cleanup

    install_sigterm_cleanup()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("POLARS_MAX_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                 "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(threads))


def _in_process(job: Callable, items: list, keep_going: bool) -> Iterator[Outcome]:
    for item in items:
        outcome = guarded(job, item)
        yield outcome
        if not outcome.ok and not keep_going:
            return


def _on_pool(job: Callable, items: list, workers: int, keep_going: bool) -> Iterator[Outcome]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # spawn, not fork: polars' and torch's thread pools do not survive a fork
    context = multiprocessing.get_context("spawn")
    threads = max(1, usable_cores() // workers)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_init_worker, initargs=(threads,))
    futures = [pool.submit(guarded, job, item) for item in items]
    try:
        for item, future in zip(items, futures, strict=True):
            try:
                outcome = future.result()
            except BrokenProcessPool:
                outcome = Outcome(item, failure=Failure(
                    f"{item}: a worker process died (out of memory? killed?)"))
            yield outcome
            if not outcome.ok and not keep_going:
                return
    except BaseException:  # Ctrl-C or the consumer failed: end the workers now
        pool.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():
            child.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _on_cluster(job: Callable, items: list, scheduler: str, keep_going: bool
                ) -> Iterator[Outcome]:
    import functools

    try:
        from distributed import Client
    except ImportError:
        raise InputError("--scheduler needs Dask distributed: pip install 'gazelearn[cluster]'"
                         ) from None
    try:
        client = Client(scheduler, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        reason = " ".join(str(error).split())
        raise InputError(f"cannot reach the Dask scheduler: {reason}", source=scheduler) from None
    with client:
        futures = client.map(functools.partial(guarded, job), items, pure=False)
        try:
            for future in futures:
                outcome = future.result()
                yield outcome
                if not outcome.ok and not keep_going:
                    return
        finally:
            client.cancel(futures)


def map_files(job: Callable, items: Iterable, *, workers: int = 1, scheduler: str | None = None,
              keep_going: bool = True) -> Iterator[Outcome]:
    """Run ``job`` on every item, yielding one :class:`Outcome` per item in input order.

    Parameters
    ----------
    job : callable
        Takes one item; picklable for ``workers > 1`` or a scheduler (a module-level function,
        or a :func:`functools.partial` of one).
    items : iterable
        Picklable work items (paths, or tuples of input and output paths).
    workers : int
        1: in this process; more: a pool of that many processes (never more than the items).
    scheduler : str, optional
        Address of a Dask distributed scheduler; when given, ``workers`` is not used.
    keep_going : bool
        Go on after a failed item (the default) or stop after the first.

    Yields
    ------
    Outcome
        In the order of ``items``; with ``keep_going=False`` the last one is the failure.
        Items already running when one fails (on a pool or cluster) still finish.
    """
    items = list(items)
    if scheduler:
        return _on_cluster(job, items, scheduler, keep_going)
    workers = min(workers, len(items))
    if workers <= 1:
        return _in_process(job, items, keep_going)
    return _on_pool(job, items, workers, keep_going)


@dataclass
class Failures:
    """The failed files of a batch: each reported on stderr when it happens, then one line.

    Examples
    --------
    >>> failures = Failures(total=3)
    >>> failures.summary() is None
    True
    """

    total: int
    names: list[str] = field(default_factory=list)

    def report(self, outcome: Outcome, name: str) -> None:
        """Print one file's failure (with the command's options for what it needs)."""
        from gazelearn.cli.common import error_console, error_line, option_hint

        self.names.append(name)
        error_console.print(error_line(f"{outcome.failure.message}"
                                       f"{option_hint(outcome.failure)}"),
                            markup=True, highlight=False, soft_wrap=True)

    def summary(self) -> str | None:
        """``2 of 8 files failed: a.csv, b.csv`` (the first 10 named), or None."""
        if not self.names:
            return None
        shown = ", ".join(self.names[:10])
        more = f" and {len(self.names) - 10} more" if len(self.names) > 10 else ""
        return f"{len(self.names)} of {self.total} files failed: {shown}{more}"

    def finish(self) -> None:
        """Exit with code 1 and the summary line when any file failed."""
        from gazelearn.cli.common import fail

        text = self.summary()
        if text is not None:
            sys.stdout.flush()  # the good files' output first, then the line naming the bad
            fail(text)


def run_each(job: Callable, items: list, failures: Failures, *, workers: int | None,
             scheduler: str | None, keep_going: bool,
             name: Callable[[Any], str] = str) -> Iterator[Outcome]:
    """:func:`map_files` for a command: yields the successes, reports failures into ``failures``.

    One item runs in this process and its error ends the command as a single-file command
    always has (one line, exit 1). With several, each failure is printed as it comes; the
    command calls ``failures.finish()`` when its output is done (exit 1 and one line naming
    them all).
    """
    if len(items) == 1 and not scheduler:
        yield Outcome(items[0], result=job(items[0]))  # errors reach run_safely unchanged
        return
    for outcome in map_files(job, items, workers=workers or usable_cores(),
                             scheduler=scheduler, keep_going=keep_going):
        if outcome.ok:
            yield outcome
        else:
            failures.report(outcome, name(outcome.item))


# ------------------------------------------------------------------ outputs never overwrite inputs
def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_dev, status.st_ino


def input_identities(files: Iterable[Path], within: Iterable[Path] | None = None
                     ) -> dict[tuple[int, int], str]:
    """The files an output must not be: every input and its sidecar (``<file>.json``).

    Files are compared by device and inode, so a symlink, a hard link or another spelling of
    the path is recognised. With ``within`` (folders), only inputs inside those folders are
    kept: the ones a job writing there could meet (keeps the work items of a large batch small).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = path.write_text("time,x,y\\n")
    >>> list(input_identities([path]).values()) == [str(path)]
    True
    """
    folders = None if within is None else {_identity(Path(f)) for f in within} - {None}
    found = {}
    for file in files:
        file = Path(file)
        if folders is not None and _identity(file.parent) not in folders:
            continue
        for candidate, what in ((file, str(file)),
                                (file.with_name(file.name + ".json"), f"the sidecar of {file}")):
            key = _identity(candidate)
            if key is not None:
                found.setdefault(key, what)
    return found


def refuse_overwrite(targets: Iterable[Path], protected: dict[tuple[int, int], str],
                     what: str = "output") -> None:
    """Raise :class:`~gazelearn.errors.InputError` when a target is one of the inputs.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = path.write_text("time,x,y\\n")
    >>> refuse_overwrite([path], input_identities([path]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gazelearn.errors.InputError: ...a.csv: the output is the input ...a.csv; gazelearn never \
writes over an input: choose another output path
    """
    for target in targets:
        key = _identity(Path(target))
        if key is not None and key in protected:
            raise InputError(f"the {what} is the input {protected[key]}; gazelearn never writes "
                             "over an input: choose another output path", source=target)


def per_recording_targets(base: Path, recordings: list) -> list[Path]:
    """Output paths for the recordings of one file: ``base`` itself, or one per trial.

    A file holding several recordings (the trials of an EyeLink file) gives one output each,
    its trial (or 1-based number) appended to the stem: ``out_3.csv``.

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> trials = [R(meta=R(trial="t 1")), R(meta=R(trial=None))]
    >>> [p.name for p in per_recording_targets(Path("out/ev.csv"), trials)]
    ['ev_t_1.csv', 'ev_2.csv']
    >>> [p.name for p in per_recording_targets(Path("ev.csv"), trials[:1])]
    ['ev.csv']
    """
    import re

    if len(recordings) == 1:
        return [base]
    names = []
    for number, recording in enumerate(recordings, start=1):
        trial = getattr(recording.meta, "trial", None)
        label = re.sub(r"[^A-Za-z0-9.-]+", "_", str(trial)).strip("._") if trial else ""
        names.append(label or str(number))
    if len(set(names)) != len(names):  # trials without distinct names: number them
        names = [str(number) for number in range(1, len(recordings) + 1)]
    return [base.with_name(f"{base.stem}_{name}{base.suffix}") for name in names]
