"""Exceptions raised by gazelearn.

Every problem with user input (files, columns, options) raises :class:`InputError`, whose message
is one line naming the file, the line or field, and what was expected. The CLI prints that line
and exits with code 1; nothing else should escape to the user.
"""

from __future__ import annotations

from pathlib import Path


class GazelearnError(Exception):
    """Base class of all gazelearn errors."""


class InputError(GazelearnError, ValueError):
    """Bad user input: a file, a column, a value or an option is not what was expected.

    Parameters
    ----------
    message : str
        What was wrong and what was expected.
    source : str or Path, optional
        The file (or option) the problem was found in.
    line : int, optional
        1-based line number in ``source``.
    field : str, optional
        Column or field name.
    params : tuple of str, optional
        The arguments of the Python call that would supply what is missing (``("sampling_rate",
        "time_col")``), kept apart from the message so that an app can name its own options for
        them: the CLI adds ``on the command line give --sampling-rate HZ or --time-col``.

    Examples
    --------
    >>> str(InputError("expected a number, got 'abc'", source="a.csv", line=3, field="x"))
    "a.csv, line 3, column 'x': expected a number, got 'abc'"
    >>> InputError("no time column: pass sampling_rate=", params=("sampling_rate",)).params
    ('sampling_rate',)
    """

    def __init__(
        self,
        message: str,
        source: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        params: tuple[str, ...] = (),
    ) -> None:
        self.reason = message
        self.params = tuple(params)
        self.source = None if source is None else str(source)
        self.line = line
        self.field = field
        where = []
        if self.source is not None:
            where.append(self.source)
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"column {field!r}")
        text = (", ".join(where) + ": " + message) if where else message
        super().__init__(" ".join(text.split()))  # one line, always


class LeakageError(GazelearnError):
    """A split puts samples of one group (recording, subject, ...) on both sides.

    Raised by :func:`gazelearn.splits.assert_no_leakage` unless a leaky protocol is asked for
    explicitly with ``allow_leak=True``.
    """


class MissingScreenError(InputError):
    """An operation needs screen geometry (pixels, millimetres, viewing distance) that is missing.

    Library code says what is missing in terms of the Python API (``screen=Screen(...)``); the
    command-line apps add the options that supply it.

    Parameters
    ----------
    message : str
        What needed the geometry and which fields are missing.
    missing : tuple of str
        The :class:`~gazelearn.Screen` fields that were needed but absent (for example
        ``("width_mm", "height_mm", "distance_mm")``); empty when there is no screen at all.
    source : str or Path, optional
        The file the recording came from.

    Its :attr:`~InputError.params` are ``("screen",)``: a ``screen=`` argument supplies it.

    Examples
    --------
    >>> error = MissingScreenError("conversion to degrees needs the viewing distance",
    ...                            missing=("distance_mm",))
    >>> isinstance(error, InputError), error.missing
    (True, ('distance_mm',))
    """

    def __init__(self, message: str, missing: tuple[str, ...] = (),
                 source: str | Path | None = None) -> None:
        self.missing = tuple(missing)
        super().__init__(message, source=source, params=("screen",))
