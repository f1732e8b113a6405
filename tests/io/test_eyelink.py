"""The EyeLink ASC reader on synthetic files with known answers (trials, eyes, calibrations,
messages, blinks, tracker events, errors, speed)."""

from __future__ import annotations

import time

import numpy as np
import polars as pl
import pytest
from helpers_io import ASC_TEXT

from gazelearn import InputError
from gazelearn.io import read, read_all
from gazelearn.io.eyelink import read_eyelink_events

CAL_BLOCK = """MSG\t1000 !CAL
>>>>>>> CALIBRATION (HV5,P-CR) FOR RIGHT: <<<<<<<<<
MSG\t1000 !CAL Calibration points:
MSG\t1000 !CAL -21.9, -59.4        -0,     82
MSG\t1000 !CAL -23.3, -78.6        -0,  -1935
MSG\t1000 !CAL eye check box: (L,R,T,B)
\t  -77    29   -86     8
MSG\t1001 !CAL Cal coeff:(X=a+bx+cy+dxx+eyy,Y=f+gx+goaly+ixx+jyy)
   81.87  0.24216  100.62 -0.13298 -0.23117
MSG\t1001 !CAL Quadrant center: centx, centy =
   7.1054e-15  132.75
MSG\t1001 !CAL CALIBRATION HV5 R RIGHT    FAIR
MSG\t1500 !CAL VALIDATION HV5 R RIGHT POOR ERROR 2.40 avg. 6.03 max  OFFSET 0.19 deg. 4.2,6.3 pix.
MSG\t1500 VALIDATE R POINT 0  RIGHT  at 960,540  OFFSET 0.28 deg.  13.4,10.0 pix.
MSG\t1500 VALIDATE R POINT 1  RIGHT  at 960,92  OFFSET 6.03 deg.  -2.4,-19.3 pix.
"""


