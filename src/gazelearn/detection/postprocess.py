"""Post-processing shared by all detectors: stimulus, lost data, edges, merging, durations.

:class:`PostProcessing` holds the rules every detector applies to its labels (classic and deep
alike: ``detector.predict(recording, postprocess=..., stimulus=...)``, and the options of
``gazelearn events detect``); :data:`DEFAULT_POSTPROCESSING` are the defaults. The functions
below it are the single rules the detection algorithms use inside. All work on per-sample label
codes (:class:`gazelearn.labels.Label`) and return a new array; none changes its input.

Examples
--------
>>> import numpy as np
>>> labels = np.array([1, 1, 1, 2, 1, 1, 1])
>>> remove_short_events(labels, Label.SACCADE, min_samples=2).tolist()
[1, 1, 1, 0, 1, 1, 1]
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from gazelearn.errors import InputError
from gazelearn.events import label_runs
from gazelearn.labels import LABELS, Label
from gazelearn.preprocess import _window_touches
from gazelearn.recording import Recording


def label_lost_samples(labels: np.ndarray, valid: np.ndarray, sampling_rate: float,
                       min_blink_s: float = 0.05, max_blink_s: float = 0.5) -> np.ndarray:
    """Label runs of lost samples: ``blink`` for 50-500 ms runs, ``undefined`` otherwise.

    The duration range follows the usual definition of a blink as seen by a video eye tracker
    (Holmqvist et al. 2011, ch. 5): shorter losses are noise, longer ones looking away.
    """
    labels = labels.copy()
    lost = ~np.asarray(valid, dtype=bool)
    starts, stops, codes = label_runs(lost.astype(np.int8))
    is_lost = codes == 1
    lengths = (stops - starts)[is_lost]
    durations = lengths / sampling_rate
    blink = (min_blink_s <= durations) & (durations <= max_blink_s)
    # every lost sample gets its run's code at once (runs are in order): no loop per run
    run_codes = np.where(blink, Label.BLINK, Label.UNDEFINED).astype(labels.dtype)
    labels[lost] = np.repeat(run_codes, lengths)
    return labels


def remove_short_events(labels: np.ndarray, label: int, min_samples: int,
                        replacement: int = Label.UNDEFINED, between: int | None = None
                        ) -> np.ndarray:
    """Relabel runs of ``label`` shorter than ``min_samples`` as ``replacement``.

    With ``between``, only the short runs with a ``between`` run on both sides change (for
    example a velocity dip inside one saccade, which must not split it into two).

    Examples
    --------
    >>> labels = np.array([1, 1, 1, 2, 1, 2, 1, 1, 1])
    >>> remove_short_events(labels, 1, 2, replacement=2, between=2).tolist()
    [1, 1, 1, 2, 2, 2, 1, 1, 1]
    """
    labels = labels.copy()
    starts, stops, codes = label_runs(labels)
    short = (codes == label) & ((stops - starts) < min_samples)
    if between is not None:
        before = np.concatenate(([-1], codes[:-1]))
        after = np.concatenate((codes[1:], [-1]))
        short &= (before == between) & (after == between)
    if short.any():  # per-sample mask from the per-run flags: no loop per run
        labels[np.repeat(short, stops - starts)] = replacement
    return labels


def merge_close_fixations(labels: np.ndarray, x: np.ndarray, y: np.ndarray,
                          max_gap_samples: int, max_distance: float) -> np.ndarray:
    """Merge two fixations separated by a short non-fixation run when they are close in space.

    ``max_distance`` is in the unit of ``x``/``y`` (degrees when called with degrees). The
    samples in between become fixation. This removes the splits noise causes in long fixations
    (Komogortsev et al. 2010 merge within 75 ms and 0.5 deg).
    """
    labels = labels.copy()
    starts, stops, codes = label_runs(labels)
    fixation_runs = np.flatnonzero(codes == Label.FIXATION)
    for a, b in zip(fixation_runs[:-1], fixation_runs[1:], strict=True):
        if b != a + 2:
            continue
        gap = starts[b] - stops[a]
        if gap > max_gap_samples or codes[a + 1] == Label.BLINK:
            continue
        first = slice(starts[a], stops[a])
        second = slice(starts[b], stops[b])
        distance = np.hypot(np.nanmean(x[first]) - np.nanmean(x[second]),
                            np.nanmean(y[first]) - np.nanmean(y[second]))
        if distance <= max_distance:
            labels[stops[a]:starts[b]] = Label.FIXATION
    return labels


# ---------------------------------------------------------------------------- shared rules
#: The metadata key (``recording.meta.extra``) saying whether the stimulus moved: ``"static"``
#: (images, text, radiographs: pursuit is impossible) or ``"dynamic"`` (video, moving dots).
STIMULUS_KEY = "stimulus_kind"
STIMULUS_KINDS = ("static", "dynamic")


def resolve_stimulus(recording: Recording, stimulus: str | None = "auto") -> str:
    """``"static"`` or ``"dynamic"``: ``stimulus``, or with ``"auto"`` (or None) the recording's
    metadata (:data:`STIMULUS_KEY`), else ``"dynamic"`` (every class possible).

    Examples
    --------
    >>> from gazelearn import Recording
    >>> rec = Recording([0.0, 0.002], [1.0, 2.0], [1.0, 1.0])
    >>> resolve_stimulus(rec), resolve_stimulus(rec, "static")
    ('dynamic', 'static')
    >>> rec.meta.extra[STIMULUS_KEY] = "static"
    >>> resolve_stimulus(rec)
    'static'
    """
    if stimulus is None or stimulus == "auto":
        stimulus = recording.meta.extra.get(STIMULUS_KEY) or "dynamic"
        if stimulus not in STIMULUS_KINDS:
            raise InputError(f"metadata {STIMULUS_KEY}={stimulus!r}; expected static or dynamic",
                             source=recording.meta.source, field=STIMULUS_KEY)
        return stimulus
    if stimulus not in STIMULUS_KINDS:
        raise InputError(f"stimulus {stimulus!r}: expected static, dynamic or auto")
    return stimulus


#: Classes a too short or misplaced event can be merged into (not blink, not undefined).
_RECEIVERS = np.array([Label.FIXATION, Label.SACCADE, Label.PSO, Label.PURSUIT])
_SLOW = np.array([Label.FIXATION, Label.PURSUIT])
_FAST = np.array([Label.SACCADE, Label.PSO])


@dataclass(frozen=True)
class PostProcessing:
    """The rules every detector's labels go through (``detector.predict(..., postprocess=)``).

    In this order:

    1. **stimulus**: on a static stimulus pursuit is impossible; pursuit samples become
       fixation (the deep detector already leaves pursuit out of its arg-max).
    2. **lost data**: lost samples are blink (runs of ``min_blink_s``-``max_blink_s``) or
       undefined (:func:`label_lost_samples`); a blink event with no lost sample in it or
       within ``blink_reach_s`` of it is no blink and is merged into its neighbours (None:
       keep every blink a detector reports).
    3. **edges**: a saccade or PSO (or an undefined run of valid samples) lying wholly within
       ``edge_s`` of the recording's start or end or of lost data is a velocity filter's edge
       effect (NH, for one, grows one from the filter's edge to the next velocity minimum) and
       is merged into its neighbours; the default is the detectors' 20-ms velocity window.
    4. **gaps**: a run of at most ``merge_gap_s`` (any label but blink) between two events of
       the same class joins them.
    5. **minimum durations**: events shorter than their class's minimum, and PSOs that do not
       follow a saccade, are merged into a neighbour (the class on both sides when they agree,
       else a fixation or pursuit before a saccade or PSO, so short slow events never lengthen
       a saccade; details in :func:`_merge_flagged`); with no fixation, saccade, PSO or pursuit
       beside them they become undefined. Merging repeats until nothing changes (a few
       passes).

    Durations are in seconds and turned into samples at the recording's rate (rounded), so a
    minimum below one sample interval does nothing. The defaults come from the hand-coded
    dev data (under 1 % of the coders' events in lund2013-dev and gazecom-dev are shorter:
    fixations 36 / 68 ms at the 1st percentile, saccades 10 / 20 ms, Lund's PSOs 6 ms,
    pursuits 29 / 85 ms) and the literature (REMoDNaV: fixation and pursuit 40 ms, saccade
    10 ms; Zemblys et al. 2018: saccades and PSOs of at least 6 ms; a blink needs lost data
    (Holmqvist et al. 2011)).

    Examples
    --------
    >>> from gazelearn import Recording, Screen
    >>> rec = Recording(np.arange(100) / 500.0, np.zeros(100), np.zeros(100),
    ...                 screen=Screen(1024, 768, 380, 300, 670))
    >>> labels = np.array([1] * 40 + [4] * 5 + [1] * 55, dtype=np.int8)  # a 10-ms pursuit
    >>> PostProcessing().apply(labels, rec).tolist() == [1] * 100
    True
    >>> edge = np.array([2, 2, 2] + [1] * 97, dtype=np.int8)  # a 6-ms saccade at the start
    >>> np.unique(PostProcessing(min_saccade_s=0).apply(edge, rec)).tolist()
    [1]
    """

    min_fixation_s: float = 0.04
    min_saccade_s: float = 0.008
    min_pso_s: float = 0.004
    min_pursuit_s: float = 0.04
    merge_gap_s: float = 0.004
    edge_s: float = 0.02
    min_blink_s: float = 0.05
    max_blink_s: float = 0.5
    blink_reach_s: float | None = 0.05

    def apply(self, labels: np.ndarray, recording: Recording, stimulus: str | None = "auto"
              ) -> np.ndarray:
        """The post-processed copy of ``labels`` (one code per sample of ``recording``)."""
        labels = np.asarray(labels, dtype=np.int8)
        if len(labels) != len(recording):
            raise InputError(f"{len(labels)} labels for {len(recording)} samples",
                             source=recording.meta.source)
        rate = recording.sampling_rate if len(recording) > 1 else 1.0
        if resolve_stimulus(recording, stimulus) == "static":
            labels = np.where(labels == Label.PURSUIT, Label.FIXATION, labels).astype(np.int8)
        valid = np.asarray(recording.valid, dtype=bool)
        lost = ~valid
        if lost.any():  # the network's labels of valid samples beside a loss stay
            relabelled = label_lost_samples(labels, valid, rate, self.min_blink_s,
                                            self.max_blink_s)
            labels = np.where(valid, labels, relabelled).astype(np.int8)
        else:
            labels = labels.copy()
        lost_count = _running_count(lost)
        n = len(labels)
        reach = max(int(round((self.blink_reach_s or 0.0) * rate)), 1)
        edge = max(int(round(self.edge_s * rate)), 0)
        near_count = _running_count(_near_edges(lost, edge))

        def placement(starts, stops, codes):
            flag = np.zeros(len(codes), dtype=bool)
            if self.blink_reach_s is not None:  # lost samples in the blink or near it
                flag |= (codes == Label.BLINK) & (
                    lost_count[np.minimum(stops + reach, n)]
                    == lost_count[np.maximum(starts - reach, 0)])
            if edge:
                # undefined valid samples there too (a detector's too short saccade)
                no_loss = lost_count[stops] == lost_count[starts]
                moving = ((codes == Label.SACCADE) | (codes == Label.PSO)
                          | ((codes == Label.UNDEFINED) & no_loss))
                flag |= moving & (near_count[stops] - near_count[starts] == stops - starts)
            return flag

        labels = _merge_flagged(labels, placement)
        gap = int(round(self.merge_gap_s * rate))
        if gap > 0:
            labels = _merge_gaps(labels, gap)
        minimum = np.zeros(len(LABELS), dtype=np.int64)
        for code, seconds in ((Label.FIXATION, self.min_fixation_s),
                              (Label.SACCADE, self.min_saccade_s),
                              (Label.PSO, self.min_pso_s), (Label.PURSUIT, self.min_pursuit_s)):
            minimum[code] = int(round(seconds * rate))

        def too_short(starts, stops, codes):
            before = np.concatenate(([-1], codes[:-1]))
            orphan = (codes == Label.PSO) & (before != Label.SACCADE)
            return ((stops - starts) < minimum[codes]) | orphan

        return _merge_flagged(labels, too_short)

    def options(self) -> dict[str, float | bool]:
        """The rules as keyword arguments (``PostProcessing(**rules.options())`` is equal)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: The rules every detector applies unless told otherwise.
DEFAULT_POSTPROCESSING = PostProcessing()


def postprocess_labels(labels: np.ndarray, recording: Recording, *,
                       postprocess: PostProcessing | bool = True,
                       stimulus: str | None = "auto") -> np.ndarray:
    """``labels`` after ``postprocess`` (True: :data:`DEFAULT_POSTPROCESSING`; False: none).

    With ``postprocess=False`` the labels are returned as they are (the algorithm alone), but a
    static ``stimulus`` still turns pursuit into fixation: that is what the stimulus means.
    """
    if postprocess is True:
        postprocess = DEFAULT_POSTPROCESSING
    if postprocess is False:
        if resolve_stimulus(recording, stimulus) == "static":
            return np.where(labels == Label.PURSUIT, Label.FIXATION, labels).astype(np.int8)
        return labels
    if not isinstance(postprocess, PostProcessing):
        raise InputError(f"postprocess must be True, False or a PostProcessing, got "
                         f"{type(postprocess).__name__}")
    return postprocess.apply(labels, recording, stimulus)


def _running_count(mask: np.ndarray) -> np.ndarray:
    """``count[i]``: the True values of ``mask[:i]`` (length ``n + 1``), in int32 where that
    holds them (half the memory of numpy's default int64 on recording-long masks)."""
    dtype = np.int32 if len(mask) < np.iinfo(np.int32).max else np.int64
    count = np.zeros(len(mask) + 1, dtype=dtype)
    np.cumsum(mask, dtype=dtype, out=count[1:])
    return count


def _near_edges(lost: np.ndarray, edge: int) -> np.ndarray:
    """Samples within ``edge`` samples of the start, the end or a lost sample.

    A sample near a lost one is one whose centred window of ``2 * edge + 1`` samples holds a
    lost sample: :func:`~gazelearn.preprocess._window_touches`, which works on the runs of lost
    samples (one int32 per sample, not a window count per sample).

    Examples
    --------
    >>> _near_edges(np.array([0, 0, 0, 0, 1, 0, 0, 0, 0, 0], bool), 1).astype(int)
    array([1, 0, 0, 1, 1, 1, 0, 0, 0, 1])
    """
    n = len(lost)
    if edge <= 0 or n == 0:
        return np.zeros(n, dtype=bool)
    near = _window_touches(lost, 2 * edge + 1) if lost.any() else np.zeros(n, dtype=bool)
    near[:edge] = True
    near[max(n - edge, 0):] = True
    return near


def _merge_gaps(labels: np.ndarray, gap: int) -> np.ndarray:
    """Runs of at most ``gap`` samples (not blink) between two runs of one class join them."""
    starts, stops, codes = label_runs(labels)
    if len(codes) < 3:
        return labels
    before, after = codes[:-2], codes[2:]
    middle = slice(1, -1)
    join = ((stops - starts)[middle] <= gap) & (before == after) & np.isin(before, _RECEIVERS) \
        & (codes[middle] != Label.BLINK)
    if not join.any():
        return labels
    new_codes = codes.copy()
    new_codes[1:-1][join] = before[join]
    return np.repeat(new_codes, stops - starts).astype(np.int8)


def _merge_flagged(labels: np.ndarray, flagged, max_passes: int = 8) -> np.ndarray:
    """Merge every run ``flagged(starts, stops, codes)`` marks into a neighbour (see
    :class:`PostProcessing`, rule 5).

    The neighbour, best first: the same class on both sides; an unflagged fixation or pursuit;
    for a saccade or PSO, an unflagged saccade or PSO; a longer flagged fixation or pursuit
    (a chain of short slow runs gathers into its longest). Among equals the longer, then the
    left one. Each pass is vectorised over the runs; runs that find no neighbour wait for the
    next pass. Runs left over keep their label when they are a fixation or pursuit beside a
    saccade or PSO (merged, they would lengthen it over slow samples) and become undefined
    otherwise.
    """
    for _ in range(max_passes):
        starts, stops, codes = label_runs(labels)
        flag = flagged(starts, stops, codes)
        if not flag.any():
            return labels
        lengths = stops - starts
        receiving = np.isin(codes, _RECEIVERS)
        slow = np.isin(codes, _SLOW)

        def shifted(values, fill, by):
            out = np.full(len(values), fill, dtype=values.dtype)
            if by > 0:
                out[by:] = values[:-by]
            else:
                out[:by] = values[-by:]
            return out

        tiers = []
        for by in (1, -1):  # the left, then the right neighbour
            n_code, n_len = shifted(codes, -1, by), shifted(lengths, 0, by)
            n_flag, n_recv = shifted(flag, True, by), shifted(receiving, False, by)
            n_slow = shifted(slow, False, by)
            longer = (n_len > lengths) | ((n_len == lengths) & (by == 1))
            tier = np.zeros(len(codes), dtype=np.int8)  # 0: not this one
            tier[n_recv & n_flag & n_slow & longer] = 1
            tier[n_recv & ~n_flag & ~n_slow & ~slow] = 2
            tier[n_recv & ~n_flag & n_slow] = 3
            tiers.append((tier, n_code, n_len))
        (left_tier, left, left_len), (right_tier, right, right_len) = tiers
        both = (left == right) & (left_tier > 0) & (right_tier > 0)
        take_left = (left_tier > right_tier) | ((left_tier == right_tier) & (
            left_len >= right_len))
        new = np.where(both | take_left, left, right)
        resolved = flag & (np.maximum(left_tier, right_tier) > 0)
        if not resolved.any():
            break
        codes = np.where(resolved, new, codes).astype(np.int8)
        labels = np.repeat(codes, lengths).astype(np.int8)
    starts, stops, codes = label_runs(labels)
    flag = flagged(starts, stops, codes)
    if flag.any():
        before = np.concatenate(([-1], codes[:-1]))
        after = np.concatenate((codes[1:], [-1]))
        keep = np.isin(codes, _SLOW) & (np.isin(before, _FAST) | np.isin(after, _FAST))
        codes = np.where(flag & ~keep, Label.UNDEFINED, codes).astype(np.int8)
        labels = np.repeat(codes, stops - starts).astype(np.int8)
    return labels
