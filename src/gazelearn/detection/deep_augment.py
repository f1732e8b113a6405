"""Training-data augmentation of the deep detector (gazeNet's lesson: more labelled signals).

Zemblys, Niehorster & Holmqvist (2019) reached human-level agreement on Lund 2013 by training
on many altered copies of the hand-labelled recordings. :func:`augment_recording` makes one:
the recording at another sampling rate (250-1000 Hz, resampled before any feature is computed,
as a tracker at that rate would have recorded it) with white noise added in degrees (0-0.05
deg RMS per axis, from a tracker's precision range). The features are in degrees, so the
screen geometry (px vs deg) does not change them and needs no augmentation of its own.
:func:`simulated_recordings` adds signals of the oculomotor simulator (exact labels), and
:func:`recombined_recording` new labelled signals made of the pieces of labelled recordings
(gazeNet's generator in its simplest form: real event dynamics and tracker noise, new sequences).

Examples
--------
>>> import numpy as np
>>> from gazelearn.simulate import simulate_recording
>>> rec = simulate_recording(2.0, 500.0, seed=1)
>>> copy = augment_recording(rec, np.random.default_rng(0))
>>> 250 <= round(copy.sampling_rate) <= 1000 and len(copy.labels) == len(copy)
True
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gazelearn.labels import Label
from gazelearn.preprocess import resample
from gazelearn.recording import Metadata, Recording

#: Sampling rates of the augmented copies (Hz).
RATES_HZ = (250.0, 300.0, 500.0, 1000.0)
#: Largest added noise, RMS per axis in degrees.
MAX_NOISE_DEG = 0.05


def augment_recording(recording: Recording, rng: np.random.Generator) -> Recording:
    """One altered copy of a labelled recording: another rate, more noise (see the module).

    The labels follow the resampling (nearest original sample); lost samples stay lost.
    """
    rate = float(rng.choice(RATES_HZ))
    copy = recording if abs(rate - recording.sampling_rate) < 1.0 else resample(recording, rate)
    noise = float(rng.uniform(0.0, MAX_NOISE_DEG))
    if noise > 0:
        x_deg, y_deg = copy.position_deg()
        x_deg = x_deg + rng.normal(0.0, noise, len(copy))
        y_deg = y_deg + rng.normal(0.0, noise, len(copy))
        x, y = copy.screen.deg_to_px(x_deg, y_deg)
        copy = replace(copy, x=np.asarray(x, dtype=np.float64), y=np.asarray(y, dtype=np.float64))
    return copy


def simulated_recordings(n: int, seed: int, duration_s: float = 20.0) -> list[Recording]:
    """``n`` simulator recordings of ``duration_s`` at 500 Hz, each of a distinct person."""
    if n <= 0:
        return []
    from gazelearn.simulate import simulate_population

    data = simulate_population(n_subjects=n, recordings_per_subject=1, duration_s=duration_s,
                               seed=10_000 + seed)
    return list(data)


#: Beyond this distance from the screen centre (deg) a recombined signal's next piece is
#: turned to move back towards the centre (horizontal, vertical): the walk stays on a screen.
RECOMBINE_RANGE_DEG = (12.0, 8.0)


def saccade_pieces(recording: Recording) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The labelled recording cut at every saccade onset: pieces of a saccade, what follows it
    (PSO, fixation or pursuit, lost data) up to the next saccade; the first piece is what
    precedes the first saccade. Each piece is ``(dx, dy, labels)``: positions in degrees
    relative to the sample before the piece (its first sample where there is none or it is
    lost), NaN where lost. Pieces without one valid sample are left out.

    Examples
    --------
    >>> from gazelearn.screen import Screen
    >>> labels = np.array([1, 1, 2, 2, 3, 1, 1, 2, 1])
    >>> rec = Recording(np.arange(9) / 500, np.arange(9.0) * 10 + 500, np.full(9, 500.0),
    ...                 labels=labels, screen=Screen(1000, 1000, 500, 500, 600))
    >>> [piece[2].tolist() for piece in saccade_pieces(rec)]
    [[1, 1], [2, 2, 3, 1, 1], [2, 1]]
    >>> bool(saccade_pieces(rec)[1][0][0] > 0)  # relative to the sample before the saccade
    True
    """
    x, y = recording.position_deg()
    labels = np.asarray(recording.labels)
    saccade = labels == Label.SACCADE
    onsets = np.flatnonzero(saccade[1:] & ~saccade[:-1]) + 1
    cuts = [0, *onsets.tolist(), len(labels)]
    pieces = []
    for start, stop in zip(cuts[:-1], cuts[1:], strict=True):
        valid = np.flatnonzero(np.isfinite(x[start:stop]))
        if stop <= start or not len(valid):
            continue
        anchor = start - 1 if start > 0 and np.isfinite(x[start - 1]) else start + valid[0]
        pieces.append((x[start:stop] - x[anchor], y[start:stop] - y[anchor],
                       labels[start:stop]))
    return pieces


def recombined_recording(pool: list[Recording], template: Recording,
                         rng: np.random.Generator) -> Recording:
    """A new labelled recording as long as ``template`` made of :func:`saccade_pieces` of the
    ``pool`` recordings, drawn at random and joined end to start (each piece continues from
    the last valid position), each piece mirrored at random horizontally and vertically, or
    turned back towards the centre beyond :data:`RECOMBINE_RANGE_DEG`.

    The pool must share the template's sampling rate and labelling (the new signal is at that
    rate on the template's screen; :func:`augment_recording` changes the rate afterwards).
    The pieces keep their own event dynamics and tracker noise, the sequences are new.

    Examples
    --------
    >>> from gazelearn.simulate import simulate_recording
    >>> recs = [simulate_recording(3.0, 500.0, seed=s) for s in (1, 2)]
    >>> new = recombined_recording(recs, recs[0], np.random.default_rng(0))
    >>> len(new) == len(recs[0]) and set(np.unique(new.labels)) <= set(np.unique(
    ...     np.concatenate([r.labels for r in recs])))
    True
    """
    pieces = [piece for rec in pool for piece in saccade_pieces(rec)]
    n = len(template)
    xs, ys, labels, total = [], [], [], 0
    position = np.zeros(2)
    limit = np.asarray(RECOMBINE_RANGE_DEG)
    while total < n and pieces:
        dx, dy, lab = pieces[int(rng.integers(len(pieces)))]
        valid = np.flatnonzero(np.isfinite(dx))
        net = np.array([dx[valid[-1]], dy[valid[-1]]])
        signs = rng.choice([-1.0, 1.0], 2)
        far = np.abs(position) > limit
        # beyond the range: the sign that brings the piece's net displacement back inwards
        signs = np.where(far, -np.sign(position) * np.where(net >= 0, 1.0, -1.0), signs)
        xs.append(position[0] + signs[0] * dx)
        ys.append(position[1] + signs[1] * dy)
        labels.append(lab)
        position = np.array([xs[-1][valid[-1]], ys[-1][valid[-1]]])
        total += len(lab)
    x_deg, y_deg = np.concatenate(xs)[:n], np.concatenate(ys)[:n]
    x, y = template.screen.deg_to_px(x_deg, y_deg)
    rate = template.sampling_rate
    return Recording(np.arange(n) / rate, x, y, labels=np.concatenate(labels)[:n],
                     screen=template.screen,
                     meta=Metadata(subject=template.meta.subject, source="recombined",
                                   format="recombined"))
