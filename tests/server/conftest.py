"""Fixtures of the browser-app tests: an app on a temporary data directory, real face frames."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def client(data_dir):
    from fastapi.testclient import TestClient

    from gazelearn.server import create_app

    with TestClient(create_app(data_dir)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def face_at():
    """``face_at(fx, fy)``: JPEG bytes of a 360 x 320 frame with the astronaut's face placed at
    fractions ``fx``, ``fy`` of the free room (the face moves with the target shown)."""
    pytest.importorskip("skimage")
    import cv2

    from gazelearn.server.fakecam import astronaut_face, jpeg_bytes, place_face

    face = cv2.resize(astronaut_face(), (240, 240), interpolation=cv2.INTER_AREA)
    cache: dict = {}

    def make(fx: float, fy: float) -> bytes:
        key = (round(fx, 3), round(fy, 3))
        if key not in cache:
            cache[key] = jpeg_bytes(place_face(face, (360, 320), key))
        return cache[key]

    return make


@pytest.fixture(scope="session")
def blank_jpeg() -> bytes:
    """A grey frame without a face."""
    import numpy as np

    from gazelearn.server.fakecam import jpeg_bytes

    return jpeg_bytes(np.full((320, 360, 3), 110, np.uint8))
