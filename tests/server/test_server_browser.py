"""End to end in real headless Chromium: a fake webcam (a y4m video of a real face) feeds the
collection page and the calibration + live page served by a real uvicorn server.

Needs Debian's ``chromium`` at /usr/bin/chromium and the ``playwright`` package (its own browser
downloads are never used); skipped with a message otherwise.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"end-to-end browser tests need Debian's chromium at {CHROMIUM} "
                "(apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="end-to-end browser tests need the playwright package")
pytest.importorskip("mediapipe")
pytest.importorskip("skimage")

TIMEOUT_MS = 45_000


# The pages run under the app's Content-Security-Policy (script-src 'self', no eval), so the
# waits below are functions ("() => ..."): a bare expression would be eval'd by playwright and
# refused by the policy.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(tmp_path_factory, **app_options):
    """A real uvicorn server on loopback in a background thread: (base URL, data folder)."""
    import uvicorn

    from gazelearn.server import create_app

    data = tmp_path_factory.mktemp("app") / "data"
    port = _free_port()
    config = uvicorn.Config(create_app(data, dots_per_measurement=100, **app_options),
                            host="127.0.0.1", port=port, log_level="warning",
                            ws="websockets-sansio")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    for _ in range(200):
        if instance.started:
            break
        time.sleep(0.05)
    else:  # pragma: no cover
        pytest.fail("uvicorn did not start")
    yield f"http://127.0.0.1:{port}", data
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app with its defaults (the eyeball geometry maps gaze), but for the eye-crop CNNs
    that a calibration of 100 usable frames would also train: the fake camera's pursuit gives
    60-120 frames, depending on the machine's pace, of a face whose eyes do not follow the
    target, and training them takes a minute (the blend is tested in test_server_calibration)."""
    yield from _serve(tmp_path_factory, appearance_frames=0)


@pytest.fixture(scope="module")
def landmark_server(tmp_path_factory):
    """The app with the landmark regressor (``gazelearn server --gaze-model landmarks``)."""
    yield from _serve(tmp_path_factory, gaze_model="landmarks")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from gazelearn.server.fakecam import face_frames, write_y4m

    video = write_y4m(tmp_path_factory.mktemp("cam") / "astronaut.y4m",
                      face_frames(90, size=(640, 480), period=90), fps=30)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-video-capture={video}"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def test_collection_page_saves_frames_with_their_dots(server, page):
    base, data = server
    page.goto(f"{base}/collect?dots=3&person=e2e")
    page.check("#consent")
    page.click("#start")
    page.wait_for_function("() => window.gazelearnCollect.running === true")
    fullscreen = page.evaluate("GL.isFullscreen()")
    shown = []
    for n in range(3):
        page.wait_for_function("() => !window.gazelearnCollect.busy"
                               " && !window.gazelearnCollect.paused"
                               " && !!window.gazelearnCollect.dot")
        shown.append(page.evaluate("window.gazelearnCollect.dot"))
        page.keyboard.press("Space")
        page.wait_for_function(f"() => window.gazelearnCollect.saved >= {n + 1}")
    page.wait_for_function("() => window.gazelearnCollect.finished === true")
    assert "3 frames saved" in page.inner_text("#done")
    assert fullscreen, "the page could not go full screen"

    with sqlite3.connect(data / "index.sqlite") as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("SELECT * FROM frames WHERE person = 'e2e' "
                                            "ORDER BY idx")]
    assert [r["idx"] for r in rows] == [1, 2, 3]
    assert [(r["target_x"], r["target_y"], r["dot_color"]) for r in rows] == \
        [(d["x"], d["y"], d["colour"]) for d in shown]
    assert "Chrome" in rows[0]["browser"] and rows[0]["screen_w"] > 0
    assert all(0 <= r["target_x"] <= r["screen_w"] and 0 <= r["target_y"] <= r["screen_h"]
               for r in rows)
    from PIL import Image

    from gazelearn.webcam import FaceLandmarker

    with FaceLandmarker(static_image_mode=True) as marker:
        for row in rows:
            with Image.open(data / row["path"]) as image:
                assert image.format == "JPEG" and image.size == (640, 480)
                frame = np.asarray(image.convert("RGB"))
            # the saved frame is the fake webcam's picture: the astronaut's face
            assert marker.detect(frame) is not None


