"""Fixtures of the browser-app tests: an app on a temporary data directory, real face frames."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


#: Where the test clients say they talk to: the app answers only to its served address (a
#: loopback name), not to TestClient's default ``testserver``.
BASE = "http://127.0.0.1:8000"

#: The frame rate the fixtures' apps allow: the tests send frames back to back, as fast as the
#: server answers, which on a fast machine is above the default 60 a second a page sends at
#: (the rate limit itself is tested with its own low rates).
BACK_TO_BACK = 10_000


def make_local_client(app, **options):
    """A TestClient on ``BASE`` whose WebSockets go there too (TestClient's own
    ``websocket_connect`` always says ``Host: testserver``)."""
    from fastapi.testclient import TestClient

    class LocalClient(TestClient):
        def websocket_connect(self, url, *args, **kwargs):
            if url.startswith("/"):
                url = "ws://127.0.0.1:8000" + url
            return super().websocket_connect(url, *args, **kwargs)

    return LocalClient(app, base_url=BASE, **options)


@pytest.fixture
def local_client():
    """``local_client(app, **options)``: see :func:`make_local_client`."""
    return make_local_client


@pytest.fixture
def client(data_dir):
    from gazelearn.server import create_app

    with make_local_client(create_app(data_dir, frame_rate=BACK_TO_BACK)) as test_client:
        yield test_client


@pytest.fixture
def landmark_client(data_dir):
    """A client of an app whose calibrations fit the landmark regressor (``gazelearn server
    --gaze-model landmarks``): the tests whose stand-in is a face that moves with the target
    (its position in the frame carries the target, which the regressor's face-position
    features read and the eyeball geometry, rightly, does not)."""
    from gazelearn.server import create_app

    with make_local_client(create_app(data_dir, gaze_model="landmarks",
                                              frame_rate=BACK_TO_BACK)) as test_client:
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
