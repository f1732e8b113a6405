"""Issue 17's inputs that were silently wrong (or crashed): each is now an error naming the
file (and line), or a counted, documented repair."""

from __future__ import annotations

import json
import struct
import zlib

import numpy as np
import polars as pl
import pytest
from helpers_io import ASC_TEXT, PATHS_TEXT

from gazelearn import InputError, Recording
from gazelearn.io import read, read_images, read_manifest, write_recording


def _write(tmp_path, name, data):
    path = tmp_path / name
    (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
    return path


# ------------------------------------------------------------------ ETRA paths
def test_etra_cut_last_line_is_dropped_and_counted(tmp_path):
    cut = PATHS_TEXT + "1040\tG\t104\t204\tGazeData TS:5"  # no line end: the recording stopped
    rec = read(_write(tmp_path, "bus_10.csv", cut))
    assert len(rec) == 4 and rec.time[0] == 5.0 and rec.time[-1] == 5.05
    assert rec.meta.extra["dropped_cut_lines"] == 1 and "line 5" in rec.meta.extra["warnings"][0]
    short = read(_write(tmp_path, "bus_11.csv", PATHS_TEXT + "1040\tG\t10"))
    assert len(short) == 4


def test_etra_row_without_tracker_time_is_an_error(tmp_path):
    text = PATHS_TEXT.replace("GazeData TS:5017", "GazeData")
    with pytest.raises(InputError, match=r"line 2.*TS:<ms>"):
        read(_write(tmp_path, "bus_10.csv", text))
    assert read(_write(tmp_path, "bus_12.csv", text), clock="system").meta.extra["clock"] == \
        "system"
    none = "".join(line.rsplit("\t", 1)[0] + "\tGazeData\n" for line in PATHS_TEXT.splitlines())
    assert read(_write(tmp_path, "bus_13.csv", none)).meta.extra["clock"] == "system"


def test_etra_broken_timestamp_inside_is_an_error(tmp_path):
    text = PATHS_TEXT.replace("TS:5033", "TS:50")
    with pytest.raises(InputError, match=r"line 3.*before the row above"):
        read(_write(tmp_path, "bus_10.csv", text))


# ------------------------------------------------------------------ EyeLink
@pytest.mark.parametrize(("old", "new", "match"), [
    ("SAMPLES\tGAZE\tLEFT\tRATE\t 500.00", "SAMPLES\tGAZE\tLEFT\tRATE\t .",
     r"line 14: expected RATE Hz, got '\.'"),
    ("DISPLAY_COORDS 0 0 1279 1023", "DISPLAY_COORDS . . . .", "line 7: expected DISPLAY_COORDS"),
    ("DISPLAY_COORDS 0 0 1279", "DISPLAY_COORDS 0 0 " + "9" * 400,
     "line 7: expected DISPLAY_COORDS"),
    ("DISPLAY_COORDS 0 0 1279", "DISPLAY_COORDS 0 0 \u0661279", "line 7: expected DISPLAY_COORDS"),
])
def test_eyelink_settings_lines_are_checked(tmp_path, old, new, match):
    assert old in ASC_TEXT
    with pytest.raises(InputError, match=match):
        read(_write(tmp_path, "s01.asc", ASC_TEXT.replace(old, new, 1)))


def test_eyelink_sample_starting_with_nan_names_its_line(tmp_path):
    first = next(line for line in ASC_TEXT.splitlines() if line[:1].isdigit())
    text = ASC_TEXT.replace(first, "nan" + first[first.index("\t"):], 1)
    number = text.splitlines().index("nan" + first[first.index("\t"):]) + 1
    with pytest.raises(InputError, match=rf"line {number}, column '1'.*'nan'"):
        read(_write(tmp_path, "s01.asc", text))


# ------------------------------------------------------------------ numbers in text
@pytest.mark.parametrize("value", ["1_0_0", "\u0661\u0662", "\u0661_0"])
def test_numbers_are_ascii_digits_only(tmp_path, value):
    path = _write(tmp_path, "r.csv", f"time,x,y\n0,{value},2\n0.002,3,4\n")
    with pytest.raises(InputError, match="line 2, column 'x'"):
        read(path)
    paths = PATHS_TEXT.replace("TS:5017", f"TS:{value}")
    with pytest.raises(InputError, match="line 2"):
        read(_write(tmp_path, "bus_10.csv", paths))


# ------------------------------------------------------------------ Parquet, JSON, images
def _recording():
    return Recording(np.arange(4) / 100, np.arange(4.0), np.arange(4.0))


@pytest.mark.parametrize("metadata", ["[1, 2]", json.dumps({"metadata": [1]}),
                                      json.dumps({"metadata": "abc", "screen": "x"})])
def test_parquet_metadata_of_other_shapes_is_ignored(tmp_path, metadata):
    path = tmp_path / "r.parquet"
    pl.DataFrame({"time": [0.0, 0.01], "x": [1.0, 2.0], "y": [1.0, 2.0]}).write_parquet(
        path, metadata={"gazelearn": metadata})
    assert len(read(path)) == 2


def test_truncated_parquet_is_an_error(tmp_path):
    path = write_recording(_recording(), tmp_path / "r.parquet")
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read(path)


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000,
                                  '{"metadata": ' + '{"a": ' * 100_000 + "1" + "}" * 100_001])
