"""The calibrations of the gaze WebSocket: layouts, the fixation wait, pursuit, clicks, drift,
refusal, face advice, and sessions that `gazelearn events detect` reads."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gazelearn.server.app import frame_message
from gazelearn.server.capture import (
    FACE_MAX_SIZE,
    FACE_MIN_SIZE,
    FixationGate,
    calibration_layout,
    face_advice,
)

from .conftest import BACK_TO_BACK

SCREEN = (1000, 600)


def _send(socket, header, image):
    socket.send_bytes(frame_message(header, image))
    reply = socket.receive_json()
    assert reply.get("code") != "rate_limited", reply  # the apps here allow back-to-back frames
    return reply


def _control(socket, **message):
    socket.send_text(json.dumps(message))
    return socket.receive_json()


def _hello(socket, person="ada", **extra):
    return _control(socket, type="hello", person=person, screen=list(SCREEN), **extra)


def _face(face_at, x, y):
    # the face moves with the target: a stand-in for eyes that follow it (a known answer)
    return face_at(x / SCREEN[0], y / SCREEN[1])


def _calibrate(socket, face_at, points=9, validation=4, frames=3, mirror_validation=False):
    targets = _control(socket, type="calibrate", points=points, validation=validation)
    for phase in ("calibration", "validation"):
        for index, (x, y) in enumerate(targets[phase]):
            if phase == "validation" and mirror_validation:  # eyes elsewhere: a poor fit
                x, y = SCREEN[0] - x, SCREEN[1] - y
            for _ in range(frames):
                _send(socket, {"seq": 1, "phase": phase, "target": index}, _face(face_at, x, y))
    return targets, _control(socket, type="fit")


# ---------------------------------------------------------------------- pure parts
def test_layouts_of_5_9_and_13_points():
    xs, ys = (100.0, 500.0, 900.0), (60.0, 300.0, 540.0)  # 10 % margins of 1000 x 600
    assert calibration_layout(5, SCREEN).tolist() == [
        [100, 60], [900, 60], [500, 300], [100, 540], [900, 540]]
    assert calibration_layout(9, SCREEN).tolist() == [[x, y] for y in ys for x in xs]
    thirteen = {tuple(p) for p in calibration_layout(13, SCREEN).tolist()}
    assert thirteen == {(x, y) for y in ys for x in xs} | {
        (300, 180), (700, 180), (300, 420), (700, 420)}
    shuffled = calibration_layout(13, SCREEN, seed=3)
    assert {tuple(p) for p in shuffled.tolist()} == thirteen
    with pytest.raises(Exception, match="points must be one of 5, 9, 13"):
        calibration_layout(7, SCREEN)


def test_fixation_gate_keeps_frames_once_the_eyes_rest_and_after_the_longest_wait():
    gate = FixationGate(0.3, max_wait_s=1.0)
    eye = np.array([0.4, 0.5, 0.4, 0.5])
    # a saccade lands at 0.1 s: the 0.3 s of stillness count from there
    moving = [gate.admit("a", t, eye + (0.1 if t < 0.1 else 0.0)) for t in np.arange(8) / 20]
    stills = [gate.admit("a", t, eye + 0.01 * (t % 0.1 > 0.05)) for t in np.arange(8, 12) / 20]
    assert [keep for keep, _ in moving + stills] == [False] * 8 + [True] * 4
    # a target where the face keeps getting lost: kept after max_wait_s, flagged as waited
    lost = [gate.admit("b", t, None) for t in (0.0, 0.5, 0.99, 1.0, 1.2)]
    assert lost == [(False, False)] * 3 + [(True, True)] * 2
    assert FixationGate(0.0).admit("c", None, None) == (True, False)  # no wait asked for


class _ShiftableMapper:
    """A mapper with its own offset refit (as webcam's EyeballGazeMapper has)."""

    inputs, input_size = "landmarks", 2

    def __init__(self):
        self.offset_ = np.zeros(2)

    def predict(self, X):
        return np.asarray(X, float) * 1000 + self.offset_

    def recalibrate_offset(self, X, target):
        self.offset_ = self.offset_ + np.median(target - self.predict(X), axis=0)


def test_drift_check_uses_the_mappers_own_offset_refit_when_it_has_one():
    from gazelearn.server.live import LiveSession
    from gazelearn.webcam.calibration import CalibrationProfile

    mapper = _ShiftableMapper()
    session = LiveSession((1000, 500), filter="none",
                          profile=CalibrationProfile(mapper, (1000, 500)))
    session.start_drift((530, 240))
    for _ in range(4):
        session.add_drift_features(np.array([0.5, 0.25]))
    result = session.apply_drift()
    assert result["method"] == "mapper" and result["offset_px"] == [0.0, 0.0]
    assert result["error_px"] == pytest.approx(np.hypot(30, 10))
    assert mapper.offset_.tolist() == [30.0, -10.0]  # moved inside the mapper, not after it
    gaze = session.gaze_from_features(0.0, np.array([0.5, 0.25]))
    assert (gaze["x"], gaze["y"]) == (530.0, 240.0)


@pytest.mark.parametrize("measures, advice", [
    ({"size": 0.12, "yaw": 3.0, "pitch": 8.0, "x": 0.5, "y": 0.45}, "ok"),
    ({"size": 0.05, "yaw": 3.0, "pitch": 8.0, "x": 0.5, "y": 0.45}, "move closer"),
    ({"size": 0.35, "yaw": 3.0, "pitch": 8.0, "x": 0.5, "y": 0.45}, "move back"),
    ({"size": 0.12, "yaw": 25.0, "pitch": 8.0, "x": 0.5, "y": 0.45}, "face the camera"),
    ({"size": 0.12, "yaw": 3.0, "pitch": -30.0, "x": 0.5, "y": 0.45}, "face the camera"),
    ({"size": 0.12, "yaw": 3.0, "pitch": 8.0, "x": 0.9, "y": 0.45}, "centre your face"),
    (None, "no face"),
])
def test_face_advice_thresholds(measures, advice):
    assert face_advice(measures)["advice"] == advice


# ---------------------------------------------------------------------- over the socket
pytest.importorskip("mediapipe")


def test_layouts_are_made_for_the_screen_the_calibrate_message_names(client):
    with client.websocket_connect("/ws/gaze") as socket:
        _hello(socket)  # the window before full screen
        five = _control(socket, type="calibrate", points=5, validation=2, screen=[1600, 900])
        assert five["screen"] == [1600, 900]
        assert five["calibration"] == [[160, 90], [1440, 90], [800, 450], [160, 810],
                                       [1440, 810]]
        assert all(0 <= x <= 1600 and 0 <= y <= 900 for x, y in five["validation"])
        thirteen = _control(socket, type="calibrate", points=13, validation=0)
        assert len(thirteen["calibration"]) == 13 and thirteen["screen"] == [1600, 900]


def test_calibration_frames_wait_for_a_fixation(client, face_at, blank_jpeg):
    with client.websocket_connect("/ws/gaze") as socket:
        _hello(socket)
        targets = _control(socket, type="calibrate", points=9, validation=0, frames=3,
                           fixation_ms=300, max_wait_ms=1500)
        x, y = targets["calibration"][0]
        image = _face(face_at, x, y)
        replies = [_send(socket, {"seq": k, "phase": "calibration", "target": 0, "t": k / 30},
                         image) for k in range(14)]
        kept = [r["kept"] for r in replies]
        # the still eyes must be seen for 0.3 s (9 frames at 30/s) before frames are kept
        # (video-mode MediaPipe's first iris points may jitter, which restarts the wait; the
        # exact rule is tested on known signals above)
        first = kept.index(True)
        assert 9 <= first <= 11 and kept[first:first + 3] == [True] * 3, kept
        assert replies[first + 2]["done"] and not any(kept[first + 3:])
        assert replies[first + 2]["n_kept"] == 3 and not replies[first]["waited"]
        # no face on target 1: nothing kept until max_wait_ms, then lost frames (flagged)
        blank = [_send(socket, {"seq": 50 + k, "phase": "calibration", "target": 1,
                                "t": 5 + k / 10}, blank_jpeg) for k in range(17)]
        assert [r["kept"] for r in blank] == [False] * 15 + [True] * 2
        assert blank[-1]["waited"] and not blank[-1]["face"]
        reply = _send(socket, {"seq": 99, "phase": "calibration", "target": 2}, image)
        assert reply["type"] == "error" and "'t'" in reply["message"]


def test_pursuit_calibration_labels_frames_with_the_moving_target(data_dir, local_client,
                                                                  face_at):
    from gazelearn.server import create_app

    # frames go back to back here, faster than a page's 30 a second. The geometry alone: the
    # drawn face moves with the target but its eyes do not turn, so eye-crop CNNs (which a
    # pursuit's 209 frames would train by default) could learn nothing from them
    client = local_client(create_app(data_dir, frame_rate=BACK_TO_BACK, appearance_frames=0))
    with client.websocket_connect("/ws/gaze") as socket:
        assert _hello(socket)["appearance_frames"] == 0  # never: the page says so too
        targets = _control(socket, type="calibrate", points=0, validation=4, pursuit_s=8,
                           settle_s=1.0)
        path = targets["pursuit"]
        assert targets["calibration"] == [] and path["duration_s"] == 8.0
        assert len(path["path"]) == 8 * 60 and path["settle_s"] == 1.0
        # x = 500 + 400 sin(3 phase), y = 300 + 240 sin(2 phase + pi/2), phase = 2 pi t / 8
        early = _send(socket, {"seq": 0, "phase": "pursuit", "t": 0.5}, face_at(0.5, 0.5))
        assert early["kept"] is False and early["target"] is None  # eyes still catching up
        kept = []
        for k in range(30, 8 * 30 - 1):
            t = k / 30
            phase = 2 * np.pi * t / 8
            x, y = 500 + 400 * np.sin(3 * phase), 300 + 240 * np.sin(2 * phase + np.pi / 2)
            reply = _send(socket, {"seq": k, "phase": "pursuit", "t": t}, _face(face_at, x, y))
            kept.append(reply["kept"])
            if k == 60:  # t = 2 s: phase = pi / 2 -> (100, 60)
                assert reply["target"] == pytest.approx([100, 60], abs=1.0)
            if k == 120:  # t = 4 s: phase = pi -> (500, 540)
                assert reply["target"] == pytest.approx([500, 540], abs=1.0)
        assert sum(kept) == len(kept) == 209  # hundreds of labelled frames
        for index, (x, y) in enumerate(targets["validation"]):
            for _ in range(3):
                _send(socket, {"seq": 1, "phase": "validation", "target": index},
                      _face(face_at, x, y))
        answer = _control(socket, type="fit")
    report = answer["report"]
    assert answer["type"] == "report" and report["accepted"] is True, answer
    assert report["accuracy_px"] < 60, report  # the pursuit alone calibrates the screen


def test_a_poor_calibration_is_refused_and_not_saved(client, data_dir, face_at):
    with client.websocket_connect("/ws/gaze") as socket:
        _hello(socket)
        _, answer = _calibrate(socket, face_at, mirror_validation=True)
        report = answer["report"]
        assert report["accuracy_pct"] > 10 and report["accepted"] is False, report
        assert report["max_error_pct"] == 10 and answer["profile_saved"] is False
        assert not (data_dir / "persons/ada/profiles/profile.json").exists()
        # the session keeps it (flagged) for tracking anyway; a laxer limit accepts it
        assert _send(socket, {"seq": 5, "phase": "live", "t": 0}, face_at(.5, .5))["valid"]
        lax = _control(socket, type="fit", max_error_pct=100)
        assert lax["report"]["accepted"] is True and lax["profile_saved"] is True
    assert (data_dir / "persons/ada/profiles/profile.json").is_file()


def _median_gaze(socket, image, seq):
    """The median gaze of six live frames of one face (video-mode landmarks jitter a little
    from frame to frame)."""
    replies = [_send(socket, {"seq": seq + k, "phase": "live", "t": seq + k / 30}, image)
               for k in range(6)]
    return np.median([[r["x"], r["y"]] for r in replies], axis=0)


def test_clicks_refit_the_calibration_and_move_a_loaded_profile(landmark_client, face_at):
    client = landmark_client
    image = face_at(0.5, 0.5)
    with client.websocket_connect("/ws/gaze") as socket:
        _hello(socket, filter="none")
        _, answer = _calibrate(socket, face_at)
        assert answer["report"]["accepted"] is True
        before = _median_gaze(socket, image, 100)
        # the person clicks 150 px right of where the tracker puts this face, ten times
        clicks = [_send(socket, {"seq": 2 + k, "phase": "click", "x": before[0] + 150,
                                 "y": before[1]}, image) for k in range(10)]
        assert [c["type"] for c in clicks] == ["click"] * 10
        assert [c["n_clicks"] for c in clicks] == list(range(1, 11))
        assert all(c["kept"] and c["refit"] == "mapper" for c in clicks)
        after = _median_gaze(socket, image, 200)
        # the refitted ridge (27 calibration frames + 10 clicks) moved towards the clicks
        assert 20 < after[0] - before[0] < 150, (before, after)
        _control(socket, type="record", on=True)
        _send(socket, {"seq": 300, "phase": "live", "t": 300}, image)
        assert _control(socket, type="stop")["type"] == "session"  # saves the refined profile

    with client.websocket_connect("/ws/gaze") as socket:
        assert _hello(socket, filter="none", load_profile=True)["profile"] is True
        first = _median_gaze(socket, image, 100)
        assert first[0] - before[0] > 10  # the refitted profile was saved
        for k in range(3):  # no calibration frames here: the clicks move the offset
            reply = _send(socket, {"seq": 2 + k, "phase": "click", "x": first[0] + 50,
                                   "y": first[1] - 30}, image)
            assert reply["refit"] == "offset"
        moved = _median_gaze(socket, image, 200)
        assert moved - first == pytest.approx([50, -30], abs=8)


def test_drift_check_moves_the_mapping_onto_its_target(landmark_client, data_dir, face_at):
    client = landmark_client
    image = face_at(0.5, 0.5)
    with client.websocket_connect("/ws/gaze") as socket:
        _hello(socket, filter="none")
        _calibrate(socket, face_at)
        before = _median_gaze(socket, image, 100)
        target = [float(before[0]) + 80, float(before[1]) - 40]
        started = _control(socket, type="drift", target=target)
        assert started == {"type": "drift", "applied": False, "target": target}
        for k in range(6):
            reply = _send(socket, {"seq": 10 + k, "phase": "drift"}, image)
            assert reply["type"] == "frame" and reply["n_kept"] == k + 1
        result = _control(socket, type="drift", apply=True)
        assert result["applied"] and result["profile_saved"] and result["n_frames"] == 6
        assert result["error_px"] == pytest.approx(np.hypot(80, 40), abs=6)
        assert _median_gaze(socket, image, 200) == pytest.approx(target, abs=4)
    saved = json.loads((data_dir / "persons/ada/profiles/profile.json").read_text())
    assert saved["meta"]["offset_px"] == pytest.approx(result["offset_px"])


def test_preview_frames_answer_face_position_advice(client, face_at, blank_jpeg):
    with client.websocket_connect("/ws/gaze") as socket:
        _hello(socket)
        replies = [_send(socket, {"seq": k, "phase": "preview"}, face_at(0.5, 0.5))
                   for k in range(3)]
        face = replies[-1]
        assert face["type"] == "face" and face["face"] is True and face["advice"] == "ok"
        # the astronaut's outer eye corners, a 240 px face in a 360 px wide frame
        assert FACE_MIN_SIZE < face["size"] < FACE_MAX_SIZE and abs(face["yaw"]) < 15
        assert 0.3 < face["x"] < 0.7
        none = _send(socket, {"seq": 9, "phase": "preview"}, blank_jpeg)
        assert none == {"type": "face", "face": False, "advice": "no face", "seq": 9,
                        "t": None, "server_ms": none["server_ms"]}


@pytest.mark.parametrize("message, field", [
    ({"type": "calibrate", "points": 7}, "points must be one of"),
    ({"type": "calibrate", "pursuit_s": "long"}, "pursuit_s must be a number"),
    ({"type": "calibrate", "pursuit_s": 500}, "pursuit_s must be 0..120"),
    ({"type": "calibrate", "points": 0}, "need a pursuit"),
    ({"type": "calibrate", "fixation_ms": 1.5}, "fixation_ms must be an integer"),
    ({"type": "calibrate", "screen": [0, 5]}, "screen must be [x, y]"),
    ({"type": "fit", "max_error_pct": "ten"}, "max_error_pct must be a number"),
    ({"type": "drift", "target": "middle"}, "target must be [x, y]"),
    ({"type": "drift", "apply": "yes"}, "apply must be true or false"),
    ({"type": "drift", "apply": True}, "no drift check running"),
    ({"type": "drift", "target": [5, 5]}, "no calibration yet"),
    ({"type": "screen", "screen": [1e9, 5]}, "screen must be [x, y]"),
])
def test_bad_calibration_messages_are_answered_with_the_field(client, message, field):
    with client.websocket_connect("/ws/gaze") as socket:
        _hello(socket)
        reply = _control(socket, **message)
        assert reply["type"] == "error" and field in reply["message"], reply
        assert _control(socket, type="ping", t=1)["type"] == "pong"  # still open


def test_bad_correction_frames_are_answered(client, face_at):
    with client.websocket_connect("/ws/gaze") as socket:
        _hello(socket)
        _calibrate(socket, face_at)
        reply = _send(socket, {"seq": 1, "phase": "click", "x": "left"}, face_at(.5, .5))
        assert reply["type"] == "error" and "click must be [x, y]" in reply["message"]
        reply = _send(socket, {"seq": 2, "phase": "drift"}, face_at(.5, .5))
        assert reply["type"] == "error" and "no drift check running" in reply["message"]
        reply = _send(socket, {"seq": 3, "phase": "pursuit", "t": 2}, face_at(.5, .5))
        assert reply["type"] == "error" and "no pursuit" in reply["message"]


def test_a_session_carries_person_and_screen_and_events_detect_runs_on_it(
        client, face_at, tmp_path):
    from typer.testing import CliRunner

    from gazelearn.cli.main import app
    from gazelearn.io import read

    with client.websocket_connect("/ws/gaze") as socket:
        _hello(socket, person="p07", screen_mm=[344, 206], distance_mm=600)
        _calibrate(socket, face_at)
        assert _control(socket, type="screen", screen=[1000, 600])["screen"] == [1000, 600]
        _control(socket, type="record", on=True)
        # fixations on three places, 0.5 s each, joined by jumps (saccades)
        for k, (fx, fy) in enumerate([(0.2, 0.3)] * 15 + [(0.8, 0.3)] * 15 + [(0.5, 0.8)] * 15):
            _send(socket, {"seq": k, "phase": "live", "t": k / 30}, face_at(fx, fy))
        session = _control(socket, type="stop")
    folder = tmp_path / "exported"
    folder.mkdir()
    for key in ("recording", "sidecar"):  # what the experimenter downloads
        reply = client.get(session[key])
        assert reply.status_code == 200, key
        (folder / session[key].rsplit("/", 1)[1]).write_bytes(reply.content)
    csv_path = folder / session["recording"].rsplit("/", 1)[1]
    recording = read(csv_path)
    assert recording.meta.subject == "p07" and recording.meta.session == csv_path.stem
    assert recording.screen.size_px == (1000, 600) and recording.screen.distance_mm == 600
    assert (recording.screen.width_mm, recording.screen.height_mm) == (344, 206)
    run = CliRunner().invoke(app, ["events", "detect", str(csv_path), "--method", "ivt",
                                   "--output", str(tmp_path / "events.csv")])
    assert run.exit_code == 0, run.output
    import polars as pl

    events = pl.read_csv(tmp_path / "events.csv")
    types = events["type"].to_list() if "type" in events.columns else events[:, 0].to_list()
    assert "fixation" in types and "saccade" in types, events


def test_the_default_mapper_is_the_eyeball_geometry_blended_from_100_frames(data_dir):
    from gazelearn.errors import InputError
    from gazelearn.server import create_app
    from gazelearn.server.live import LiveSession, session_mapper
    from gazelearn.webcam import EyeballGazeMapper, HybridGazeMapper, LandmarkGazeRegressor

    session = LiveSession(SCREEN)
    # as gazelearn track --calibrate: the CNNs from 100 usable frames, at most 480 of them
    assert isinstance(session.mapper, HybridGazeMapper)
    assert (session.mapper.min_frames, session.mapper.max_frames) == (100, 480)
    # video mode; 3 faces for the faces that jump between the frames it sees (see live.py)
    marker = session._face_landmarker()
    assert marker.max_num_faces == 3 and not marker.static_image_mode
    session.close()
    assert isinstance(session_mapper("geometry", appearance_frames=0), EyeballGazeMapper)
    assert session_mapper("geometry", appearance_frames=600).max_frames == 600
    assert isinstance(session_mapper("landmarks"), LandmarkGazeRegressor)
    with pytest.raises(InputError, match="gaze_model must be one of geometry, landmarks"):
        create_app(data_dir, gaze_model="cnn")
    with pytest.raises(InputError, match="appearance_frames must be an integer >= 0, got -1"):
        create_app(data_dir, appearance_frames=-1)


def test_a_session_with_many_frames_trains_the_cnns_beside_the_geometry():
    from gazelearn.server.live import LiveSession
    from gazelearn.webcam import HybridGazeMapper
    from gazelearn.webcam.geometry_mapper import EyeballGazeMapper, synthetic_rows

    def rows(targets, seed):
        geometry = synthetic_rows(targets, EyeballGazeMapper(screen=SCREEN), eye_gain=0.8,
                                  kappa=(2.0, -1.0))
        n_crop = HybridGazeMapper().input_size - geometry.shape[1]
        crops = np.random.default_rng(seed).uniform(0, 250, (len(targets), n_crop))
        return np.hstack([geometry, crops])

    mapper = HybridGazeMapper(networks=1, epochs=1, min_frames=30, max_frames=40,
                              geometry_params={"second_stage": "none", "prior_weight": 0.0})
    for frames, trained in ((2, False), (4, True)):  # 9 points x 2 = 18, x 4 = 36 frames
        session = LiveSession(SCREEN, mapper=mapper)
        targets = np.array(session.start_calibration(9, 5, seed=0)["calibration"])
        for index, row in enumerate(rows(np.repeat(targets, frames, axis=0), frames)):
            session.add_features("calibration", index // frames, row)
        session.fit(max_error_pct=None)
        fitted = session.profile.mapper
        assert isinstance(fitted, HybridGazeMapper) and bool(fitted.networks_) is trained
        assert fitted.screen["width_px"] == SCREEN[0]  # the session's screen, as the geometry


@pytest.mark.parametrize("limit, accepted", [(0.0, False), (100.0, True)])
def test_the_servers_limit_decides_when_the_page_names_none(data_dir, face_at, local_client,
                                                           limit, accepted):
    from gazelearn.server import create_app

    app = create_app(data_dir, max_error_pct=limit, frame_rate=BACK_TO_BACK)
    with local_client(app) as client:
        assert client.get("/api/config").json()["max_validation_error_pct"] == limit
        with client.websocket_connect("/ws/gaze") as socket:
            # the page learns the server's threshold for the eye-crop CNNs (the default)
            assert _hello(socket)["appearance_frames"] == 100
            # the eyes elsewhere at validation: any error is above 0 %, and 100 % takes all
            _, answer = _calibrate(socket, face_at, mirror_validation=True)
            report = answer["report"]
            assert report["max_error_pct"] == limit and report["accuracy_pct"] > 0
            assert report["accepted"] is accepted and answer["profile_saved"] is accepted
    assert (data_dir / "persons/ada/profiles/profile.json").is_file() is accepted
