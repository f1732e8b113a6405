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
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gazelearn.errors import InputError


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
    was (a previous version is not touched), so no half-written output ever exists. The file's
    data is synced to disk before the rename, so a crash right after it cannot leave an empty
    file under the final name.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError("cannot write: the folder does not exist", source=path)
    try:
        handle_fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                                dir=folder)
    except OSError as error:
        raise InputError(f"cannot write: {error.strerror}", source=path) from None
    os.close(handle_fd)
    temp = Path(temp_name)
    with contextlib.suppress(OSError):
        os.chmod(temp, 0o644)  # mkstemp makes 0600 files; output should be readable like any other
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
