"""The generic delimited reader: columns, units, delimiters, headers and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from gazelearn import InputError, Screen
from gazelearn.io import detect_format, read

SCREEN = Screen(1000, 800, 400.0, 320.0, 600.0)


def write(tmp_path, text, name="gaze.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("delimiter", [",", "\t", ";", " "])
def test_delimiters_are_detected(tmp_path, delimiter):
    rows = ["t x y", "0 100 200", "4 101 201", "8 102 202"]
    path = write(tmp_path, "\n".join(r.replace(" ", delimiter) for r in rows) + "\n")
    rec = read(path, time_col="t", x_col="x", y_col="y")
    assert rec.sampling_rate == pytest.approx(250.0)
    assert rec.x.tolist() == [100.0, 101.0, 102.0]


@pytest.mark.parametrize(("unit", "step"), [("s", 0.004), ("ms", 4), ("us", 4000)])
def test_time_units(tmp_path, unit, step):
    path = write(tmp_path, "".join(f"{i * step},{i},{i}\n" for i in range(5)))
    rec = read(path, time_col=0, x_col="1", y_col=2, time_unit=unit)
    assert rec.sampling_rate == pytest.approx(250.0)
    assert rec.time[1] == pytest.approx(0.004)


def test_no_time_column_needs_sampling_rate(tmp_path):
    path = write(tmp_path, "gx,gy\n1,2\n3,4\n5,6\n")
    rec = read(path, x_col="gx", y_col="gy", sampling_rate=60)
    assert rec.time.tolist() == pytest.approx([0, 1 / 60, 2 / 60])
    with pytest.raises(InputError, match="no time column: give the sampling rate"):
        read(path, x_col="gx", y_col="gy")


def test_positions_in_degrees_and_normalised(tmp_path):
    path = write(tmp_path, "time,x,y\n0,0,0\n10,0.5,0.25\n")
    norm = read(path, time_col="time", x_col="x", y_col="y", position_unit="norm",
                screen=SCREEN)
    assert norm.x.tolist() == [0.0, 500.0] and norm.y.tolist() == [0.0, 200.0]  # 0,0 kept
    deg = read(path, time_col="time", x_col="x", y_col="y", position_unit="deg", screen=SCREEN)
    assert deg.x[0] == pytest.approx(500.0) and deg.y[0] == pytest.approx(400.0)
    back_x, _ = SCREEN.px_to_deg(deg.x, deg.y)
    assert back_x[1] == pytest.approx(0.5)
    with pytest.raises(InputError, match="positions in deg need the screen geometry"):
        read(path, time_col="time", x_col="x", y_col="y", position_unit="deg")


def test_lost_markers(tmp_path):
    path = write(tmp_path, "t,x,y\n0,1,1\n2,,\n4,NaN,3\n6,0,0\n8,.,.\n10,5,5\n")
    rec = read(path, time_col="t", x_col="x", y_col="y")
    assert np.isnan(rec.x[1:5]).all() and np.isnan(rec.y[1:5]).all()
    assert rec.lost_fraction == pytest.approx(4 / 6)


def test_pupil_and_label_columns(tmp_path):
    path = write(tmp_path, "t,x,y,p,ev\n0,1,1,3.5,fixation\n2,2,2,3.6,Saccade\n4,3,3,3.7,4\n")
    rec = read(path, time_col="t", x_col="x", y_col="y", pupil_col="p", label_col="ev")
    assert rec.pupil.tolist() == [3.5, 3.6, 3.7] and rec.labels.tolist() == [1, 2, 4]


def test_common_header_names_are_guessed(tmp_path):
    path = write(tmp_path, "timestamp,x,y\n0,1,1\n2,2,2\n")
    assert read(path).sampling_rate == pytest.approx(500.0)


def test_quoted_header(tmp_path):
    path = write(tmp_path, '"t","x","y"\n0,1,2\n1,3,4\n')
    assert read(path, time_col="t", x_col="x", y_col="y").y.tolist() == [2.0, 4.0]


def test_own_header_is_seconds_and_px(tmp_path):
    path = write(tmp_path, "time,x,y,pupil,label\n10.0,1,2,3,blink\n10.5,0,0,3,undefined\n")
    assert detect_format(path) == "delimited"
    rec = read(path)
    assert rec.time.tolist() == [10.0, 10.5] and rec.x.tolist() == [1.0, 0.0]  # real (0, 0)
    assert rec.labels.tolist() == [5, 0]


def test_missing_column_names_the_columns(tmp_path):
    path = write(tmp_path, "a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match="no x column named 'gx'; available columns: a, b, c"):
        read(path, time_col="a", x_col="gx", y_col="c")
    with pytest.raises(InputError, match="which column holds x"):
        read(path, time_col="a")
    with pytest.raises(InputError, match="no y column number 7"):
        read(path, time_col="a", x_col="b", y_col=7)


def test_non_numeric_value_names_line_and_column(tmp_path):
    path = write(tmp_path, "t,x,y\n0,1,1\n2,1,1\n4,abc,1\n")
    with pytest.raises(InputError) as error:
        read(path, time_col="t", x_col="x", y_col="y")
    assert str(error.value) == f"{path}, line 4, column 'x': expected a number, got 'abc'"
    assert error.value.line == 4 and error.value.field == "x"


def test_short_row(tmp_path):
    path = write(tmp_path, "t,x,y\n0,1,1\n2,1\n")
    with pytest.raises(InputError, match=r"line 3, column 'y': expected at least 3 fields"):
        read(path, time_col="t", x_col="x", y_col="y")


def test_time_going_backwards(tmp_path):
    path = write(tmp_path, "t,x,y\n0,1,1\n4,1,1\n2,1,1\n")
    with pytest.raises(InputError, match=r"line 4, column 't': time goes backwards"):
        read(path, time_col="t", x_col="x", y_col="y")
    rec = read(path, time_col="t", x_col="x", y_col="y", unordered="sort")
    assert rec.time.tolist() == [0.0, 0.002, 0.004]
    assert rec.meta.extra["reordered_samples"] == 1


def test_missing_empty_and_header_only_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="empty"):
        read(write(tmp_path, "  \n", "empty.csv"), format="delimited")
    with pytest.raises(InputError, match="no samples"):
        read(write(tmp_path, "time,x,y\n", "header.csv"))
    with pytest.raises(InputError, match="binary"):
        (tmp_path / "bin.csv").write_bytes(b"\x00\x01\x02time")
        read(tmp_path / "bin.csv", format="delimited")
    with pytest.raises(InputError, match="unknown time unit 'h'"):
        read(write(tmp_path, "t,x,y\n0,1,1\n", "u.csv"), time_col="t", x_col="x",
             y_col="y", time_unit="h")
