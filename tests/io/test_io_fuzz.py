"""Property-based tests: random, truncated and mangled files only ever raise InputError."""

from __future__ import annotations

import io

import numpy as np
import pytest
import scipy.io
from helpers_io import ANIMALS_TEXT, ASC_TEXT, GAZECOM_TEXT, PATHS_TEXT, RADIO_TEXT, lund_pos
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_layouts import GAZEPOINT, SMI, _tobii

from gazelearn import InputError, Recording
from gazelearn.io import detect_format, read, read_all, read_events, read_manifest

PUPIL_LABS = ("gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y,base_data\n"
              "100.000,0,0.99,0.5,0.25,x\n100.004,1,0.95,0.25,1.0,x\n"
              "100.008,1,0.97,0.0,0.0,x\n")
GAZEBASE = ("n,x,y,val,dP,lab,xT,yT\n0,1.5,-2.0,0,1200,1,0,0\n1,1.6,-2.1,0,1201,1,0,0\n"
            "2,1.7,-2.0,4,1202,1,0,0\n3,1.8,-1.9,0,1203,1,0,0\n")
OWN_TEXT = "time,x,y,pupil,label\n0.0,1.5,2.5,3,fixation\n0.002,NaN,NaN,3,blink\n0.004,1,2,3,pso\n"
PLAIN_TEXT = "t;gx;gy\n0;100;200\n4;101;201\n8;102;202\n"

# (format, file name, valid content, extra read options)
TEXT_CASES = [
    ("delimited", "own.csv", OWN_TEXT, {}),
    ("delimited", "plain.csv", PLAIN_TEXT, {"time_col": "t", "x_col": "gx", "y_col": "gy"}),
    ("gazecom", "AAF_beach.csv", GAZECOM_TEXT, {}),
    ("etra-paths", "bus_10.csv", PATHS_TEXT, {}),
    ("etra-animals", "A10.csv", ANIMALS_TEXT, {}),
    ("radio", "S_A1116_5_2", RADIO_TEXT, {}),
    ("eyelink-asc", "s01.asc", ASC_TEXT, {}),
    ("smi", "s1 Samples.txt", SMI, {}),
    ("tobii", "export.tsv", _tobii(8333), {}),
    ("gazepoint", "User 0_all_gaze.csv", GAZEPOINT, {}),
    ("pupil-labs", "gaze_positions.csv", PUPIL_LABS, {}),
    ("gazebase", "S_1001_S1_TEX.csv", GAZEBASE, {}),
]

FUZZ = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@st.composite
def mangled(draw, content: bytes) -> bytes:
    """The content truncated, with bytes replaced, lines inserted or dropped, or random bytes."""
    kind = draw(st.sampled_from(["truncate", "replace", "insert", "drop_line", "random"]))
    if kind == "random":
        return draw(st.binary(max_size=300))
    if kind == "truncate":
        return content[:draw(st.integers(0, len(content)))]
    if kind == "drop_line":
        lines = content.split(b"\n")
        index = draw(st.integers(0, len(lines) - 1))
        return b"\n".join(lines[:index] + lines[index + 1:])
    position = draw(st.integers(0, len(content)))
    noise = draw(st.one_of(
        st.binary(min_size=1, max_size=20),
        st.sampled_from([b"abc", b"-", b",", b"\t", b"\n", b"nan", b"inf", b"1e999", b"-5",
                         b"\"", b"\x00", b"\xff\xfe", b"999999999999999999999", b"."]))
                 )
    if kind == "replace":
        return content[:position] + noise + content[position + len(noise):]
    return content[:position] + noise + content[position:]


def check(path, fmt, options) -> None:
    try:
        result = read(path, format=fmt, **options)
    except InputError as error:
        assert "\n" not in str(error)
        return
    assert isinstance(result, Recording)
    assert np.all(np.diff(result.time) >= 0)


@pytest.mark.parametrize(("fmt", "name", "content", "options"), TEXT_CASES,
                         ids=[f"{case[0]}-{case[1]}" for case in TEXT_CASES])
def test_text_readers_survive_mangled_files(tmp_path, fmt, name, content, options):
    path = tmp_path / name
    path.write_text(content)
    assert all(len(rec) > 0 for rec in read_all(path, format=fmt, **options))  # valid: reads

    @FUZZ
    @given(data=mangled(content.encode()))
    def run(data):
        path.write_bytes(data)
        check(path, fmt, options)
        try:
            detect_format(path)
        except InputError:
            pass

    run()


def _mat_bytes() -> bytes:
    buffer = io.BytesIO()
    scipy.io.savemat(buffer, {"ETdata": {"pos": lund_pos(6), "screenDim": [0.38, 0.3],
                                         "screenRes": [1024, 768], "viewDist": 0.67,
                                         "sampFreq": 500}})
    return buffer.getvalue()


def test_lund_reader_survives_mangled_files(tmp_path):
    content = _mat_bytes()
    path = tmp_path / "TH38_img_Europe_labelled_RA.mat"

    @FUZZ
    @given(data=mangled(content))
    def run(data):
        path.write_bytes(data)
        check(path, "lund2013", {})

    run()


@FUZZ
@given(values=st.lists(st.lists(st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet="0123456789.-eE", max_size=6)), min_size=3, max_size=3),
    max_size=8))
def test_delimited_random_tables(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("tables") / "t.csv"
    path.write_text("t,x,y\n" + "".join(",".join(row) + "\n" for row in values))
    check(path, "delimited", {"time_col": "t", "x_col": "x", "y_col": "y",
                              "position_unit": "px"})


@FUZZ
@given(data=mangled(b"type,onset,offset\nfixation,0.0,0.1\nsaccade,0.1,0.15\n"))
def test_events_reader_survives_mangled_files(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("events") / "events.csv"
    path.write_bytes(data)
    try:
        read_events(path)
    except InputError:
        pass


@FUZZ
@given(data=mangled(b"Face,x,y\nimg.png,1,2\n"))
def test_manifest_reader_survives_mangled_files(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("manifest")
    (folder / "img.png").write_bytes(b"")
    path = folder / "m.csv"
    path.write_bytes(data)
    try:
        read_manifest(path)
    except InputError:
        pass
