"""Event detection: a sequence of gaze samples becomes a sequence of events.

Classic detectors (each registered by name): ``ivt`` (Salvucci & Goldberg 2000), ``idt``
(Salvucci & Goldberg 2000), ``nh`` (adaptive thresholds with PSO, Nyström & Holmqvist 2010),
``ivdt`` (pursuit-aware, Komogortsev & Karpov 2013).

Examples
--------
>>> from gazelearn.detection import create_detector
>>> from gazelearn.simulate import simulate_recording
>>> events = create_detector("nh").detect(simulate_recording(5.0, 500.0, seed=3))
>>> sorted(events.counts())[:2]
['blink', 'fixation']
"""

from gazelearn.detection import idt, ivdt, ivt, nh  # noqa: F401  (registers the detectors)
from gazelearn.detection.base import Detector
from gazelearn.detection.registry import available_detectors, create_detector, register_detector

__all__ = ["Detector", "available_detectors", "create_detector", "register_detector"]
