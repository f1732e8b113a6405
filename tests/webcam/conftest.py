"""Shared fixtures of the webcam gaze tests: one MediaPipe landmarker and a real face."""

from __future__ import annotations

import numpy as np
import pytest


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
