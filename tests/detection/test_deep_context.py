"""The deep detector's issue-15 options: the coarse BiGRU beside the TCN (``tcn-gru``), the PSO
loss weight, and new labelled signals recombined from the pieces of labelled recordings."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gazelearn import Screen
from gazelearn.detection import deep_inference as di
from gazelearn.detection.deep import (
    GRU_STRIDE,
    DeepDetector,
    SequenceLabeller,
    _layers,
    class_weights,
)
from gazelearn.detection.deep_augment import (
    RECOMBINE_RANGE_DEG,
    recombined_recording,
    saccade_pieces,
)
from gazelearn.labels import Label
from gazelearn.recording import Recording
from gazelearn.simulate import simulate_population, simulate_recording

SCREEN = Screen(1920, 1080, 531.0, 299.0, 600.0)


def test_coarse_gru_sees_beyond_the_convolutions():
    torch.manual_seed(0)
    x = torch.randn(1, 3000, 4)
    changed = x.clone()
    changed[0, 2000:] += 5.0
    for architecture, reaches in (("tcn", False), ("tcn-gru", True)):
        net = SequenceLabeller(4, 5, conv_channels=8, hidden=4, architecture=architecture,
                               depth=2).eval()
        with torch.no_grad():
            # 50-100 samples before the change: 10-20 times a 2-layer TCN's 5-sample reach
            # (an untrained GRU forgets within some tens of steps, so not further back)
            difference = (net(changed) - net(x))[0, 1900:1950].abs().max().item()
        assert (difference > 1e-5) is reaches, (architecture, difference)
    # every sample gets one output, also when the length is not a multiple of the stride
    net = SequenceLabeller(4, 5, conv_channels=8, hidden=4, architecture="tcn-gru", depth=2)
    assert net(torch.zeros(1, 10 * GRU_STRIDE + 3, 4)).shape == (1, 10 * GRU_STRIDE + 3, 5)


def test_tcn_gru_runs_in_onnx_runtime_as_in_torch(gru_model):
    rec = simulate_recording(70.0, 500.0, seed=21)  # several 32-s chunks
    onnx = gru_model._scores(rec, probabilities=False, backend="onnx")
    reference = gru_model._scores(rec, probabilities=False, backend="torch")
    np.testing.assert_allclose(onnx, reference, atol=1e-4, rtol=0)
    # a GRU has no finite receptive field: chunks get the 2-s margin
    assert gru_model.runner().margin == di.margin_for(gru_model.get_params()) == 1000
    # fine-tuning can freeze every layer but the output, the GRU among them
    assert len(_layers(gru_model.network_)) == 3 + 3


def test_tcn_gru_saves_and_loads(gru_model, tmp_path):
    rec = simulate_recording(5.0, 500.0, seed=3)
    path = gru_model.save(tmp_path / "gru.safetensors")
    loaded = DeepDetector.pretrained(path)
    assert loaded.architecture == "tcn-gru"
    np.testing.assert_array_equal(loaded.predict(rec), gru_model.predict(rec))


def test_pso_weight_multiplies_the_pso_loss_weight():
    rec = simulate_recording(6.0, 500.0, seed=5)
    detector = DeepDetector(conv_channels=4, pso_weight=0.5)
    data = detector._training_data([rec], None, None)
    targets = data.targets.numpy()
    sqrt = class_weights(np.where(targets >= 0, targets % 10, -1), 5, "sqrt")
    weight = detector._loss(data, np.arange(len(targets))).weight.numpy()
    pso = di.CLASSES.index("pso")
    assert weight[pso] == pytest.approx(0.5 * sqrt[pso])
    others = [i for i in range(5) if i != pso]
    np.testing.assert_allclose(weight[others], sqrt[others])


def _steps(rec: Recording) -> np.ndarray:
    x, y = rec.position_deg()
    return np.hypot(np.diff(x), np.diff(y))


def test_pieces_cut_at_saccade_onsets_chain_back_to_the_recording():
    rec = simulate_recording(8.0, 500.0, seed=7)
    # no lost samples (the simulator's blinks filled in): every piece is anchored on the last
    # sample of the piece before it
    valid = np.isfinite(rec.x)
    fill = [np.interp(rec.time, rec.time[valid], v[valid]) for v in (rec.x, rec.y)]
    rec = Recording(rec.time, *fill, labels=rec.labels, screen=rec.screen)
    pieces = saccade_pieces(rec)
    labels = np.concatenate([lab for _, _, lab in pieces])
    np.testing.assert_array_equal(labels, rec.labels)
    assert all(lab[0] == Label.SACCADE for _, _, lab in pieces[1:])
    # chained end to start with no mirroring they are the recording again
    x, y = rec.position_deg()
    position, chained = np.array([x[0], y[0]]), []
    for dx, dy, _ in pieces:
        chained.append(np.stack([position[0] + dx, position[1] + dy], 1))
        position = chained[-1][-1]
    np.testing.assert_allclose(np.concatenate(chained), np.stack([x, y], 1), atol=1e-9)


def test_recombined_signal_keeps_the_pieces_dynamics_and_stays_on_the_screen():
    # a pool that drifts rightwards in every piece: without turning back it would walk away
    n = 5000
    labels = np.full(n, Label.FIXATION, dtype=np.int8)
    x_deg, index = np.zeros(n), np.arange(n)
    for onset in range(100, n, 250):  # a 2-deg saccade every 0.5 s, 10 samples long
        labels[onset:onset + 10] = Label.SACCADE
        x_deg += 2.0 * np.clip((index - onset + 1) / 10, 0.0, 1.0)
    x_deg += np.random.default_rng(0).normal(0, 0.01, n)
    y_deg = np.random.default_rng(1).normal(0, 0.01, n)
    x, y = SCREEN.deg_to_px(x_deg, y_deg)
    pool = Recording(np.arange(n) / 500.0, x, y, labels=labels, screen=SCREEN)
    template = Recording(np.arange(20_000) / 500.0, np.zeros(20_000), np.zeros(20_000),
                         screen=SCREEN)
    new = recombined_recording([pool], template, np.random.default_rng(2))
    assert len(new) == len(template) and round(new.sampling_rate) == 500
    # inside every piece a sample's step is one of the pool's (mirroring keeps its size)
    source, steps = np.sort(_steps(pool)), _steps(new)
    joins = np.flatnonzero(np.diff(new.labels.astype(int)) != 0)
    inside = steps[np.setdiff1d(np.arange(len(steps)), np.concatenate([joins - 1, joins,
                                                                        joins + 1]))]
    # (the pool's opening piece, a fixation with no sample before it, joins with a zero step)
    inside = inside[inside > 0]
    nearest = np.clip(np.searchsorted(source, inside), 1, len(source) - 1)
    gap = np.minimum(np.abs(source[nearest] - inside), np.abs(source[nearest - 1] - inside))
    assert gap.max() < 1e-7
    # 80 pieces of +-2 deg: the walk is turned back near the range, not 160 deg away
    x_new, _ = new.position_deg()
    assert np.nanmax(np.abs(x_new)) < RECOMBINE_RANGE_DEG[0] + 3.0
    assert np.mean(new.labels == Label.SACCADE) == pytest.approx(np.mean(labels == 2), abs=0.01)


def test_recombined_training_recordings_stay_in_their_group_and_labelling(monkeypatch):
    from gazelearn.detection import deep_augment

    data = list(simulate_population(n_subjects=2, recordings_per_subject=2, duration_s=4.0,
                                    seed=1))
    no_pso = np.where(data[1].labels == Label.PSO, Label.SACCADE, data[1].labels)
    labels = [data[0].labels, no_pso, data[2].labels, data[3].labels]
    groups = ["a", "a", "b", "b"]
    calls, original = [], deep_augment.recombined_recording

    def recording(pool, template, rng):
        calls.append((pool, template))
        return original(pool, template, rng)

    monkeypatch.setattr(deep_augment, "recombined_recording", recording)
    detector = DeepDetector(recombined=3, seed=0)
    out = detector._recombined(data, labels, groups)
    assert [g for _, _, g in out] == ["a"] * 3 + ["b"] * 3
    for (pool, template), (rec, lab, group) in zip(calls, out, strict=True):
        np.testing.assert_array_equal(rec.labels, lab)
        # a pool holds its template's group only, and only its labelling (with or without PSO)
        sources = data[:2] if group == "a" else data[2:]
        assert all(any(np.array_equal(r.x, s.x, equal_nan=True) for s in sources)
                   for r in pool)
        has_pso = bool(np.any(template.labels == Label.PSO))
        assert all(bool(np.any(r.labels == Label.PSO)) == has_pso for r in pool)
    assert any(len(pool) == 1 for pool, _ in calls[:3])  # group a's two kinds never mixed
    recordings, _, all_groups = detector._augmented(data, labels, groups)
    assert len(recordings) == 4 + 6 and all_groups[4:] == ["a"] * 3 + ["b"] * 3


BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_cv_predictions_keep_the_stimulus_auto_labels(tmp_path):
    sys.path.insert(0, str(BENCHMARKS))
    events_deep = pytest.importorskip("events_deep")
    recordings = [simulate_recording(2.0, 500.0, seed=s) for s in range(2)]
    post = [r.labels for r in recordings]
    auto = [np.where(r.labels == Label.PURSUIT, Label.FIXATION, r.labels) for r in recordings]
    path = events_deep.save_predictions(tmp_path / "p.npz", recordings, ["lund2013-dev"] * 2,
                                        ["s1", "s2"], ["img", "dots"], post, post, auto)
    saved = np.load(path)
    np.testing.assert_array_equal(saved["labels_auto"], np.concatenate(auto))


def test_a_change_is_kept_only_if_the_mean_rises_and_no_cell_leaves_its_interval():
    sys.path.insert(0, str(BENCHMARKS))
    compare = pytest.importorskip("events_deep_compare").compare

    def record(img_fix, dots_pso):
        return {"img": {"fixation": {"kappa": img_fix, "event_f1": [0.9, 0.8, 1.0]}},
                "dots": {"pso": {"kappa": dots_pso, "event_f1": [0.5, 0.4, 0.6]}}}

    base = record([0.50, 0.40, 0.60], [0.30, 0.20, 0.40])
    better = compare(base, record([0.60, 0.5, 0.7], [0.25, 0.1, 0.3]))
    assert better["mean"]["kappa"] == [0.4, 0.425] and better["keep"]
    # a higher mean, but img fixation falls below the baseline's interval: not kept
    lost = compare(base, record([0.35, 0.3, 0.4], [0.60, 0.5, 0.7]))
    assert lost["mean"]["kappa"][1] > lost["mean"]["kappa"][0]
    assert lost["cells_below_interval"] == ["img fixation"] and not lost["keep"]


def test_the_shipped_model_is_the_issue15_network_with_its_pso_logit_shifted():
    from gazelearn.detection.deep import PSO_LOGIT_SHIFT

    before = DeepDetector.pretrained(Path(__file__).parent / "data"
                                     / "deep_detector_issue15_context.safetensors")
    shipped = DeepDetector.pretrained()
    assert shipped.training_summary_["logit_shift"] == {"pso": PSO_LOGIT_SHIFT}
    rec = simulate_recording(20.0, 500.0, seed=8)
    expected = before.with_logit_shift("pso", PSO_LOGIT_SHIFT)
    np.testing.assert_allclose(shipped.predict_proba(rec), expected.predict_proba(rec),
                               atol=1e-5)
    # the same network otherwise: only the PSO column's logit moved, by the shift
    logits = shipped._scores(rec, probabilities=False) - before._scores(rec, probabilities=False)
    pso = di.CLASSES.index("pso")
    np.testing.assert_allclose(logits[:, pso], PSO_LOGIT_SHIFT, atol=1e-4)
    np.testing.assert_allclose(np.delete(logits, pso, axis=1), 0.0, atol=1e-4)
    assert (shipped.predict(rec) == Label.PSO).sum() < (before.predict(rec) == Label.PSO).sum()
