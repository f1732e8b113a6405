"""The classic detection functions (gazelearn.detection.kernels): one implementation behind the
estimators and ``gazelearn events detect``, reached without scikit-learn or scipy (issue 14)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from gazelearn import InputError, Screen
from gazelearn.cli.main import app
from gazelearn.detection import create_detector, kernels
from gazelearn.detection.registry import DETECTORS
from gazelearn.events import EVENTS_WINDOW_S
from gazelearn.io import read, write_events, write_recording
from gazelearn.preprocess import speed_deg
from gazelearn.simulate import SubjectParameters, simulate_recording

SCREEN = ["--screen-px", "1920", "1080", "--screen-mm", "531", "299", "--distance-mm", "600"]
CLASSIC = sorted(kernels.KERNELS)

# Runs a command in a fresh interpreter and prints the heavy modules it loaded.
_HEAVY_CHILD = r"""
import json, sys
from gazelearn.cli.main import app
sys.argv = ["gazelearn", *json.loads(sys.argv[1])]
try:
    app()
except SystemExit as stop:
    code = stop.code or 0
heavy = sorted(m for m in sys.modules
               if m.split(".")[0] in ("sklearn", "scipy", "torch", "skops", "matplotlib"))
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def _heavy_modules(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _HEAVY_CHILD, json.dumps(args)],
                         capture_output=True, text=True, timeout=120)
    return json.loads(out.stderr.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def recording():
    """A simulated recording with pursuit, a lost stretch and a screen."""
    rec = simulate_recording(8.0, 500.0, SubjectParameters(pursuit_probability=0.3), seed=4)
    x, y = rec.x.copy(), rec.y.copy()
    x[700:760] = np.nan  # a 120-ms blink
    y[700:760] = np.nan
    return replace(rec, x=x, y=y, labels=None)


@pytest.fixture(scope="module")
def recording_file(recording, tmp_path_factory):
    path = tmp_path_factory.mktemp("kernels") / "rec.csv"
    write_recording(recording, path)  # the sidecar keeps the screen
    return path


def test_every_classic_method_is_a_registered_detector_running_its_function():
    for name in CLASSIC:
        cls = DETECTORS.get(name)
        assert cls._kernel is kernels.KERNELS[name]
        # the detector's parameters are the function's keyword arguments, defaults included
        assert cls().get_params() == kernels.KERNELS[name].__kwdefaults__
    assert set(CLASSIC) == {"ivt", "idt", "ivdt", "nh"}


@pytest.mark.parametrize("method", CLASSIC)
def test_the_estimator_calls_the_function(method, recording):
    options = {"idt": {"max_dispersion": 1.5}}.get(method, {"window_s": 0.03})
    detector = create_detector(method, **options)
    found = kernels.KERNELS[method](recording, **options)
    # the algorithm alone, and with the shared post-processing every detector applies
    np.testing.assert_array_equal(detector.predict(recording, postprocess=False), found.labels)
    np.testing.assert_array_equal(detector.predict(recording), kernels.run(
        kernels.KERNELS[method], recording, options).labels)
    assert detector.detect(recording).frame.equals(
        kernels.detect(method, recording, **options).frame)


@pytest.mark.parametrize("method", ["ivt", "ivdt", "nh"])
def test_a_velocity_function_hands_on_exactly_the_events_speed(method, recording):
    found = kernels.KERNELS[method](recording)
    np.testing.assert_array_equal(found.speed, speed_deg(recording, EVENTS_WINDOW_S))
    assert kernels.KERNELS[method](recording, window_s=0.03).speed is None
    # an inf position is cleaned by the events table first: its speed is not the same
    x = recording.x.copy()
    x[100] = np.inf
    assert kernels.KERNELS[method](replace(recording, x=x)).speed is None
    assert kernels.idt(recording).speed is None


def test_unknown_options_and_methods_are_input_errors():
    with pytest.raises(InputError, match="bad option for detector 'ivt'.*'speed'"):
        kernels.kernel("ivt", {"speed": 3})
    with pytest.raises(InputError, match="not a classic detection method"):
        kernels.kernel("deep")
    result = CliRunner().invoke(app, ["events", "detect", "x.csv", "--method", "ivt",
                                      "--option", "speed=3", "--output", "o.csv"])
    assert result.exit_code == 1
    assert "bad option for detector 'ivt'" in result.output


@pytest.mark.parametrize("method", CLASSIC)
def test_the_command_writes_what_the_estimator_detects(method, recording_file, tmp_path):
    out = tmp_path / "events.csv"
    result = CliRunner().invoke(app, ["events", "detect", str(recording_file), "--method",
                                      method, "--output", str(out)])
    assert result.exit_code == 0, result.output
    expected = tmp_path / "expected.csv"
    write_events(create_detector(method).detect(read(recording_file)), expected)
    assert out.read_bytes() == expected.read_bytes()
    samples = tmp_path / "samples.csv"
    result = CliRunner().invoke(app, ["events", "detect", str(recording_file), "--method",
                                      method, "--samples", "--output", str(samples)])
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(read(samples).labels,
                                  create_detector(method).predict(read(recording_file)))


def test_detect_and_info_import_no_scikit_learn_scipy_or_torch(recording_file, tmp_path):
    detected = _heavy_modules("events", "detect", str(recording_file), "--method", "ivt",
                              "--output", str(tmp_path / "e.csv"))
    assert detected == {"code": 0, "heavy": []}
    assert (tmp_path / "e.csv").is_file()
    for method in ("nh", "ivdt", "idt"):
        found = _heavy_modules("events", "detect", str(recording_file), "--method", method,
                               "--samples", "--output", str(tmp_path / f"{method}.csv"))
        assert found == {"code": 0, "heavy": []}
    assert _heavy_modules("info", str(recording_file)) == {"code": 0, "heavy": []}
    assert _heavy_modules("info", str(recording_file), *SCREEN, "--json") == {
        "code": 0, "heavy": []}


def test_the_kernels_module_alone_imports_no_estimator_code():
    code = ("import sys, gazelearn.detection.kernels, gazelearn.detection; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sklearn', 'scipy', 'torch') or m == 'gazelearn.detection.base'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_ivt_function_by_hand():
    # 100 Hz, 0.5 deg per sample for 10 samples = 50 deg/s between two still fixations
    screen = Screen(1000, 1000, 500.0, 500.0, 500.0)
    rec = simulate_recording(0.1, 100.0, seed=0)
    deg = np.concatenate([np.zeros(20), 0.5 * np.arange(1, 11), np.full(20, 5.0)])
    x_px = 500 + 1000 * np.tan(np.radians(deg))  # 0.5 mm per px, 500 mm away
    rec = replace(rec, time=np.arange(50) / 100.0, x=x_px, y=np.full(50, 500.0),
                  labels=None, pupil=None, screen=screen)
    # a 3-sample window of order 2 is the central difference: (x[i+1] - x[i-1]) / 0.02 s is
    # 25 deg/s at samples 19 and 29 (half a step), 50 deg/s at 20..28
    labels = kernels.ivt(rec, threshold=30.0, window_s=0.03).labels
    assert labels.tolist() == [1] * 20 + [2] * 9 + [1] * 21
    assert kernels.ivt(rec, threshold=60.0, window_s=0.03).labels.tolist() == [1] * 50
