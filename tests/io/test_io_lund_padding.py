"""Lund 2013 files with padding rows (time 0 at x = y = 0) and missing timestamps.

Some files of the public data set end with padding rows, and some ``dots`` files have NaN
timestamps except one such trailing row; every row is a labelled sample and stays one sample.
The files here are made from real ones (../shared/data) where present, else synthetic.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io
from helpers_io import lund_pos, write_lund

from gazelearn.errors import InputError
from gazelearn.io import read
from gazelearn.io.lund2013 import _field, _load

PADDING = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]  # time 0, two tracker columns, x = y = 0, fixation


def test_trailing_padding_rows_are_lost_samples_one_interval_apart(tmp_path):
    pos = np.vstack([lund_pos(), [PADDING] * 3])
    pos[-1, 5] = 2  # labels of padding rows are kept as they are
    rec = read(write_lund(tmp_path / "TH38_img_Europe_labelled_RA.mat", pos))
    assert len(rec) == 13
    last = 1.0 + 9 * 0.002
    assert rec.time[10:].tolist() == pytest.approx([last + 0.002, last + 0.004, last + 0.006])
    assert np.isnan(rec.x[10:]).all() and np.isnan(rec.y[10:]).all()
    assert rec.labels.tolist() == [1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 1, 1, 2]
    assert rec.lost_fraction == pytest.approx(5 / 13)  # rows 2, 3 and the three padding rows
    assert rec.meta.extra["padding_rows"] == 3 and rec.meta.extra["synthesized_times"] == 3
    assert "time_synthesized" not in rec.meta.extra  # the file's own times are kept


def test_missing_times_between_known_ones_are_interpolated(tmp_path):
    pos = lund_pos()
    pos[[0, 4, 5], 0] = [np.nan, np.inf, np.nan]
    rec = read(write_lund(tmp_path / "a.mat", pos))
    expected = 1.0 + np.arange(10) * 0.002  # row 0 continues backwards at the interval
    assert rec.time == pytest.approx(expected)
    assert rec.x[4] == 504.0  # a missing time is not a lost position
    assert rec.meta.extra["synthesized_times"] == 3 and "padding_rows" not in rec.meta.extra


def test_nan_times_with_a_trailing_zero_row_are_synthesised_from_the_rate(tmp_path):
    pos = lund_pos()
    pos[:, 0] = np.nan
    pos = np.vstack([pos, PADDING])
    rec = read(write_lund(tmp_path / "TL32_trial17_labelled_RA.mat", pos))
    assert len(rec) == 11
    assert rec.time == pytest.approx(np.arange(11) / 500.0)
    assert rec.meta.extra["time_synthesized"] is True and rec.meta.extra["padding_rows"] == 1
    assert np.isnan(rec.x[10]) and rec.labels[10] == 1
    no_rate = write_lund(tmp_path / "b.mat", pos, sampFreq=np.nan)  # the data set's 500 Hz
    assert read(no_rate).time == pytest.approx(np.arange(11) / 500.0)
    assert read(no_rate, sampling_rate=200).time == pytest.approx(np.arange(11) / 200.0)
    with pytest.raises(InputError, match="sampling rate must be a positive number"):
        read(no_rate, sampling_rate=-1)


def test_a_clock_starting_at_zero_is_not_padding(tmp_path):
    pos = lund_pos()
    pos[:, 0] -= pos[0, 0]
    pos[0, 3:5] = 0.0  # first sample lost at time 0: a real timestamp
    rec = read(write_lund(tmp_path / "a.mat", pos))
    assert rec.time == pytest.approx(np.arange(10) * 0.002)
    assert "padding_rows" not in rec.meta.extra and "synthesized_times" not in rec.meta.extra


def test_time_going_backwards_in_real_rows_is_still_refused(tmp_path):
    pos = np.vstack([lund_pos(), PADDING])
    pos[5, 0] = pos[2, 0]
    with pytest.raises(InputError, match="line 6.*time goes backwards"):
        read(write_lund(tmp_path / "a.mat", pos))


def _real(shared_data, relative):
    path = shared_data / relative
    if not path.exists():
        pytest.skip(f"{relative} not in this copy of the data")
    struct = _load(path)
    fields = {name: _field(struct, name, str(path)) for name in struct.dtype.names}
    return path, fields


def _save(path, fields):
    scipy.io.savemat(path, {"ETdata": fields})
    return path


@pytest.mark.real_data
def test_real_img_file_with_padding_rows_appended(shared_data, tmp_path):
    source, fields = _real(shared_data, "lund2013-dev/img/TH50_img_vy_labelled_RA.mat")
    original = read(source)
    pos = fields["pos"]
    fields["pos"] = np.vstack([pos, np.tile(PADDING, (25, 1))])
    rec = read(_save(tmp_path / source.name, fields))
    n = len(pos)
    assert len(rec) == n + 25
    assert rec.time[:n].tolist() == original.time.tolist()
    assert np.diff(rec.time[n - 1:]) == pytest.approx(np.full(25, 0.002))
    assert rec.labels[:n].tolist() == original.labels.tolist()
    assert (rec.labels[n:] == 1).all()
    lost_before = np.sum(~original.valid)
    assert rec.lost_fraction == pytest.approx((lost_before + 25) / (n + 25))
    assert rec.meta.extra["padding_rows"] == 25


@pytest.mark.real_data
def test_real_dots_file_with_a_trailing_zero_row(shared_data, tmp_path):
    source, fields = _real(shared_data, "lund2013-dev/dots/TL32_trial17_labelled_RA.mat")
    original = read(source)
    fields["pos"] = np.vstack([fields["pos"], PADDING])
    rec = read(_save(tmp_path / source.name, fields))
    n = len(original)
    assert len(rec) == n + 1
    assert rec.time == pytest.approx(np.arange(n + 1) / 500.0)
    assert rec.labels[:n].tolist() == original.labels.tolist()
    assert np.isnan(rec.x[n]) and rec.lost_fraction == pytest.approx(
        (np.sum(~original.valid) + 1) / (n + 1))


@pytest.mark.real_data
def test_real_video_file_with_times_replaced_by_nan(shared_data, tmp_path):
    source, fields = _real(shared_data,
                           "lund2013-dev/video/TH46_video_BergoDalbana_labelled_RA.mat")
    original = read(source)
    pos = fields["pos"].copy()
    rows = np.r_[0:3, 1000:1010, len(pos) - 5:len(pos)]
    pos[rows, 0] = np.nan
    fields["pos"] = pos
    rec = read(_save(tmp_path / source.name, fields))
    assert len(rec) == len(original)
    # the tracker's intervals are 2 ms within some 20 us: synthesised times land within 5 %
    # of an interval of the real ones, and the file's other times are kept exactly
    assert rec.time == pytest.approx(original.time, abs=1e-4)
    kept = np.setdiff1d(np.arange(len(pos)), rows)
    assert rec.time[kept].tolist() == original.time[kept].tolist()
    assert np.all(np.diff(rec.time) > 0)
    assert rec.labels.tolist() == original.labels.tolist()
    assert rec.lost_fraction == original.lost_fraction
    assert rec.meta.extra["synthesized_times"] == len(rows)


def test_infinite_positions_are_counted_lost_samples(tmp_path):
    pos = lund_pos()
    pos[6, 3], pos[7, 4] = np.inf, -np.inf
    rec = read(write_lund(tmp_path / "a.mat", pos))
    assert np.isnan(rec.x[[6, 7]]).all() and np.isnan(rec.y[[6, 7]]).all()
    assert rec.meta.extra["nonfinite_values"] == 2
    assert rec.lost_fraction == pytest.approx(0.4)  # rows 2, 3, 6 and 7
