"""A CNN calibration profile (eye crops -> gaze CNN) runs live over the gaze WebSocket."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gazelearn.server.app import frame_message

pytest.importorskip("mediapipe")
pytest.importorskip("torch")

SCREEN = (1000, 600)


def test_a_cnn_profile_calibrated_by_the_session_tracks_live(client, data_dir, face_at):
    from gazelearn.server.live import LiveSession, decode_jpeg
    from gazelearn.server.storage import Storage
    from gazelearn.webcam.crop_model import CropGazeModel

    # the profile comes from the server's own calibration code: a session whose mapper is the
    # crop CNN keeps the eye crops of each calibration frame and fits the network on them
    session = LiveSession(SCREEN, mapper=CropGazeModel(epochs=2, screen_size=SCREEN))
    try:
        targets = session.start_calibration(9, n_validation=0)["calibration"]
        for index, (x, y) in enumerate(targets):
            for _ in range(3):
                reply = session.frame({"phase": "calibration", "target": index},
                                      decode_jpeg(face_at(x / SCREEN[0], y / SCREEN[1])))
                assert reply["type"] == "frame"
        session.fit({"user": "ada"})
    finally:
        session.close()
    rows = np.array([row for _, row in session.frames["calibration"]])
    assert rows.shape[1] == 36 * 64 != 14  # eye-crop pixels, not the 14 landmark features
    path = Storage(data_dir).profile_path("ada")
    path.parent.mkdir(parents=True, exist_ok=True)
    session.profile.save(path)
    assert path.with_name("profile.cnn.safetensors").is_file()

    with client.websocket_connect("/ws/gaze") as socket:
        socket.send_text(json.dumps({"type": "hello", "person": "ada", "screen": list(SCREEN),
                                     "load_profile": True}))
        assert socket.receive_json()["profile"] is True
        socket.send_text(json.dumps({"type": "record", "on": True}))
        assert socket.receive_json()["on"] is True
        gaze = []
        for i, (fx, fy) in enumerate([(0.3, 0.4)] * 3 + [(0.7, 0.6)] * 3):
            socket.send_bytes(frame_message({"seq": i, "phase": "live", "t": i / 30},
                                            face_at(fx, fy)))
            reply = socket.receive_json()
            assert reply["type"] == "gaze" and reply["seq"] == i, reply
            gaze.append(reply)
        socket.send_text(json.dumps({"type": "stop"}))
        recorded = socket.receive_json()
    found = [g for g in gaze if g["face"]]
    assert len(found) >= 4 and all(g["valid"] for g in found), gaze
    xy = np.array([(g["x"], g["y"]) for g in found], dtype=float)
    assert np.isfinite(xy).all()
    assert (xy >= 0).all() and (xy[:, 0] <= SCREEN[0]).all() and (xy[:, 1] <= SCREEN[1]).all()
    assert recorded["type"] == "session" and recorded["samples"] == 6
    assert recorded["valid"] == len(found)