def test_calibration_then_live_gaze_and_session_heat_map(landmark_server, page):
    # The fake camera's face moves by itself, not with the targets: the eyeball geometry
    # calibrated on it can put every live gaze point off the screen (then no heat map is
    # drawn, as for a real person looking away). The live -> record -> heat-map flow is
    # checked with the landmark regressor, whose points stay near the calibration targets.
    base, data = landmark_server
    # no fixation wait (every frame sent is kept: 3 a target) and no refusal on the
    # poor validation of a face that moves by itself
    page.goto(f"{base}/calibrate?frames=3&settle=150&validation=3&person=e2e-live"
              "&fixation=0&max_error=100")
    page.click("#calibrate")
    page.wait_for_function("() => window.gazelearnLive.report !== null")
    report = page.evaluate("window.gazelearnLive.report")
    acked, faces = page.evaluate("[window.gazelearnLive.acked, window.gazelearnLive.faces]")
    assert acked == 3 * (9 + 3) and faces > 0.75 * acked, (acked, faces)
    # validation targets where video-mode MediaPipe lost the moving face may be missing
    assert 1 <= report["n_targets"] <= 3 and report["accuracy_px"] >= 0
    assert "px" in page.inner_text("#report")
    assert (data / "persons/e2e-live/profiles/profile.json").is_file()

    page.click("#live")
    page.wait_for_function("() => window.gazelearnLive.gaze >= 5")
    page.click("#record")
    page.wait_for_function("() => document.querySelector('#record').textContent !== 'Record'")
    page.wait_for_function("() => window.gazelearnLive.gaze >= 25")
    live = page.evaluate("window.gazelearnLive")
    assert live["valid"] >= 10, live  # the face is found, gaze points come back
    gaze = live["lastGaze"]
    assert gaze["type"] == "gaze" and {"x", "y", "valid", "blink", "face"} <= set(gaze)
    page.click("#stop")
    page.wait_for_function("() => window.gazelearnLive.session !== null")
    session = page.evaluate("window.gazelearnLive.session")
    assert session["samples"] >= 5 and session["heatmap"], session
    page.wait_for_function("() => document.querySelector('#heatmap').naturalWidth > 0")
    files = sorted(p.suffix for p in (data / "persons/e2e-live/sessions").iterdir())
    assert files == [".csv", ".json", ".png"]


def _live_state(page, *names):
    fields = ", ".join(f"s.{name}" for name in names)
    return page.evaluate(f"() => {{ const s = window.gazelearnLive; return [{fields}]; }}")


def test_calibration_in_full_screen_pursuit_refusal_one_live_loop_and_camera_off(server,
                                                                                 page):
    base, data = server
    page.goto(f"{base}/calibrate?frames=2&settle=100&validation=3&pursuit=4&maxwait=1500"
              "&person=e2e-flow")
    assert page.input_value("#points") == "9"  # the default layout
    page.select_option("#points", "5")
    page.check("#pursuit")
    page.click("#calibrate")
    page.wait_for_function("() => window.gazelearnLive.report !== null", timeout=120_000)
    layouts, advice, pursuit_kept, kept = _live_state(page, "layouts", "advice", "pursuitKept",
                                                      "kept")
    size = page.evaluate("() => [window.innerWidth, window.innerHeight]")
    # laid out once full screen was entered, for the screen it is in
    assert layouts[0]["fullscreen"] and layouts[0]["screen"] == size
    assert len(layouts[0]["calibration"]) == 5
    assert all(0 <= x <= size[0] and 0 <= y <= size[1]
               for x, y in layouts[0]["calibration"] + layouts[0]["validation"])
    assert advice and advice[-1] == "ok"  # the face-position check passed first
    # 3 s of moving target after the 1 s settle, at what a loaded 2-core machine answers
    # (the count of hundreds at 30 frames/s is tested over the socket)
    assert pursuit_kept >= 10, pursuit_kept
    assert kept >= 2 * 5  # every target's frames waited for the fixation, or the longest wait
    # a face that moves by itself validates poorly: refused, not saved, recalibrate offered
    report = page.evaluate("window.gazelearnLive.report")
    assert report["accepted"] is False and report["accuracy_pct"] > 10, report
    assert "refused" in page.inner_text("#verdict") and page.is_visible("#recalibrate")
    assert not (data / "persons/e2e-flow/profiles/profile.json").exists()

    page.click("#live")
    # pressed again and again (the button hides once live tracking runs): still one loop
    page.evaluate("() => { for (let i = 0; i < 2; i++) document.getElementById('live')"
                  ".click(); }")
    page.wait_for_function("() => window.gazelearnLive.gaze >= 10")
    starts, max_loops, fullscreen = _live_state(page, "liveStarts", "maxLoops", "screen")
    assert starts == 3 and max_loops == 1
    assert page.evaluate("() => Boolean(document.fullscreenElement)")  # live stays full screen
    assert fullscreen == size
    # a click where the person looks: a labelled frame. The frame it labels may have lost the
    # face (the video's face moves by itself); such a click is answered and not kept, so click
    # until one is kept, and the count of kept clicks is what the server says.
    for attempt in range(1, 6):
        page.mouse.click(300, 200)
        page.wait_for_function(f"() => window.gazelearnLive.clicks.length >= {attempt}")
        reply = page.evaluate(f"window.gazelearnLive.clicks[{attempt - 1}]")
        if reply["kept"]:
            break
        assert reply["n_clicks"] == 0 and "no face" in page.inner_text("#correction")
    assert reply["kept"] and reply["n_clicks"] == 1, reply
    page.click("#record")
    page.wait_for_function("() => window.gazelearnLive.gaze >= 20")
    page.click("#stop")
    page.wait_for_function("() => window.gazelearnLive.session !== null")
    page.wait_for_function("() => window.gazelearnLive.phase === 'done'")
    camera, tracks = page.evaluate("() => [window.gazelearnLive.camera, "
                                   "document.getElementById('video').srcObject]")
    assert camera is False and tracks is None  # the camera is off once the session ends
    assert page.evaluate("() => !document.fullscreenElement")
    assert "JSON" in page.inner_text("#session-text")


