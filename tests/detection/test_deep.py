"""The deep detector: learns known events, saves and loads exactly, handles any rate."""

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from typer.testing import CliRunner

from gazelearn import InputError
from gazelearn.cli.main import app
from gazelearn.detection import create_detector
from gazelearn.detection.deep import DeepDetector, detector_features
from gazelearn.io import write_recording
from gazelearn.labels import Label
from gazelearn.learn import load_model
from gazelearn.metrics import kappa_per_class
from gazelearn.screen import Screen
from gazelearn.simulate import simulate_population, simulate_recording


@pytest.fixture(scope="module")
def trained():
    data = simulate_population(n_subjects=6, recordings_per_subject=1, duration_s=20.0, seed=3)
    detector = DeepDetector(epochs=12, hidden=16, conv_channels=16, seed=0, progress=False)
    return detector.fit(list(data), groups=data.column("subject"))


def test_learns_saccades_and_fixations_of_unseen_recordings(trained):
    test = simulate_recording(20.0, 500.0, seed=99)
    kappas = kappa_per_class(test.labels, trained.predict(test))
    assert kappas[Label.SACCADE] > 0.8
    assert kappas[Label.FIXATION] > 0.6


def test_same_seed_same_model():
    data = simulate_population(n_subjects=2, recordings_per_subject=1, duration_s=4.0, seed=1)
    a = DeepDetector(epochs=2, hidden=4, conv_channels=4, seed=5, progress=False).fit(list(data))
    b = DeepDetector(epochs=2, hidden=4, conv_channels=4, seed=5, progress=False).fit(list(data))
    for key, value in a.network_.state_dict().items():
        assert np.array_equal(value.numpy(), b.network_.state_dict()[key].numpy())


def test_save_load_gives_identical_predictions(trained, tmp_path):
    path = trained.save(tmp_path / "detector.safetensors")
    loaded = load_model(path)
    rec = simulate_recording(5.0, 500.0, seed=7)
    np.testing.assert_array_equal(loaded.predict(rec), trained.predict(rec))


@pytest.mark.parametrize("rate", [30.0, 250.0, 1000.0, 2000.0])
def test_any_rate_gives_one_label_per_input_sample(trained, rate):
    rec = simulate_recording(3.0, rate, seed=2)
    labels = trained.predict(rec)
    assert labels.shape == (len(rec),)


def test_long_recordings_are_chunked_consistently(trained):
    rec = simulate_recording(30.0, 500.0, seed=8)
    whole = trained.predict(rec)
    # a 30-s recording spans many 2-s chunks; the labels agree with the truth as well as
    # those of a short recording do, so chunk edges do not break events
    short = trained.predict(rec.select(slice(0, 900)))
    assert np.mean(whole[:900] == short) > 0.97


def _on_screen(recording, screen: Screen):
    """The same gaze in degrees, in the pixels of another screen (size and distance)."""
    x, y = screen.deg_to_px(*recording.position_deg())
    return replace(recording, x=x, y=y, screen=screen)


def test_features_do_not_depend_on_the_screen_distance():
    rec = simulate_recording(4.0, 500.0, seed=4)
    near = _on_screen(rec, Screen(1920, 1080, 531.0, 299.0, 500.0))
    far = _on_screen(rec, Screen(1280, 1024, 376.0, 301.0, 900.0))
    assert not np.allclose(near.x, far.x)  # other pixels for the same gaze in degrees
    features, _ = detector_features(near, 500.0)
    assert features.shape == (2000, 4) and features.dtype == np.float32
    assert np.isfinite(features).all()
    np.testing.assert_allclose(detector_features(far, 500.0)[0], features, atol=1e-5)
    detector = DeepDetector.pretrained()
    np.testing.assert_array_equal(detector.predict(far), detector.predict(near))


#: The default model shipped until issue 15 (velocity features, 7 layers), kept for its labels.
ISSUE14_MODEL = Path(__file__).parent / "data" / "deep_detector_issue14.safetensors"


def test_shipped_model_gives_the_labels_it_gave_before_the_port():
    # known answer: labels of the shipped model computed with DeepDetector(model="default")
    # before it moved onto TorchEstimator (weights loaded in __init__ then); that model was
    # the default until issue 15 and is kept in tests/detection/data. The network's labels
    # (postprocess=False: the shared post-processing came later), now through ONNX Runtime:
    # the same labels as the torch network gave
    detector = DeepDetector.pretrained(ISSUE14_MODEL)
    rec = simulate_recording(30.0, 500.0, seed=11)
    labels = detector.predict(rec, postprocess=False)
    assert np.bincount(labels, minlength=8).tolist() == [73, 8952, 579, 1701, 2091, 1604, 0, 0]
    assert labels[[0, 100, 1000, 3999, 9999]].tolist() == [3, 1, 4, 3, 1]
    assert hashlib.sha256(labels.tobytes()).hexdigest() == (
        "16e3ab3bf33248a8fe0b8e89f37129e69902456e6bdbd9e03150d225820c037e")
    resampled = simulate_recording(4.0, 1000.0, seed=12)  # resampled to 500 Hz and back
    labels = detector.predict(resampled, postprocess=False)
    assert hashlib.sha256(labels.tobytes()).hexdigest() == (
        "737cb02a10a2864ec4bf1eb4ee3f0e1c2ac096d59a87075fef1cd08977b440f3")


