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


@pytest.mark.parametrize("marker", ["NA", "na", "N/A", "n/a", "NULL", "null", "Null", "None",
                                    "none", "NONE", "Na", ".", "-", "?", "#", "# x", "#1"])
def test_every_null_marker_and_comment_fails_a_plain_float_parse(marker):
    # the plain parse (no null markers, no comment prefix) is only safe because each of these
    # is refused as a Float64: then the full parse decides, never a silently different value
    import polars as pl

    assert marker.lower() in polars_csv.MISSING or marker.startswith("#")
    with pytest.raises(pl.exceptions.ComputeError):
        pl.read_csv(f"1.5\n{marker}\n".encode(), has_header=False,
                    schema={"c0": pl.Float64})


@pytest.mark.parametrize("chunk", [64, 1 << 21])
def test_plain_and_full_parses_read_the_same(tmp_path, monkeypatch, chunk):
    # null markers, comment lines, a blank line, inf and NaN: pieces with and without the
    # plain parse give the same columns (and the same line numbers)
    rows = [f"{i * 2},{i}.5,{i + 1},{900 + i}" for i in range(600)]
    rows[10] = "20,NA,11,910"
    rows[200] = "# a comment between samples"
    rows[300] = "600,.,-,?"
    rows[400] = ""
    rows[450] = "900,inf,nan,1e400"
    path = tmp_path / "gaze.csv"
    path.write_text("time,x,y,pupil\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(polars_csv, "_CHUNK_BYTES", chunk)

    def columns():
        table = table_module.read_table(path)
        return [table.floats(c) for c in ("time", "x", "y", "pupil")], np.asarray(table.lines)

    plain, plain_lines = columns()
    monkeypatch.setattr(polars_csv, "_plain_safe", lambda *args: False)
    full, full_lines = columns()
    for a, b in zip(plain, full, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(plain_lines, full_lines)
    assert len(plain[0]) == 598 and np.isnan(plain[1][10]) and np.isposinf(plain[3][448])


def test_plain_parse_only_where_it_cannot_differ():
    import polars as pl

    layout = polars_csv._Layout("f", None, 0, None, None, ",", 3, [True] * 3, "#", False)
    floats = {f"c{i}": pl.Float64 for i in range(3)}
    assert polars_csv._plain_safe(layout, floats, [0, 1, 2])
    assert not polars_csv._plain_safe(layout, floats, [1, 2])  # comments live in column 0
    assert not polars_csv._plain_safe(layout, {**floats, "c2": pl.String}, [0, 1, 2])
    layout.comment = "-"  # a prefix that can start a number
    assert not polars_csv._plain_safe(layout, floats, [0, 1, 2])
    layout.comment = None
    assert polars_csv._plain_safe(layout, floats, [1, 2])


def test_a_table_is_freed_when_the_reader_returns(tmp_path):
    # no reference cycle (a table holding its own line numbers was one): its columns leave
    # memory when the last reference goes, not when the cycle collector happens to run
    import gc
    import weakref

    path = tmp_path / "gaze.csv"
    path.write_text("time,x,y\n" + "".join(f"{i * 2},{i},{i}\n" for i in range(50)))
    gc.disable()
    try:
        table = table_module.read_table(path)
        assert int(table.lines[3]) == 5
        ref = weakref.ref(table)
        del table
        assert ref() is None
    finally:
        gc.enable()
