"""Collection API: frames become files plus SQLite rows; export, delete, limits, token."""

from __future__ import annotations

import sqlite3

import pytest

from gazelearn.errors import InputError
from gazelearn.io import read_manifest
from gazelearn.server import Storage, check_binding, create_app
from gazelearn.server.storage import tiny_jpeg


def _measure(client, person="ada", screen=(1280, 720)):
    reply = client.post("/api/measurements", json={"person": person, "consent": True,
                                                   "screen": list(screen), "n_dots": 3})
    assert reply.status_code == 201, reply.text
    return reply.json()["measurement"]


def _upload(client, person, measurement, x, y, body=None, **extra):
    params = {"person": person, "measurement": measurement, "x": x, "y": y, "screen_w": 1280,
              "screen_h": 720, **extra}
    return client.post("/api/frames", params=params, content=body or tiny_jpeg(),
                       headers={"User-Agent": "pytest-browser/1.0", "Content-Type": "image/jpeg"})


def test_a_frame_becomes_an_image_file_and_an_sqlite_row(client, data_dir):
    m = _measure(client)
    assert client.post("/api/measurements", json={"person": "x", "consent": True,
                                                  "screen": [9, 9], "n_dots": 500}
                       ).json()["dots"] == 100  # capped at the server's dots per measurement
    reply = _upload(client, "ada", m, 640.5, 100, dot_radius=12.5, dot_color="#ff0000",
                    client_time=1234)
    assert reply.status_code == 201, reply.text
    path = data_dir / reply.json()["path"]
    assert path.read_bytes() == tiny_jpeg()
    assert path.relative_to(data_dir).parts[:4] == ("persons", "ada", "measurements", "m0001")
    with sqlite3.connect(data_dir / "index.sqlite") as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("SELECT * FROM frames")]
    assert len(rows) == 1
    row = rows[0]
    assert (row["person"], row["measurement"], row["idx"]) == ("ada", m, 1)
    assert (row["target_x"], row["target_y"], row["screen_w"], row["screen_h"]) == \
        (640.5, 100.0, 1280, 720)
    assert (row["dot_radius"], row["dot_color"], row["client_time"]) == (12.5, "#ff0000", 1234)
    assert row["browser"] == "pytest-browser/1.0" and row["time"].startswith("20")
    assert (row["width"], row["height"]) == (8, 6)


def test_export_is_a_manifest_the_gaze_models_read(client, data_dir, tmp_path):
    m1, m2 = _measure(client), _measure(client)
    for m, x in ((m1, 10), (m1, 20), (m2, 30)):
        assert _upload(client, "ada", m, x, x + 1).status_code == 201
    _upload(client, "bob", _measure(client, "bob"), 99, 99)
    # over the API: written under the person's folder
    reply = client.post("/api/persons/ada/export")
    assert reply.status_code == 200 and reply.json()["rows"] == 3
    images = read_manifest(data_dir / reply.json()["manifest"])
    assert images.targets.tolist() == [[10, 11], [20, 21], [30, 31]]
    # from Python, anywhere (paths relative to the CSV), one measurement
    out = tmp_path / "elsewhere" / "m1.csv"
    result = Storage(data_dir).export_manifest(out, person="ada", measurement=m1)
    images = read_manifest(out)
    assert result["rows"] == 2 and images.targets[:, 0].tolist() == [10, 20]
    assert all(p.is_file() for p in images.images["frame"])
    assert not out.read_text().split("\n")[1].startswith("/")  # relative paths
    from gazelearn.appearance.data import load_gaze_data

    assert load_gaze_data(out).groups.tolist() == [f"ada-m{m1}"] * 2


