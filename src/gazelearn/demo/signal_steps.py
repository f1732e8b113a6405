"""Demo steps on eye-movement signals: population, events, scanpaths, biometrics."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from gazelearn.demo.tour import DemoContext

#: Two kinds of simulated viewers, told apart by their traits only (the classifier's task):
#: "scanners" make short fixations and large saccades, "dwellers" the opposite.
VIEWER_TRAITS = {
    "scanner": {"fixation_mean_s": (0.16, 0.22), "saccade_amplitude_mean": (7.0, 11.0)},
    "dweller": {"fixation_mean_s": (0.28, 0.38), "saccade_amplitude_mean": (3.0, 6.0)},
}
DETECTORS = ("ivt", "idt", "nh", "ivdt", "deep")


def simulate_viewers(n_per_kind: int, recordings_per_person: int, duration_s: float,
                     sampling_rate: float = 500.0, seed: int = 0):
    """People of the two :data:`VIEWER_TRAITS` kinds, each with several recordings.

    Returns
    -------
    Dataset
        Metadata columns ``subject``, ``session`` and ``kind``.

    Examples
    --------
    >>> data = simulate_viewers(1, 2, 1.0)
    >>> len(data), sorted(set(data.column("kind")))
    (4, ['dweller', 'scanner'])
    """
    from gazelearn.dataset import Dataset
    from gazelearn.recording import Metadata
    from gazelearn.simulate import DEFAULT_SCREEN, random_subject, simulate_recording

    rng = np.random.default_rng(seed)
    recordings = []
    person = 0
    for _ in range(n_per_kind):
        for kind, traits in VIEWER_TRAITS.items():
            params = replace(random_subject(rng), **{k: float(rng.uniform(*v))
                                                      for k, v in traits.items()})
            for r in range(recordings_per_person):
                meta = Metadata(subject=f"p{person:02d}", session=str(r), trial=str(r),
                                extra={"kind": kind})
                recordings.append(simulate_recording(duration_s, sampling_rate, params,
                                                     DEFAULT_SCREEN,
                                                     seed=int(rng.integers(2**31)), meta=meta))
            person += 1
    return Dataset(recordings)


def population(ctx: DemoContext) -> dict:
    """Simulate two kinds of viewers with exact per-sample labels."""
    from gazelearn.report.recording_plots import trace

    n_per_kind, per_person = ctx.size(3, 6), ctx.size(3, 4)
    duration = ctx.size(6, 12)
    data = simulate_viewers(n_per_kind, per_person, float(duration), seed=0)
    ctx.data["population"] = data
    first = data[0]
    shares = first.summary()["labels"]
    ctx.report.text(
        f"The oculomotor simulator made {2 * n_per_kind} people ({n_per_kind} 'scanners' with "
        f"short fixations and large saccades, {n_per_kind} 'dwellers' with the opposite), "
        f"{per_person} recordings of {duration} s each at 500 Hz, with exact per-sample labels "
        "(fixation, saccade, post-saccadic oscillation, pursuit, blink).")
    part = first.select(slice(0, 2000))
    unit = "degrees from the screen centre" if part.has_geometry else "px"
    ctx.figure(trace(part), caption=f"The first 4 s of one recording (position in {unit}), "
                                    "labels as coloured bands")
    return {"people": 2 * n_per_kind, "recordings": len(data), "duration_s": duration,
            "label_shares_first_recording": shares}


def score_detectors(recordings, names=DETECTORS, sampling_rate: float | None = None
                    ) -> list[dict]:
    """Each detector against the recordings' own labels: one table row per detector.

    Sample-level Cohen's kappa (overall and one class against the rest), event-level F1 of
    saccades and speed; the deep detector runs with the model shipped in the package.
    """
    from gazelearn.detection import create_detector
    from gazelearn.detection.evaluate import evaluate_labels

    n_samples = sum(len(r) for r in recordings)
    rows = []
    for name in names:
        detector = create_detector(name)  # deep: with the model shipped in the package
        t0 = time.perf_counter()
        pairs = [(r.labels, detector.predict(r)) for r in recordings]
        seconds = time.perf_counter() - t0
        scores = evaluate_labels(pairs, sampling_rate=sampling_rate)
        # a class the detector cannot output has no kappa (n/a), not the 0 it would score
        rows.append({"detector": name, "kappa": scores.kappa,
                     **{f"kappa {k}": scores.kappa_per_class.get(k, float("nan"))
                        if k in detector.output_classes else float("nan")
                        for k in ("fixation", "saccade", "pso", "pursuit")},
                     "saccade event F1": scores.events["saccade"].f1
                     if "saccade" in scores.events else float("nan"),
                     "M samples/s": n_samples / seconds / 1e6})
    return rows


def detector_table(report, rows: list[dict], caption: str) -> None:
    """The rows of :func:`score_detectors` with their precision and "n/a" said once.

    Speed is shown in thousands of samples per second, whole (0.004 M samples/s of a
    detector's start-up on a few recordings would read 0.00 with 2 decimals).
    """
    shown = [{**{k: v for k, v in row.items() if k != "M samples/s"},
              "k samples/s": 1000 * row["M samples/s"]} for row in rows]
    scores = [c for c in shown[0] if c not in ("detector", "k samples/s")] if shown else []
    report.table(shown, decimals={**dict.fromkeys(scores, 2), "k samples/s": 0},
                 caption=f"{caption} (kappa and F1 to 2 decimals, speed in thousand samples/s "
                         "including start-up; n/a: the detector cannot output the class)")


def detections_figure(recording, names=DETECTORS, seconds: float = 4.0):
    """The first ``seconds`` of ``recording``: x and y, then its labels and each detector's."""
    from gazelearn.detection import create_detector
    from gazelearn.report.recording_plots import trace

    part = recording.select(slice(0, int(round(seconds * recording.sampling_rate))))
    bands = {"truth": part.labels}
    for name in names:
        bands[name] = create_detector(name).predict(recording)[:len(part)]
    # the labels are in the strips; undefined everywhere = no bands behind the traces
    return trace(part, labels=np.zeros(len(part), dtype=np.int8), bands=bands)


def _varied(recordings, n_samples: int) -> int:
    """Index of the recording whose first samples hold the most of the rarest moving class."""
    counts = [np.bincount(r.labels[:n_samples], minlength=5)[1:5] for r in recordings]
    return int(np.argmax([c.min() for c in counts]))


def events(ctx: DemoContext) -> dict:
    """Run the classic detectors and the deep one; score them against the truth."""
    from gazelearn.labels import LABELS

    data = ctx.data["population"]
    rows = score_detectors(list(data), sampling_rate=500.0)
    ctx.report.text(f"{len(data)} recordings, {sum(len(r) for r in data)} samples. Sample-level "
                    "Cohen's kappa (overall and one class against the rest) and event-level F1 "
                    "of saccades (Hooge et al. 2018 matching). The deep detector is the model "
                    "shipped in the package, trained on real hand-labelled data, not on this "
                    "simulator.")
    detector_table(ctx.report, rows, "Detectors against the simulator's labels")

    seconds = 4.0
    shown = int(round(seconds * data[0].sampling_rate))
    pick = _varied(list(data), shown)
    record = data[pick]
    present = ", ".join(LABELS[c] for c in np.unique(record.labels[:shown]) if c)
    unit = "degrees from the screen centre" if record.has_geometry else "px"
    ctx.figure(detections_figure(record, seconds=seconds),
               caption=f"The first {seconds:g} s of recording {pick + 1} of {len(data)} (person "
                       f"{record.meta.subject}; true events: {present}): x and y ({unit}), "
                       "then the simulator's labels ('truth') and each detector's, one strip "
                       "each; white: undefined")
    return {"detectors": rows}


def scanpaths(ctx: DemoContext) -> dict:
    """Heat maps per kind of viewer; a classifier of the viewer kind, people held out."""
    from gazelearn.learn import create
    from gazelearn.metrics import accuracy, cohen_kappa, confusion_matrix
    from gazelearn.report.spatial import heatmap_panels
    from gazelearn.scanpath import feature_table, heatmap
    from gazelearn.splits import group_kfold

    data = ctx.data["population"]
    kinds = np.asarray(data.column("kind"))
    people = np.asarray(data.column("subject"))
    screen = data[0].screen
    maps, counts = {}, {}
    for kind in sorted(set(kinds)):
        members = [r for r, k in zip(data, kinds, strict=True) if k == kind]
        counts[kind] = len(members)
        # each map sums to 1, so the mean is the share of a kind's gaze samples per cell
        maps[kind] = 100 * np.mean([heatmap(r, grid=(64, 36), sigma_deg=1.0)
                                    for r in members], axis=0)
    ctx.figure(heatmap_panels(maps, "% of gaze samples per cell", screen_size=screen),
               caption="Gaze density of all " + " and all ".join(
                   f"{n} '{kind}' recordings" for kind, n in counts.items())
               + " (64 x 36 cells, blur 1 degree), on one colour scale: the bar holds for "
                 "both maps")
    table = feature_table(data)
    names = [c for c in table.columns if c not in data.metadata.columns and c != "recording"]
    X = np.nan_to_num(table.select(names).to_numpy().astype(np.float64))
    predictions = np.empty(len(kinds), dtype=object)
    folds = group_kfold(people, n_splits=3, seed=0)
    for train, test in folds:
        model = create("forest", n_estimators=200, random_state=0).fit(X[train], kinds[train])
        predictions[test] = model.predict(X[test])
    acc, kappa = accuracy(kinds, predictions), cohen_kappa(kinds, predictions)
    classes = sorted(set(kinds))
    cm = confusion_matrix(kinds, predictions, labels=classes)
    ctx.report.text(f"A random forest on {len(names)} per-recording features (fixation and "
                    "saccade statistics, coverage, recurrence) predicts the kind of viewer. "
                    "Three-fold cross-validation with whole people held out (no person on both "
                    f"sides): accuracy {acc:.2f}, Cohen's kappa {kappa:.2f} (chance 0.5 / 0).")
    ctx.report.table([{"true \\ predicted": c, **{p: int(v) for p, v in zip(classes, row,
                                                                           strict=True)}}
                      for c, row in zip(classes, cm, strict=True)], caption="Confusion matrix")
    return {"features": len(names), "folds": len(folds), "accuracy": acc, "kappa": kappa}



def biometrics(ctx: DemoContext) -> dict:
    """Who is it? Embed velocity windows (triplet loss), enroll some recordings, probe others."""
    from gazelearn.biometrics import EyeMovementEmbedder
    from gazelearn.biometrics.protocol import closed_set_split, evaluate_embedder
    from gazelearn.report import cmc_curve
    from gazelearn.report.biometric_results import add_biometric_numbers

    data = ctx.data["population"]
    people = np.asarray(data.column("subject"))
    sessions = np.asarray(data.column("session"))
    enroll_sessions = ["0", "1"]
    split = closed_set_split(people, sessions, enroll_sessions)
    recordings = list(data)
    enroll = [recordings[i] for i in split.enroll]
    probe = [recordings[i] for i in split.probe]
    epochs = ctx.size(4, 25)
    model = EyeMovementEmbedder(epochs=epochs, persons_per_batch=min(8, len(set(people))),
                                num_threads=1, progress=False, seed=0)
    model.fit(enroll, people[split.enroll])
    result = evaluate_embedder(model, enroll, people[split.enroll], probe, people[split.probe])
    ctx.report.text(
        f"A 1-D CNN embeds 1-s windows of eye velocity; trained {epochs} epochs with a triplet "
        "loss (semi-hard mining) on the enrollment recordings (sessions 0 and 1 of every "
        "person), it enrolls each person as the mean embedding and is probed with the other "
        f"sessions: rank-1 {100 * result.rank1:.1f} % (chance {100 * result.chance_rank1:.1f}"
        f" %), EER {100 * result.eer:.1f} % (chance 50 %). Closed set: the people are known, "
        "their probe recordings are not.")
    add_biometric_numbers(ctx.report, result)
    ctx.figure(cmc_curve(np.arange(1, len(result.cmc) + 1), result.cmc,
                         title="Identification (CMC)"),
               caption="Cumulative match characteristic: share of probes whose person is "
                       "within the first k")
    return {"persons": result.n_persons, "probes": result.n_probes, "epochs": epochs,
            "rank1": result.rank1, "rank5": result.rank5, "eer": result.eer,
            "chance_rank1": result.chance_rank1}
