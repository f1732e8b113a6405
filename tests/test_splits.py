"""Group-aware splits: no group on both sides, full coverage, determinism, sklearn compatibility."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gazelearn.splits as sp
from gazelearn import InputError
from gazelearn.errors import GazelearnError, LeakageError

group_arrays = st.lists(st.integers(0, 12), min_size=3, max_size=80).filter(
    lambda g: len(set(g)) >= 3).map(np.asarray)





def _assert_partition(splits, groups, every_sample_tested_once=True):
    tested = np.zeros(len(groups), dtype=int)
    for train, test in splits:
        assert not set(groups[train].tolist()) & set(groups[test].tolist())
        assert len(np.intersect1d(train, test)) == 0
        assert len(train) + len(test) == len(groups)
        assert len(test) > 0 and len(train) > 0
        tested[test] += 1
    if every_sample_tested_once:
        assert (tested == 1).all()


@settings(max_examples=60, deadline=None)
@given(groups=group_arrays, n_splits=st.integers(2, 3), seed=st.integers(0, 5))
def test_group_kfold_never_leaks(groups, n_splits, seed):
    _assert_partition(sp.group_kfold(groups, n_splits, seed=seed), groups)


@pytest.mark.filterwarnings("ignore:The least populated class:UserWarning")
@settings(max_examples=40, deadline=None)
@given(groups=group_arrays, seed=st.integers(0, 5), data=st.data())
def test_stratified_group_kfold_never_leaks(groups, seed, data):
    y = np.asarray(data.draw(st.lists(st.integers(0, 1), min_size=len(groups),
                                      max_size=len(groups))))
    if np.bincount(y).max() < 3:  # no class can fill three folds
        with pytest.raises(InputError):
            sp.stratified_group_kfold(y, groups, n_splits=3, seed=seed)
        return
    _assert_partition(sp.stratified_group_kfold(y, groups, n_splits=3, seed=seed), groups)


@settings(max_examples=40, deadline=None)
@given(groups=group_arrays, test_size=st.floats(0.05, 0.6), seed=st.integers(0, 5))
def test_train_test_by_group_never_leaks(groups, test_size, seed):
    train, test = sp.train_test_by_group(groups, test_size, seed)
    _assert_partition([(train, test)], groups, every_sample_tested_once=False)
    assert len(np.unique(groups[test])) == int(np.ceil(test_size * len(np.unique(groups))))


@settings(max_examples=30, deadline=None)
@given(groups=group_arrays)
def test_leave_one_group_out_never_leaks(groups):
    splits = sp.leave_groups_out(groups)
    assert len(splits) == len(np.unique(groups))
    _assert_partition(splits, groups)


def test_leave_two_groups_out():
    groups = np.array([0, 1, 1, 2, 3])
    splits = sp.leave_groups_out(groups, n_groups=2)
    assert len(splits) == 6
    _assert_partition(splits, groups, every_sample_tested_once=False)
    assert [t.tolist() for _, t in splits][0] == [0, 1, 2]
    with pytest.raises(InputError):
        sp.leave_groups_out(groups, n_groups=4)


def test_group_kfold_balances_and_is_deterministic():
    groups = np.repeat(np.arange(20), np.arange(1, 21))
    folds = sp.group_kfold(groups, 4, seed=3)
    sizes = [len(test) for _, test in folds]
    assert max(sizes) - min(sizes) <= 20
    again = sp.group_kfold(groups, 4, seed=3)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))
    other = sp.group_kfold(np.repeat(np.arange(20), 3), 4, seed=4)
    same_size = sp.group_kfold(np.repeat(np.arange(20), 3), 4, seed=3)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(other, same_size, strict=True))
    unshuffled = sp.group_kfold(np.repeat(np.arange(20), 3), 4, shuffle=False)
    assert unshuffled[0][1].tolist()[:3] == [0, 1, 2]


def test_stratification_keeps_class_shares():
    groups = np.repeat(np.arange(20), 10)
    y = np.repeat(np.arange(20) % 2, 10)
    for _, test in sp.stratified_group_kfold(y, groups, n_splits=5, seed=0):
        assert y[test].mean() == pytest.approx(0.5)


def test_split_argument_errors():
    with pytest.raises(InputError, match="groups"):
        sp.group_kfold(None)
    with pytest.raises(InputError):
        sp.group_kfold([1, 1, 2], n_splits=3)
    with pytest.raises(InputError):
        sp.group_kfold([1, 2, 3], n_splits=1)
    with pytest.raises(InputError):
        sp.stratified_group_kfold([0, 1], [1, 2, 3], n_splits=2)
    with pytest.raises(InputError):
        sp.train_test_by_group([1, 1], 0.5)
    with pytest.raises(InputError):
        sp.train_test_by_group([1, 2, 3], 1.5)
    with pytest.raises(InputError):
        sp.train_test_by_group([1, 2, 3], 3)
    with pytest.raises(InputError):
        sp.random_split(10, 0.0)
    with pytest.raises(InputError, match="unknown split"):
        sp.GroupSplitter("kfold")


def test_leakage_report_and_error():
    report = sp.check_leakage([1, 1, 2, 3], [3, 3, 4])
    assert report.shared == (3,) and report.leaky
    assert (report.n_train_groups, report.n_test_groups) == (3, 2)
    assert (report.n_train_leaked, report.n_test_leaked) == (1, 2)
    assert "1 groups on both sides" in report.describe()
    with pytest.raises(LeakageError) as caught:
        sp.assert_no_leakage([1, 2], [2])
    assert isinstance(caught.value, GazelearnError)
    assert sp.assert_no_leakage([1, 2], [2], allow_leak=True).leaky
    assert "no leakage" in sp.check_leakage([1], [2]).describe()


def test_random_split_is_leaky_and_detected():
    groups = np.repeat(np.arange(5), 20)
    train, test = sp.random_split(len(groups), 0.2, seed=0)
    assert len(test) == 20 and sorted(np.r_[train, test].tolist()) == list(range(100))
    assert sp.check_leakage(groups[train], groups[test]).leaky
    with pytest.raises(LeakageError):
        sp.assert_no_leakage(groups[train], groups[test])
    again = sp.random_split(len(groups), 0.2, seed=0)
    assert np.array_equal(again[1], test)


def test_splitter_with_sklearn_cross_validate():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score, cross_validate

    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(12), 10)
    y = np.repeat(np.arange(12) % 2, 10)
    X = rng.normal(size=(120, 3)) + y[:, None]
    for method, n in [("group_kfold", 4), ("stratified_group_kfold", 3),
                      ("leave_groups_out", 12), ("train_test", 1)]:
        cv = sp.GroupSplitter(method, n_splits=n if n < 12 else 5)
        assert cv.get_n_splits(X, y, groups) == n
        result = cross_validate(LogisticRegression(), X, y, groups=groups, cv=cv)
        assert len(result["test_score"]) == n
        _assert_partition(list(cv.split(X, y, groups)), groups,
                          every_sample_tested_once=method != "train_test")
    scores = cross_val_score(LogisticRegression(), X, y, groups=groups,
                             cv=sp.GroupSplitter(n_splits=3, seed=1))
    assert len(scores) == 3
    with pytest.raises(InputError, match="groups"):
        list(sp.GroupSplitter().split(X, y))
    with pytest.raises(InputError):
        list(sp.GroupSplitter().split(X[:5], y, groups))
    assert "group_kfold" in repr(sp.GroupSplitter())
