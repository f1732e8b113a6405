"""The text table parsed in pieces reads exactly what one whole-file parse reads (issue 14)."""

from __future__ import annotations

import numpy as np
import pytest

import gazelearn.io.polars_csv as polars_csv
import gazelearn.io.table as table_module
from gazelearn.errors import InputError
from gazelearn.io import read


def _lines(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        x, y = rng.normal(500, 100, 2).round(2)
        pupil = "" if i % 97 == 0 else f"{rng.normal(900, 20):.1f}"
        lines.append(f"{i * 2},{x},{y},{pupil},\"note {i}\"")
        if i % 501 == 250:
            lines.append(f"{i * 2 + 1},{x},{y},{pupil},\"two\nlines {i}\"")  # a quoted line end
        if i % 733 == 0:
            lines.append("# a comment")
    return lines


@pytest.mark.parametrize("chunk", [64, 700, 4096])
def test_pieces_read_like_one_parse(tmp_path, monkeypatch, chunk):
    path = tmp_path / "gaze.csv"
    path.write_text("time,x,y,pupil,note\n" + "\n".join(_lines(3000)) + "\n")
    whole = read(path, time_col="time", x_col="x", y_col="y", pupil_col="pupil")
    table = table_module.read_table(path)
    notes, lines = table.strings("note"), np.asarray(table.lines)
    monkeypatch.setattr(polars_csv, "_CHUNK_BYTES", chunk)
    pieces = read(path, time_col="time", x_col="x", y_col="y", pupil_col="pupil")
    for name in ("time", "x", "y", "pupil"):
        np.testing.assert_array_equal(getattr(pieces, name), getattr(whole, name))
    table = table_module.read_table(path)
    assert table.strings("note") == notes and "two\nlines 751" in notes
    np.testing.assert_array_equal(np.asarray(table.lines), lines)


def test_pieces_keep_error_lines_and_announced_columns(tmp_path, monkeypatch):
    monkeypatch.setattr(polars_csv, "_CHUNK_BYTES", 256)
    path = tmp_path / "gaze.csv"
    lines = [f"{i * 2},{i},{i + 1},7" for i in range(400)]
    lines[321] = "642,321,oops,7"
    path.write_text("time,x,y,pupil\n" + "\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        read(path, time_col="time", x_col="x", y_col="y")
    assert caught.value.line == 323 and caught.value.field == "y"
    table = table_module.read_table(path, columns=lambda header: ["x"])
    assert table.floats("time")[-1] == 798.0  # not announced: read when asked for
    assert table.is_numeric("pupil") and table.floats("pupil").sum() == 2800
