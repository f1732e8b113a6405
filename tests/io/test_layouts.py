"""Vendor exports and public data-set layouts: detection by header signature, and known values.

Real files: pymovements' test files in ../shared/data/pymovements-files (skipped when absent);
the expected values are read off the files themselves (and agree with the sample counts
pymovements' own tests state: 10 rows for the data-set examples, 103 for the missing-values
example). Vendor formats: small files written here with known values.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gazelearn.cli.main import app
from gazelearn.errors import InputError
from gazelearn.io import available_formats, detect_format, read, read_all, reader_info
from gazelearn.io.layouts import LAYOUTS
from gazelearn.screen import Screen

FILES = Path(__file__).resolve().parents[3] / "shared" / "data" / "pymovements-files"
needs_files = pytest.mark.skipif(not FILES.is_dir(), reason=f"{FILES} not present")

# file, format, samples, rate (Hz), first (x, y), last (x, y) in px; None = lost
REAL = [
    ("judo1000_example.csv", "judo1000", 10, 1000.0, (649.5, 531.1), (648.3, 534.9)),
    ("sbsat_example.csv", "sbsat", 10, 1000.0, (274.9, 108.3), (350.3, 125.8)),
    ("potec_example.tsv", "potec", 10, 1000.0, (91.8, 67.3), (91.5, 64.8)),
    ("hbn_example.csv", "hbn", 10, 120.0, (452.81, 367.05), (445.91, 358.82)),
    ("emtec_example.csv", "emtec", 20, 2000.0, (116.1, 216.1), (114.1, 217.1)),
    ("gaze_on_faces_example.csv", "gazeonfaces", 10, 60.0, (556.85, 510.24), (556.51, 509.57)),
    ("gazegraph_example.csv", "gazegraph", 10, 30.0, (0.59146 * 3440, 0.3877 * 1440),
     (0.59123 * 3440, 0.39639 * 1440)),
    ("potsdam_binge_pvt_example.csv", "potsdam-binge-pvt", 29, 1000.0, (991.9, 485.2),
     (992.4, 483.5)),
    ("didec_example.txt", "smi", 15, 250.532, (858.16, 516.11), (821.12, 533.19)),
    ("monocular_example.csv", "pymovements-monocular", 10, 1000.0, None, None),
    ("monocular_example.tsv", "pymovements-monocular", 10, 1000.0, None, None),
    ("binocular_example.csv", "pymovements-binocular", 10, 1000.0, None, None),
    ("missing_values_example.csv", "pymovements-pixel-position", 103, 1000.0, None, (3.0, 4.0)),
]


def _check_point(rec, index, expected):
    if expected is None:
        assert np.isnan(rec.x[index]) and np.isnan(rec.y[index])
    else:
        assert (rec.x[index], rec.y[index]) == pytest.approx(expected, abs=1e-6)


@needs_files
@pytest.mark.parametrize(("name", "fmt", "samples", "rate", "first", "last"), REAL,
                         ids=[row[0] for row in REAL])
def test_public_layouts_read_with_auto(name, fmt, samples, rate, first, last):
    path = FILES / name
    assert detect_format(path) == fmt
    rec = read(path)
    assert rec.meta.format == fmt
    assert len(rec) == samples
    assert rec.sampling_rate == pytest.approx(rate, rel=1e-3)
    _check_point(rec, 0, first)
    _check_point(rec, -1, last)


@needs_files
def test_published_screens_and_units():
    judo = read(FILES / "judo1000_example.csv")
    assert judo.screen == Screen(1280, 1024, 380.0, 302.0, 680.0)
    assert judo.time[0] == pytest.approx(8005.274)  # ms -> s
    assert read(FILES / "judo1000_example.csv", eye="right").x[0] == pytest.approx(640.6)
    assert read(FILES / "judo1000_example.csv", eye="average").x[0] == pytest.approx(
        (649.5 + 640.6) / 2)
    # GazeBase: degrees through the published screen, back to the file's degrees
    base = read(FILES / "gazebase_example.csv")
    assert base.screen == Screen(1680, 1050, 474.0, 297.0, 550.0)
    x_deg, y_deg = base.position_deg()
    assert (x_deg[0], y_deg[0]) == pytest.approx((-16.03606, 5.905495), abs=1e-5)
    assert (x_deg[-1], y_deg[-1]) == pytest.approx((-16.079489, 5.885086), abs=1e-5)
    assert base.pupil[[0, -1]].tolist() == [3198.0, 3201.0]
    vr = read(FILES / "gazebase_vr_example.csv", eye="left")
    assert vr.position_deg()[0][0] == pytest.approx(3.5087, abs=1e-5)
    assert vr.sampling_rate == pytest.approx(250, rel=0.01)
    # HBN counts samples: step / 120 Hz
    assert read(FILES / "hbn_example.csv").time[-1] == pytest.approx(9 / 120)
    # EMTeC: 2 kHz in whole ms, the two samples of one ms 0.5 ms apart
    emtec = read(FILES / "emtec_example.csv")
    assert np.diff(emtec.time) == pytest.approx(np.full(19, 0.0005))
    assert emtec.pupil[0] == 407.0
    potsdam = read(FILES / "potsdam_binge_pvt_example.csv")
    assert potsdam.screen.distance_mm == pytest.approx(772.7)
    glasses = read(FILES / "potsdam_binge_pvt_example.csv", eye="pupilcore")
    assert glasses.x[0] == pytest.approx(966.642569317413)
    smi = read(FILES / "didec_example.txt")
    assert smi.time[0] == pytest.approx(70590.726108)  # us -> s
    assert smi.meta.extra["messages"]["text"].to_list() == ["test.bmp"]
    assert smi.meta.extra["messages"]["line"].to_list() == [43]
    assert read(FILES / "didec_example.txt", format="didec").screen.distance_mm == 700.0
    missing = read(FILES / "missing_values_example.csv")
    assert missing.lost_fraction == pytest.approx(101 / 103)


@needs_files
def test_trials_split_into_recordings():
    recs = read_all(FILES / "sbsat_example.csv", trials=True)
    assert [(r.meta.trial, len(r)) for r in recs] == [("dickens/1", 10)]
    assert read(FILES / "sbsat_example.csv").meta.extra["trials"] == 1


@needs_files
@pytest.mark.parametrize("name", ["18sat_fixfinal.csv", "copco_rm_dummy.csv",
                                  "potec_word_aoi_b0.tsv"])
def test_fixation_measure_and_aoi_tables_are_no_layout(name):
    # fixations (SB-SAT), reading measures (CopCo) and AOIs (PoTeC) are not gaze samples
    assert detect_format(FILES / name) == "delimited"


@needs_files
def test_toy_example_in_ms_is_plain_delimited():
    path = FILES / "gaze-toy-example.csv"
    assert detect_format(path) == "delimited"
    rec = read(path)
    assert len(rec) == 4306
    assert rec.sampling_rate == pytest.approx(250.0)


# ---------------------------------------------------------------------------- vendor files
SMI = (
    "## [BeGaze]\n## Converted from:\tC:\\data\\s1.idf\n## Sample Rate:\t500\n"
    "## Calibration Area:\t1280\t1024\n## Stimulus Dimension [mm]:\t376\t301\n"
    "## Head Distance [mm]:\t600\n##\n"
    "Time\tType\tTrial\tL POR X [px]\tL POR Y [px]\tR POR X [px]\tR POR Y [px]\t"
    "L Pupil Diameter [mm]\tR Pupil Diameter [mm]\n"
    "1000000\tMSG\t1\t# Message: start.bmp\n"
    "1002000\tSMP\t1\t100.0\t200.0\t110.0\t210.0\t3.1\t3.3\n"
    "1004000\tSMP\t1\t0.00\t0.00\t112.0\t212.0\t3.2\t3.4\n"
    "1006000\tSMP\t2\t104.0\t204.0\t114.0\t214.0\t3.3\t3.5\n"
)


def test_smi(tmp_path):
    path = tmp_path / "s1 Samples.txt"
    path.write_text(SMI)
    assert detect_format(path) == "smi"
    rec = read(path)
    assert rec.time.tolist() == pytest.approx([1.002, 1.004, 1.006])
    assert rec.x.tolist()[0] == 100.0 and np.isnan(rec.x[1])  # 0, 0 is lost
    assert rec.pupil.tolist() == [3.1, 3.2, 3.3]
    assert rec.screen == Screen(1280, 1024, 376.0, 301.0, 600.0)
    assert rec.meta.extra["declared_sampling_rate"] == 500.0
    assert rec.meta.extra["messages"]["time"].to_list() == [1.0]
    assert rec.meta.extra["messages"]["line"].to_list() == [9]
    right = read(path, eye="right")
    assert right.x.tolist() == [110.0, 112.0, 114.0]
    assert read(path, eye="average").x.tolist() == [105.0, 112.0, 109.0]
    assert [r.meta.trial for r in read_all(path, trials=True)] == ["1", "2"]
    with pytest.raises(InputError, match="eye must be one of"):
        read(path, eye="cyclops")


TOBII_HEADER = ("Recording timestamp\tSensor\tParticipant name\tRecording resolution width\t"
                "Recording resolution height\tGaze point X\tGaze point Y\tPupil diameter left\t"
                "Pupil diameter right\tValidity left\tValidity right\tEye movement type\tEvent\n")


def _tobii(step: int) -> str:
    rows = [
        (0, "Eye Tracker", "P1", 1920, 1080, 960, 540, "3.0", "3.2", "Valid", "Valid",
         "Fixation", ""),
        (step, "Eye Tracker", "P1", 1920, 1080, 961, 541, "3.0", "", "Valid", "Invalid",
         "Fixation", ""),
        (step + 1, "", "P1", "", "", "", "", "", "", "", "", "", "ImageStimulusStart"),
        (2 * step, "Eye Tracker", "P1", 1920, 1080, "", "", "", "", "Invalid", "Invalid",
         "EyesNotFound", ""),
        (3 * step, "Eye Tracker", "P1", 1920, 1080, 1200, 600, "3.1", "3.3", "Valid", "Valid",
         "Saccade", ""),
    ]
    return TOBII_HEADER + "".join("\t".join(str(v) for v in row) + "\n" for row in rows)


@pytest.mark.parametrize(("step", "unit"), [(8333, "us"), (8, "ms")])
def test_tobii_time_unit_from_the_data(tmp_path, step, unit):
    path = tmp_path / "export.tsv"
    path.write_text(_tobii(step))
    assert detect_format(path) == "tobii"
    rec = read(path)
    assert rec.meta.extra["time_unit"] == unit
    assert len(rec) == 4  # the event row is a message, not a sample
    assert rec.sampling_rate == pytest.approx(1e6 / 8333 if unit == "us" else 125.0, rel=1e-4)
    assert rec.x[[0, 1, 3]].tolist() == [960.0, 961.0, 1200.0] and np.isnan(rec.x[2])
    assert rec.labels.tolist() == [1, 1, 0, 2]
    assert rec.pupil[0] == pytest.approx(3.1) and rec.pupil[1] == 3.0
    assert rec.screen == Screen(1920, 1080)
    assert rec.meta.extra["messages"]["text"].to_list() == ["ImageStimulusStart"]


def test_tobii_decimal_comma(tmp_path):
    path = tmp_path / "export.tsv"
    path.write_text(_tobii(8333).replace("3.0", "3,0").replace("3.1", "3,1"))
    assert read(path, decimal=",").pupil[0] == pytest.approx(3.1)


GAZEPOINT = (
    "MEDIA_ID,MEDIA_NAME,CNT,TIME(2024/01/02 10:11:12.131),TIMETICK(f=10000000),FPOGX,FPOGY,"
    "FPOGS,FPOGD,FPOGID,FPOGV,BPOGX,BPOGY,BPOGV,LPOGX,LPOGY,LPOGV,RPOGX,RPOGY,RPOGV,LPD,LPS,"
    "LPV,RPD,RPS,RPV,LPMM,LPMMV,RPMM,RPMMV\n"
    "0,img.jpg,1,0.00000,100,0.50,0.50,0,0.1,1,1,0.25,0.75,1,0.24,0.74,1,0.26,0.76,1,20,1,1,"
    "22,1,1,3.0,1,3.2,1\n"
    "0,img.jpg,2,0.00667,200,0.50,0.50,0,0.1,1,1,0.30,0.70,0,0.0,0.0,0,0.0,0.0,0,0,0,0,0,0,0,"
    "0,0,0,0\n"
    "0,img.jpg,3,0.01333,300,0.51,0.50,0,0.1,1,1,0.35,0.65,1,0.34,0.64,1,0.36,0.66,1,20,1,1,"
    "22,1,1,3.1,1,3.3,1\n"
)


def test_gazepoint(tmp_path):
    path = tmp_path / "User 0_all_gaze.csv"
    path.write_text(GAZEPOINT)
    assert detect_format(path) == "gazepoint"
    rec = read(path)  # no screen: stays normalised, and says so
    assert rec.meta.extra["position_unit"] == "norm"
    assert rec.x[0] == 0.25 and np.isnan(rec.x[1])  # BPOGV = 0 is lost
    assert rec.sampling_rate == pytest.approx(150, rel=0.01)
    assert rec.pupil[[0, 2]].tolist() == pytest.approx([3.1, 3.2])
    px = read(path, screen=Screen(1920, 1080))
    assert (px.x[0], px.y[0]) == pytest.approx((480.0, 810.0))
    assert "position_unit" not in px.meta.extra
    fixation = read(path, eye="fixation", screen=Screen(1920, 1080))
    assert fixation.x.tolist() == pytest.approx([960.0, 960.0, 979.2])
    assert read(path, eye="left").pupil[0] == 3.0


def test_pupil_labs(tmp_path):
    path = tmp_path / "gaze_positions.csv"
    path.write_text("gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y,base_data\n"
                    "100.000,0,0.99,0.5,0.25,x\n100.010,1,0.95,0.25,1.0,x\n"
                    "100.005,0,0.40,0.5,0.5,x\n100.015,1,0.97,0.0,0.0,x\n")
    assert detect_format(path) == "pupil-labs"
    rec = read(path, screen=Screen(1280, 720))
    assert rec.time.tolist() == pytest.approx([100.0, 100.005, 100.01, 100.015])  # sorted
    assert rec.meta.extra["reordered_samples"] == 1
    assert np.isnan(rec.x[1])  # confidence 0.4 < 0.6
    assert rec.y.tolist()[0] == 540.0 and rec.y.tolist()[3] == 720.0  # y flipped
    assert read(path, min_confidence=0.3).x[1] == 0.5
    assert read(path).meta.extra["position_unit"] == "norm"


# ---------------------------------------------------------------------------- detection
def test_every_layout_signature_is_detected(tmp_path):
    for layout in LAYOUTS:
        if not layout.header:
            continue
        path = tmp_path / f"{layout.name}.txt"
        values = ["1"] * len(layout.columns)
        path.write_text(layout.delimiter[0].join(layout.columns) + "\n"
                        + layout.delimiter[0].join(values) + "\n")
        assert detect_format(path) == layout.name


def test_near_misses_stay_delimited(tmp_path):
    plain = tmp_path / "gaze.csv"
    plain.write_text("time,x,y\n0,1,2\n4,3,4\n")
    assert detect_format(plain) == "delimited"
    comma_potec = tmp_path / "potec.csv"  # PoTeC's columns, but not its tab delimiter
    comma_potec.write_text("time,x,y,pupil_diameter\n1,2,3,4\n")
    assert detect_format(comma_potec) == "delimited"
    extra_column = tmp_path / "judo.tsv"
    extra_column.write_text("trialId\tpointId\ttime\tx_left\ty_left\tx_right\ty_right\tz\n"
                            "1\t1\t1\t1\t1\t1\t1\t1\n")
    assert detect_format(extra_column) == "delimited"
    headerless = tmp_path / "recording.csv"  # two numbers, but not a data set's file name
    headerless.write_text("0.5,0.5\n0.6,0.6\n")
    assert detect_format(headerless) == "delimited"


def test_layout_options_are_checked(tmp_path):
    path = tmp_path / "reader1_b0_raw_data.tsv"
    path.write_text("time\tx\ty\tpupil_diameter\n1\t2\t3\t4\n2\t2\t3\t4\n")
    with pytest.raises(InputError, match="does not take eye"):
        read(path, eye="left")  # PoTeC is monocular


# ---------------------------------------------------------------------------- CLI
def test_formats_command_lists_every_format():
    runner = CliRunner()
    result = runner.invoke(app, ["formats", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["name"] for row in rows] == available_formats()
    by_name = {row["name"]: row for row in rows}
    assert by_name["gazepoint"]["detection"] == reader_info("gazepoint").detection
    assert "eye" in by_name["judo1000"]["options"]
    assert all(row["description"] and row["detection"] for row in rows)
    table = runner.invoke(app, ["formats"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "pupil-labs" in table.output
