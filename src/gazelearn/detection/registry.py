"""Detectors register themselves by name so the CLI and Python code can pick them by string.

Examples
--------
>>> from gazelearn.detection import available_detectors, create_detector
>>> "ivt" in available_detectors()
True
>>> create_detector("ivt", threshold=40.0).threshold
40.0
"""

from __future__ import annotations

from collections.abc import Callable

from gazelearn.detection.kernels import KERNELS
from gazelearn.errors import InputError
from gazelearn.registry import Registry

DETECTORS: Registry[type] = Registry("detection method")
# Every detector's module is imported only when asked for: the deep one pulls in torch, the
# classic ones scikit-learn (their estimator base); `gazelearn events detect --method ivt` runs
# the classic function of gazelearn.detection.kernels and needs neither. A classic method's
# module is named after it and registers under the name its function has in kernels.KERNELS.
DETECTORS.register_lazy("deep", "gazelearn.detection.deep")
for _name in KERNELS:
    DETECTORS.register_lazy(_name, f"gazelearn.detection.{_name}")


def register_detector(name: str) -> Callable[[type], type]:
    """Class decorator adding a detector to the registry under ``name``."""

    def decorate(cls: type) -> type:
        DETECTORS.register(name, cls)
        cls.registry_name = name
        return cls

    return decorate


def available_detectors() -> list[str]:
    """Names of all registered detectors."""
    return DETECTORS.names()


def create_detector(name: str, **options):
    """Create a registered detector by name with keyword options, ready to detect.

    A learned detector comes with the weights gazelearn ships (its class method
    ``pretrained``, e.g. :meth:`DeepDetector.pretrained
    <gazelearn.detection.deep.DeepDetector.pretrained>`); the registry itself holds the
    classes (``DETECTORS.get(name)()`` is an untrained detector to fit).
    """
    cls = DETECTORS.get(name)
    factory = getattr(cls, "pretrained", cls)
    try:
        return factory(**options)
    except TypeError as error:
        raise InputError(f"bad option for detector {name!r}: {error}") from None
