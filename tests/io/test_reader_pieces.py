"""The EyeLink, SMI and Tobii readers read files piece by piece exactly as one whole parse
(issue 14: bounded memory): same arrays, metadata and errors, with the file's line numbers."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from test_eyelink import BINOCULAR, _trial_file
from test_layouts import SMI, _tobii

import gazelearn.io.pieces as pieces_module
from gazelearn.errors import InputError
from gazelearn.io import read, read_all
from gazelearn.io.pieces import text_pieces
from gazelearn.io.table import _compact, read_table, read_text


def _same(a, b):
    for name in ("time", "x", "y", "pupil", "labels"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.meta.trial == b.meta.trial
    for key, value in a.meta.extra.items():
        if isinstance(value, pl.DataFrame):
            assert value.equals(b.meta.extra[key]), key
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, b.meta.extra[key])
        elif key != "tracker_events":
            assert value == b.meta.extra[key], key


@pytest.mark.parametrize("options", [{}, {"split_trials": False}, {"tracker_events": True}])
def test_eyelink_in_pieces_reads_like_one_piece(tmp_path, monkeypatch, options):
    path = tmp_path / "t.asc"
    path.write_text(_trial_file(3, 400, blink_every=150))
    whole = read_all(path, **options)
    monkeypatch.setattr(pieces_module, "PIECE_BYTES", 97)  # a few lines per piece
    pieces = read_all(path, **options)
    assert len(pieces) == len(whole) == (1 if options.get("split_trials") is False else 3)
    for a, b in zip(whole, pieces, strict=True):
        _same(a, b)
    assert sum(len(rec) for rec in pieces) == (1203 if len(pieces) == 1 else 1200)
    assert pieces[-1].label_shares()["blink"] > 0


@pytest.mark.parametrize("eye", ["left", "right", "mean"])
def test_binocular_eyes_in_pieces(tmp_path, monkeypatch, eye):
    path = tmp_path / "b.asc"
    path.write_text(BINOCULAR)
    monkeypatch.setattr(pieces_module, "PIECE_BYTES", 40)
    rec = read(path, eye=eye)
    # the known answers of test_eyelink.test_binocular_eyes_mean_and_blinks_of_one_eye
    expected = {"left": [100.0, 102.0, 104.0, 106.0], "right": [110.0, np.nan, np.nan, 116.0],
                "mean": [105.0, 102.0, 104.0, 111.0]}[eye]
    np.testing.assert_array_equal(rec.x, expected)
    if eye == "mean":
        assert rec.pupil.tolist() == [850.0, 900.0, 900.0, 860.0]


def test_eyelink_errors_across_pieces_are_those_of_one_parse(tmp_path, monkeypatch):
    monkeypatch.setattr(pieces_module, "PIECE_BYTES", 64)
    lines = ["SAMPLES\tGAZE\tLEFT\tRATE\t500.00"] + [
        f"{1000 + 2 * i}\t 10.0\t 20.0\t 900.0\t..." for i in range(200)]
    lines[50] = "1098\t 10.0\t 2x0\t 900.0\t..."  # a bad value, line 51
    lines[150] = "1298\t 10.0"  # a line missing fields, line 151, many pieces later
    path = tmp_path / "e.asc"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="expected a sample 'time x y pupil', got '1298") as e:
        read(path)
    assert e.value.line == 151  # missing fields anywhere come before a bad value
    lines[150] = "1298\t 10.0\t 20.0\t 900.0\t..."
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"'2x0' in column 3 \(y\)") as e:
        read(path)
    assert e.value.line == 51


def test_smi_in_pieces_with_the_files_line_numbers(tmp_path, monkeypatch):
    head, rows = SMI.split("1000000\tMSG", 1)
    body = "".join(f"{1002000 + 2000 * i}\tSMP\t1\t{100 + i}.0\t200.0\t110.0\t210.0\t3.1\t3.3\n"
                   if i % 7 else f"{1001000 + 2000 * i}\tMSG\t1\t# Message: img{i}.bmp\n"
                   for i in range(300))
    path = tmp_path / "s1 Samples.txt"
    path.write_text(head + body)
    whole = read(path, trials=True)
    monkeypatch.setattr(pieces_module, "PIECE_BYTES", 128)
    pieces = read(path, trials=True)
    _same(whole, pieces)
    messages = pieces.meta.extra["messages"]
    assert messages.height == 43 and messages["text"][1] == "img7.bmp"
    assert messages["line"][1] == 9 + 7  # the header ends on line 8
    assert len(pieces) == 300 - 43 and pieces.x[0] == 101.0
    # message rows are left out of the parsed text, yet errors name the file's lines
    path.write_text(head + body.replace("\t145.0\t", "\t1x5.0\t"))
    with pytest.raises(InputError, match="expected a number, got '1x5.0'") as e:
        read(path)
    assert (e.value.line, e.value.field) == (9 + 45, "L POR X [px]")


def test_tobii_masked_rows_name_their_lines(tmp_path):
    path = tmp_path / "export.tsv"
    text = _tobii(8333)
    rows = text.split("\n")
    rows[4], rows[5] = rows[5], rows[4]  # the last two samples out of order
    path.write_text("\n".join(rows))
    with pytest.raises(InputError, match="time goes backwards") as e:
        read(path)
    assert e.value.line == 6  # header, 2 samples, the event row, then the late sample


def test_text_pieces_decode_the_whole_file_as_one(tmp_path):
    path = tmp_path / "latin.asc"
    # valid UTF-8 in the first piece; a latin-1 byte only at the end: the whole file is latin-1
    path.write_bytes(b"\xef\xbb\xbfMSG 1 caf\xc3\xa9\n" + b"x\n" * 100 + b"MSG 2 \xe9t\xe9\n")
    pieces = list(text_pieces(path, piece_bytes=16))
    assert len(pieces) > 3 and pieces[0] == (1, "MSG 1 caf\u00c3\u00a9\n")
    assert "".join(text for _, text in pieces) == read_text(path)
    assert [first for first, _ in pieces][:3] == [1, 2, 10]  # 15, then 16 bytes a piece
    blank = tmp_path / "blank.txt"
    blank.write_bytes(b"\xa0\n" * 3)  # latin-1 no-break spaces: only blanks
    with pytest.raises(InputError, match="only blanks"):
        list(text_pieces(blank, piece_bytes=2))


def test_compact_in_place():
    array = np.arange(10.0)
    _compact(array, np.array([0, 2, 3, 7, 9]), block=2)
    assert array[:5].tolist() == [0.0, 2.0, 3.0, 7.0, 9.0]


def test_line_numbers_of_a_subset_are_lazy_and_right(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("t,x\n# note\n0,1\n\n2,3\n4,5\n")
    table = read_table(path)
    lines = table.lines.subset(np.array([0, 2]))
    assert len(lines) == 2 and lines[1] == 6 and lines[-1] == 6
    assert np.asarray(lines).tolist() == [3, 6] and lines[np.array([1, 0])].tolist() == [6, 3]
    with pytest.raises(IndexError):
        lines[2]
