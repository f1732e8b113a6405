from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from gazelearn import InputError
from gazelearn.learn import NeuralClassifier
from gazelearn.nn import (
    BestCheckpoint,
    Callback,
    CSVLogger,
    EarlyStopping,
    GroupBatchSampler,
    LRSchedule,
    ShardedBatchSampler,
    Trainer,
    accuracy,
    build,
)

from .helpers import windows


def data(n: int = 64, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 5, generator=g)
    return X, (X[:, 0] > 0).long()


def net():
    torch.manual_seed(0)
    return build("mlp", (5,), 2, hidden=(8,), dropout=0.0)


class Recorder(Callback):
    def __init__(self):
        self.states = []

    def on_epoch_end(self, state):
        self.states.append({k: v.clone() for k, v in state.model.state_dict().items()})


def test_early_stopping_stops_on_a_plateau():
    X, y = data()
    stopper = EarlyStopping("val_loss", patience=2)
    history = Trainer(epochs=20, batch_size=16, lr=0.0, callbacks=[stopper], device="cpu").fit(
        net(), torch.nn.CrossEntropyLoss(), (X, y), val=(X, y))
    assert len(history.epochs) == 3 and history.stopped_early
    assert stopper.stopped_epoch == 2


def test_best_checkpoint_restores_the_best_epoch(tmp_path):
    X, y = data()
    scores = iter([0.1, 0.9, 0.5, 0.3])

    def score(outputs, targets):
        return next(scores)

    recorder = Recorder()
    best = BestCheckpoint("val_score", path=tmp_path / "best.safetensors")
    trainer = Trainer(epochs=4, batch_size=16, lr=0.05, callbacks=[recorder, best], device="cpu")
    model = net()
    history = trainer.fit(model, torch.nn.CrossEntropyLoss(), (X, y), val=(X, y),
                          metrics={"score": score})
    assert history.best_epoch == 1
    final = model.state_dict()
    assert all(torch.equal(final[k], recorder.states[1][k]) for k in final)
    assert not all(torch.equal(final[k], recorder.states[3][k]) for k in final)
    from safetensors.torch import load_file

    saved = load_file(str(tmp_path / "best.safetensors"))
    assert all(torch.equal(saved[k], recorder.states[1][k]) for k in saved)


def test_best_checkpoint_is_written_atomically(tmp_path, monkeypatch):
    import safetensors.torch

    X, y = data()
    path = tmp_path / "best.safetensors"
    scores = iter([0.1, 0.9])
    real_save = safetensors.torch.save

    def killed_on_the_second_write(tensors, metadata=None):
        if path.exists():  # the second improvement: training dies while serialising
            raise KeyboardInterrupt
        return real_save(tensors, metadata=metadata)

    monkeypatch.setattr(safetensors.torch, "save", killed_on_the_second_write)
    best = BestCheckpoint("val_score", path=path)
    trainer = Trainer(epochs=2, batch_size=16, lr=0.05, callbacks=[best], device="cpu")
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(net(), torch.nn.CrossEntropyLoss(), (X, y), val=(X, y),
                    metrics={"score": lambda outputs, targets: next(scores)})
    from safetensors import safe_open

    # the epoch-0 checkpoint is whole and nothing half-written is left beside it
    with safe_open(str(path), framework="pt") as handle:
        assert handle.metadata()["epoch"] == "0"
    assert [p.name for p in tmp_path.iterdir()] == ["best.safetensors"]


def test_estimator_keeps_the_epoch_with_the_lowest_validation_loss():
    X, y, groups = windows(seed=3)
    y = np.random.default_rng(0).integers(0, 2, len(y))  # noise: validation loss rises
    clf = NeuralClassifier("mlp", epochs=8, lr=0.05, batch_size=16, device="cpu",
                           architecture_options={"hidden": (64,), "dropout": 0.0})
    clf.fit(X, y, groups=groups)
    losses = [h["val_loss"] for h in clf.history_]
    assert clf.best_epoch_ == int(np.argmin(losses))
    from gazelearn.learn.data import validation_split

    _, val = validation_split(len(X), groups, 0.2, None, 0)
    probs = clf.predict_proba(X[val])
    loss = -np.mean(np.log(probs[np.arange(len(val)), np.searchsorted(clf.classes_, y[val])]))
    assert loss == pytest.approx(min(losses), rel=1e-4)


