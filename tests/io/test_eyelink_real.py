"""pymovements' ASC test files read with the facts its own tests state (samples, times, pupil,
positions, rate, resolution, tracked eye, tracker, calibrations, validations, events); skipped
when ../shared/data/pymovements-files is absent."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gazelearn.cli.main import app
from gazelearn.io import detect_format, read_all
from gazelearn.io.eyelink import read_eyelink_events

pytestmark = pytest.mark.real_data

# pymovements' expected sample times of eyelink_monocular_example.asc (ms) and pupil sizes
MONO_TIMES = [2154556, 2154557, 2154560, 2154564, 2154596, 2154598, 2154599, 2154695, 2154696,
              2339227, 2339245, 2339246, 2339271, 2339272, 2339290, 2339291]
MONO_PUPIL = [778, 778, 777, 778, 784, 784, 784, 798, 799, 619, 621, 622, 617, 617, 618, 618]
KHZ2_TIMES = [2154556.5, 2154557.0, 2154560.5, 2154564.0, 2154596.0, 2154598.5, 2154599.0,
              2154695.0, 2154696.0, 2339227.0, 2339245.0, 2339246.0, 2339271.5, 2339272.0,
              2339290.0, 2339291.0]


@pytest.fixture
def files(shared_data):
    folder = shared_data / "pymovements-files"
    if not folder.is_dir():
        pytest.skip("pymovements-files not in this copy of the data")
    return folder


def _whole(path, **options):
    [rec] = read_all(path, split_trials=False, **options)
    return rec


@pytest.mark.parametrize(("name", "times"), [("eyelink_monocular_example.asc", MONO_TIMES),
                                             ("eyelink_monocular_2khz_example.asc", KHZ2_TIMES)])
def test_monocular_samples(files, name, times):
    rec = _whole(files / name)
    assert (rec.time * 1000).round(1).tolist() == times
    assert rec.pupil.tolist() == MONO_PUPIL
    assert (rec.x[0], rec.y[0], rec.x[-1], rec.y[-1]) == (138.1, 132.8, 637.3, 531.2)
    extra = rec.meta.extra
    assert extra["declared_sampling_rate"] == (2000.0 if "2khz" in name else 1000.0)
    assert (extra["display_width_px"], extra["display_height_px"]) == (1280, 1024)
    assert extra["eye"] == "left" and extra["tracked_eyes"] == "left"
    assert (extra["tracker_model"], extra["tracker_software"]) == ("EyeLink Portable Duo", "6.12")
    assert extra["pupil_measure"] == "area"
    [cal] = extra["calibrations"]
    assert (cal["time"], cal["n_points"], cal["mode"], cal["eye"], cal["result"]) == (
        2135.8195 if "2khz" in name else 2135.819, 9, "P-CR", "left", "GOOD")
    assert len(cal["points"]) == 10  # nine targets and the centre reference 0, 0
    [val] = extra["validations"]
    assert (val["time"], val["n_points"], val["eye"], val["result"], val["error_avg_deg"],
            val["error_max_deg"], len(val["points"])) == (2148.587, 9, "left", "GOOD", 0.27,
                                                          0.83, 9)


def test_monocular_trials_follow_the_messages(files):
    rec = _whole(files / "eyelink_monocular_example.asc")
    # pymovements' trial_id of each sample, None -> -1
    assert rec.meta.extra["trial"].tolist() == [0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, -1]
    trials = read_all(files / "eyelink_monocular_example.asc")
    assert [(t.meta.trial, len(t)) for t in trials] == [("0", 3), ("1", 4), ("2", 2), ("3", 4),
                                                        ("4", 2)]
    assert trials[-1].meta.extra["messages"]["text"][-1] == "TRIAL_RESULT"
    messages = rec.meta.extra["messages"]
    assert messages["text"][0] == "!CMD 1 select_parser_configuration 0"
    assert messages["time"][0] == 2091.65


@pytest.mark.parametrize("name", ["eyelink_monocular_example.asc",
                                  "eyelink_monocular_2khz_example.asc"])
def test_monocular_tracker_events(files, name):
    events = read_eyelink_events(files / name)
    frame = events.frame
    assert frame["type"].to_list() == ["fixation", "saccade", "fixation"]
    assert (frame["onset"] * 1000).round(1).to_list() == [2154563, 2339227, 2339246]
    # pymovements' offsets are the tracker's end times; gazelearn's end one sample later
    step = 0.5 if "2khz" in name else 1.0
    assert (frame["offset"] * 1000).round(1).to_list() == [2154695 + step, 2339245 + step,
                                                           2339290 + step]


def test_no_dummy_file_reads_right(files):
    [rec] = read_all(files / "eyelink_monocular_no_dummy_example.asc")
    assert len(rec) == 297 and rec.duration == pytest.approx(8.092)  # not 298 and 651 s
    assert rec.meta.trial == "TEXT" and rec.sampling_rate == 500.0
    extra = rec.meta.extra
    assert (extra["display_width_px"], extra["display_height_px"]) == (1920, 1080)
    assert (extra["tracker_model"], extra["tracker_software"]) == ("EyeLink 1000 Plus", "5.50")
    messages = _whole(files / "eyelink_monocular_no_dummy_example.asc").meta.extra["messages"]
    assert messages.filter(messages["text"].str.starts_with("ENCODING"))["text"].to_list() == [
        "ENCODING TEST ÄÖÜ"]  # UTF-8 read as such (the message comes before the trial)
    [cal], [val] = extra["calibrations"], extra["validations"]
    assert (cal["n_points"], cal["result"], val["error_avg_deg"], val["error_max_deg"]) == (
        5, "GOOD", 0.27, 0.37)
    # the tracker's blinks are lost samples labelled blink
    blink = rec.labels == 5
    assert blink.any() and np.isnan(rec.x[blink]).all()


def test_binocular_file(files):
    path = files / "eyelink_binocular_example.asc"
    rec = _whole(path)
    assert len(rec) == 368 and rec.sampling_rate == 1000.0
    extra = rec.meta.extra
    assert extra["recorded_eyes"] == ["left", "right"] and extra["tracked_eyes"] == "both"
    # GAZE_COORDS 0 0 1920 1080: pymovements' "non-standard resolution", 1921 x 1081
    assert (extra["display_width_px"], extra["display_height_px"]) == (1921, 1081)
    assert (extra["tracker_model"], extra["tracker_software"]) == ("EyeLink Portable Duo", "6.14")
    assert [(c["eye"], c["result"]) for c in extra["calibrations"]] == [("left", "GOOD"),
                                                                        ("right", "GOOD")]
    assert [(v["eye"], v["error_avg_deg"], v["error_max_deg"], len(v["points"]))
            for v in extra["validations"]] == [("left", 0.41, 0.64, 9), ("right", 0.31, 0.84, 9)]
    right = _whole(path, eye="right")
    assert (rec.x[0], right.x[0], rec.pupil[0], right.pupil[0]) == (964.3, 960.5, 288.0, 305.0)
    events = read_eyelink_events(path).frame.sort("line")
    assert list(zip(events["type"], events["eye"], (events["onset"] * 1000).round().cast(int),
                    strict=True)) == [
        ("fixation", "left", 1408667), ("fixation", "right", 1408667),
        ("blink", "right", 1408793), ("blink", "left", 1408787),
        ("saccade", "left", 1408774), ("saccade", "right", 1408778),
        ("fixation", "left", 1408897), ("fixation", "right", 1408899)]
    # start_trial 0 and TRIALID I902C_low open one trial (the first has no samples)
    [trial] = read_all(path)
    assert trial.meta.trial == "I902C_low" and len(trial) + trial.meta.extra[
        "samples_outside_trials"] == 368


def test_every_asc_reads_through_info(files):
    paths = sorted(files.glob("*.asc"))
    assert len(paths) == 5 and {detect_format(p) for p in paths} == {"eyelink-asc"}
    result = CliRunner().invoke(app, ["info", "--json", *map(str, paths)])
    assert result.exit_code == 0, result.output
    infos = json.loads(result.stdout)
    trials = {}
    for item in infos:
        trials.setdefault(item["source"].rsplit("/", 1)[-1], []).append(
            (item["metadata"]["trial"], item["samples"]))
    assert trials["eyelink_monocular_example.asc"] == [("0", 3), ("1", 4), ("2", 2), ("3", 4),
                                                       ("4", 2)]
    assert trials["eyelink_monocular_no_dummy_example.asc"] == [("TEXT", 297)]
    assert trials["raccoons.asc"] == [("0", 433)]
    assert infos[0]["metadata"]["calibrations"][0]["result"] == "GOOD"
    text = CliRunner().invoke(app, ["info", str(files / "eyelink_monocular_example.asc")])
    assert text.exit_code == 0 and text.stdout.count("trial ") == 5
