"""Group-aware data splits that refuse leaks.

A *group* is whatever must not be on both sides of a split: a recording (windows of one
recording are strongly correlated), or a subject when the question is about unseen people.
Every splitter here returns integer index arrays and checks itself with
:func:`assert_no_leakage`; :func:`random_split` exists only to reproduce leaky protocols from the
literature and says so.

Examples
--------
>>> groups = np.array(["s1", "s1", "s2", "s2", "s3", "s3"])
>>> for train, test in group_kfold(groups, n_splits=3):
...     assert not set(groups[train]) & set(groups[test])
>>> check_leakage(["s1", "s2"], ["s2", "s3"]).shared
('s2',)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from gazelearn.errors import InputError, LeakageError

Split = tuple[np.ndarray, np.ndarray]


def _groups(groups) -> np.ndarray:
    if groups is None:
        raise InputError("a group-aware split needs groups (one per sample: recording, "
                         "subject, ...)")
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.size == 0:
        raise InputError(f"groups must be a non-empty 1-D array, got shape {groups.shape}")
    return groups


def _check_n_splits(n_splits: int, n_groups: int) -> None:
    if not isinstance(n_splits, int | np.integer) or n_splits < 2:
        raise InputError(f"n_splits must be an integer >= 2, got {n_splits!r}")
    if n_splits > n_groups:
        raise InputError(f"cannot make {n_splits} folds from {n_groups} groups")


@dataclass(frozen=True)
class LeakageReport:
    """Groups found on both sides of a split.

    Attributes
    ----------
    shared : tuple
        Groups present in train and test (sorted).
    n_train_groups, n_test_groups : int
        Distinct groups on each side.
    n_train_leaked, n_test_leaked : int
        Samples on each side that belong to a shared group.
    """

    shared: tuple
    n_train_groups: int
    n_test_groups: int
    n_train_leaked: int
    n_test_leaked: int

    @property
    def leaky(self) -> bool:
        """True when any group is on both sides."""
        return bool(self.shared)

    def describe(self) -> str:
        """A one-line description."""
        if not self.leaky:
            return (f"no leakage: {self.n_train_groups} train groups, {self.n_test_groups} test "
                    "groups, none shared")
        shown = ", ".join(map(str, self.shared[:5])) + (" ..." if len(self.shared) > 5 else "")
        return (f"{len(self.shared)} groups on both sides of the split ({shown}): "
                f"{self.n_train_leaked} train and {self.n_test_leaked} test samples leak")


def check_leakage(train_groups, test_groups) -> LeakageReport:
    """Which groups appear on both sides of a split.

    Parameters
    ----------
    train_groups, test_groups : array_like
        The group of every train and every test sample (``groups[train_idx]``, ...).

    Examples
    --------
    >>> report = check_leakage(["a", "a", "b"], ["b", "c"])
    >>> report.leaky, report.shared, report.n_train_leaked, report.n_test_leaked
    (True, ('b',), 1, 1)
    """
    train, test = np.asarray(train_groups), np.asarray(test_groups)
    shared = np.intersect1d(train, test)
    return LeakageReport(
        shared=tuple(shared.tolist()),
        n_train_groups=len(np.unique(train)), n_test_groups=len(np.unique(test)),
        n_train_leaked=int(np.isin(train, shared).sum()),
        n_test_leaked=int(np.isin(test, shared).sum()))


def assert_no_leakage(train_groups, test_groups, allow_leak: bool = False) -> LeakageReport:
    """Raise :class:`~gazelearn.errors.LeakageError` when a group is on both sides.

    ``allow_leak=True`` returns the report instead, for reproducing a leaky protocol on purpose.

    Examples
    --------
    >>> assert_no_leakage(["a"], ["b"]).leaky
    False
    >>> assert_no_leakage(["a"], ["a"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gazelearn.errors.LeakageError: 1 groups on both sides of the split (a): 1 train and ...
    """
    report = check_leakage(train_groups, test_groups)
    if report.leaky and not allow_leak:
        raise LeakageError(report.describe())
    return report


def _checked(splits: list[Split], groups: np.ndarray) -> list[Split]:
    for train, test in splits:
        assert_no_leakage(groups[train], groups[test])
    return splits


def _indices_of(groups: np.ndarray, chosen) -> tuple[np.ndarray, np.ndarray]:
    test = np.isin(groups, np.asarray(list(chosen), dtype=groups.dtype))
    return np.flatnonzero(~test), np.flatnonzero(test)


def group_kfold(groups, n_splits: int = 5, seed: int = 0, shuffle: bool = True) -> list[Split]:
    """K folds in which every group is in exactly one test fold.

    Groups are dealt, largest first, to the fold with the fewest samples so far, which keeps fold
    sizes close; with ``shuffle`` the order among equal-sized groups is drawn from ``seed``.

    Returns
    -------
    list of (train_idx, test_idx)

    Examples
    --------
    >>> folds = group_kfold([0, 0, 1, 1, 2, 2, 3], n_splits=2)
    >>> [test.tolist() for _, test in folds]
    [[2, 3, 4, 5], [0, 1, 6]]
    """
    groups = _groups(groups)
    unique, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    _check_n_splits(n_splits, len(unique))
    order = np.arange(len(unique))
    if shuffle:
        order = np.random.default_rng(seed).permutation(order)
    order = order[np.argsort(-counts[order], kind="stable")]
    fold_of, load = np.empty(len(unique), dtype=np.int64), np.zeros(n_splits, dtype=np.int64)
    for g in order:
        fold = int(np.argmin(load))
        fold_of[g] = fold
        load[fold] += counts[g]
    sample_fold = fold_of[inverse]
    return _checked([(np.flatnonzero(sample_fold != k), np.flatnonzero(sample_fold == k))
                     for k in range(n_splits)], groups)


def stratified_group_kfold(y, groups, n_splits: int = 5, seed: int = 0) -> list[Split]:
    """Group k-fold that keeps class shares of ``y`` similar across folds.

    Wraps :class:`sklearn.model_selection.StratifiedGroupKFold` (shuffled with ``seed``) and
    checks every fold for leakage.

    Examples
    --------
    >>> y = [0, 0, 1, 1, 0, 0, 1, 1]
    >>> folds = stratified_group_kfold(y, [1, 1, 2, 2, 3, 3, 4, 4], n_splits=2)
    >>> [sorted({int(v) for v in np.asarray(y)[test]}) for _, test in folds]
    [[0, 1], [0, 1]]
    """
    from sklearn.model_selection import StratifiedGroupKFold

    groups = _groups(groups)
    y = np.asarray(y)
    if len(y) != len(groups):
        raise InputError(f"y has {len(y)} values for {len(groups)} groups")
    _check_n_splits(n_splits, len(np.unique(groups)))
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    try:
        splits = [(np.asarray(tr), np.asarray(te))
                  for tr, te in splitter.split(np.zeros(len(y)), y, groups)]
    except ValueError as error:  # e.g. every class smaller than n_splits
        raise InputError(f"stratified group k-fold impossible: {error}") from None
    return _checked(splits, groups)


def leave_groups_out(groups, n_groups: int = 1) -> list[Split]:
    """Every combination of ``n_groups`` groups as the test set (leave-one-group-out for 1).

    Examples
    --------
    >>> [test.tolist() for _, test in leave_groups_out(["b", "a", "b", "c"])]
    [[1], [0, 2], [3]]
    >>> len(leave_groups_out(["a", "b", "c", "d"], n_groups=2))
    6
    """
    groups = _groups(groups)
    unique = np.unique(groups)
    if not isinstance(n_groups, int | np.integer) or not 1 <= n_groups < len(unique):
        raise InputError(f"n_groups must be 1..{len(unique) - 1} for {len(unique)} groups, "
                         f"got {n_groups!r}")
    return _checked([_indices_of(groups, chosen) for chosen in combinations(unique, n_groups)],
                    groups)


def train_test_by_group(groups, test_size: float = 0.2, seed: int = 0) -> Split:
    """One train/test split with whole groups on each side.

    Parameters
    ----------
    test_size : float or int
        Share of the *groups* in the test set (rounded up, at least one, never all), or a number
        of groups when an integer.

    Examples
    --------
    >>> groups = np.repeat(np.arange(10), 3)
    >>> train, test = train_test_by_group(groups, test_size=0.2, seed=0)
    >>> len(np.unique(groups[test])), len(train)
    (2, 24)
    """
    groups = _groups(groups)
    unique = np.unique(groups)
    if len(unique) < 2:
        raise InputError("a train/test split by group needs at least two groups")
    if isinstance(test_size, int | np.integer):
        n_test = int(test_size)
    elif 0 < test_size < 1:
        n_test = int(np.ceil(test_size * len(unique)))
    else:
        raise InputError(f"test_size must be a share in (0, 1) or a number of groups, got "
                         f"{test_size!r}")
    if not 1 <= n_test < len(unique):
        raise InputError(f"test set of {n_test} groups is impossible with {len(unique)} groups")
    chosen = np.random.default_rng(seed).permutation(unique)[:n_test]
    return _checked([_indices_of(groups, chosen)], groups)[0]


def random_split(n: int, test_size: float = 0.2, seed: int = 0) -> Split:
    """A sample-level random split. **Leaky** for windows, recordings or subjects.

    Samples of one recording or person land on both sides, so test scores are optimistic. This
    exists only to reproduce protocols that used it and to show the difference against
    :func:`train_test_by_group`; ``check_leakage(groups[train], groups[test])`` will report it.

    Examples
    --------
    >>> train, test = random_split(10, test_size=0.3, seed=0)
    >>> len(train), len(test), sorted(np.concatenate([train, test]).tolist()) == list(range(10))
    (7, 3, True)
    """
    if not isinstance(n, int | np.integer) or n < 2:
        raise InputError(f"n must be an integer >= 2, got {n!r}")
    if not 0 < test_size < 1:
        raise InputError(f"test_size must be in (0, 1), got {test_size!r}")
    n_test = min(max(int(round(test_size * n)), 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


_METHODS = ("group_kfold", "stratified_group_kfold", "leave_groups_out", "train_test")


class GroupSplitter:
    """A scikit-learn cross-validation splitter over gazelearn's group-aware splits.

    Parameters
    ----------
    method : {"group_kfold", "stratified_group_kfold", "leave_groups_out", "train_test"}
    n_splits : int
        Folds for the k-fold methods.
    seed : int
        Seed of every random choice.
    shuffle : bool
        For ``group_kfold``.
    n_groups : int
        Groups left out per split for ``leave_groups_out``.
    test_size : float or int
        For ``train_test``.

    Examples
    --------
    >>> from sklearn.model_selection import cross_validate
    >>> from sklearn.dummy import DummyClassifier
    >>> X, y = np.zeros((8, 1)), np.array([0, 1] * 4)
    >>> cv = GroupSplitter("group_kfold", n_splits=4)
    >>> result = cross_validate(DummyClassifier(), X, y, groups=np.repeat([1, 2, 3, 4], 2), cv=cv)
    >>> len(result["test_score"])
    4
    """

    def __init__(self, method: str = "group_kfold", n_splits: int = 5, seed: int = 0,
                 shuffle: bool = True, n_groups: int = 1, test_size: float = 0.2) -> None:
        if method not in _METHODS:
            raise InputError(f"unknown split method {method!r}; expected one of "
                             f"{', '.join(_METHODS)}")
        self.method = method
        self.n_splits = n_splits
        self.seed = seed
        self.shuffle = shuffle
        self.n_groups = n_groups
        self.test_size = test_size

    def _splits(self, y, groups) -> list[Split]:
        if self.method == "group_kfold":
            return group_kfold(groups, self.n_splits, self.seed, self.shuffle)
        if self.method == "stratified_group_kfold":
            if y is None:
                raise InputError("stratified_group_kfold needs y")
            return stratified_group_kfold(y, groups, self.n_splits, self.seed)
        if self.method == "leave_groups_out":
            return leave_groups_out(groups, self.n_groups)
        return [train_test_by_group(groups, self.test_size, self.seed)]

    def split(self, X=None, y=None, groups=None):
        """Yield ``(train_idx, test_idx)`` pairs; ``groups`` is required."""
        groups = _groups(groups)
        if X is not None and len(X) != len(groups):
            raise InputError(f"X has {len(X)} rows for {len(groups)} groups")
        yield from self._splits(y, groups)

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Number of splits (``leave_groups_out`` needs ``groups`` to know it)."""
        if self.method in ("group_kfold", "stratified_group_kfold"):
            return int(self.n_splits)
        if self.method == "train_test":
            return 1
        return math.comb(len(np.unique(_groups(groups))), self.n_groups)

    def __repr__(self) -> str:
        return (f"GroupSplitter(method={self.method!r}, n_splits={self.n_splits}, "
                f"seed={self.seed}, shuffle={self.shuffle}, n_groups={self.n_groups}, "
                f"test_size={self.test_size})")
