"""A :class:`Dataset`: recordings plus one metadata row each, for filtering, grouping and splitting.

Examples
--------
>>> import numpy as np
>>> from gazelearn import Metadata, Recording
>>> recs = [Recording(np.arange(3.0), np.zeros(3), np.zeros(3), meta=Metadata(subject=s))
...         for s in ["a", "a", "b"]]
>>> data = Dataset(recs)
>>> len(data.filter(subject="a")), sorted(data.groups("subject"))
(2, ['a', 'b'])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import polars as pl

from gazelearn.errors import InputError
from gazelearn.recording import Recording


class Dataset(Sequence):
    """Recordings with a metadata table (one row per recording, same order).

    Parameters
    ----------
    recordings : sequence of Recording
    metadata : polars.DataFrame, optional
        One row per recording. Built from each recording's :class:`Metadata` when omitted; extra
        columns given here (labels, groups, ...) are kept.
    """

    def __init__(self, recordings: Sequence[Recording],
                 metadata: pl.DataFrame | None = None) -> None:
        self.recordings = list(recordings)
        if metadata is None:
            rows = [{"index": i, **rec.meta.as_row()} for i, rec in enumerate(self.recordings)]
            metadata = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame(
                {"index": []}, schema={"index": pl.Int64})
        if metadata.height != len(self.recordings):
            raise InputError(f"metadata has {metadata.height} rows for "
                             f"{len(self.recordings)} recordings")
        if "index" not in metadata.columns:
            metadata = metadata.with_row_index("index").with_columns(pl.col("index").cast(pl.Int64))
        self.metadata = metadata

    def __len__(self) -> int:
        return len(self.recordings)

    def __getitem__(self, item):
        if isinstance(item, slice | np.ndarray | list):
            index = np.arange(len(self))[item]
            return self.subset(index)
        return self.recordings[item]

    def __iter__(self) -> Iterator[Recording]:
        return iter(self.recordings)

    def subset(self, index) -> Dataset:
        """The recordings at positions ``index`` (with their metadata rows)."""
        index = np.asarray(index, dtype=np.int64)
        meta = self.metadata[index.tolist()] if len(index) else self.metadata.clear()
        return Dataset([self.recordings[i] for i in index], meta.drop("index"))

    def column(self, name: str) -> np.ndarray:
        """One metadata column as a numpy array; a clear error naming the columns otherwise."""
        if name not in self.metadata.columns:
            raise InputError(f"no metadata column {name!r}; the dataset has "
                             f"{', '.join(c for c in self.metadata.columns if c != 'index')}")
        return self.metadata[name].to_numpy()

    def filter(self, **equals) -> Dataset:
        """Recordings whose metadata columns equal the given values (a list means "any of")."""
        mask = np.ones(len(self), dtype=bool)
        for name, wanted in equals.items():
            values = self.column(name)
            wanted = wanted if isinstance(wanted, list | tuple | set) else [wanted]
            mask &= np.isin(values, list(wanted))
        return self.subset(np.flatnonzero(mask))

    def groups(self, name: str) -> dict:
        """Map each value of a metadata column to the dataset of its recordings."""
        values = self.column(name)
        return {value: self.subset(np.flatnonzero(values == value))
                for value in dict.fromkeys(values.tolist())}

    def with_column(self, name: str, values) -> Dataset:
        """A copy with one metadata column added or replaced."""
        values = list(values)
        if len(values) != len(self):
            raise InputError(f"column {name!r} has {len(values)} values for {len(self)} "
                             "recordings")
        return Dataset(self.recordings, self.metadata.with_columns(pl.Series(name, values)))

    def summary(self) -> pl.DataFrame:
        """One row per recording: metadata plus samples, rate and lost share."""
        return self.metadata.with_columns(
            pl.Series("samples", [len(r) for r in self.recordings]),
            pl.Series("sampling_rate", [r.sampling_rate for r in self.recordings]),
            pl.Series("lost_fraction", [r.lost_fraction for r in self.recordings]),
        )

    def __repr__(self) -> str:
        return f"Dataset({len(self)} recordings, columns {self.metadata.columns})"
