import numpy as np
import pytest

from gazelearn import Dataset, InputError, Metadata, Recording


def dataset():
    recs = [Recording(np.arange(3.0), np.zeros(3), np.zeros(3),
                      meta=Metadata(subject=s, stimulus=st))
            for s, st in [("a", "bus"), ("a", "cat"), ("b", "bus"), ("c", "cat")]]
    return Dataset(recs)


def test_filter_group_and_subset():
    data = dataset()
    assert len(data.filter(stimulus="bus")) == 2
    assert len(data.filter(subject=["a", "c"])) == 3
    groups = data.groups("subject")
    assert list(groups) == ["a", "b", "c"] and len(groups["a"]) == 2
    part = data[[1, 3]]
    assert part.column("stimulus").tolist() == ["cat", "cat"]


def test_unknown_column_names_available_ones():
    with pytest.raises(InputError, match="no metadata column 'person'.*subject"):
        dataset().column("person")


def test_with_column_and_summary():
    data = dataset().with_column("label", ["x", "y", "x", "y"])
    assert data.filter(label="x").column("subject").tolist() == ["a", "b"]
    assert data.summary()["samples"].to_list() == [3, 3, 3, 3]
    with pytest.raises(InputError, match="3 values for 4"):
        data.with_column("bad", [1, 2, 3])