def test_targets_are_laid_out_again_when_the_window_changes(server, page):
    base, _ = server
    page.goto(f"{base}/calibrate?frames=2&settle=300&validation=2&person=e2e-resize")
    page.click("#calibrate")
    page.wait_for_function("() => window.gazelearnLive.layouts.length === 1"
                           " && window.gazelearnLive.phase === 'calibration'")
    page.set_viewport_size({"width": 1000, "height": 600})
    page.wait_for_function("() => window.gazelearnLive.layouts.length === 2")
    second = page.evaluate("window.gazelearnLive.layouts[1]")
    assert second["screen"] == [1000, 600]
    assert all(0 <= x <= 1000 and 0 <= y <= 600
               for x, y in second["calibration"] + second["validation"])
    assert max(y for _, y in second["calibration"]) == pytest.approx(540, abs=1)


def test_no_previous_participant_is_filled_in(server, page):
    base, _ = server
    for path in ("/calibrate", "/collect"):
        page.goto(f"{base}{path}?person=e2e-first")
        assert page.input_value("#person") == "e2e-first"
        page.fill("#person", "someone")
        page.goto(f"{base}{path}")
        assert page.input_value("#person") == ""
        assert page.evaluate("() => localStorage.getItem('gazelearn-person')") is None


def test_collection_starts_once_and_turns_the_camera_off(server, page):
    base, data = server
    page.goto(f"{base}/collect?dots=2&person=e2e-once")
    page.check("#consent")
    page.evaluate("() => { document.getElementById('start').click();"
                  " document.getElementById('start').click(); }")
    page.wait_for_function("() => window.gazelearnCollect.running === true")
    assert page.evaluate("window.gazelearnCollect.camera") is True
    for n in range(2):
        page.wait_for_function("() => !window.gazelearnCollect.busy"
                               " && !window.gazelearnCollect.paused"
                               " && !!window.gazelearnCollect.dot")
        page.keyboard.press("Space")
        page.wait_for_function(f"() => window.gazelearnCollect.saved >= {n + 1}")
    page.wait_for_function("() => window.gazelearnCollect.finished === true")
    assert page.evaluate("() => [window.gazelearnCollect.camera, "
                         "document.getElementById('video').srcObject]") == [False, None]
    with sqlite3.connect(data / "index.sqlite") as db:
        measurements = db.execute("SELECT COUNT(*) FROM measurements WHERE person = "
                                  "'e2e-once'").fetchone()[0]
        faces = [r[0] for r in db.execute("SELECT face FROM frames WHERE person = 'e2e-once'")]
    assert measurements == 1  # two clicks on Start: one measurement
    assert len(faces) == 2 and all(f in (None, 1) for f in faces)  # the astronaut's face
