"""The detector contract: ``predict(recording)`` gives one label code per sample.

Classic detectors have nothing to learn, so ``fit`` returns the detector unchanged; learned
detectors override it. ``detect`` returns the :class:`~gazelearn.Events` table directly.
"""

from __future__ import annotations

import numpy as np

from gazelearn.errors import InputError
from gazelearn.events import Events
from gazelearn.recording import Recording


class Detector:
    """Base class of all event detectors (scikit-learn style: parameters in ``__init__``)."""

    registry_name = "detector"

    def fit(self, recordings=None, labels=None) -> Detector:
        """Classic detectors learn nothing; return self."""
        return self

    def predict(self, recording: Recording) -> np.ndarray:
        """Per-sample label codes (``int8``), one per sample of ``recording``."""
        raise NotImplementedError

    def detect(self, recording: Recording) -> Events:
        """The events table of ``recording``."""
        return Events.from_labels(recording, self.predict(recording))

    def get_params(self) -> dict:
        """The constructor parameters (as scikit-learn estimators have them)."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


def positions_in_degrees(recording: Recording, purpose: str) -> tuple[np.ndarray, np.ndarray]:
    """The recording's gaze in degrees, or a clear error naming the missing options."""
    if len(recording) < 2:
        raise InputError(f"{purpose} needs at least 2 samples, the recording has "
                         f"{len(recording)}", source=recording.meta.source)
    recording.require_screen(purpose)
    return recording.position_deg()
