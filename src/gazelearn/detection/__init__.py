"""Event detection: a sequence of gaze samples becomes a sequence of events.

Classic detectors (each registered by name): ``ivt`` (Salvucci & Goldberg 2000), ``idt``
(Salvucci & Goldberg 2000), ``nh`` (adaptive thresholds with PSO, Nyström & Holmqvist 2010),
``ivdt`` (pursuit-aware, Komogortsev & Karpov 2013). Their algorithms are plain functions in
:mod:`gazelearn.detection.kernels`, which imports neither scikit-learn nor scipy; the classes
(scikit-learn estimators) load on first lookup.

Examples
--------
>>> from gazelearn.detection import create_detector
>>> from gazelearn.simulate import simulate_recording
>>> events = create_detector("nh").detect(simulate_recording(5.0, 500.0, seed=3))
>>> sorted(events.counts())[:2]
['blink', 'fixation']
"""

from gazelearn.detection.registry import available_detectors, create_detector, register_detector

__all__ = ["Detector", "available_detectors", "create_detector", "register_detector"]


def __getattr__(name: str):
    # Detector subclasses sklearn's BaseEstimator (about 1 s of CPU to import): loaded on first
    # use, so the classic functions (gazelearn.detection.kernels) start without it
    if name == "Detector":
        from gazelearn.detection.base import Detector

        return Detector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
