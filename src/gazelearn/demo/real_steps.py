"""Demo steps on the real data sets (``gazelearn demo --real ../shared/data``).

Each step names the folder it needs and says so in the report when it is missing, rather than
failing the whole tour. The numbers are smaller runs of the benchmarks in ``benchmarks/`` (see
docs/results.md for the full ones).
"""

from __future__ import annotations

import numpy as np

from gazelearn.demo.tour import DemoContext


def _folder(ctx: DemoContext, *parts: str):
    folder = ctx.real.joinpath(*parts)
    if not folder.is_dir():
        ctx.report.note(f"skipped: {folder} is missing")
        return None
    return folder


def events(ctx: DemoContext) -> dict:
    """Classic and deep detectors against one human coder on Lund 2013 recordings."""
    from gazelearn.demo.signal_steps import detector_table, score_detectors
    from gazelearn.io import expand_paths, read

    folder = _folder(ctx, "lund2013-dev")
    if folder is None:
        return {"skipped": "lund2013-dev missing"}
    files = sorted(expand_paths(folder))[: ctx.size(3, 29)]
    rows = score_detectors([read(f) for f in files], ("ivt", "nh", "ivdt", "deep"))
    ctx.report.text(f"{len(files)} Lund 2013 recordings (500 Hz, one human coder each). Pooled "
                    "sample-level kappa against the coder. The deep detector was trained on "
                    "these data (and GazeCom), so this is not a held-out score: the "
                    "cross-validated one is in docs/results.md.")
    detector_table(ctx.report, rows, "Detectors against the human coder")
    return {"recordings": len(files), "detectors": rows}


def scanpaths(ctx: DemoContext) -> dict:
    """Which picture is viewed? ``gazelearn scanpath cv`` with participants held out."""
    from gazelearn.io import read_dataset
    from gazelearn.report.plots import confusion_matrix
    from gazelearn.scanpath.evaluate import cross_validate

    folder = _folder(ctx, "etra2021", "paths")
    if folder is None:
        return {"skipped": "etra2021/paths missing"}
    data = read_dataset(folder)
    stems = [r.meta.source.rsplit("/", 1)[-1].split(".")[0] for r in data]
    pictures = np.array([s.split("_")[0] for s in stems])
    people = np.array([s.split("_")[1] for s in stems])
    model = "forest" if ctx.quick else "conv1d"
    options = {} if ctx.quick else {"epochs": 20, "num_threads": 1}
    result = cross_validate(list(data), pictures, people, model=model, folds=6, seed=0,
                            **options)
    acc, kappa = result.recording["accuracy"], result.recording["kappa"]
    ctx.report.text(f"{len(data)} recordings of 18 people viewing 4 pictures (bus, cat, text, "
                    f"rabbits). `{model}` on 100-sample velocity windows, a recording's label the "
                    "mean window probability, 6-fold cross-validation with whole participants "
                    f"held out: accuracy {acc:.2f}, kappa {kappa:.2f} per recording (chance "
                    "0.25 / 0). All models, and the tutorial's leaky split, are compared in "
                    "docs/results.md.")
    ctx.figure(confusion_matrix(np.asarray(result.recording["confusion"]),
                                result.recording["labels"], title=model),
               caption="Recordings: true picture (rows) against the predicted one (kot: cat, "
                       "nap: text, rab: rabbits)")
    return {"recordings": len(data), "model": model, "accuracy": acc, "kappa": kappa}


def gaze(ctx: DemoContext) -> dict:
    """The residual gaze CNN on the tutorial's eye images, its random 85/15 split."""
    from gazelearn.appearance import GazeRegressor, load_gaze_data
    from gazelearn.splits import random_split

    folder = _folder(ctx, "etra2021", "eye_left")
    if folder is None:
        return {"skipped": "etra2021/eye_left missing"}
    data = load_gaze_data(folder)
    train, test = (np.asarray(s) for s in random_split(len(data.images), test_size=0.15,
                                                        seed=0))
    epochs = ctx.size(5, 60)
    model = GazeRegressor("resnet", epochs=epochs, screen_size=(1366, 768), num_threads=1,
                          progress=False, seed=0).fit(data.images[train], data.targets_px[train])
    mae = float(np.mean(np.abs(model.predict(data.images[test]) - data.targets_px[test])))
    ctx.report.text(f"{len(data.images)} eye images of one person, random 85/15 split (seed "
                    f"0), {epochs} epochs: mean absolute error {mae:.0f} px (the tutorial: "
                    "88 px final, 62 px at its best epoch).")
    return {"epochs": epochs, "mae_px": mae, "n_test": len(test)}