def test_lr_schedules():
    X, y = data()

    def flat(outputs, targets):
        return (outputs * 0.0).sum() + 1.0  # a plateau: no gradient, constant loss

    plateau = LRSchedule("plateau", patience=0, factor=0.5)
    history = Trainer(epochs=3, batch_size=32, lr=0.1, callbacks=[plateau], device="cpu").fit(
        net(), flat, (X, y), val=(X, y))
    assert history.column("lr") == [0.1, 0.1, 0.05]  # the rate used in each epoch
    cosine = LRSchedule("cosine")
    history = Trainer(epochs=4, batch_size=32, lr=0.1, callbacks=[cosine], device="cpu").fit(
        net(), torch.nn.CrossEntropyLoss(), (X, y))
    lrs = history.column("lr")
    assert lrs[0] == 0.1 and all(a > b for a, b in zip(lrs, lrs[1:], strict=False))
    with pytest.raises(InputError):
        LRSchedule("step")


def test_csv_log_has_every_epoch(tmp_path):
    X, y = data()
    path = tmp_path / "log.csv"
    Trainer(epochs=3, batch_size=16, callbacks=[CSVLogger(path)], device="cpu").fit(
        net(), torch.nn.CrossEntropyLoss(), (X, y), val=(X, y), metrics={"accuracy": accuracy})
    rows = list(csv.DictReader(path.open()))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]
    assert {"loss", "val_loss", "val_accuracy", "lr", "time"} <= set(rows[0])


def test_estimator_writes_checkpoint_and_log(tmp_path):
    X, y, groups = windows()
    NeuralClassifier("mlp", epochs=2, device="cpu", checkpoint_dir=str(tmp_path)).fit(
        X, y, groups=groups)
    assert (tmp_path / "best.safetensors").is_file()
    assert len((tmp_path / "log.csv").read_text().splitlines()) == 3


def test_group_batch_sampler_batches_are_single_group():
    groups = np.array(list("aaaaabbbcccccccd"))
    sampler = GroupBatchSampler(groups, batch_size=3, seed=1)
    batches = list(sampler)
    assert all(len(set(groups[b])) == 1 for b in batches)
    assert sorted(i for b in batches for i in b) == list(range(len(groups)))
    assert max(len(b) for b in batches) == 3
    assert batches == list(GroupBatchSampler(groups, batch_size=3, seed=1))
    sampler.set_epoch(1)
    assert list(sampler) != batches
    ranks = [list(GroupBatchSampler(groups, 3, seed=1, num_replicas=2, rank=r)) for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1])
    assert {i for r in ranks for b in r for i in b} == set(range(len(groups)))
    assert all(len(set(groups[b])) == 1 for r in ranks for b in r)


def test_training_with_group_batches():
    X, y = data()
    groups = np.arange(len(X)) % 4
    seen = []

    def forward(model, batch):
        x, target, group = batch
        seen.append(set(group.tolist()))
        return model(x), target

    dataset = TensorDataset(X, y, torch.as_tensor(groups))
    Trainer(epochs=2, batch_size=8, forward=forward, device="cpu").fit(
        net(), torch.nn.CrossEntropyLoss(), dataset,
        batch_sampler=GroupBatchSampler(groups, batch_size=8))
    assert seen and all(len(s) == 1 for s in seen)


def test_sharded_sampler_splits_one_global_batch():
    single = list(ShardedBatchSampler(12, 4, seed=5))
    parts = [list(ShardedBatchSampler(12, 2, seed=5, num_replicas=2, rank=r)) for r in (0, 1)]
    for k, batch in enumerate(single):
        assert sorted(batch) == sorted(parts[0][k] + parts[1][k])


def test_custom_model_loss_and_forward_triplets():
    g = torch.Generator().manual_seed(0)
    anchors = torch.randn(32, 4, generator=g)
    dataset = TensorDataset(anchors, anchors + 0.01, torch.randn(32, 4, generator=g),
                            torch.zeros(32))
    embed = torch.nn.Linear(4, 3)
    triplet = torch.nn.TripletMarginLoss()

    def forward(model, batch):
        a, p, n, dummy = batch
        return torch.stack([model(a), model(p), model(n)]), dummy

    history = Trainer(epochs=5, batch_size=8, lr=0.05, forward=forward, device="cpu").fit(
        embed, lambda out, _: triplet(out[0], out[1], out[2]), dataset)
    assert history.epochs[-1]["loss"] < history.epochs[0]["loss"]


def test_trainer_rejects_bad_settings():
    X, y = data()
    with pytest.raises(InputError):
        Trainer(epochs=0)
    with pytest.raises(InputError, match="optimizer"):
        Trainer(epochs=1, optimizer="nope", device="cpu").fit(
            net(), torch.nn.CrossEntropyLoss(), (X, y))
    with pytest.raises(InputError, match="cannot monitor"):
        Trainer(epochs=1, callbacks=[EarlyStopping("val_f1")], device="cpu").fit(
            net(), torch.nn.CrossEntropyLoss(), (X, y), val=(X, y))
