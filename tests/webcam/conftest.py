"""Shared fixtures of the webcam tests: one MediaPipe landmarker, a real face and a drawn one."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _benchmark(name: str):
    """The script ``benchmarks/NAME.py`` as a module, forgotten afterwards."""
    sys.path.insert(0, str(BENCHMARKS))     # the benchmarks import each other by name
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))
        sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def geometry():
    """``benchmarks/webcam_geometry.py``."""
    yield from _benchmark("webcam_geometry")


@pytest.fixture(scope="module")
def bn_real_frames():
    """``benchmarks/bn_real_frames.py``."""
    yield from _benchmark("bn_real_frames")


@pytest.fixture(scope="module")
def landmarker():
    """A static-image FaceLandmarker shared by a module (MediaPipe start-up is slow-ish)."""
    pytest.importorskip("mediapipe")
    from gazelearn.webcam import FaceLandmarker

    with FaceLandmarker(static_image_mode=True) as marker:
        yield marker


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """scikit-image's astronaut (Eileen Collins): a 512 x 512 RGB photo with one face."""
    data = pytest.importorskip("skimage.data")
    return np.ascontiguousarray(data.astronaut())


@pytest.fixture
def level_face():
    """Landmarks with level eye corners in a 400 x 400 frame: the right eye's 60 px apart on
    y = 200 (x 110-170), the left eye's to the right of it (x 230-290); forehead and chin at
    y = 80 and 360. Only the points the crops and the geometry read are set."""
    from gazelearn.webcam import FaceLandmarks

    points = np.zeros((478, 3))
    points[[33, 133, 362, 263]] = [[110, 200, 0], [170, 200, 0], [230, 200, 0], [290, 200, 0]]
    points[10], points[152] = [200, 80, 0], [200, 360, 0]
    return FaceLandmarks.from_points(points, (400, 400))
