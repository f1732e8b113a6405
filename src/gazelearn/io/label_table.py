"""Labels of whole recordings from a CSV table: ``recording,label[,group]``.

The scanpath, biometrics and tuning commands all take ``--labels LABELS.csv``: one row per
recording, ``recording`` = the file name or its stem, ``label`` = the class (a stimulus, an
expertise level, a person), and an optional group column (the participant) for group splits.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> rows = "recording,label,group\\nbus_10.csv,bus,10\\ncat_10,cat,10\\n"
>>> _ = (folder / "labels.csv").write_text(rows)
>>> table = read_label_table(folder / "labels.csv")
>>> table.lookup(pathlib.Path("data/bus_10.csv"))
('bus', 10)
>>> table.lookup(pathlib.Path("data/cat_10.csv"))  # a row may give the stem only
('cat', 10)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gazelearn.errors import InputError


@dataclass(frozen=True)
class LabelTable:
    """Label (and group) per recording name, read from one CSV file."""

    source: Path
    entries: dict[str, tuple[object, object]]
    group_col: str
    columns: tuple[str, ...] = ()
    group_required: bool = False

    def lookup(self, file: Path) -> tuple[object, object] | None:
        """``(label, group)`` for a recording file (by name, stem or path), or None."""
        return (self.entries.get(file.name) or self.entries.get(file.stem)
                or self.entries.get(str(file)))


def read_label_table(path: str | Path, group_col: str = "group",
                     required: bool | None = None) -> LabelTable:
    """Read ``recording,label[,group_col]`` from a CSV file.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    group_col : str
        Name of the group column; when the table lacks it, :func:`labels_for` takes the
        dataset's metadata column of that name, else each recording is its own group.
    required : bool, optional
        Whether ``group_col`` must exist (in the table or the dataset's metadata); default:
        required for any name but the default ``"group"``, so a misspelt ``--group-col`` is an
        error instead of one group per recording (people on both sides of a split).

    Returns
    -------
    LabelTable

    Raises
    ------
    InputError
        The file cannot be read, or lacks the ``recording`` or ``label`` column.
    """
    import polars as pl

    path = Path(path)
    try:
        table = pl.read_csv(path, infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise InputError(f"cannot read the labels table: {error}", source=path) from None
    for column in ("recording", "label"):
        if column not in table.columns:
            raise InputError(f"the labels table needs a {column!r} column; it has "
                             f"{', '.join(table.columns)}", source=path)
    groups = table[group_col].to_list() if group_col in table.columns else [None] * table.height
    entries: dict[str, tuple[object, object]] = {}
    for name, label, group in zip(table["recording"].to_list(), table["label"].to_list(), groups,
                                  strict=True):
        if label is None:
            raise InputError(f"recording {name!r} has an empty label", source=path)
        entries[str(name)] = (label, group)
    if required is None:
        required = group_col != "group"
    return LabelTable(path, entries, group_col, tuple(table.columns), required)


def labels_for(dataset, table: LabelTable) -> tuple[list, list]:
    """Labels and groups of every recording of ``dataset``, in order.

    A recording without a group in the table takes the dataset's metadata column of that name
    (e.g. ``subject``) when there is one, else its own file stem (each recording its own group).

    Raises
    ------
    InputError
        A recording has no row in the table, or a required group column is in neither the
        table nor the dataset's metadata.
    """
    targets, groups = [], []
    meta_groups = (dataset.column(table.group_col)
                   if table.group_col in dataset.metadata.columns else None)
    if (table.group_required and table.group_col not in table.columns
            and meta_groups is None):
        raise InputError(f"no group column {table.group_col!r}: the labels table has "
                         f"{', '.join(table.columns)}; the recordings' metadata has "
                         f"{', '.join(dataset.metadata.columns)}", source=table.source)
    for i, recording in enumerate(dataset):
        file = Path(recording.meta.source or f"recording {i}")
        entry = table.lookup(file)
        if entry is None:
            raise InputError(f"no label for recording {file.name!r} (match the 'recording' "
                             "column by file name or stem)", source=table.source)
        label, group = entry
        if group is None:
            group = meta_groups[i] if meta_groups is not None else file.stem
        targets.append(label)
        groups.append(group)
    return targets, groups
