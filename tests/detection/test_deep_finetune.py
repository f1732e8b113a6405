"""Fine-tuning the deep detector (``DeepDetector.fine_tune``, ``gazelearn events train``) and
training on labels with nothing to learn."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from typer.testing import CliRunner

from gazelearn import InputError
from gazelearn.cli.events_commands import FINE_TUNE_DEFAULTS
from gazelearn.cli.main import app
from gazelearn.detection.deep import FINE_TUNING, DeepDetector, _layers
from gazelearn.io import write_recording
from gazelearn.labels import Label
from gazelearn.learn import load_model
from gazelearn.simulate import simulate_recording


@pytest.fixture(scope="module")
def small():
    """A small trained TCN (fast to fine-tune)."""
    recordings = [simulate_recording(8.0, 500.0, seed=s) for s in range(3)]
    return DeepDetector(conv_channels=8, depth=4, epochs=3, seed=0, num_threads=1,
                        progress=False).fit(recordings)


def _relabelled(seed: int):
    """A simulated recording whose pursuits are labelled fixation, and the pursuit samples:
    labels no trained detector gives, so following them shows that fine-tuning learned."""
    rec = simulate_recording(8.0, 500.0, seed=seed)
    pursuit = rec.labels == Label.PURSUIT
    return rec.with_labels(np.where(pursuit, Label.FIXATION, rec.labels)), pursuit


def test_fine_tuning_learns_the_new_labels_and_leaves_the_base_alone():
    shipped = DeepDetector.pretrained(num_threads=1)  # it tells pursuit from fixation
    before = {k: v.clone() for k, v in shipped.network_.state_dict().items()}
    train = [_relabelled(s)[0] for s in (10, 11)]
    test, pursuit = _relabelled(12)
    tuned = shipped.fine_tune(train, epochs=10, lr=3e-3, validation=False, progress=False)
    base_share = np.mean(shipped.predict(test, postprocess=False)[pursuit] == Label.FIXATION)
    tuned_share = np.mean(tuned.predict(test, postprocess=False)[pursuit] == Label.FIXATION)
    assert pursuit.sum() > 200  # 0.4 s of pursuit to follow
    assert base_share < 0.2 and tuned_share > 0.8  # pursuits are now called fixation
    assert all(torch.equal(before[k], v) for k, v in shipped.network_.state_dict().items())
    summary = tuned.training_summary_
    assert summary["fine_tuned"] == {"epochs": 10, "lr": 3e-3, "frozen_layers": 0,
                                     "validation": False, "augment": 0, "simulated": 0}
    assert tuned.n_validation_ == 0 and len(tuned.history_) == 10  # no early stop, no hold-out
    assert (tuned.depth, tuned.features) == (shipped.depth, shipped.features)


def test_frozen_layers_keep_their_weights(small, tmp_path):
    layers = _layers(small.network_)
    assert len(layers) == 1 + 4 + 1  # stem, 4 dilated layers, output
    tuned = small.fine_tune([_relabelled(10)[0]], epochs=2, freeze=3, progress=False)
    for k, (old, new) in enumerate(zip(layers, _layers(tuned.network_), strict=True)):
        same = all(torch.equal(a, b) for a, b in zip(old.state_dict().values(),
                                                     new.state_dict().values(), strict=True))
        assert same == (k < 3), k
    assert all(p.requires_grad for p in tuned.network_.parameters())  # unfrozen afterwards
    # the fine-tuned detector saves and loads like any other
    loaded = load_model(tuned.save(tmp_path / "tuned.safetensors"))
    rec = simulate_recording(3.0, 500.0, seed=1)
    np.testing.assert_array_equal(loaded.predict(rec), tuned.predict(rec))


def test_fine_tuning_defaults_are_the_measured_ones():
    # benchmarks/events_finetune.py, docs/results.md: 3 epochs at 1e-3, nothing frozen, the
    # epoch chosen on a held-out recording, no augmented or simulated recordings
    assert FINE_TUNING == {"epochs": 3, "lr": 1e-3, "freeze": 0, "validation": True,
                           "augment": 0, "simulated": 0}


def test_fine_tuning_with_validation_holds_out_a_group(small):
    recordings = [_relabelled(s)[0] for s in (10, 11, 12, 13, 14)]
    tuned = small.fine_tune(recordings, groups=list("abcde"), epochs=2, validation=True,
                            progress=False)
    assert tuned.n_validation_ > 0 and "val_loss" in tuned.history_[0]


def test_fine_tuning_refuses_what_it_cannot_do(small):
    rec = _relabelled(10)[0]
    with pytest.raises(InputError, match="freeze must be 0-5 layers"):
        small.fine_tune([rec], freeze=6)
    with pytest.raises(InputError, match="depth cannot change"):
        small.fine_tune([rec], depth=9)
    with pytest.raises(NotFittedError, match="fine_tune needs a trained detector"):
        DeepDetector().fine_tune([rec])


def test_only_blinks_and_undefined_leave_nothing_to_learn(small):
    rec = simulate_recording(4.0, 500.0, seed=2)
    nothing = rec.with_labels(np.where(np.arange(len(rec)) < 1000, Label.BLINK,
                                       Label.UNDEFINED).astype(np.int8))
    with pytest.raises(InputError, match="nothing to learn: training needs samples labelled "
                                         "fixation and saccade.*blink 1000"):
        small.fine_tune([nothing])
    with pytest.raises(InputError, match="nothing to learn"):
        DeepDetector(epochs=1).fit([nothing])
    # fixations without saccades: something to learn, but not enough (no "nothing")
    fixations = rec.with_labels(np.full(len(rec), Label.FIXATION, dtype=np.int8))
    with pytest.raises(InputError, match=r"^training needs samples labelled saccade"):
        DeepDetector(epochs=1).fit([fixations])


def test_events_train_fine_tunes_the_bundled_model_by_default(tmp_path):
    assert FINE_TUNE_DEFAULTS == {k: FINE_TUNING[k] for k in ("epochs", "lr", "freeze")}
    folder = tmp_path / "data"
    folder.mkdir()
    for seed in range(2):
        write_recording(simulate_recording(5.0, 500.0, seed=seed), folder / f"r{seed}.csv")
    runner = CliRunner()
    model = tmp_path / "tuned.safetensors"
    result = runner.invoke(app, ["events", "train", str(folder), "--output", str(model),
                                 "--epochs", "1", "--group-col", "source"])
    assert result.exit_code == 0, result.output
    assert "fine-tuned the default model on 2 recordings" in result.output
    tuned = load_model(model)
    shipped = DeepDetector.pretrained()
    assert (tuned.depth, tuned.features) == (shipped.depth, shipped.features) == (9, "context")
    assert tuned.training_summary_["fine_tuned"]["epochs"] == 1
    # --base none: a new network of the constructor's defaults, as before fine-tuning existed
    result = runner.invoke(app, ["events", "train", str(folder), "--output",
                                 str(tmp_path / "new.safetensors"), "--epochs", "1",
                                 "--base", "none"])
    assert result.exit_code == 0 and "trained on 2 recordings" in result.output
    assert load_model(tmp_path / "new.safetensors").depth == DeepDetector().depth
    result = runner.invoke(app, ["events", "train", str(folder), "--output", str(model),
                                 "--base", str(tmp_path / "missing.safetensors")])
    assert result.exit_code == 1 and "no deep detector model" in result.output


def test_events_train_refuses_labels_with_nothing_to_learn(tmp_path):
    rec = simulate_recording(3.0, 500.0, seed=3)
    labels = np.where(np.arange(len(rec)) % 400 < 100, Label.BLINK, Label.UNDEFINED)
    path = tmp_path / "blinks.csv"
    write_recording(rec.with_labels(labels.astype(np.int8)), path)
    result = CliRunner().invoke(app, ["events", "train", str(path), "--output",
                                      str(tmp_path / "m.safetensors")])
    assert result.exit_code == 1
    assert "nothing to learn" in result.output and not (tmp_path / "m.safetensors").exists()
