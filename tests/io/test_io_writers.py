"""Writers: exact round trips of recordings and events, atomic output."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gazelearn import Events, InputError, Metadata, Recording, Screen
from gazelearn.io import atomic_write, read, read_events, write_events, write_recording

SCREEN = Screen(1024, 768, 380.0, 300.0, 670.0)


def sample_recording(n: int = 50) -> Recording:
    rng = np.random.default_rng(3)
    x = rng.normal(500, 100, n)
    x[5:8] = np.nan
    labels = np.repeat([1, 2, 3, 1, 5], n // 5)
    return Recording(time=1521.6373629999998 + np.arange(n) / 500, x=x,
                     y=rng.normal(300, 50, n), pupil=rng.uniform(2, 5, n), labels=labels,
                     screen=SCREEN, meta=Metadata(subject="TH38", stimulus="Europe",
                                                  source="orig.mat", format="lund2013",
                                                  extra={"coder": "RA", "rate": np.float64(5)}))


def assert_same(a: Recording, b: Recording) -> None:
    assert np.array_equal(a.time, b.time)
    assert np.array_equal(a.x, b.x, equal_nan=True)
    assert np.array_equal(a.y, b.y, equal_nan=True)
    assert np.array_equal(a.pupil, b.pupil, equal_nan=True)
    assert np.array_equal(a.labels, b.labels)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_recording_round_trip(tmp_path, suffix):
    rec = sample_recording()
    path = write_recording(rec, tmp_path / f"rec{suffix}")
    back = read(path)
    assert_same(rec, back)
    assert back.screen == SCREEN
    assert (back.meta.subject, back.meta.stimulus) == ("TH38", "Europe")
    assert back.meta.extra["coder"] == "RA" and back.meta.extra["rate"] == 5.0
    assert back.meta.source == str(path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_pixel_only_screen_round_trip(tmp_path, suffix):
    rec = sample_recording(10)
    rec.screen = Screen(1920, 1080)
    back = read(write_recording(rec, tmp_path / f"rec{suffix}"))
    assert back.screen == Screen(1920, 1080) and not back.screen.has_geometry


def test_csv_columns_and_label_names(tmp_path):
    path = write_recording(sample_recording(10), tmp_path / "rec.csv", sidecar=False)
    lines = path.read_text().splitlines()
    assert lines[0] == "time,x,y,pupil,label"
    assert lines[1].endswith(",fixation")
    assert not (tmp_path / "rec.csv.json").exists()
    assert read(path).screen is None


@settings(max_examples=25, deadline=None)
@given(arrays(np.float64, st.integers(1, 30),
              elements=st.floats(-1e6, 1e6) | st.just(float("nan"))),
       st.floats(1e-3, 1e4), st.floats(-1e9, 1e9))
def test_round_trip_is_exact_for_any_values(tmp_path_factory, values, step, start):
    n = len(values)
    rec = Recording(time=start + np.arange(n) * step, x=values, y=values[::-1],
                    labels=np.arange(n) % 6)
    folder = tmp_path_factory.mktemp("rt")
    for suffix in (".csv", ".parquet"):
        back = read(write_recording(rec, folder / f"r{suffix}"))
        assert np.array_equal(rec.time, back.time)
        assert np.array_equal(rec.x, back.x, equal_nan=True)
        assert np.array_equal(rec.labels, back.labels)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_events_round_trip(tmp_path, suffix):
    events = Events.from_labels(sample_recording())
    path = write_events(events, tmp_path / f"events{suffix}")
    back = read_events(path)
    assert back.frame["type"].to_list() == events.frame["type"].to_list()
    assert np.allclose(back.frame["onset"].to_numpy(), events.frame["onset"].to_numpy(),
                       rtol=0, atol=0)
    assert np.array_equal(back.frame["amplitude"].to_numpy(),
                          events.frame["amplitude"].to_numpy(), equal_nan=True)
    assert back.frame.schema == events.frame.schema


def test_read_events_errors(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("kind,start\nfixation,0\n")
    with pytest.raises(InputError, match="e.csv.*needs a 'type' column"):
        read_events(path)
    with pytest.raises(InputError, match="not found"):
        read_events(tmp_path / "none.csv")
    with pytest.raises(InputError, match="expected .csv"):
        write_events(Events.empty(), tmp_path / "e.xlsx")


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target, "w") as handle:
        handle.write("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_writer_failure_leaves_no_file(tmp_path, monkeypatch):
    import polars as pl

    def broken(self, file, **kwargs):
        with open(file, "w") as handle:
            handle.write("time,x")
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_csv", broken)
    with pytest.raises(OSError):
        write_recording(sample_recording(5), tmp_path / "rec.csv")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_missing_folder(tmp_path):
    with pytest.raises(InputError, match="folder does not exist"), \
            atomic_write(tmp_path / "no" / "x.csv"):
        pass
