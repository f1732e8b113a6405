"""Every reader on small files with known answers; format detection; image sets."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_io import ASC_LABELS, ASC_TEXT, lund_pos, write_all, write_lund
from PIL import Image

from gazelearn import InputError, Screen
from gazelearn.io import (
    available_formats,
    detect_format,
    read,
    read_dataset,
    read_image_folder,
    read_manifest,
    register_reader,
)
from gazelearn.io.registry import unregister_reader


@pytest.fixture
def files(tmp_path):
    return write_all(tmp_path / "data")


def test_detect_format_of_every_kind(files, tmp_path):
    for name, path in files.items():
        assert detect_format(path) == name, path
    folder = tmp_path / "eyes"
    folder.mkdir()
    Image.new("L", (41, 41)).save(folder / "102_26.bmp")
    assert detect_format(folder) == "images"
    manifest = tmp_path / "eye_data.csv"
    manifest.write_text("File Path Face Image,x,y\nface.png,1,2\n")
    assert detect_format(manifest) == "manifest"


def test_detect_format_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        detect_format(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        detect_format(tmp_path / "empty.csv")
    with pytest.raises(InputError, match="X_Y images"):
        detect_format(tmp_path)


def test_registry_lists_and_rejects_names():
    assert {"delimited", "lund2013", "gazecom", "etra-paths", "etra-animals", "radio",
            "eyelink-asc"} <= set(available_formats())
    with pytest.raises(InputError, match="unknown format 'nope'"):
        read("x.csv", format="nope")

    @register_reader("test-constant", options=("value",))
    def _reader(path, value=1.0):
        from gazelearn import Recording
        return Recording(np.arange(3.0), np.full(3, value), np.zeros(3))

    try:
        assert read("anything", format="test-constant", value=7.0).x.tolist() == [7.0] * 3
        with pytest.raises(InputError, match="does not take x_col"):
            read("anything", format="test-constant", x_col="a")
    finally:
        unregister_reader("test-constant")


def test_lund2013(files):
    rec = read(files["lund2013"])
    pos = lund_pos()
    assert np.allclose(rec.time, pos[:, 0] * 1e-6)
    assert rec.sampling_rate == pytest.approx(500.0)
    assert np.isnan(rec.x[2]) and np.isnan(rec.y[2]) and np.isnan(rec.y[3])
    assert rec.x[0] == 500.0
    assert rec.labels.tolist() == [1, 2, 3, 4, 5, 0, 1, 2, 3, 4]  # Lund 6 -> undefined
    assert rec.screen == Screen(1024, 768, 380.0, 300.0, 670.0)
    meta = rec.meta
    assert (meta.subject, meta.stimulus, meta.format) == ("TH38", "Europe", "lund2013")
    assert meta.extra["stimulus_type"] == "img" and meta.extra["coder"] == "RA"


def test_lund2013_dots_without_timestamps(tmp_path):
    pos = lund_pos()
    pos[:, 0] = np.nan
    path = write_lund(tmp_path / "TL32_trial17_labelled_RA.mat", pos)
    rec = read(path)
    assert rec.meta.trial == "trial17" and rec.meta.extra["stimulus_type"] == "dots"
    assert rec.meta.extra["time_synthesized"] is True
    assert rec.time[1] == pytest.approx(0.002)
    assert read(path, sampling_rate=200).sampling_rate == pytest.approx(200.0)


def test_lund2013_bad_input(tmp_path):
    pos = lund_pos()
    pos[4, 5] = 9
    with pytest.raises(InputError, match="label 9.0 in sample 5"):
        read(write_lund(tmp_path / "a.mat", pos))
    with pytest.raises(InputError, match="N x 6"):
        read(write_lund(tmp_path / "b.mat", np.zeros((4, 3))))
    with pytest.raises(InputError, match="screen width_mm"):  # metres given as mm: too small
        read(write_lund(tmp_path / "c.mat", screenDim=np.array([[0.0038, 0.003]])))
    pos = lund_pos()
    pos[5, 0] = pos[2, 0]
    with pytest.raises(InputError, match="line 6.*time goes backwards"):
        read(write_lund(tmp_path / "d.mat", pos))
    (tmp_path / "e.mat").write_bytes(b"MATLAB 5.0 garbage" + bytes(200))
    with pytest.raises(InputError, match="e.mat"):
        read(tmp_path / "e.mat")


def test_gazecom(files):
    rec = read(files["gazecom"])
    assert rec.meta.subject == "AAF" and rec.meta.stimulus == "breite_strasse"
    assert rec.sampling_rate == 250.0
    assert rec.x[0] == 640.0 and rec.y[0] == 360.0
    assert np.isnan(rec.x[2])  # Confidence 0 is lost
    assert rec.x[4] == pytest.approx(1.02 * 1280)  # off the video area: kept
    assert rec.labels.tolist() == [1, 1, 5, 2, 4]
    assert rec.screen.width_mm == 400.0


def test_gazecom_bad_pattern(files):
    path = files["gazecom"]
    path.write_text(path.read_text().replace("\tS\n", "\tQ\n"))
    with pytest.raises(InputError, match=r"line 5, column 'Pattern': unknown pattern 'Q'"):
        read(path)


def test_etra_paths_uses_tracker_clock_and_reports(files):
    rec = read(files["etra-paths"])
    assert rec.time.tolist() == [5.0, 5.017, 5.033, 5.05]
    assert np.isnan(rec.x[2])  # (0, 0) is lost
    assert rec.meta.stimulus == "kot" and rec.meta.extra["stimulus_name"] == "cat"
    assert rec.meta.subject == "12" and rec.meta.extra["clock"] == "tracker"
    system = read(files["etra-paths"], clock="system")
    assert system.time.tolist() == [1.0, 1.01, 1.03, 1.03]
    assert system.timing().n_duplicates == 1  # irregularities are reported, not hidden


def test_etra_animals(files):
    rec = read(files["etra-animals"])
    assert rec.meta.stimulus == "animal-11.jpg" and rec.meta.trial == "A10"
    assert rec.sampling_rate == pytest.approx(50.0) and rec.x.tolist() == [10.0, 11.0, 12.0]


def test_radio(files):
    rec = read(files["radio"])
    assert rec.meta.subject == "A1116" and rec.meta.stimulus == "5" and rec.meta.trial == "2"
    assert rec.meta.extra["expertise"] == "specialist"
    assert rec.time.tolist() == [1.0, 1.017, 1.034, 1.05]  # sorted into place
    assert rec.meta.extra["reordered_samples"] == 1
    assert rec.x.tolist() == [11.0, 13.0, 17.0, 15.0] and rec.labels is None
    smooth = read(files["radio"], position="smooth", fixation_labels=True)
    assert smooth.x.tolist() == [10.0, 12.0, 16.0, 14.0]
    assert smooth.labels.tolist() == [1, 1, 0, 0]
    with pytest.raises(InputError, match="line 5.*time goes backwards"):
        read(files["radio"], unordered="error")


def test_eyelink_asc(files):
    rec = read(files["eyelink-asc"])
    assert rec.time[0] == 2.0 and rec.sampling_rate == pytest.approx(500.0)
    assert rec.labels.tolist() == ASC_LABELS
    assert np.isnan(rec.x[4]) and np.isnan(rec.pupil[5]) and rec.x[0] == pytest.approx(640.1)
    extra = rec.meta.extra
    assert extra["display_width_px"] == 1280 and extra["display_height_px"] == 1024
    assert extra["eye"] == "left" and extra["declared_sampling_rate"] == 500.0
    # the file knows the resolution only: a pixel-only screen
    assert rec.meta.trial == "7" and rec.screen == Screen(1280, 1024)
    assert not rec.screen.has_geometry
    screen = Screen(1280, 1024, 376.0, 301.0, 600.0)
    assert read(files["eyelink-asc"], screen=screen).screen == screen
    with pytest.raises(InputError, match="left eye only"):
        read(files["eyelink-asc"], eye="right")


def test_eyelink_binocular_right_eye(tmp_path):
    text = ("SAMPLES\tGAZE\tLEFT\tRIGHT\tRATE\t1000.00\n"
            "10\t1.0\t2.0\t900\t5.0\t6.0\t800\t.....\n"
            "11\t1.5\t2.5\t900\t.\t.\t0.0\t.....\n"
            "ESACC R 10 10 1 5 6 5 6 0.1 20\n")
    path = tmp_path / "b.asc"
    path.write_text(text)
    rec = read(path, eye="right")
    assert rec.x.tolist()[0] == 5.0 and np.isnan(rec.x[1]) and rec.labels.tolist() == [2, 0]
    assert read(path).x.tolist() == [1.0, 1.5]


def test_eyelink_bad_sample_line(files):
    path = files["eyelink-asc"]
    path.write_text(ASC_TEXT.replace("2004\t  640.2", "2004\t  6x0.2"))
    with pytest.raises(InputError, match="s01.asc, line 18: expected a sample"):
        read(path)


def test_image_folder_and_manifest(tmp_path):
    folder = tmp_path / "eye_left"
    folder.mkdir()
    Image.new("L", (41, 41)).save(folder / "102_26.bmp")
    Image.new("L", (40, 40)).save(folder / "4_741.bmp")
    (folder / "notes.txt").write_text("ignored")
    images = read_image_folder(folder)
    assert len(images) == 2 and images.targets.tolist() == [[102.0, 26.0], [4.0, 741.0]]
    summary = images.summary()
    assert summary["image_sizes"] == {"image": {"41x41": 1, "40x40": 1}}
    assert summary["target_range_px"] == {"x": [4.0, 102.0], "y": [26.0, 741.0]}
    assert images.load(0).shape == (41, 41)

    (tmp_path / "images").mkdir()
    for name in ("face_1.png", "left_1.png"):
        Image.new("RGB", (45, 45)).save(tmp_path / "images" / name)
    manifest = tmp_path / "eye_data.csv"
    manifest.write_text("Face,Left Eye,x,y\nimages/face_1.png,images/left_1.png,1664,624\n")
    images = read_manifest(manifest)
    assert images.columns == ["Face", "Left Eye"]
    assert images.images["Face"][0] == tmp_path / "images" / "face_1.png"
    assert images.targets.tolist() == [[1664.0, 624.0]]
    manifest.write_text("Face,x,y\nimages/missing.png,1,2\n")
    with pytest.raises(InputError, match="line 2, column 'Face': image not found"):
        read_manifest(manifest)
    with pytest.raises(InputError, match="holds images"):
        read(folder)


def test_read_dataset_expands_folders(files):
    folder = files["lund2013"].parent
    (folder / "README.md").write_text("# notes\n")
    (folder / "features.csv").write_text("name,count\na,1\n")  # not a recording
    data = read_dataset([folder])
    formats = sorted(data.column("format").tolist())
    assert formats == sorted(["lund2013", "gazecom", "etra-paths", "etra-animals", "radio",
                              "eyelink-asc", "delimited"])
    assert data.metadata.height == len(data) == 7
    assert set(data.filter(format="radio").column("expertise")) == {"specialist"}
    with pytest.raises(InputError, match="not found"):
        read_dataset([folder / "nothing.csv"])
