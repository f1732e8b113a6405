"""The server probe suite: every attack of issue 17 on the app, each refused (loopback only).

HTTP probes go through a TestClient; the WebSocket probes each check that the connection still
answers afterwards; the races and crashes run real threads and processes, bounded in time.
``PROBES`` lists the HTTP attacks with the status that refuses them (docs/results.md,
"Reliability", counts them).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest

from gazelearn.server import Storage, check_binding, create_app
from gazelearn.server.storage import tiny_jpeg

#: The installed command (beside this Python), run as a separate process.
GAZELEARN = str(Path(sys.executable).with_name("gazelearn"))
EVIL = "http://evil.example"
OURS = "http://127.0.0.1:8000"


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width x height`` px in its header (a decompression bomb's)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    head = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head)
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


def _measurement(client, person="ada") -> int:
    reply = client.post("/api/measurements", json={"person": person, "consent": True,
                                                   "screen": [1280, 720]})
    assert reply.status_code == 201, reply.text
    return reply.json()["measurement"]


def _frame_query(m, **extra) -> dict:
    return {"person": "ada", "measurement": m, "x": 10, "y": 20, "screen_w": 1280,
            "screen_h": 720, **extra}


JSON = {"Content-Type": "application/json"}
MEASURE = {"person": "ada", "consent": True, "screen": [1280, 720]}

#: (name, method, path, request options, query of the frame (None: none), refusing status)
PROBES = [
    # cross-site writes and DNS rebinding
    ("cross-site measurement", "POST", "/api/measurements",
     {"json": MEASURE, "headers": {"Origin": EVIL}}, None, 403),
    ("cross-site measurement by Referer", "POST", "/api/measurements",
     {"json": MEASURE, "headers": {"Referer": EVIL + "/page"}}, None, 403),
    ("sandboxed page (Origin null)", "POST", "/api/measurements",
     {"json": MEASURE, "headers": {"Origin": "null"}}, None, 403),
    ("text/plain measurement", "POST", "/api/measurements",
     {"content": json.dumps(MEASURE), "headers": {"Content-Type": "text/plain"}}, None, 415),
    ("form-encoded measurement", "POST", "/api/measurements",
     {"content": "person=ada", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
     None, 415),
    ("JPEG as text/plain", "POST", "/api/frames",
     {"content": tiny_jpeg(), "headers": {"Content-Type": "text/plain"}}, {}, 415),
    ("JPEG as multipart form", "POST", "/api/frames",
     {"content": tiny_jpeg(), "headers": {"Content-Type": "multipart/form-data; boundary=x"}},
     {}, 415),
    ("cross-site frame", "POST", "/api/frames",
     {"content": tiny_jpeg(), "headers": {"Content-Type": "image/jpeg", "Origin": EVIL}},
     {}, 403),
    ("cross-site export", "POST", "/api/persons/ada/export", {"headers": {"Origin": EVIL}},
     None, 403),
    ("text/plain export", "POST", "/api/persons/ada/export",
     {"content": "x", "headers": {"Content-Type": "text/plain"}}, None, 415),
    ("cross-site delete", "DELETE", "/api/persons/ada", {"headers": {"Origin": EVIL}}, None,
     403),
    ("DNS rebinding: persons", "GET", "/api/persons", {"headers": {"Host": "evil.example"}},
     None, 400),
    ("DNS rebinding: a page", "GET", "/", {"headers": {"Host": "evil.example:8000"}}, None, 400),
    ("DNS rebinding: export", "POST", "/api/persons/ada/export",
     {"headers": {"Host": "evil.example"}}, None, 400),
    ("no Host", "GET", "/api/persons", {"headers": {"Host": ""}}, None, 400),
    # malformed values: 4xx with a message, never a 500
    ("screen Infinity", "POST", "/api/measurements",
     {"content": '{"person": "ada", "consent": true, "screen": [Infinity, 720]}',
      "headers": JSON}, None, 422),
    ("screen 1e400", "POST", "/api/measurements",
     {"content": '{"person": "ada", "consent": true, "screen": [1e400, 720]}',
      "headers": JSON}, None, 422),
    ("screen NaN", "POST", "/api/measurements",
     {"content": '{"person": "ada", "consent": true, "screen": [NaN, 720]}', "headers": JSON},
     None, 422),
    ("screen of 3 numbers", "POST", "/api/measurements",
     {"json": {**MEASURE, "screen": [1, 2, 3]}}, None, 422),
    ("n_dots abc", "POST", "/api/measurements", {"json": {**MEASURE, "n_dots": "abc"}}, None,
     422),
    ("n_dots -5", "POST", "/api/measurements", {"json": {**MEASURE, "n_dots": -5}}, None, 422),
    ("n_dots 2.5", "POST", "/api/measurements", {"json": {**MEASURE, "n_dots": 2.5}}, None,
     422),
    ("person with a newline", "POST", "/api/measurements",
     {"json": {**MEASURE, "person": "ada\n"}}, None, 400),
    ("consent as a string", "POST", "/api/measurements",
     {"json": {**MEASURE, "consent": "yes"}}, None, 422),
    ("unknown field", "POST", "/api/measurements", {"json": {**MEASURE, "admin": True}}, None,
     422),
    ("not JSON", "POST", "/api/measurements", {"content": "{", "headers": JSON}, None, 422),
    ("deeply nested JSON", "POST", "/api/measurements",
     {"content": "[" * 100_000 + "]" * 100_000, "headers": JSON}, None, 422),
    ("30 MB measurement", "POST", "/api/measurements",
     {"content": b" " * 30_000_000, "headers": JSON}, None, 413),
    ("1.5 MB measurement", "POST", "/api/measurements",
     {"json": {**MEASURE, "pad": "x" * 1_500_000}}, None, 413),
    ("decompression bomb PNG", "POST", "/api/frames",
     {"content": _png_header(100_000, 100_000), "headers": {"Content-Type": "image/png"}}, {},
     400),
    ("PNG sent as JPEG", "POST", "/api/frames",
     {"content": _png_header(8, 8), "headers": {"Content-Type": "image/jpeg"}}, {}, 400),
    ("frame over the size limit", "POST", "/api/frames",
     {"content": tiny_jpeg() + b"\0" * 3_000_000, "headers": {"Content-Type": "image/jpeg"}},
     {}, 413),
    ("measurement 10^30", "POST", "/api/frames",
     {"content": tiny_jpeg(), "headers": {"Content-Type": "image/jpeg"}},
     {"measurement": "1" + "0" * 30}, 400),
    ("measurement 1.9", "POST", "/api/frames",
     {"content": tiny_jpeg(), "headers": {"Content-Type": "image/jpeg"}},
     {"measurement": "1.9"}, 400),
    ("measurement -1", "POST", "/api/frames",
     {"content": tiny_jpeg(), "headers": {"Content-Type": "image/jpeg"}},
     {"measurement": "-1"}, 400),
    ("x Infinity", "POST", "/api/frames",
     {"content": tiny_jpeg(), "headers": {"Content-Type": "image/jpeg"}}, {"x": "inf"}, 400),
    ("x 1e400", "POST", "/api/frames",
     {"content": tiny_jpeg(), "headers": {"Content-Type": "image/jpeg"}}, {"x": "1e400"}, 400),
    ("screen_w 1280.7", "POST", "/api/frames",
     {"content": tiny_jpeg(), "headers": {"Content-Type": "image/jpeg"}},
     {"screen_w": "1280.7"}, 400),
    ("dot_color of 1 kB", "POST", "/api/frames",
     {"content": tiny_jpeg(), "headers": {"Content-Type": "image/jpeg"}},
     {"dot_color": "#" * 1000}, 400),
    ("frame person with a newline", "POST", "/api/frames",
     {"content": tiny_jpeg(), "headers": {"Content-Type": "image/jpeg"}},
     {"person": "ada\n"}, 400),
    ("export measurement abc", "POST", "/api/persons/ada/export?measurement=abc", {}, None,
     422),
    ("export measurement 10^30", "POST", "/api/persons/ada/export?measurement=" + "9" * 30, {},
     None, 422),
    # what held before: path traversal, SQL injection
    ("traversal in the person", "GET", "/api/persons/..%2F..%2Fetc/measurements", {}, None,
     404),
    ("dots as the person", "GET", "/api/persons/%2E%2E/measurements", {}, None, 400),
    ("traversal to the index", "GET", "/api/persons/ada/sessions/..%2F..%2F..%2Findex.sqlite",
     {}, None, 404),
    ("traversal by dots", "DELETE", "/api/persons/..", {}, None, 404),
    ("traversal by encoded dots", "DELETE", "/api/persons/%2E%2E", {}, None, 400),
    ("SQL injection in the person", "GET", "/api/persons/ada'%20OR%20'1'='1/measurements", {},
     None, 400),
    ("SQL injection in the measurement", "POST", "/api/frames",
     {"content": tiny_jpeg(), "headers": {"Content-Type": "image/jpeg"}},
     {"measurement": "1 OR 1=1"}, 400),
]


@pytest.mark.parametrize("probe", PROBES, ids=[p[0] for p in PROBES])
def test_http_probe_is_refused_with_a_message(client, data_dir, probe):
    name, method, path, options, frame_query, status = probe
    m = _measurement(client)
    params = None if frame_query is None else _frame_query(m, **frame_query)
    reply = client.request(method, path, params=params, **options)
    assert reply.status_code == status, (name, reply.status_code, reply.text[:300])
    error = reply.json()["error"]
    assert error and "Traceback" not in error and len(error) < 400
    assert reply.headers["x-content-type-options"] == "nosniff"
    # nothing got in: the one measurement of the setup, no frame, no second folder
    store = Storage(data_dir)
    assert len(store.measurements()) == 1 and store.frames() == []
    assert [p.name for p in (data_dir / "persons").iterdir()] == [] \
        if (data_dir / "persons").is_dir() else True


def test_the_apps_own_pages_still_write(client):
    headers = {"Origin": OURS, "Referer": OURS + "/collect"}
    reply = client.post("/api/measurements", json=MEASURE, headers=headers)
    assert reply.status_code == 201
    frame = client.post("/api/frames", params=_frame_query(reply.json()["measurement"]),
                        content=tiny_jpeg(), headers={**headers, "Content-Type": "image/jpeg"})
    assert frame.status_code == 201, frame.text
    # under its other loopback names too, on the served port only
    for origin, host in (("http://localhost:8000", "localhost:8000"),
                         ("http://[::1]:8000", "[::1]:8000")):
        assert client.get("/api/persons", headers={"Host": host}).status_code == 200
        assert client.post("/api/persons/ada/export", headers={"Origin": origin, "Host": host}
                           ).status_code == 200


def test_only_the_served_port_and_configured_host(data_dir, local_client):
    client = local_client(create_app(data_dir, port=8000))
    assert client.get("/api/persons").status_code == 200
    assert client.get("/api/persons", headers={"Host": "127.0.0.1:9999"}).status_code == 400
    other_port = client.post("/api/measurements", json=MEASURE,
                             headers={"Origin": "http://127.0.0.1:9999"})
    assert other_port.status_code == 403
    lan = local_client(create_app(data_dir, host="192.168.7.7", port=8000))
    assert lan.get("/api/persons", headers={"Host": "192.168.7.7:8000"}).status_code == 200
    assert lan.get("/api/persons", headers={"Host": "evil.example:8000"}).status_code == 400


def test_security_headers_on_every_answer(client):
    for path in ("/", "/collect", "/calibrate", "/static/common.js", "/api/persons",
                 "/api/nothing-here"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"


def test_pages_hold_no_inline_script_or_style():
    from gazelearn.server.app import STATIC

    for page in STATIC.glob("*.html"):
        text = page.read_text()
        assert "<script>" not in text and "<style" not in text and " style=" not in text, page
        assert " onclick=" not in text and "javascript:" not in text, page


def test_an_internal_error_is_a_json_500_and_a_logged_traceback(data_dir, local_client,
                                                                caplog, monkeypatch):
    app = create_app(data_dir)
    monkeypatch.setattr(Storage, "persons", lambda self: 1 / 0)
    client = local_client(app, raise_server_exceptions=True)
    with caplog.at_level(logging.ERROR, logger="gazelearn.server"):
        reply = client.get("/api/persons")
    assert reply.status_code == 500
    assert reply.json() == {"error": "internal server error (logged on the server)"}
    assert reply.headers["x-frame-options"] == "DENY"
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)


def test_requests_are_logged_without_their_query(data_dir, local_client, caplog):
    client = local_client(create_app(data_dir, token="secret-token-1"))
    with caplog.at_level(logging.INFO, logger="gazelearn.server"):
        client.get("/api/persons?token=secret-token-1")
        client.get("/api/persons")
    lines = [r.getMessage() for r in caplog.records if r.name == "gazelearn.server"]
    assert lines[0].startswith("GET /api/persons 200 ") and lines[0].endswith(" ms")
    assert lines[1].startswith("GET /api/persons 401 ")
    assert not any("secret" in line for line in lines)


def test_new_measurements_are_rate_limited(data_dir, local_client):
    client = local_client(create_app(data_dir, measurement_rate=1))
    codes = [client.post("/api/measurements", json=MEASURE).status_code for _ in range(8)]
    assert codes[:5] == [201] * 5 and 429 in codes[5:]
    assert "slow down" in client.post("/api/measurements", json=MEASURE).json()["error"]


def test_storage_refuses_a_bomb_and_a_trailing_newline(data_dir):
    from gazelearn.errors import InputError
    from gazelearn.server import check_binding
    from gazelearn.server.live import decode_jpeg

    store = Storage(data_dir)
    with pytest.raises(InputError, match="person"):
        store.new_measurement("ada\n", (10, 10))
    with pytest.raises(InputError, match="larger than"):
        decode_jpeg(_png_header(100_000, 100_000))
    for blank in (" " * 8, " " * 12 + "\t", "  abc   "):
        with pytest.raises(InputError, match="--token"):
            check_binding("0.0.0.0", blank)
    check_binding("0.0.0.0", "  long-enough  ")


# ---------------------------------------------------------------------- the WebSocket

def _ws_probes():
    big = json.dumps({"type": "ping", "pad": "x" * 70_000})
    return {
        "hello screen_mm 5": [{"type": "hello", "person": "ada", "screen": [800, 600],
                               "screen_mm": 5, "distance_mm": 600}],
        "hello screen Infinity": ['{"type": "hello", "person": "ada", "screen": [Infinity, 9]}'],
        "hello person newline": [{"type": "hello", "person": "ada\n", "screen": [800, 600]}],
        "hello unknown filter": [{"type": "hello", "person": "ada", "screen": [800, 600],
                                  "filter": "nope"}],
        "calibrate points abc": [{"type": "calibrate", "points": "abc"}],
        "calibrate validation -3": [{"type": "calibrate", "points": 9, "validation": -3}],
        "frame target abc": ["calibrate", {"seq": 1, "phase": "calibration", "target": "abc"}],
        "frame target 2.5": ["calibrate", {"seq": 1, "phase": "calibration", "target": 2.5}],
        "frame phase unknown": ["calibrate", {"seq": 1, "phase": "nope", "target": 0}],
        "frame live t abc": ["calibrate", {"seq": 1, "phase": "live", "t": "abc"}],
        "record on yes": [{"type": "record", "on": "yes"}],
        "unknown type": [{"type": "launch"}],
        "no type": [{"person": "ada"}],
        "a JSON list": ["[1, 2]"],
        "non-JSON text": ["hello there"],
        "deeply nested JSON": ["[" * 100_000 + "]" * 100_000],
        "oversized text": [big],
    }


WS_PROBES = _ws_probes()


@pytest.mark.parametrize("name", list(WS_PROBES))
def test_websocket_probe_is_answered_and_the_connection_goes_on(client, face_at, name):
    pytest.importorskip("mediapipe")
    from gazelearn.server.app import frame_message

    with client.websocket_connect("/ws/gaze") as ws:
        steps = WS_PROBES[name]
        if not (steps and isinstance(steps[0], dict) and steps[0].get("type") == "hello"):
            ws.send_text(json.dumps({"type": "hello", "person": "ada", "screen": [800, 600]}))
            assert ws.receive_json()["type"] == "ready"
        for step in steps:
            if step == "calibrate":
                ws.send_text(json.dumps({"type": "calibrate", "points": 9, "validation": 0}))
                assert ws.receive_json()["type"] == "targets"
                continue
            if isinstance(step, dict) and "seq" in step:
                ws.send_bytes(frame_message(step, face_at(0.5, 0.5)))
            else:
                ws.send_text(step if isinstance(step, str) else json.dumps(step))
            reply = ws.receive_json()
            assert reply["type"] == "error" and reply["message"], reply
            assert reply.get("code") != "internal", reply  # named as bad input, not a crash
        ws.send_text(json.dumps({"type": "ping", "t": 7}))
        assert ws.receive_json() == {"type": "pong", "t": 7}


def test_websocket_text_messages_are_rate_limited(data_dir, local_client):
    client = local_client(create_app(data_dir, text_rate=2))
    with client.websocket_connect("/ws/gaze") as ws:
        replies = []
        for t in range(8):
            ws.send_text(json.dumps({"type": "ping", "t": t}))
            replies.append(ws.receive_json())
    assert replies[0] == {"type": "pong", "t": 0}
    assert any(r.get("code") == "rate_limited" for r in replies[4:]), replies


def test_an_internal_error_on_the_socket_is_logged_and_answered(client, caplog, monkeypatch):
    pytest.importorskip("mediapipe")
    from gazelearn.server.live import LiveSession

    def broken(self, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(LiveSession, "start_calibration", broken)
    with caplog.at_level(logging.ERROR, logger="gazelearn.server"), \
            client.websocket_connect("/ws/gaze") as ws:
        ws.send_text(json.dumps({"type": "hello", "person": "ada", "screen": [800, 600]}))
        assert ws.receive_json()["type"] == "ready"
        ws.send_text(json.dumps({"type": "calibrate"}))
        reply = ws.receive_json()
        assert reply["code"] == "internal" and "boom" not in reply["message"]
        ws.send_text(json.dumps({"type": "ping", "t": 1}))
        assert ws.receive_json()["type"] == "pong"
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)


@pytest.mark.parametrize("headers", [{"Origin": EVIL}, {"Origin": "null"},
                                     {"Host": "evil.example"}], ids=["origin", "null", "host"])
def test_websocket_from_another_site_is_refused(client, headers):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as closed, \
            client.websocket_connect("/ws/gaze", headers=headers):
        pass
    assert closed.value.code == 1008
    with client.websocket_connect("/ws/gaze", headers={"Origin": OURS}) as ws:
        ws.send_text('{"type": "ping", "t": 1}')
        assert ws.receive_json()["type"] == "pong"


# ---------------------------------------------------------------------- delete, CLI, crashes

def test_delete_during_uploads_leaves_no_row_and_no_file(data_dir, local_client):
    """Four uploaders against ``collection delete`` in another process, two rounds."""
    from gazelearn.server.app import create_app as make

    client = local_client(make(data_dir, upload_rate=10_000, measurement_rate=10_000))
    env = {**os.environ, "CI": "1"}
    for round_ in range(2):
        m = _measurement(client)
        stop = threading.Event()
        acknowledged = []

        def upload(m=m, stop=stop, acknowledged=acknowledged) -> None:
            while not stop.is_set():
                reply = client.post("/api/frames", params=_frame_query(m), content=tiny_jpeg(),
                                    headers={"Content-Type": "image/jpeg"})
                if reply.status_code == 201:
                    acknowledged.append(reply.json()["id"])
                else:
                    assert reply.status_code == 400, reply.text  # the measurement is gone

        threads = [threading.Thread(target=upload) for _ in range(4)]
        for thread in threads:
            thread.start()
        while len(acknowledged) < 10:
            time.sleep(0.01)
        deleted = subprocess.run(
            [GAZELEARN, "collection", "delete", "--data",
             str(data_dir), "--person", "ada", "--yes"], capture_output=True, text=True,
            timeout=120, env=env)
        time.sleep(0.3)  # uploads go on against the deleted person
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert deleted.returncode == 0, deleted.stderr
        with sqlite3.connect(data_dir / "index.sqlite") as db:
            rows = db.execute("SELECT COUNT(*) FROM frames WHERE person = 'ada'").fetchone()[0]
        files = list((data_dir / "persons").glob("ada/**/*.*"))
        assert (round_, rows, files) == (round_, 0, [])



def _calibrated_socket(ws, face_at) -> None:
    """Hello as ada and frames of 5 calibration targets (2 each, no validation): ready to fit."""
    from gazelearn.server.app import frame_message

    ws.send_text(json.dumps({"type": "hello", "person": "ada", "screen": [1000, 600]}))
    assert ws.receive_json()["type"] == "ready"
    ws.send_text(json.dumps({"type": "calibrate", "points": 5, "validation": 0}))
    targets = ws.receive_json()
    seq = 0
    for index, (x, y) in enumerate(targets["calibration"]):
        for _ in range(2):
            seq += 1
            ws.send_bytes(frame_message({"seq": seq, "phase": "calibration", "target": index},
                                        face_at(x / 1000, y / 600)))
            assert ws.receive_json()["type"] == "frame"


def _left_of(data_dir: Path, person: str) -> tuple[int, list]:
    with sqlite3.connect(data_dir / "index.sqlite") as db:
        rows = sum(db.execute(f"SELECT COUNT(*) FROM {table} WHERE person = ?",
                              (person,)).fetchone()[0]
                   for table in ("frames", "measurements", "sessions", "leases"))
    return rows, sorted(p for p in (data_dir / "persons").glob(f"{person}/**/*") if p.is_file())


def test_delete_during_calibrations_leaves_no_row_and_no_file(data_dir, local_client, face_at):
    """A live connection fitting (and saving) ada's profile again and again, and uploads,
    while ``collection delete`` runs in another process: the delete leaves 0 rows and 0 files
    (a profile written during it is inside its transaction), and every fit after it is
    answered with an error saying the person was deleted; nothing of ada is written again."""
    pytest.importorskip("mediapipe")
    from gazelearn.server.app import create_app as make

    client = local_client(make(data_dir, upload_rate=10_000, measurement_rate=10_000,
                               text_rate=10_000))
    m = _measurement(client)
    assert client.post("/api/frames", params=_frame_query(m), content=tiny_jpeg(),
                       headers={"Content-Type": "image/jpeg"}).status_code == 201
    with client.websocket_connect("/ws/gaze") as ws:
        _calibrated_socket(ws, face_at)
        stop, answers = threading.Event(), []

        def calibrate() -> None:  # the calibration finishing, over and over
            while not stop.is_set():
                ws.send_text(json.dumps({"type": "fit"}))
                answers.append(ws.receive_json())

        thread = threading.Thread(target=calibrate)
        thread.start()
        while sum(a.get("profile_saved") is True for a in answers) < 3:
            time.sleep(0.01)
        deleted = subprocess.run(
            [GAZELEARN, "collection", "delete", "--data", str(data_dir), "--person", "ada",
             "--yes"], capture_output=True, text=True, timeout=120, env={**os.environ, "CI": "1"})
        after = len(answers)
        time.sleep(0.5)  # fits go on against the deleted person
        stop.set()
        thread.join(timeout=60)
        assert deleted.returncode == 0, deleted.stderr
        assert "1 frame rows" in deleted.stdout
        assert _left_of(data_dir, "ada") == (0, [])
        late = answers[after + 1:]  # answers to fits sent after the delete returned
        assert late and all(a["type"] == "error" and "was deleted" in a["message"]
                            for a in late), late[:3]
        # the connection goes on, and says hello anew to start a new person's data
        ws.send_text(json.dumps({"type": "stop"}))
        reply = ws.receive_json()
        assert reply["type"] == "error" and "was deleted" in reply["message"]
        ws.send_text(json.dumps({"type": "ping", "t": 3}))
        assert ws.receive_json() == {"type": "pong", "t": 3}
    assert _left_of(data_dir, "ada") == (0, [])


def test_a_profile_written_while_the_delete_waits_is_deleted_too(data_dir, face_at, monkeypatch):
    """The other order, made certain: the profile's write has begun (it holds the write
    transaction) when the delete starts; the delete waits for it, then removes the profile."""
    pytest.importorskip("mediapipe")
    from gazelearn.server.app import create_app as make
    from gazelearn.webcam.calibration import CalibrationProfile

    from .conftest import make_local_client

    writing, release = threading.Event(), threading.Event()
    save = CalibrationProfile.save

    def slow_save(self, path):
        writing.set()
        assert release.wait(30)
        return save(self, path)

    monkeypatch.setattr(CalibrationProfile, "save", slow_save)
    client = make_local_client(make(data_dir))
    with client.websocket_connect("/ws/gaze") as ws:
        _calibrated_socket(ws, face_at)
        ws.send_text(json.dumps({"type": "fit"}))
        assert writing.wait(60)
        deleting = subprocess.Popen(
            [GAZELEARN, "collection", "delete", "--data", str(data_dir), "--person", "ada",
             "--yes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "CI": "1"})
        time.sleep(3)  # the delete has started and waits for the profile's transaction
        assert deleting.poll() is None
        release.set()
        assert ws.receive_json()["profile_saved"] is True
        out, err = deleting.communicate(timeout=120)
        assert deleting.returncode == 0, err
        assert _left_of(data_dir, "ada") == (0, [])
        ws.send_text(json.dumps({"type": "fit"}))
        reply = ws.receive_json()
        assert reply["type"] == "error" and "was deleted" in reply["message"], reply
    assert _left_of(data_dir, "ada") == (0, [])

def test_deleting_nobody_says_nothing_matched(data_dir):
    from typer.testing import CliRunner

    from gazelearn.cli.main import app

    Storage(data_dir)
    run = CliRunner().invoke(app, ["collection", "delete", "--data", str(data_dir), "--person",
                                   "ghost", "--yes"])
    assert run.exit_code == 1 and "nothing matched" in run.output, run.output
    with_newline = CliRunner().invoke(app, ["collection", "delete", "--data", str(data_dir),
                                            "--person", "ghost\n", "--yes"])
    assert with_newline.exit_code == 1 and "person" in with_newline.output


def test_delete_over_the_api_of_nobody_is_404(client):
    reply = client.delete("/api/persons/ghost")
    assert reply.status_code == 404 and "nothing matched" in reply.json()["error"]


def test_server_on_a_busy_port_fails_at_once_and_writes_nothing(tmp_path):
    from typer.testing import CliRunner

    from gazelearn.cli.main import app

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        data = tmp_path / "data"
        started = time.monotonic()
        run = CliRunner().invoke(app, ["server", "--port", str(port), "--data", str(data)])
    assert run.exit_code == 1 and time.monotonic() - started < 10
    lines = run.output.strip().splitlines()
    assert len(lines) == 1 and "cannot listen on" in lines[0] and str(port) in lines[0], lines
    assert "app on" not in run.output
    assert not data.exists()  # no data directory, no index


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_acknowledged_frames_survive_kill_9(tmp_path):
    """Frames uploaded for 2 s against a real ``gazelearn server``, then SIGKILL: every frame
    the server acknowledged is on disk and in the index."""
    import httpx

    data, port = tmp_path / "data", _free_port()
    process = subprocess.Popen(
        [GAZELEARN, "server", "--port", str(port), "--data",
         str(data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "CI": "1"})
    base = f"http://127.0.0.1:{port}"
    acknowledged = []
    try:
        with httpx.Client(base_url=base, timeout=5) as http:
            for _ in range(300):
                try:
                    http.get("/api/config")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            m = http.post("/api/measurements", json=MEASURE).json()["measurement"]
            end = time.monotonic() + 2.0
            while time.monotonic() < end:
                reply = http.post("/api/frames", params=_frame_query(m), content=tiny_jpeg(),
                                  headers={"Content-Type": "image/jpeg"})
                if reply.status_code == 201:
                    acknowledged.append(reply.json())
                else:
                    assert reply.status_code == 429, reply.text
                    time.sleep(0.02)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    assert len(acknowledged) >= 10
    rows = {r["id"]: r for r in Storage(data).frames()}
    assert all(a["id"] in rows and (data / a["path"]).read_bytes() == tiny_jpeg()
               for a in acknowledged)


def test_blank_token_is_no_token():
    from gazelearn.errors import InputError

    with pytest.raises(InputError, match="--token"):
        check_binding("0.0.0.0", "")
    with pytest.raises(InputError, match="--token"):
        check_binding("192.168.1.5", " " * 8)
    with pytest.raises(InputError, match="8 characters"):
        check_binding("127.0.0.1", "  short ")