def test_bad_uploads_are_refused_and_leave_nothing(data_dir, local_client):
    client = local_client(create_app(data_dir, max_upload_bytes=5000, upload_rate=100))
    m = _measure(client)
    big = tiny_jpeg((400, 400)) + b"\0" * 6000
    assert _upload(client, "ada", m, 1, 1, body=big).status_code == 413
    assert _upload(client, "ada", m, 1, 1, body=b"not an image").status_code == 400
    reply = _upload(client, "../etc", m, 1, 1)
    assert reply.status_code == 400 and "person" in reply.json()["error"]
    assert client.post("/api/measurements", json={"person": "ada", "screen": [9, 9]}
                       ).status_code == 400  # no consent
    assert _upload(client, "ada", m + 7, 1, 1).status_code == 400  # unknown measurement
    assert Storage(data_dir).frames() == []
    assert not list((data_dir / "persons").rglob("*.jpg")) if (data_dir / "persons").exists() \
        else True


def test_uploads_are_rate_limited_per_client(data_dir, local_client):
    # without the face check: MediaPipe loading beside the burst would refill the bucket
    client = local_client(create_app(data_dir, upload_rate=2, check_faces=False))
    m = _measure(client)
    codes = [_upload(client, "ada", m, i, i).status_code for i in range(4)]
    assert codes[:2] == [201, 201] and 429 in codes[2:]


def test_delete_person_removes_files_and_rows_only_of_that_person(client, data_dir):
    for person in ("ada", "bob"):
        m = _measure(client, person)
        for i in range(2):
            _upload(client, person, m, i, i)
    client.post("/api/persons/ada/export")
    reply = client.delete("/api/persons/ada")
    assert reply.status_code == 200
    assert reply.json()["frames"] == 2 and reply.json()["measurements"] == 1
    assert reply.json()["files"] == 3  # two frames and the exported manifest
    assert not (data_dir / "persons" / "ada").exists()
    store = Storage(data_dir)
    assert store.frames(person="ada") == [] and len(store.frames(person="bob")) == 2
    assert [p["person"] for p in client.get("/api/persons").json()] == ["bob"]


def test_token_protects_api_and_socket(data_dir, local_client):
    from starlette.websockets import WebSocketDisconnect

    client = local_client(create_app(data_dir, token="correct-horse"))
    assert client.get("/").status_code == 200  # pages hold no data
    assert client.get("/api/persons").status_code == 401
    assert client.get("/api/persons", headers={"X-Gazelearn-Token": "wrong-one"}
                      ).status_code == 401
    assert client.get("/api/persons", headers={"X-Gazelearn-Token": "correct-horse"}
                      ).status_code == 200
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws/gaze"):
        pass
    assert closed.value.code == 1008
    with client.websocket_connect("/ws/gaze?token=correct-horse") as socket:
        socket.send_text('{"type": "ping", "t": 5}')
        assert socket.receive_json() == {"type": "pong", "t": 5}


def test_binding_beyond_loopback_needs_a_token():
    check_binding("127.0.0.1", None)
    check_binding("::1", None)
    check_binding("0.0.0.0", "long-enough-token")
    for host in ("0.0.0.0", "192.168.1.5", "example.org"):
        with pytest.raises(InputError, match="--token"):
            check_binding(host, None)
    with pytest.raises(InputError, match="8 characters"):
        check_binding("0.0.0.0", "short")


def test_server_command_refuses_to_start_open_without_token(tmp_path):
    from typer.testing import CliRunner

    from gazelearn.cli.main import app

    run = CliRunner().invoke(app, ["server", "--host", "0.0.0.0", "--data", str(tmp_path)])
    assert run.exit_code == 1 and "--token" in run.output
    run = CliRunner().invoke(app, ["server", "--appearance-frames", "-5", "--data",
                                   str(tmp_path / "never")])
    assert run.exit_code == 1 and "--appearance-frames must be 0 (never) or more, got -5" \
        in run.output and not (tmp_path / "never").exists()


