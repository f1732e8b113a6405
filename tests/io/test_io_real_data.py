"""Every kind of file in ../shared/data reads correctly (skipped when the folder is absent)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.io
from typer.testing import CliRunner

from gazelearn.cli.main import app
from gazelearn.io import detect_format, read, read_dataset

pytestmark = pytest.mark.real_data

LUND_IMG = "lund2013-dev/img/TH50_img_vy_labelled_RA.mat"


def info(*paths) -> list[dict]:
    result = CliRunner().invoke(app, ["info", "--json", *map(str, paths)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(("relative", "fmt", "low", "high"), [
    (LUND_IMG, "lund2013", 499.0, 501.0),
    ("lund2013-dev/video/TH46_video_BergoDalbana_labelled_RA.mat", "lund2013", 499.0, 501.0),
    ("lund2013-dev/dots/TL32_trial17_labelled_RA.mat", "lund2013", 500.0, 500.0),
    ("gazecom-dev/breite_strasse/AAF_breite_strasse.csv", "gazecom", 250.0, 250.0),
    ("radio/recordings/S_A1708_20_1", "radio", 55.0, 65.0),
    ("etra2021/paths/rab_15.csv", "etra-paths", 55.0, 65.0),
    ("etra2021/animals/A10.csv", "etra-animals", 45.0, 55.0),
])
def test_info_reads_every_recording_kind(shared_data, relative, fmt, low, high):
    path = shared_data / relative
    if not path.exists():
        pytest.skip(f"{relative} not in this copy of the data")
    assert detect_format(path) == fmt
    [result] = info(path)
    assert result["format"] == fmt
    assert low <= result["sampling_rate_hz"] <= high
    assert result["samples"] > 50 and 0.0 <= result["lost_percent"] < 50.0


def test_lund_label_shares_match_a_hand_count(shared_data):
    path = shared_data / LUND_IMG
    pos = scipy.io.loadmat(path)["ETdata"]["pos"][0, 0]
    raw = pos[:, 5]
    names = {1: "fixation", 2: "saccade", 3: "pso", 4: "pursuit", 5: "blink", 6: "undefined"}
    expected = {names[int(code)]: round(float(np.mean(raw == code)), 4)
                for code in np.unique(raw)}
    [result] = info(path)
    assert result["labels"] == expected
    lost = np.mean((pos[:, 3] == 0) & (pos[:, 4] == 0))
    assert lost > 0 and result["lost_percent"] == round(100 * lost, 2)
    assert result["screen"]["width_px"] == 1024 and result["screen"]["distance_mm"] == 670.0
    assert result["metadata"]["subject"] == "TH50" and result["metadata"]["stimulus"] == "vy"


def test_lund_200_hz_files_follow_their_timestamps(shared_data):
    path = shared_data / "lund2013-dev/img/TL48_img_Europe_labelled_RA.mat"
    if not path.exists():
        pytest.skip("TL48 file absent")
    rec = read(path)
    assert rec.sampling_rate == pytest.approx(200.0, rel=0.01)
    assert rec.meta.extra["declared_sampling_rate"] == 500.0


def test_gazecom_labels_and_geometry(shared_data):
    path = shared_data / "gazecom-dev/beach/AAF_beach.csv"
    rec = read(path)
    patterns = np.loadtxt(path, dtype=str, skiprows=1, usecols=3)
    assert rec.label_shares()["blink"] == pytest.approx(np.mean(patterns == "B"))
    assert rec.label_shares()["fixation"] == pytest.approx(np.mean(patterns == "F"))
    assert rec.meta.subject == "AAF" and rec.meta.stimulus == "beach"
    assert rec.screen.width_px == 1280 and np.nanmax(rec.x) > 640


def test_radio_metadata_and_reordering(shared_data):
    rec = read(shared_data / "radio/recordings/R_B1720_0_1")
    assert rec.meta.extra["expertise"] == "resident" and rec.meta.subject == "B1720"
    assert rec.meta.extra["reordered_samples"] == 1
    assert np.all(np.diff(rec.time) >= 0)


def test_image_sets(shared_data):
    eye_left, manifest = info(shared_data / "etra2021/eye_left",
                              shared_data / "webcam-crops-dev/eye_data.csv")
    assert eye_left["format"] == "images" and eye_left["images"] == 200
    assert eye_left["target_range_px"] == {"x": [4.0, 1360.0], "y": [19.0, 741.0]}
    assert manifest["format"] == "manifest" and manifest["images"] == 600
    assert manifest["image_sizes"]["File Path Face Image"] == {"190x190": 600}
    assert manifest["image_sizes"]["File Path Left Eye Image"] == {"45x45": 600}


def test_read_dataset_on_a_folder(shared_data):
    data = read_dataset(shared_data / "lund2013-dev/dots")
    assert len(data) == 13
    assert set(data.column("stimulus_type")) == {"dots"}
    assert data.column("trial").tolist().count("trial17") == 7