def test_deeply_nested_sidecar_is_an_error(tmp_path, text):
    path = write_recording(_recording(), tmp_path / "r.csv")
    path.with_name("r.csv.json").write_text(text)
    with pytest.raises(InputError, match="nested deeper than"):
        read(path)


def _png_claiming(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                            0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("size", [(100_000, 100_000), (10_000, 10_000)])
def test_decompression_bomb_in_an_image_folder_is_an_error(tmp_path, size):
    from PIL import Image

    Image.new("L", (4, 4)).save(tmp_path / "1_2.png")
    (tmp_path / "3_4.png").write_bytes(_png_claiming(*size))
    images = read_images(tmp_path)
    with pytest.raises(InputError, match="3_4.png"):
        images.image_sizes()
    with pytest.raises(InputError, match="3_4.png"):
        images.load(1)


def test_huge_image_path_in_a_manifest_is_an_error(tmp_path):
    path = _write(tmp_path, "m.csv", "face,x,y\n" + "a" * 2_000_000 + ".png,1,2\n")
    with pytest.raises(InputError, match="line 2, column 'face'.*2000004 characters"):
        read_manifest(path)


# ------------------------------------------------------------------ labels and training data
def test_unknown_group_column_is_an_error(tmp_path):
    from gazelearn.dataset import Dataset
    from gazelearn.io.label_table import labels_for, read_label_table

    table_path = _write(tmp_path, "labels.csv", "recording,label,group\na,x,1\nb,y,2\n")
    recordings = [Recording(np.arange(3) / 100, np.zeros(3), np.zeros(3)) for _ in "ab"]
    for rec, name in zip(recordings, "ab", strict=True):
        rec.meta.source = f"{name}.csv"
    dataset = Dataset(recordings)
    with pytest.raises(InputError, match=r"no group column 'grup'.*recording, label, group"):
        labels_for(dataset, read_label_table(table_path, "grup"))
    assert labels_for(dataset, read_label_table(table_path))[1] == [1, 2]
    no_group = _write(tmp_path, "plain.csv", "recording,label\na,x\nb,y\n")
    assert labels_for(dataset, read_label_table(no_group))[1] == ["a", "b"]  # default: own


def test_deep_detector_refuses_training_data_without_fixations_and_saccades():
    from gazelearn import Screen
    from gazelearn.detection.deep import DeepDetector

    rec = Recording(np.arange(500) / 500, np.zeros(500), np.zeros(500),
                    labels=np.where(np.arange(500) % 50 < 5, 5, 0).astype(np.int8),
                    screen=Screen(1024, 768, 380, 300, 670))
    with pytest.raises(InputError, match="fixation and saccade"):
        DeepDetector(epochs=1).fit([rec])


def test_face_coverage_is_required_for_a_calibration():
    from gazelearn.webcam.calibration import calibration_targets, require_face_coverage

    targets = np.repeat(calibration_targets(9, (1920, 1080)), 10, axis=0)
    features = np.full((90, 4), np.nan)
    features[:20] = 1.0  # a face on the first two targets only
    with pytest.raises(InputError, match=r"a face was found on 2 of 9 calibration targets "
                       r"\(20 of 90"):
        require_face_coverage(features, targets)
