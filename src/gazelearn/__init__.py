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

from gazelearn.dataset import Dataset
from gazelearn.errors import GazelearnError, InputError
from gazelearn.events import Events
from gazelearn.labels import LABELS, Label
from gazelearn.recording import Metadata, Recording, TimingReport
from gazelearn.screen import Screen

__version__ = "0.1.0"

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
