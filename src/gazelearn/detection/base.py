"""The detector contract: ``predict(recording)`` gives one label code per sample.

Every detector is a scikit-learn estimator (:class:`sklearn.base.BaseEstimator`): ``__init__``
only stores its arguments, so ``clone``, ``get_params``, ``set_params`` and ``repr`` work.
Classic detectors have nothing to learn, so ``fit`` returns the detector unchanged and they are
ready as constructed; learned detectors override ``fit``. ``detect`` returns the
:class:`~gazelearn.Events` table directly.

Examples
--------
>>> from sklearn.base import clone
>>> from gazelearn.detection import create_detector
>>> detector = create_detector("ivt", threshold=40.0)
>>> clone(detector).set_params(window_s=0.03)
IVT(threshold=40.0, window_s=0.03)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from gazelearn.detection.kernels import (
    OUTPUT_CLASSES,
    positions_in_degrees,  # noqa: F401 (its old home)
    run,
)
from gazelearn.detection.postprocess import PostProcessing
from gazelearn.events import Events
from gazelearn.labels import LABELS
from gazelearn.recording import Recording


class Detector(BaseEstimator):
    """Base class of all event detectors (parameters in ``__init__``, stored unchanged).

    A classic detector sets ``_kernel`` to its function in :mod:`gazelearn.detection.kernels`
    (a ``staticmethod``): ``predict`` and ``detect`` call it with the detector's parameters, so
    the estimator and ``gazelearn events detect`` run the one implementation. A learned detector
    overrides ``predict`` (and ``fit``).
    """

    registry_name = "detector"
    _kernel: Callable | None = None

    def fit(self, X: Any = None, y: Any = None, groups: Any = None) -> Detector:
        """Classic detectors learn nothing; return self.

        ``X`` are recordings, ``y`` their per-sample labels and ``groups`` one group per
        recording, as learned detectors take them.
        """
        return self

    def predict(self, recording: Recording, *, postprocess: PostProcessing | bool = True,
                stimulus: str | None = "auto") -> np.ndarray:
        """Per-sample label codes (``int8``), one per sample of ``recording``.

        ``postprocess``: the shared rules of
        :class:`~gazelearn.detection.postprocess.PostProcessing` (True: the defaults, False:
        the algorithm alone, or your own rules). ``stimulus``: ``"static"`` (no pursuit),
        ``"dynamic"`` or ``"auto"`` (the recording's ``meta.extra["stimulus_kind"]``, else
        dynamic).
        """
        if self._kernel is None:
            raise NotImplementedError
        return run(self._kernel, recording, self.get_params(deep=False),
                   postprocess=postprocess, stimulus=stimulus).labels

    def detect(self, recording: Recording, *, postprocess: PostProcessing | bool = True,
               stimulus: str | None = "auto") -> Events:
        """The events table of ``recording`` (options as in :meth:`predict`).

        A velocity detector's speed also gives the events' peak velocities when it is the one
        :class:`~gazelearn.Events` uses (the default 20-ms window): computed once, not twice.
        """
        if self._kernel is None:
            return Events.from_labels(recording, self.predict(
                recording, postprocess=postprocess, stimulus=stimulus))
        return run(self._kernel, recording, self.get_params(deep=False),
                   postprocess=postprocess, stimulus=stimulus).events(recording)

    @property
    def output_classes(self) -> tuple[str, ...]:
        """The event classes this detector can label (names of :data:`gazelearn.labels.LABELS`).

        A classic method's are fixed (:data:`~gazelearn.detection.kernels.OUTPUT_CLASSES`); a
        learned detector's are the classes it was trained on (``classes_``), all of them before
        it is fitted. A score of a class not listed is not applicable, not 0.

        Examples
        --------
        >>> from gazelearn.detection import create_detector
        >>> create_detector("ivt").output_classes
        ('fixation', 'saccade', 'blink')
        """
        learned = getattr(self, "classes_", None)
        if learned is not None:
            return tuple(str(c) for c in learned)
        return OUTPUT_CLASSES.get(getattr(self, "registry_name", ""), LABELS[1:])

    def _learns(self) -> bool:
        """Whether this detector overrides :meth:`fit` (and so has to be fitted first)."""
        return type(self).fit is not Detector.fit

    def __sklearn_is_fitted__(self) -> bool:
        # a classic detector is ready as constructed; a learned one once it has fitted state
        return not self._learns() or any(
            k.endswith("_") and not k.startswith("__") for k in vars(self))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = self._learns()
        return tags
