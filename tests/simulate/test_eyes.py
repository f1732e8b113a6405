"""Synthetic eye images: geometry with known answers, determinism, files, and the CLI."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from gazelearn.cli.main import app
from gazelearn.errors import InputError
from gazelearn.screen import Screen
from gazelearn.simulate.eyes import (
    EyeSimulator,
    PersonParameters,
    SessionParameters,
    read_eye_dataset,
    simulate_eye_dataset,
    write_eye_dataset,
)

runner = CliRunner()
SCREEN = Screen(1920, 1080, 531.0, 299.0, 600.0)
CENTRE_ROW = 540.0
CENTRE_COL = 960.0


def clean(**kwargs) -> EyeSimulator:
    """A simulator without noise, blur or jitter: exact geometry."""
    return EyeSimulator(screen=SCREEN, noise=False, blur=False, jitter=False, **kwargs)


def pupil_centroid(image: np.ndarray) -> tuple[float, float]:
    """Centroid (x, y) of the darkest blob (the pupil) of a grayscale image."""
    image = image.astype(float)
    mask = image <= image.min() + 15
    rows, cols = np.nonzero(mask)
    return float(cols.mean()), float(rows.mean())


def sweep(points: list[tuple[float, float]], person=None, session=None, sim=None):
    sim = sim or clean()
    images, truth = sim.render(np.array(points, float), person or PersonParameters(),
                               session or SessionParameters())
    return images, truth


# ---------------------------------------------------------------------------- data shape
def test_shapes_dtypes_and_ids():
    data = simulate_eye_dataset(3, 2, 4, seed=0)
    assert data.images.shape == (24, 36, 64) and data.images.dtype == np.uint8
    assert data.targets_px.shape == (24, 2) and data.targets_norm.shape == (24, 2)
    assert (data.targets_norm > 0).all() and (data.targets_norm < 1).all()
    assert data.person.tolist() == [0] * 8 + [1] * 8 + [2] * 8
    assert data.measurement[:8].tolist() == ["p00_m0"] * 4 + ["p00_m1"] * 4
    assert len(set(data.measurement)) == 6 and set(data.sessions) == set(data.measurement)
    assert data.kappa_deg.shape == (3, 2)
    assert data.truth.height == 24 and "iris_x_px" in data.truth.columns
    assert data.images.std() > 10  # not blank

    rgb = simulate_eye_dataset(1, 1, 3, image_size=(41, 41), color=True, seed=0)
    assert rgb.images.shape == (3, 41, 41, 3) and rgb.color and rgb.image_size == (41, 41)
    # Colour images have colour: the channels differ.
    assert np.abs(rgb.images[..., 0].astype(int) - rgb.images[..., 2]).mean() > 5


def test_same_seed_same_data_other_seed_other_data():
    a = simulate_eye_dataset(2, 2, 5, seed=11)
    b = simulate_eye_dataset(2, 2, 5, seed=11)
    c = simulate_eye_dataset(2, 2, 5, seed=12)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.targets_px, b.targets_px)
    assert not np.array_equal(a.images, c.images)
    assert not np.array_equal(a.kappa_deg, c.kappa_deg)


def test_a_person_does_not_depend_on_the_dataset_size():
    small = simulate_eye_dataset(2, 1, 3, seed=5)
    large = simulate_eye_dataset(4, 2, 6, seed=5)
    assert small.persons[1] == large.persons[1]
    assert small.sessions["p01_m0"] == large.sessions["p01_m0"]


def test_kappa_is_a_per_person_offset_of_a_few_degrees():
    data = simulate_eye_dataset(40, 1, 1, seed=1)
    kappa = data.kappa_deg
    assert 1.2 < kappa.std() < 4.0 and np.abs(kappa).max() < 12
    assert len({tuple(k) for k in kappa}) == 40


def test_rendering_100_frames_is_fast():
    sim = EyeSimulator(seed=0)
    targets = sim.random_targets(100, np.random.default_rng(0))
    sim.render(targets[:2], sim.person(0), sim.session(0, 0))  # warm up
    start = time.perf_counter()
    images, _ = sim.render(targets, sim.person(0), sim.session(0, 0))
    assert time.perf_counter() - start < 1.5 and images.shape == (100, 36, 64)


# ---------------------------------------------------------------------------- geometry
def test_pupil_moves_right_with_the_target():
    xs = [150.0, 600.0, 960.0, 1320.0, 1770.0]
    images, truth = sweep([(x, CENTRE_ROW) for x in xs])
    measured = [pupil_centroid(i)[0] for i in images]
    assert np.all(np.diff(measured) > 0.5), measured
    assert np.all(np.diff(truth["iris_x_px"].to_numpy()) > 0)
    # The truth column says where the pupil is drawn.
    np.testing.assert_allclose(measured, truth["iris_x_px"].to_numpy(), atol=1.0)


def test_pupil_moves_down_with_the_target():
    ys = [80.0, 300.0, 540.0, 780.0, 1000.0]
    images, truth = sweep([(CENTRE_COL, y) for y in ys])
    measured = [pupil_centroid(i)[1] for i in images]
    assert np.all(np.diff(measured) > 0.3), measured
    assert np.all(np.diff(truth["iris_y_px"].to_numpy()) > 0)


def test_random_people_agree_on_the_direction():
    sim = clean(seed=9)
    for index in range(4):
        images, _ = sweep([(200.0, 200.0), (1720.0, 200.0), (200.0, 900.0)],
                          sim.person(index), sim.session(index, 0), sim)
        left, right, low = (pupil_centroid(i) for i in images)
        assert right[0] > left[0] + 2 and low[1] > left[1] + 0.5


def _skin_rows_at_top(image_rgb: np.ndarray) -> float:
    """Rows of skin-coloured pixels from the top, averaged over the central columns."""
    w = image_rgb.shape[1]
    columns = image_rgb[:, w // 2 - 4: w // 2 + 4].astype(int)
    skin = (columns[..., 0] - columns[..., 2]) > 60
    counts = [np.argmin(skin[:, c]) if not skin[:, c].all() else len(skin)
              for c in range(skin.shape[1])]
    return float(np.mean(counts))


def test_upper_lid_lowers_when_looking_down():
    person = PersonParameters(skin_rgb=(0.85, 0.35, 0.3), sclera_rgb=(0.8, 0.8, 0.8),
                              iris_rgb=(0.2, 0.3, 0.8), brow_darkness=0.0)
    images, truth = sweep([(CENTRE_COL, 60.0), (CENTRE_COL, 540.0), (CENTRE_COL, 1020.0)],
                          person, sim=clean(color=True))
    up, middle, down = (_skin_rows_at_top(i) for i in images)
    assert up < middle < down, (up, middle, down)
    assert truth["eye_in_head_v_deg"][2] > truth["eye_in_head_v_deg"][0]


def test_kappa_shifts_the_iris_for_the_same_target():
    point = [(CENTRE_COL, CENTRE_ROW)]
    plus = PersonParameters(kappa_h_deg=4.0, kappa_v_deg=3.0)
    minus = PersonParameters(kappa_h_deg=-4.0, kappa_v_deg=-3.0)
    (a,), truth_a = sweep(point, plus)
    (b,), truth_b = sweep(point, minus)
    (ax, ay), (bx, by) = pupil_centroid(a), pupil_centroid(b)
    # optical = visual - kappa: a positive kappa turns the eye left / up.
    assert ax < bx - 1.5 and ay < by - 0.7
    assert truth_a["visual_h_deg"][0] == pytest.approx(truth_b["visual_h_deg"][0])
    assert truth_a["optical_h_deg"][0] == pytest.approx(truth_a["visual_h_deg"][0] - 4.0)


def test_visual_axis_matches_the_screen_geometry():
    xs = np.array([100.0, 960.0, 1800.0])
    _, truth = sweep([(x, CENTRE_ROW) for x in xs],
                     session=SessionParameters(distance_mm=SCREEN.distance_mm))
    expected, _ = SCREEN.px_to_deg(xs, np.full(3, CENTRE_ROW))
    np.testing.assert_allclose(truth["visual_h_deg"].to_numpy(), expected, atol=1e-9)


def test_head_position_changes_the_gaze_angle_of_the_same_dot():
    near = SessionParameters(distance_mm=450.0)
    far = SessionParameters(distance_mm=750.0)
    _, truth_near = sweep([(1800.0, CENTRE_ROW)], session=near)
    _, truth_far = sweep([(1800.0, CENTRE_ROW)], session=far)
    assert truth_near["visual_h_deg"][0] > truth_far["visual_h_deg"][0] + 5
    shifted = SessionParameters(head_x_mm=100.0)
    _, truth_shift = sweep([(CENTRE_COL, CENTRE_ROW)], session=shifted)
    assert truth_shift["visual_h_deg"][0] < -5


def test_measurement_factors_change_brightness():
    sim = clean()
    dim, _ = sweep([(CENTRE_COL, CENTRE_ROW)], session=SessionParameters(gain=0.7), sim=sim)
    bright, _ = sweep([(CENTRE_COL, CENTRE_ROW)], session=SessionParameters(gain=1.2), sim=sim)
    assert bright.mean() > dim.mean() + 20
    data = simulate_eye_dataset(2, 4, 10, seed=2)
    means = pl.DataFrame({"m": data.measurement, "v": data.images.mean(axis=(1, 2))}) \
        .group_by("m").agg(pl.col("v").mean())["v"].to_numpy()
    assert means.max() - means.min() > 10


def test_noise_and_blur_are_per_frame():
    sim = EyeSimulator(screen=SCREEN, jitter=False)
    images, _ = sweep([(CENTRE_COL, CENTRE_ROW)] * 2, sim=sim,
                      session=SessionParameters(noise=0.02))
    assert not np.array_equal(images[0], images[1])  # fresh noise in every frame


# ---------------------------------------------------------------------------- files
def test_write_and_read_round_trip(tmp_path):
    data = simulate_eye_dataset(2, 2, 3, seed=3)
    folder = write_eye_dataset(data, tmp_path / "eyes")
    manifest = pl.read_csv(folder / "manifest.csv")
    assert manifest.columns == ["image", "x", "y", "person", "measurement"]
    assert all((folder / name).is_file() for name in manifest["image"])
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["seed"] == 3 and meta["image_size"] == [64, 36]
    assert meta["screen"]["width_px"] == 1920 and len(meta["persons"]) == 2

    back = read_eye_dataset(folder)
    np.testing.assert_array_equal(back.images, data.images)
    np.testing.assert_allclose(back.targets_px, data.targets_px)
    assert back.person.tolist() == data.person.tolist()
    assert back.measurement.tolist() == data.measurement.tolist()
    np.testing.assert_allclose(back.kappa_deg, data.kappa_deg)
    assert back.screen == data.screen and back.sessions == data.sessions
    assert back.persons == data.persons
    np.testing.assert_allclose(back.truth["iris_x_px"].to_numpy(),
                               data.truth["iris_x_px"].to_numpy())
    # Nothing left behind beside the folder.
    assert [p.name for p in tmp_path.iterdir()] == ["eyes"]


def test_colour_round_trip(tmp_path):
    data = simulate_eye_dataset(1, 1, 2, image_size=(41, 41), color=True, seed=3)
    back = read_eye_dataset(write_eye_dataset(data, tmp_path / "rgb"))
    np.testing.assert_array_equal(back.images, data.images)


def test_manifest_is_readable_by_the_image_reader(tmp_path):
    from gazelearn.io.images import read_images

    data = simulate_eye_dataset(1, 1, 3, seed=3)
    folder = write_eye_dataset(data, tmp_path / "eyes")
    images = read_images(folder / "manifest.csv")
    assert len(images) == 3
    np.testing.assert_allclose(images.targets, data.targets_px)


def test_writing_refuses_a_non_empty_folder_unless_overwriting(tmp_path):
    data = simulate_eye_dataset(1, 1, 2, seed=0)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("keep")
    with pytest.raises(InputError, match="not empty"):
        write_eye_dataset(data, tmp_path / "out")
    assert (tmp_path / "out" / "old.txt").exists()
    write_eye_dataset(data, tmp_path / "out", overwrite=True)
    assert not (tmp_path / "out" / "old.txt").exists()
    assert (tmp_path / "out" / "manifest.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    (tmp_path / "empty").mkdir()
    write_eye_dataset(data, tmp_path / "empty")  # an empty folder is fine
    with pytest.raises(InputError, match="not a folder"):
        write_eye_dataset(data, tmp_path / "out" / "manifest.csv")


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    from PIL import Image

    data = simulate_eye_dataset(1, 1, 4, seed=0)
    calls = {"n": 0}
    original = Image.Image.save

    def failing_save(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        write_eye_dataset(data, tmp_path / "eyes")
    assert list(tmp_path.iterdir()) == []


def test_reading_a_broken_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="manifest.csv"):
        read_eye_dataset(tmp_path)
    data = simulate_eye_dataset(1, 1, 2, seed=0)
    folder = write_eye_dataset(data, tmp_path / "eyes")
    (folder / "images" / "p00_m0_f001.png").unlink()
    with pytest.raises(InputError, match="not found"):
        read_eye_dataset(folder)


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, message", [
    ({"n_persons": 0}, "n_persons"),
    ({"n_frames": -1}, "n_frames"),
    ({"image_size": (4, 36)}, "image size"),
    ({"seed": -1}, "seed"),
    ({"side": "middle"}, "side"),
])
def test_bad_arguments_are_input_errors(kwargs, message):
    arguments = {"n_persons": 1, "n_measurements": 1, "n_frames": 1, **kwargs}
    with pytest.raises(InputError, match=message):
        simulate_eye_dataset(**arguments)


def test_non_finite_targets_are_an_input_error():
    sim = clean()
    with pytest.raises(InputError, match="finite"):
        sim.render(np.array([[np.nan, 1.0]]), PersonParameters(), SessionParameters())


def test_parameters_round_trip_through_dicts():
    person = EyeSimulator(seed=1).person(0)
    assert PersonParameters.from_dict(json.loads(json.dumps(person.to_dict()))) == person
    assert dataclasses.replace(person, kappa_h_deg=1.0) != person
    with pytest.raises(InputError, match="unknown"):
        SessionParameters.from_dict({"nonsense": 1})


# ---------------------------------------------------------------------------- CLI
def test_cli_writes_the_dataset(tmp_path):
    out = tmp_path / "eyes"
    result = runner.invoke(app, ["simulate", "eyes", "--persons", "2", "--measurements", "2",
                                 "--frames", "3", "--output", str(out), "--size", "41", "41",
                                 "--color", "--seed", "4"])
    assert result.exit_code == 0, result.output
    manifest = pl.read_csv(out / "manifest.csv")
    assert manifest.height == 12 and manifest["measurement"].n_unique() == 4
    back = read_eye_dataset(out)
    assert back.images.shape == (12, 41, 41, 3)
    np.testing.assert_array_equal(
        back.images, simulate_eye_dataset(2, 2, 3, (41, 41), True, seed=4).images)


def test_cli_help_has_an_example():
    result = runner.invoke(app, ["simulate", "eyes", "--help"])
    assert result.exit_code == 0
    assert "Example: gazelearn simulate eyes" in result.output
    assert "--persons" in result.output and "--overwrite" in result.output


@pytest.mark.parametrize("arguments, message", [
    (["--persons", "0"], "--persons must be at least 1"),
    (["--frames", "0"], "--frames must be at least 1"),
    (["--size", "4", "4"], "image size"),
    (["--screen-mm", "0.5", "0.3"], "not a real screen"),
])
def test_cli_bad_input_exits_1_with_one_line(tmp_path, arguments, message):
    result = runner.invoke(app, ["simulate", "eyes", "--output", str(tmp_path / "o"),
                                 *arguments])
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_cli_refuses_a_non_empty_output_unless_overwrite(tmp_path):
    out = tmp_path / "eyes"
    out.mkdir()
    (out / "x.txt").write_text("x")
    base = ["simulate", "eyes", "--persons", "1", "--measurements", "1", "--frames", "2",
            "--output", str(out)]
    result = runner.invoke(app, base)
    assert result.exit_code == 1 and "not empty" in result.output
    result = runner.invoke(app, [*base, "--overwrite"])
    assert result.exit_code == 0, result.output
    assert (out / "manifest.csv").exists() and not (out / "x.txt").exists()


def test_screen_can_be_given_as_numbers_or_a_dict():
    as_tuple = EyeSimulator(screen=(1280, 720, 400.0, 225.0, 500.0))
    as_dict = EyeSimulator(screen=as_tuple.active_screen.to_dict())
    assert as_tuple.active_screen == as_dict.active_screen == Screen(1280, 720, 400.0, 225.0,
                                                                     500.0)
    assert EyeSimulator().active_screen.width_px == 1920
    with pytest.raises(InputError, match="screen"):
        EyeSimulator(screen="big")
    data = simulate_eye_dataset(1, 1, 5, screen=(1280, 720, 400.0, 225.0, 500.0))
    assert data.targets_px[:, 0].max() < 1280 and data.screen.width_px == 1280
