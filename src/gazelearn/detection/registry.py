"""Detectors register themselves by name so the CLI and configs can pick them by string.

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

from gazelearn.errors import InputError

_DETECTORS: dict[str, type] = {}
# Detectors whose module is imported only when asked for (the deep one pulls in torch, which
# would slow every `gazelearn events detect --method ivt` by a second or two).
_LAZY = {"deep": "gazelearn.detection.deep"}


def register_detector(name: str) -> Callable[[type], type]:
    """Class decorator adding a detector to the registry under ``name``."""

    def decorate(cls: type) -> type:
        if name in _DETECTORS and _DETECTORS[name] is not cls:
            raise ValueError(f"detector name {name!r} is already taken by {_DETECTORS[name]}")
        _DETECTORS[name] = cls
        cls.registry_name = name
        return cls

    return decorate


def available_detectors() -> list[str]:
    """Names of all registered detectors."""
    return sorted(set(_DETECTORS) | set(_LAZY))


def create_detector(name: str, **options):
    """Create a registered detector by name with keyword options."""
    if name in _LAZY and name not in _DETECTORS:
        import importlib

        importlib.import_module(_LAZY[name])
    try:
        cls = _DETECTORS[name]
    except KeyError:
        raise InputError(f"unknown detection method {name!r}; expected one of "
                         f"{', '.join(available_detectors())}") from None
    try:
        return cls(**options)
    except TypeError as error:
        raise InputError(f"bad option for detector {name!r}: {error}") from None