def test_collection_commands_export_and_delete(client, data_dir, tmp_path):
    from typer.testing import CliRunner

    from gazelearn.cli.main import app

    m = _measure(client)
    for i in range(3):
        _upload(client, "ada", m, 100 * i, 50)
    runner = CliRunner()
    listed = runner.invoke(app, ["collection", "list", "--data", str(data_dir)])
    assert listed.exit_code == 0 and f"ada: m{m}: 3 frames" in listed.output
    out = tmp_path / "ada.csv"
    exported = runner.invoke(app, ["collection", "export", "--data", str(data_dir), "--person",
                                   "ada", "--output", str(out)])
    assert exported.exit_code == 0, exported.output
    assert read_manifest(out).targets[:, 0].tolist() == [0, 100, 200]
    refused = runner.invoke(app, ["collection", "delete", "--data", str(data_dir), "--person",
                                  "ada"])
    assert refused.exit_code == 1 and "--yes" in refused.output
    assert len(Storage(data_dir).frames()) == 3
    deleted = runner.invoke(app, ["collection", "delete", "--data", str(data_dir), "--person",
                                  "ada", "--yes"])
    assert deleted.exit_code == 0 and "3 frame rows" in deleted.output
    assert Storage(data_dir).frames() == []
    missing = runner.invoke(app, ["collection", "list", "--data", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "index.sqlite" in missing.output


def test_export_with_crops_cuts_face_and_eyes(client, data_dir, face_at, blank_jpeg):
    pytest.importorskip("mediapipe")
    m = _measure(client)
    for body in (face_at(0.2, 0.5), blank_jpeg, face_at(0.8, 0.5)):
        assert _upload(client, "ada", m, 10, 20, body=body).status_code == 201
    out = data_dir.parent / "crops" / "manifest.csv"
    result = Storage(data_dir).export_manifest(out, person="ada", crops=True)
    assert (result["rows"], result["frames"], result["no_face"]) == (2, 3, 1)
    images = read_manifest(out)
    assert images.columns == ["face", "left_eye", "right_eye"]
    sizes = images.image_sizes()
    assert sizes["face"] == {(224, 224): 2} and sizes["left_eye"] == {(64, 36): 2}


def test_uploaded_frames_without_a_face_are_flagged_and_counted(data_dir, local_client,
                                                                 face_at, blank_jpeg):
    pytest.importorskip("mediapipe")
    app = create_app(data_dir)
    client = local_client(app)
    m = _measure(client)
    # uploaded while MediaPipe still loads: stored unchecked, flagged once it is ready
    early = _upload(client, "ada", m, 5, 5, body=blank_jpeg)
    assert early.status_code == 201 and early.json()["face"] in (None, False)
    app.state.face_check.warm_up()
    with_face = _upload(client, "ada", m, 10, 10, body=face_at(0.5, 0.5))
    without = _upload(client, "ada", m, 20, 20, body=blank_jpeg)
    assert with_face.json()["face"] is True and without.json()["face"] is False
    flags = [r["face"] for r in Storage(data_dir).frames(person="ada")]
    assert flags == [0, 1, 0]  # all three flagged in the index, the early one too
    summary = client.get("/api/persons").json()
    assert summary[0]["frames"] == 3 and summary[0]["no_face"] == 2
    assert client.get("/api/persons/ada/measurements").json()[0]["no_face"] == 2


def test_an_index_made_before_the_face_flag_gains_the_column(data_dir):
    data_dir.mkdir(parents=True)
    with sqlite3.connect(data_dir / "index.sqlite") as db:  # the frames table of before
        db.execute("CREATE TABLE frames (id INTEGER PRIMARY KEY AUTOINCREMENT, person TEXT "
                   "NOT NULL, measurement INTEGER NOT NULL, idx INTEGER NOT NULL, time TEXT "
                   "NOT NULL, client_time REAL, target_x REAL NOT NULL, target_y REAL NOT NULL,"
                   " screen_w INTEGER NOT NULL, screen_h INTEGER NOT NULL, dot_radius REAL, "
                   "dot_color TEXT, browser TEXT, path TEXT NOT NULL, width INTEGER, height "
                   "INTEGER, bytes INTEGER)")
    store = Storage(data_dir)
    m = store.new_measurement("ada", (100, 100))
    assert store.add_frame("ada", m, tiny_jpeg(), (1, 1), (100, 100), face=False)["face"] == 0
    assert store.measurements("ada")[0]["no_face"] == 1
