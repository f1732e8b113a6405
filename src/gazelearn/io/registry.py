"""The reader registry: readers register by name, so the CLI and Python code pick them by string.

A reader is a function ``reader(path, **options) -> Recording``. The name is what
:func:`gazelearn.io.detect_format` returns and what ``--format`` accepts.

Examples
--------
>>> from gazelearn.io import available_formats
>>> "lund2013" in available_formats()
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gazelearn.registry import Registry


@dataclass(frozen=True)
class ReaderInfo:
    """A registered reader: its name, function, one-line description, the options it takes and
    what ``--format auto`` looks for (empty when the reader is only chosen by name)."""

    name: str
    function: Callable
    description: str
    options: tuple[str, ...]
    detection: str = ""


READERS: Registry[ReaderInfo] = Registry("format", identity=lambda info: info.function,
                                         also=("auto",))


def register_reader(name: str, *, description: str = "", options: tuple[str, ...] = (),
                    detection: str = "") -> Callable[[Callable], Callable]:
    """Register a reader function under ``name`` (a decorator).

    Parameters
    ----------
    name : str
        Format name, e.g. ``"lund2013"``.
    description : str
        One line for ``gazelearn info --formats`` and the docs.
    options : tuple of str
        Keyword options the reader accepts besides ``path`` (``read`` refuses others with a
        clear error instead of ignoring them).
    detection : str
        What :func:`~gazelearn.io.detect_format` looks for, in words (``gazelearn formats``).

    Examples
    --------
    >>> @register_reader("example-doc", description="a doctest reader")
    ... def _read_example(path, **options):
    ...     raise NotImplementedError
    >>> "example-doc" in available_formats()
    True
    >>> unregister_reader("example-doc")
    """

    def decorate(function: Callable) -> Callable:
        READERS.register(name, ReaderInfo(name, function, description or (function.__doc__ or "")
                                          .strip().split("\n")[0], tuple(options), detection))
        return function

    return decorate


def unregister_reader(name: str) -> None:
    """Remove a reader (mainly for tests)."""
    READERS.unregister(name)


def available_formats() -> list[str]:
    """Names of all registered formats, sorted."""
    return READERS.names()


def reader_info(name: str) -> ReaderInfo:
    """The registered reader called ``name``; a clear error listing the known names otherwise."""
    return READERS.get(name)
