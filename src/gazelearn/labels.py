"""The event-label vocabulary shared by all of gazelearn.

Per-sample labels are stored as small integer codes (``int8``); the codes follow the Lund 2013
coding (Andersson et al. 2017) for fixation .. blink, and 0 means undefined (Lund's 6).

Examples
--------
>>> Label.SACCADE.value, Label.SACCADE.name.lower()
(2, 'saccade')
>>> codes_to_names(np.array([1, 2, 0]))
['fixation', 'saccade', 'undefined']
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from gazelearn.errors import InputError


class Label(IntEnum):
    """One eye-movement event class."""

    UNDEFINED = 0
    FIXATION = 1
    SACCADE = 2
    PSO = 3
    PURSUIT = 4
    BLINK = 5


#: Label names in code order: ``LABELS[code]`` is the name of ``code``.
LABELS: tuple[str, ...] = tuple(label.name.lower() for label in Label)

_NAME_TO_CODE = {name: code for code, name in enumerate(LABELS)}


def name_to_code(name: str) -> int:
    """Return the integer code of a label name (case-insensitive)."""
    try:
        return _NAME_TO_CODE[name.strip().lower()]
    except KeyError:
        raise InputError(f"unknown event label {name!r}; expected one of "
                         f"{', '.join(LABELS)}") from None


def codes_to_names(codes) -> list[str]:
    """Convert integer codes to label names."""
    codes = np.asarray(codes)
    if codes.size and (codes.min() < 0 or codes.max() >= len(LABELS)):
        raise InputError(f"label codes must be in 0..{len(LABELS) - 1}")
    return [LABELS[int(c)] for c in codes]
