"""EyeMovementEmbedder: normalised embeddings, identification far above chance, model files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gazelearn.biometrics import WindowSpec, velocity_windows
from gazelearn.biometrics.protocol import (
    closed_set_split,
    evaluate_embedder,
    evaluate_scores,
    open_set_split,
)
from gazelearn.errors import InputError
from gazelearn.learn import load_model, save_model
from gazelearn.preprocess import resample

from ._shared import N_PERSONS, population, small_model


@pytest.fixture(scope="module")
def closed_set():
    data = population()
    persons, sessions = data.column("subject"), data.column("session")
    split = closed_set_split(persons, sessions, ["0"])
    model = small_model().fit(data.subset(split.train))
    return model, data, persons, split


def test_embeddings_are_unit_vectors(closed_set):
    model, data, _, split = closed_set
    windows = model.windows(data.subset(split.probe))
    emb = model.transform(windows)
    assert emb.shape == (len(windows), 16)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0)
    rec = model.embed_recordings(data.subset(split.probe))
    assert rec.shape == (len(split.probe), 16)
    assert np.allclose(np.linalg.norm(rec, axis=1), 1.0)
    # a recording's embedding is the renormalised mean of its window embeddings
    first = emb[windows.recording == 0].mean(axis=0)
    assert np.allclose(rec[0], first / np.linalg.norm(first))


def test_identification_of_synthetic_people_far_above_chance(closed_set):
    # Known answer: simulated persons differ in saccade main sequence, fixation durations,
    # PSO, drift, tremor and noise; a probe recording (another 20 s) must find its person.
    model, data, persons, split = closed_set
    result = evaluate_embedder(model, data.subset(split.enroll), persons[split.enroll],
                               data.subset(split.probe), persons[split.probe])
    assert result.n_persons == N_PERSONS and result.chance_rank1 == pytest.approx(1 / 12)
    assert result.rank1 >= 4 * result.chance_rank1  # chance: 8.3 %
    assert result.eer < 0.3  # chance: 50 %
    # the same probes against shuffled identities fall to chance-like levels
    shuffled = np.random.default_rng(0).permutation(persons[split.probe])
    wrong = evaluate_embedder(model, data.subset(split.enroll), persons[split.enroll],
                              data.subset(split.probe), shuffled)
    assert wrong.rank1 < result.rank1


def test_open_set_softmax_baseline_runs_on_unseen_people():
    data = population()
    persons, sessions = data.column("subject"), data.column("session")
    split = open_set_split(persons, sessions, sorted(set(persons))[:6], ["0"])
    model = small_model(loss="softmax", epochs=6, batch_size=32).fit(data.subset(split.train))
    assert set(model.classes_) == set(persons[split.train])
    result = evaluate_embedder(model, data.subset(split.enroll), persons[split.enroll],
                               data.subset(split.probe), persons[split.probe])
    assert result.n_persons == 6 and not set(persons[split.probe]) & set(model.classes_)
    assert np.allclose(np.linalg.norm(model.embed_recordings(data.subset(split.probe)),
                                      axis=1), 1.0)


def test_model_file_round_trip(closed_set, tmp_path):
    model, data, _, split = closed_set
    path = save_model(model, tmp_path / "bio.safetensors")
    again = load_model(path)
    probe = data.subset(split.probe[:3])
    assert np.allclose(again.embed_recordings(probe), model.embed_recordings(probe), atol=1e-6)
    assert again.sampling_rate_ == pytest.approx(100.0)
    assert again.window_spec_["length_s"] == 1.0


def test_wrong_sampling_rate_is_refused(closed_set):
    model, data, _, _ = closed_set
    with pytest.raises(InputError, match="trained at 100.0 Hz"):
        model.embed_recordings([resample(data[0], 50.0)])


def test_fit_needs_persons_and_two_of_them():
    data = population()
    with pytest.raises(InputError, match="at least two persons"):
        small_model().fit(data.subset([0, 1]), ["a", "a"])
    with pytest.raises(InputError, match="2 persons given for 3"):
        velocity_windows(data.subset([0, 1, 2]), WindowSpec(), ["a", "b"])


def test_protocols_refuse_leaks():
    persons, stimuli = ["a", "a", "b", "b"], ["x", "y", "x", "y"]
    split = open_set_split(persons, stimuli, ["a"], ["x"])
    assert split.train.tolist() == [0, 1] and split.enroll.tolist() == [2]
    with pytest.raises(InputError, match="no probe recordings"):
        closed_set_split(persons, stimuli, ["x", "y"])  # no stimulus left for probing
    with pytest.raises(InputError, match="no enroll recordings"):  # nobody left unseen
        open_set_split(persons, stimuli, ["a", "b"], ["x"])


def test_unenrolled_probe_person_is_an_error():
    with pytest.raises(InputError, match="not enrolled: c"):
        evaluate_scores(np.zeros((1, 2)), ["c"], ["a", "b"])


def test_classic_baseline_scores_are_mean_class_probabilities():
    from gazelearn.biometrics.protocol import classifier_scores
    from gazelearn.learn import create

    rng = np.random.default_rng(0)
    # two persons whose windows differ in mean: a tree separates them perfectly
    X = np.concatenate([rng.normal(0, 0.1, (20, 5, 2)), rng.normal(3, 0.1, (20, 5, 2))])
    persons = ["a"] * 20 + ["b"] * 20
    probe = np.concatenate([rng.normal(0, 0.1, (4, 5, 2)), rng.normal(3, 0.1, (2, 5, 2))])
    scores, classes = classifier_scores(create("tree"), X, persons, probe,
                                        np.array([0, 0, 0, 0, 1, 1]), 2)
    assert classes.tolist() == ["a", "b"]
    assert np.allclose(scores, [[1.0, 0.0], [0.0, 1.0]])
    assert evaluate_scores(scores, ["a", "b"], classes).rank1 == 1.0


def test_softmax_baseline_is_repeatable_whatever_ran_before():
    import torch

    data = population().subset(list(range(8)))
    first = small_model(loss="softmax", epochs=1).fit(data).embed_recordings(data)
    torch.rand(100)  # consume the global random stream
    second = small_model(loss="softmax", epochs=1).fit(data).embed_recordings(data)
    assert np.allclose(first, second)


def test_init_from_starts_at_the_pretrained_encoder(closed_set, tmp_path):
    model, data, _, split = closed_set
    path = save_model(model, tmp_path / "pretrained.safetensors")
    # a learning rate of 0: training must leave the pre-trained weights exactly as they were
    tuned = small_model(init_from=path, epochs=1, lr=0.0).fit(data.subset(split.probe))
    before, after = model.network_.state_dict(), tuned.network_.state_dict()
    learned = [k for k in before if not k.endswith(("running_mean", "running_var",
                                                    "num_batches_tracked"))]
    assert learned and all(torch.equal(before[k], after[k]) for k in learned)
    assert np.array_equal(tuned.x_mean_, model.x_mean_)  # the input scale it learned on
    scratch = small_model(epochs=1, lr=0.0).fit(data.subset(split.probe))
    assert not torch.equal(scratch.network_.state_dict()[learned[0]], before[learned[0]])
    with pytest.raises(InputError, match="cannot start from it"):
        small_model(init_from=path, embedding_dim=8).fit(data.subset(split.probe))


def test_estimator_contract_clone_not_fitted_and_file_round_trip(tmp_path):
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    data = population().subset(list(range(8)))
    model = small_model(epochs=1, init_from=None)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert model.set_params(**model.get_params()) is model
    with pytest.raises(NotFittedError):
        model.transform(np.zeros((2, 100, 3)))
    with pytest.raises(NotFittedError):
        model.embed_recordings(data)
    assert model.fit(data) is model
    again = load_model(save_model(model, tmp_path / "bio.safetensors"))
    assert np.array_equal(again.embed_recordings(data), model.embed_recordings(data))
    with pytest.raises(NotFittedError):  # a clone of a fitted model is not fitted
        clone(model).embed_recordings(data)


def test_files_of_the_encoder_era_still_load():
    # model files written before the TorchEstimator port stored the encoder as ``encoder_``
    from gazelearn.biometrics import EyeMovementEmbedder

    data = population().subset(list(range(4)))
    model = small_model(epochs=1).fit(data)
    state = model.__gazelearn_state__()
    state["encoder_"] = state.pop("network_")
    old = EyeMovementEmbedder(**model.get_params())
    old.__gazelearn_restore__(state)
    assert np.array_equal(old.embed_recordings(data), model.embed_recordings(data))
