"""Bad text files: one line naming the file, the line and the column; exit 1 on the command line.

Each case is read through the library (``read``) and through ``gazelearn info`` (CliRunner).
"""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from gazelearn import InputError
from gazelearn.cli.main import app
from gazelearn.io import read

runner = CliRunner()
HEADER = b"timestamp,x,y\n"
GOOD = b"0,1,1\n4,2,2\n"

# (id, file bytes, read options, line, column, words of the message)
CASES = [
    ("truncated", HEADER + GOOD + b"8,3", {}, 4, "y", "expected at least 3 fields, found 2"),
    ("last-line-cut", HEADER + GOOD + b"8,3,1e", {}, 4, "y", "expected a number, got '1e'"),
    ("wrong-delimiter", HEADER + GOOD, {"delimiter": ";", "time_col": "timestamp",
                                        "x_col": "x", "y_col": "y"}, 1, "timestamp",
     "no time column named 'timestamp'"),
    ("bom", b"\xef\xbb\xbf" + HEADER + b"0,1,1\n4,abc,1\n", {}, 3, "x",
     "expected a number, got 'abc'"),
    ("crlf", HEADER.replace(b"\n", b"\r\n") + b"0,1,1\r\n4,1,1\r\n8,?x,1\r\n", {}, 4, "x",
     "expected a number, got '?x'"),
    ("latin-1", b"timestamp,x\xe9,y\n0,1,1\n4,1,1\n8,caf\xe9,1\n", {"x_col": "x\u00e9"}, 4,
     "x\u00e9", "expected a number, got 'caf"),
    ("header-only", HEADER, {}, 2, None, "no samples in the file (only a header)"),
    ("duplicate-columns", b"timestamp,x,x,y\n0,1,1,1\n4,2,2,2\n", {}, 1, "x",
     "the header names 2 columns 'x'"),
    ("text-column", HEADER + b"0,left,1\n4,right,2\n", {}, 2, "x",
     "expected a number, got 'left'"),
    ("time-backwards", HEADER + GOOD + b"2,3,3\n", {}, 4, "timestamp", "time goes backwards"),
    ("time-infinite", HEADER + GOOD + b"1e400,3,3\n", {}, 4, "timestamp",
     "expected a timestamp, found a missing or infinite value"),
    ("all-nan", HEADER + b"0,NaN,NaN\n4,,\n8,nan,NaN\n", {}, None, "x",
     "no sample has a gaze position"),
    ("implausible-rate", HEADER + b"0,1,1\n1000000,2,2\n2000000,3,3\n", {}, None, "timestamp",
     "cannot tell the time unit"),
]
IDS = [case[0] for case in CASES]


def _cli_args(options: dict) -> list[str]:
    args = []
    for name, value in options.items():
        if name == "delimiter":
            args += ["-O", f"delimiter={value}"]
        else:
            args += ["--" + name.replace("_", "-"), str(value)]
    return args


@pytest.mark.parametrize(("name", "content", "options", "line", "column", "words"), CASES,
                         ids=IDS)
def test_library_error_names_file_line_and_column(tmp_path, name, content, options, line,
                                                   column, words):
    path = tmp_path / f"{name}.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read(path, **options)
    error = caught.value
    assert words in str(error)
    assert "\n" not in str(error) and str(error).startswith(str(path))
    assert error.line == line and error.field == column


@pytest.mark.parametrize(("name", "content", "options", "line", "column", "words"), CASES,
                         ids=IDS)
def test_info_exits_1_with_one_line(tmp_path, name, content, options, line, column, words):
    path = tmp_path / f"{name}.csv"
    path.write_bytes(content)
    result = runner.invoke(app, ["info", str(path), *_cli_args(options)])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and str(path) in lines[0]
    if line is not None:
        assert f"line {line}" in lines[0]
    assert list(tmp_path.iterdir()) == [path]  # nothing left behind


def test_implausible_rate_names_the_option(tmp_path):
    path = tmp_path / "slow.csv"
    path.write_bytes(HEADER + b"0,1,1\n1000000,2,2\n2000000,3,3\n")
    with pytest.raises(InputError, match="time_unit=") as caught:
        read(path)
    assert caught.value.params == ("time_unit",)
    result = runner.invoke(app, ["info", str(path)])
    assert result.exit_code == 1 and "--time-unit" in result.output
    assert read(path, time_unit="us").sampling_rate == pytest.approx(1.0)


def test_bom_crlf_and_latin1_files_read(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_bytes(b"\xef\xbb\xbftimestamp;x\xe9;y\r\n0;1,5;2\r\n4;2,5;3\r\n")
    rec = read(path, x_col="x\u00e9", decimal=",")
    assert rec.x.tolist() == [1.5, 2.5] and rec.sampling_rate == pytest.approx(250.0)
    result = runner.invoke(app, ["info", str(path), "--x-col", "x\u00e9", "--decimal-comma"])
    assert result.exit_code == 0, result.output


def test_infinite_positions_are_counted_lost_samples(tmp_path):
    path = tmp_path / "inf.csv"
    path.write_text("timestamp,x,y,pupil\n0,1,1,3\n4,inf,1,3\n8,1e400,-inf,3\n12,"
                    + "9" * 5000 + ",2,inf\n16,5,5,3\n")
    rec = read(path, pupil_col="pupil")
    assert np.isnan(rec.x[1:4]).all() and np.isnan(rec.y[1:4]).all()
    assert np.isnan(rec.pupil[3]) and rec.x[4] == 5.0
    assert rec.meta.extra["nonfinite_values"] == 5
    result = runner.invoke(app, ["info", str(path), "--pupil-col", "pupil"])
    assert result.exit_code == 0 and "nonfinite_values 5" in result.output


@pytest.mark.parametrize(("header", "step", "unit"), [("time", 4.0, "ms"), ("timestamp", 4.0, "ms"),
                                                      ("t", 0.004, "s"), ("time", 4000, "us")])
def test_time_unit_comes_from_the_data_not_the_name(tmp_path, header, step, unit):
    path = tmp_path / "g.csv"
    path.write_text(f"{header},x,y\n" + "".join(f"{i * step},{i},{i}\n" for i in range(6)))
    rec = read(path)
    assert rec.sampling_rate == pytest.approx(250.0), unit
    assert rec.time[1] == pytest.approx(0.004)


def test_pymovements_toy_example_is_milliseconds():
    from pathlib import Path

    path = Path(__file__).parents[3] / "shared/data/pymovements-files/gaze-toy-example.csv"
    if not path.exists():
        pytest.skip("pymovements files not present")
    rec = read(path)
    assert rec.sampling_rate == pytest.approx(250.0)
    assert 17.0 < rec.duration < 17.5  # 17224 ms, not 17224 s
