"""Atomic output: a file is either written completely or not at all.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with atomic_write(folder / "out.txt", "w") as handle:
...     _ = handle.write("done")
>>> (folder / "out.txt").read_text()
'done'
>>> atomic_write_bytes(folder / "new" / "b.bin", b"ok").read_bytes()
b'ok'

Temporary files are named ``.NAME.gazelearn-tmp-HOST-PID-XXXX``: when a process is killed
outright (SIGKILL, a crash), nothing can remove its temporary file, so the next write into that
folder removes those of processes of this host that no longer run (:func:`remove_stale_temps`).
A process of the CLI also removes its own on SIGTERM (:func:`install_sigterm_cleanup`).

>>> sorted(p.name for p in folder.iterdir())
['new', 'out.txt']
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from gazelearn.errors import InputError

#: What marks gazelearn's temporary files: ``.NAME`` + this + ``HOST-PID-RANDOM``.
TEMP_MARK = ".gazelearn-tmp-"
#: Exit code of a process ended by SIGTERM (128 + 15, as a shell reports it).
SIGTERM_EXIT = 143
_TEMP_NAME = re.compile(re.escape(TEMP_MARK) + r"(?P<host>.+)-(?P<pid>\d+)-[a-z0-9_]+$")

_live: set[Path] = set()  # temporary files this process is writing now (SIGTERM removes them)
_live_lock = threading.RLock()  # a Dask worker writes from threads; the handler re-enters
_swept: set[Path] = set()  # folders whose stale temporary files this process has removed


def _host() -> str:
    # the host is part of the name: on a shared filesystem a pid means something only on its host
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname()) or "host"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_stale_temps(folder: str | Path) -> list[Path]:
    """Remove gazelearn's temporary files in ``folder`` left by dead processes of this host.

    A temporary file of a running process, of another host (a cluster on a shared
    filesystem), or of another program is kept.

    Returns
    -------
    list of Path
        The files removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> dead = folder / f".out.csv{TEMP_MARK}{_host()}-999999999-abc"
    >>> _ = dead.write_text("half")
    >>> [p.name == dead.name for p in remove_stale_temps(folder)], dead.exists()
    ([True], False)
    """
    removed = []
    host = _host()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.search(entry.name) if TEMP_MARK in entry.name else None
        if match is None or match["host"] != host or _running(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def remove_live_temps() -> None:
    """Remove the temporary files this process is writing (called on SIGTERM)."""
    with _live_lock:
        files = list(_live)
        _live.clear()
    for temp in files:
        with contextlib.suppress(OSError):
            temp.unlink()


def _on_sigterm(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    remove_live_temps()
    # the workers of a process pool hold temporary files of their own: they get SIGTERM too
    # (and remove theirs, see the pool's initializer in gazelearn.cli.batch)
    if "multiprocessing" in sys.modules:
        import multiprocessing

        children = multiprocessing.active_children()
        for child in children:
            child.terminate()
        for child in children:
            child.join(timeout=5)
    with contextlib.suppress(Exception):
        sys.stderr.write("terminated\n")
        sys.stderr.flush()
    os._exit(SIGTERM_EXIT)  # nothing else runs: no half-written output can follow


def install_sigterm_cleanup() -> bool:
    """On SIGTERM, remove this process's temporary files and exit with code 143.

    Installed by the CLI (and its worker processes) only, and only when SIGTERM still has its
    default action, so an application's own handler (uvicorn's, say) is never replaced. Only the
    main thread can install a handler; elsewhere this does nothing.

    Returns
    -------
    bool
        Whether the handler was installed.
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None):
        return signal.getsignal(signal.SIGTERM) is _on_sigterm
    signal.signal(signal.SIGTERM, _on_sigterm)
    return True


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str | None = None, **open_kwargs) -> Iterator:
    """Write ``path`` through a temporary file in the same folder, renamed on success.

    Parameters
    ----------
    path : str or Path
        The final file. Its folder must exist.
    mode : str, optional
        When given (``"w"``, ``"wb"``), the context yields an open file object; otherwise it
        yields the temporary :class:`~pathlib.Path` for writers that want a path (polars, Pillow).
    **open_kwargs
        Passed to :func:`open` (``encoding``, ``newline``).

    Raises
    ------
    InputError
        When the folder does not exist or is not writable.

    Notes
    -----
    On any exception inside the block the temporary file is deleted and ``path`` is left as it
    was (a previous version is not touched), so no half-written output ever exists. The
    temporary file is ``.NAME.gazelearn-tmp-HOST-PID-XXXX``; the first write of a process into
    a folder removes such files of dead processes (:func:`remove_stale_temps`). The file's
    data is synced to disk before the rename, so a crash right after it cannot leave an empty
    file under the final name.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError("cannot write: the folder does not exist", source=path)
    resolved = folder.resolve()
    if resolved not in _swept:  # once per folder and process: a batch writes thousands of files
        _swept.add(resolved)
        remove_stale_temps(folder)
    try:
        with _live_lock:  # registered before it exists: SIGTERM right after mkstemp removes it
            handle_fd, temp_name = tempfile.mkstemp(
                prefix=f".{path.name}{TEMP_MARK}{_host()}-{os.getpid()}-", dir=folder)
            temp = Path(temp_name)
            _live.add(temp)
    except OSError as error:
        raise InputError(f"cannot write: {error.strerror}", source=path) from None
    os.close(handle_fd)
    with contextlib.suppress(OSError):
        # mkstemp makes 0600 files; output gets the mode open() would give (0666 less the umask)
        os.chmod(temp, 0o666 & ~_umask())
    try:
        if mode is None:
            yield temp
        else:
            if "b" not in mode:
                open_kwargs.setdefault("encoding", "utf-8")
            with open(temp, mode, **open_kwargs) as handle:
                yield handle
        _fsync(temp)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    finally:
        with _live_lock:
            _live.discard(temp)


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    with _live_lock:  # elsewhere the only way to read it is to set it and set it back
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    # whoever wrote the temporary file (us, polars, Pillow, safetensors) has closed it by now
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through :func:`atomic_write`, creating missing folders.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        ``path`` is a directory, or its folder cannot be created or written.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError("is a directory, expected a file path", source=path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot write: {error.strerror}", source=path) from None
    with atomic_write(path, "wb") as handle:
        handle.write(data)
    return path