def test_constructor_only_stores_and_pretrained_loads():
    assert clone(DeepDetector(hidden=8)).get_params()["hidden"] == 8
    shipped = DeepDetector.pretrained(num_threads=1)
    assert shipped.num_threads == 1 and shipped.classes_[:2] == ["fixation", "saccade"]
    assert not hasattr(clone(shipped), "network_")  # clone: same parameters, untrained
    with pytest.raises(InputError, match="does not fit the trained network"):
        DeepDetector.pretrained(conv_channels=8)
    with pytest.raises(InputError, match="bad option"):
        create_detector("deep", nonsense=1)


def test_create_detector_deep_is_the_shipped_model_and_model_option_still_works():
    rec = simulate_recording(3.0, 500.0, seed=4)
    shipped = DeepDetector.pretrained().predict(rec)
    # no option needed for the shipped weights; model="default" or model=PATH as before
    for detector in (create_detector("deep"), create_detector("deep", model="default"),
                     create_detector("deep", model=ISSUE14_MODEL)):
        assert hasattr(detector, "network_")
    np.testing.assert_array_equal(create_detector("deep").predict(rec), shipped)
    np.testing.assert_array_equal(create_detector("deep", model="default").predict(rec), shipped)
    older = create_detector("deep", model=ISSUE14_MODEL).predict(rec)
    np.testing.assert_array_equal(older, DeepDetector.pretrained(ISSUE14_MODEL).predict(rec))
    assert not np.array_equal(older, shipped)  # model= really picks the other file
    with pytest.raises(InputError, match="not both"):
        DeepDetector.pretrained(ISSUE14_MODEL, model="default")


def test_errors_are_clear():
    rec = simulate_recording(1.0, 500.0, seed=1)
    with pytest.raises(NotFittedError, match="has no model"):
        DeepDetector().predict(rec)
    with pytest.raises(InputError, match="no deep detector model"):
        DeepDetector.pretrained("/nonexistent/model.safetensors")
    rec.screen = None
    with pytest.raises(InputError, match=r"screen=Screen\("):
        DeepDetector(epochs=1).fit([rec])


def test_train_cli_then_detect_with_the_model(tmp_path):
    runner = CliRunner()
    folder = tmp_path / "data"
    folder.mkdir()
    for seed in range(3):
        write_recording(simulate_recording(6.0, 500.0, seed=seed), folder / f"r{seed}.csv")
    model = tmp_path / "m.safetensors"
    result = runner.invoke(app, ["events", "train", str(folder), "--output", str(model),
                                 "--epochs", "2", "--group-col", "source"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "labels.csv"
    result = runner.invoke(app, ["events", "detect", str(folder / "r0.csv"), "--method", "deep",
                                 "--model", str(model), "--samples", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 3001
    result = runner.invoke(app, ["events", "train", str(folder), "--output", str(tmp_path / "x")])
    assert result.exit_code == 1 and "safetensors" in result.output


def test_partial_label_loss_accepts_pso_only_where_flagged():
    import torch

    from gazelearn.detection.deep import _partial_label_loss

    outputs = torch.randn(2, 3, 5, generator=torch.Generator().manual_seed(0))
    weight = torch.ones(5)
    plain = torch.tensor([[0, 1, -1], [0, 1, 4]])
    expected = torch.nn.functional.cross_entropy(outputs.reshape(-1, 5), plain.reshape(-1),
                                                 ignore_index=-1)
    assert float(_partial_label_loss(outputs, plain, weight)) == pytest.approx(float(expected))
    # flagged fixation (10) and saccade (11): -log(p(label) + p(pso)), by hand
    flagged = torch.tensor([[0, 1, -1], [10, 11, 4]])
    log_p = torch.log_softmax(outputs.reshape(-1, 5), -1)
    by_hand = -(log_p[0, 0] + log_p[1, 1] + torch.logaddexp(log_p[3, 0], log_p[3, 2])
                + torch.logaddexp(log_p[4, 1], log_p[4, 2]) + log_p[5, 4]) / 5
    assert float(_partial_label_loss(outputs, flagged, weight)) == pytest.approx(float(by_hand))
    assert float(_partial_label_loss(outputs, flagged, weight)) < float(
        _partial_label_loss(outputs, plain, weight))
