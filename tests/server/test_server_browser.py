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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real uvicorn server on loopback in a background thread."""
    import uvicorn

    from gazelearn.server import create_app

    data = tmp_path_factory.mktemp("app") / "data"
    port = _free_port()
    config = uvicorn.Config(create_app(data, dots_per_measurement=100), host="127.0.0.1",
                            port=port, log_level="warning", ws="websockets-sansio")
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


def test_calibration_then_live_gaze_and_session_heat_map(server, page):
    base, data = server
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
    assert session["samples"] >= 5 and session["heatmap"]
    page.wait_for_function("() => document.querySelector('#heatmap').naturalWidth > 0")
    files = sorted(p.suffix for p in (data / "persons/e2e-live/sessions").iterdir())
    assert files == [".csv", ".json", ".png"]
