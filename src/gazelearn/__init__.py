"""gazelearn: deep learning for eye tracking.

The two data types that carry everything are :class:`Recording` (gaze samples) and
:class:`Events` (one row per eye-movement event); a :class:`Dataset` groups recordings with a
metadata table for splitting.

Examples
--------
>>> import gazelearn as gl
>>> screen = gl.Screen(1024, 768, 380.0, 300.0, 670.0)
>>> round(screen.pixels_per_degree, 2)
30.72
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# The public names load on first use (PEP 562): ``import gazelearn`` and ``gazelearn
# --version`` stay light (no numpy, polars or scipy) while ``gazelearn.Recording`` and ``from
# gazelearn import Recording`` work as before.
_LAZY = {
    "Dataset": "gazelearn.dataset",
    "GazelearnError": "gazelearn.errors",
    "InputError": "gazelearn.errors",
    "Events": "gazelearn.events",
    "LABELS": "gazelearn.labels",
    "Label": "gazelearn.labels",
    "Metadata": "gazelearn.recording",
    "Recording": "gazelearn.recording",
    "TimingReport": "gazelearn.recording",
    "Screen": "gazelearn.screen",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from gazelearn.dataset import Dataset
    from gazelearn.errors import GazelearnError, InputError
    from gazelearn.events import Events
    from gazelearn.labels import LABELS, Label
    from gazelearn.recording import Metadata, Recording, TimingReport
    from gazelearn.screen import Screen


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gazelearn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "LABELS",
    "Dataset",
    "Events",
    "GazelearnError",
    "InputError",
    "Label",
    "Metadata",
    "Recording",
    "Screen",
    "TimingReport",
    "__version__",
]