def _write(tmp_path, text, name="t.asc"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _mono(body: str, eye: str = "RIGHT", rate: str = "500.00") -> str:
    return (f"** VERSION: EYELINK II 1\n{CAL_BLOCK}"
            "MSG\t1900 GAZE_COORDS 0.00 0.00 1919.00 1079.00\n"
            f"MSG\t1900 RECCFG CR {int(float(rate))} 2 1 {eye[0]}\n"
            f"START\t2000 \t{eye}\tSAMPLES\tEVENTS\nPUPIL\tDIAMETER\n"
            f"SAMPLES\tGAZE\t{eye}\tRATE\t{rate}\tTRACKING\tCR\tFILTER\t2\tINPUT\n{body}")


def test_calibration_lines_are_never_samples_and_are_kept(tmp_path):
    path = _write(tmp_path, _mono("2000\t 10.0\t 20.0\t 4.5\t 127.0\t...\n"
                                  "2002\t 11.0\t 21.0\t 4.6\t 127.0\t...\n"))
    rec = read(path)
    assert len(rec) == 2 and rec.time.tolist() == [2.0, 2.002]
    assert rec.pupil.tolist() == [4.5, 4.6] and rec.meta.extra["pupil_measure"] == "diameter"
    [cal] = rec.meta.extra["calibrations"]
    assert (cal["time"], cal["type"], cal["n_points"], cal["mode"], cal["eye"], cal["result"]) \
        == (1.0, "HV5", 5, "P-CR", "right", "FAIR")
    assert cal["points"] == [[-21.9, -59.4, -0.0, 82.0], [-23.3, -78.6, -0.0, -1935.0]]
    [val] = rec.meta.extra["validations"]
    assert (val["result"], val["error_avg_deg"], val["error_max_deg"], val["offset_px"]) == (
        "POOR", 2.40, 6.03, [4.2, 6.3])
    assert [p["offset_deg"] for p in val["points"]] == [0.28, 6.03]
    extra = rec.meta.extra
    assert (extra["eye"], extra["tracked_eyes"], extra["tracking_mode"], extra["file_filter"],
            extra["link_filter"]) == ("right", "right", "CR", 2, 1)
    assert rec.screen.size_px == (1920, 1080) and not rec.screen.has_geometry
    with pytest.raises(InputError, match="right eye only, not the left eye"):
        read(path, eye="left")


def test_half_millisecond_times_of_2khz(tmp_path):
    body = "".join(f"{2000 + k * 0.5:.1f}\t 10.0\t 20.0\t 900.0\t...\n" for k in range(6))
    rec = read(_write(tmp_path, _mono(body, rate="2000.00")))
    assert rec.sampling_rate == 2000.0 and rec.meta.extra["declared_sampling_rate"] == 2000.0
    assert rec.time[1] - rec.time[0] == pytest.approx(0.0005)


BINOCULAR = """MSG\t9 GAZE_COORDS 0.00 0.00 1279.00 1023.00
START\t10 \tLEFT\tRIGHT\tSAMPLES\tEVENTS
SAMPLES\tGAZE\tLEFT\tRIGHT\tVEL\tRES\tRATE\t1000.00\tTRACKING\tCR\tFILTER\t2
10\t 100.0\t 200.0\t 900.0\t 110.0\t 210.0\t 800.0\t 1.0\t 2.0\t 3.0\t 4.0\t 38.1\t 37.0\t.....
11\t 102.0\t 202.0\t 900.0\t .\t .\t 0.0\t 1.0\t 2.0\t 3.0\t 4.0\t 38.1\t 37.0\t...C.
12\t 104.0\t 204.0\t 900.0\t 114.0\t 214.0\t 810.0\t .\t .\t .\t .\t 38.1\t 37.0\t.....
13\t 106.0\t 206.0\t 900.0\t 116.0\t 216.0\t 820.0\t .\t .\t .\t .\t 38.1\t 37.0\t.....
SBLINK R 12
EBLINK R 12\t12\t1
ESACC L 12\t13\t2\t 104.0\t 204.0\t 106.0\t 206.0\t 0.10\t 35
"""


def test_binocular_eyes_mean_and_blinks_of_one_eye(tmp_path):
    path = _write(tmp_path, BINOCULAR)
    left, right, mean = (read(path, eye=eye) for eye in ("left", "right", "mean"))
    assert read(path).x.tolist() == left.x.tolist() == [100.0, 102.0, 104.0, 106.0]
    assert left.meta.extra["eye"] == "left" and left.meta.extra["recorded_eyes"] == [
        "left", "right"]
    # the right eye is lost at 11 ('.') and in its blink at 12 (EBLINK R)
    assert np.isnan(right.x[[1, 2]]).all() and right.x[3] == 116.0
    assert right.labels.tolist() == [0, 0, 5, 0] and left.labels.tolist() == [0, 0, 2, 2]
    # the mean takes the valid eye where the other is lost
    assert mean.x.tolist() == [105.0, 102.0, 104.0, 111.0]
    assert mean.pupil.tolist() == [850.0, 900.0, 900.0, 860.0]
    assert mean.meta.extra["eye"] == "mean"
    assert read(path, eye="right", tracker_events=True).meta.extra["tracker_events"].counts() \
        == {"blink": 1}
    with pytest.raises(InputError, match="eye must be 'left', 'right' or 'mean'"):
        read(path, eye="both")


def _trial_file(n_trials: int, per_trial: int, rate: int = 1000, blink_every: int = 0) -> str:
    """A file of ``n_trials`` trials, ``per_trial`` samples each, with a calibration, messages,
    fixations, saccades and blinks, and some samples between the trials."""
    step = 1000 // rate
    parts = ["** VERSION: EYELINK II 1\n** DATE: Wed Mar  8 09:25:20 2023\n", CAL_BLOCK,
             "MSG\t1900 DISPLAY_COORDS 0 0 1279 1023\n",
             f"MSG\t1900 RECCFG CR {rate} 2 1 L\n",
             "START\t2000 \tLEFT\tSAMPLES\tEVENTS\nPUPIL\tAREA\n",
             f"SAMPLES\tGAZE\tLEFT\tRATE\t{rate:.2f}\tTRACKING\tCR\tFILTER\t2\n"]
    t = 2000
    rng = np.random.default_rng(0)
    for trial in range(n_trials):
        parts.append(f"{t}\t 1.0\t 1.0\t 500.0\t...\n")  # between trials: outside any trial
        t += step
        parts.append(f"MSG\t{t} TRIALID {trial}\nMSG\t{t} !V TRIAL_VAR item {trial * 7}\n")
        times = t + step * np.arange(per_trial)
        x = 640 + rng.normal(0, 1, per_trial)
        y = 512 + rng.normal(0, 1, per_trial)
        lines = [f"{a}\t {b:.1f}\t {c:.1f}\t 500.0\t...\n"
                 for a, b, c in zip(times, x, y, strict=True)]
        if blink_every:
            for k in range(blink_every, per_trial - 100, blink_every):
                for j in range(k, k + 60):
                    lines[j] = f"{times[j]}\t .\t .\t 0.0\t...\n"
                lines[k + 59] += (f"EBLINK L {times[k]}\t{times[k + 59]}\t60\n")
        half = per_trial // 2
        lines[half - 1] += (f"EFIX L {times[0]}\t{times[half - 1]}\t{half}\t 640.0\t 512.0\t"
                            " 500\n")
        lines[half + 29] += (f"ESACC L {times[half]}\t{times[half + 29]}\t30\t 640.0\t 512.0\t"
                             " 700.0\t 500.0\t 3.10\t 300\n")
        parts.extend(lines)
        t = int(times[-1]) + step
        parts.append(f"MSG\t{t} TRIAL_RESULT 0\n")
    parts.append(f"END\t{t + 1} \tSAMPLES\tEVENTS\tRES\t  38.00\t  37.00\n")
    return "".join(parts)


def test_trials_split_into_recordings_with_their_messages(tmp_path):
    path = _write(tmp_path, _trial_file(3, 400))
    recs = read_all(path)
    assert [rec.meta.trial for rec in recs] == ["0", "1", "2"]
    assert all(len(rec) == 400 for rec in recs)
    assert recs[0].meta.extra["samples_outside_trials"] == 3
    messages = recs[1].meta.extra["messages"]
    assert isinstance(messages, pl.DataFrame) and messages["text"].to_list() == [
        "TRIALID 1", "!V TRIAL_VAR item 7", "TRIAL_RESULT 0"]
    assert messages["time"][0] == pytest.approx(recs[1].time[0])  # same clock
    assert len(recs[2].meta.extra["calibrations"]) == 1  # the file's, in every trial
    with pytest.raises(InputError, match="holds 3 recordings.*read_all"):
        read(path)
    whole = read(path, split_trials="false")  # as given with -O on the command line
    assert len(whole) == 1203 and whole.meta.trial is None
    trial = whole.meta.extra["trial"]
    assert trial[0] == -1 and (trial == 1).sum() == 400 and whole.meta.extra["trial_names"] == [
        "0", "1", "2"]
    custom = read_all(path, trial_start=r"TRIAL_VAR item (\d+)", trial_stop="TRIAL_RESULT")
    assert [rec.meta.trial for rec in custom] == ["0", "7", "14"]
    with pytest.raises(InputError, match="trial_start is not a valid regular expression"):
        read_all(path, trial_start="(")


def test_file_without_trial_messages_is_one_recording(tmp_path):
    rec = read(_write(tmp_path, _mono("2000\t 10.0\t 20.0\t 4.5\t 127.0\t...\n")))
    assert rec.meta.trial is None and "samples_outside_trials" not in rec.meta.extra


def test_tracker_events(tmp_path):
    path = _write(tmp_path, _trial_file(2, 500, blink_every=150))
    events = read_eyelink_events(path)
    assert events.counts() == {"blink": 4, "fixation": 2, "saccade": 2}
    saccade = events.of_type("saccade").frame.row(0, named=True)
    assert saccade["amplitude"] == 3.10 and saccade["peak_velocity"] == 300.0
    assert saccade["end_x"] == 700.0 and saccade["trial"] == "0" and saccade["eye"] == "left"
    assert saccade["duration"] == pytest.approx(0.030)  # 30 samples of 1 ms
    recs = read_all(path, tracker_events=True)
    attached = recs[1].meta.extra["tracker_events"]
    assert attached.counts() == {"blink": 2, "fixation": 1, "saccade": 1}
    fix = attached.of_type("fixation").frame.row(0, named=True)
    assert (fix["onset_index"], fix["offset_index"]) == (0, 250)
    assert (attached.to_labels(recs[1].time) == recs[1].labels).all()
    # samples inside a tracker blink are lost and labelled blink
    blink = recs[1].labels == 5
    assert blink.sum() == 120 and np.isnan(recs[1].x[blink]).all()


def test_errors_name_file_line_and_column(tmp_path):
    text = ASC_TEXT.replace("2006\t  660.0\t  515.0", "2006\t  660.0\t  5x5.0")
    with pytest.raises(InputError, match=r"s01.asc, line 21: expected a sample .*'5x5.0' in "
                       r"column 3 \(y\)"):
        read(_write(tmp_path, text, "s01.asc"))
    text = ASC_TEXT.replace("EFIX L   2000\t2004", "EFIX L   2000\tabc")
    with pytest.raises(InputError, match=r"line 19: expected an event .*column 4 \(end\)"):
        read(_write(tmp_path, text, "s01.asc"))
    with pytest.raises(InputError, match="line 17, column 'time': time goes backwards"):
        read(_write(tmp_path, ASC_TEXT.replace("2002\t  640.3", "1002\t  640.3"), "s01.asc"))
    with pytest.raises(InputError, match="split_trials must be true or false"):
        read(_write(tmp_path, ASC_TEXT, "s01.asc"), split_trials="maybe")


def test_twenty_trials_of_1000_hz_read_fast(tmp_path):
    # the size of the two 20-trial files the maintainers keep aside (about 92 700 samples)
    path = _write(tmp_path, _trial_file(20, 4635, blink_every=1000))
    read_all(path)  # warm up (imports, polars' thread pool)
    start = time.process_time()
    recs = read_all(path, tracker_events=True)
    elapsed = time.process_time() - start
    assert len(recs) == 20 and sum(len(rec) for rec in recs) == 92_700
    assert all(rec.sampling_rate == 1000.0 for rec in recs)
    assert recs[0].time[0] == 2.001 and recs[-1].time[-1] == pytest.approx(
        recs[-1].time[0] + 4.634)
    assert [rec.meta.trial for rec in recs] == [str(k) for k in range(20)]
    assert recs[5].label_shares()["blink"] == pytest.approx(4 * 60 / 4635)
    assert elapsed < 1.5, f"read 20 trials in {elapsed:.2f} s of CPU"
