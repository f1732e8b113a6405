"""I-DT: the dispersion-threshold identification of fixations."""

from __future__ import annotations

from gazelearn.detection import kernels
from gazelearn.detection.base import Detector
from gazelearn.detection.kernels import dispersion_fixations  # noqa: F401 (its old home)
from gazelearn.detection.registry import register_detector

_DEFAULTS = kernels.idt.__kwdefaults__  # the function's defaults are the detector's


@register_detector("idt")
class IDT(Detector):
    """Dispersion-threshold identification (I-DT).

    Fixations are the stretches of at least ``min_duration_s`` whose dispersion stays under
    ``max_dispersion`` degrees; what lies between fixations is labelled saccade (I-DT knows
    only the two), lost samples blink or undefined. The algorithm is
    :func:`gazelearn.detection.kernels.idt`.

    Salvucci, D. D. & Goldberg, J. H. (2000). Identifying fixations and saccades in eye-tracking
    protocols. Proceedings of ETRA 2000, 71-78.

    Parameters
    ----------
    max_dispersion : float
        Degrees (the sum of the x and y ranges); 1.0 is common.
    min_duration_s : float
        Minimum fixation duration (100 ms in the original paper).

    Examples
    --------
    >>> import numpy as np
    >>> from gazelearn.simulate import simulate_recording
    >>> rec = simulate_recording(5.0, 500.0, seed=1)
    >>> labels = IDT().predict(rec)
    >>> float(np.mean((labels == 1) == (rec.labels == 1))) > 0.8
    True
    """

    _kernel = staticmethod(kernels.idt)

    def __init__(self, max_dispersion: float = _DEFAULTS["max_dispersion"],
                 min_duration_s: float = _DEFAULTS["min_duration_s"]) -> None:
        self.max_dispersion = max_dispersion
        self.min_duration_s = min_duration_s
