"""Compared figures share one colour scale; tables keep one precision per column; biometric
numbers carry readable names."""

from __future__ import annotations

import numpy as np
import pytest

from gazelearn import InputError
from gazelearn.report import Report, error_vector_panels, heatmap, heatmap_panels


def _colour_bars(fig) -> list:
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


def test_heatmap_panels_share_one_scale_and_one_bar() -> None:
    a = np.zeros((4, 6))
    a[1, 2] = 1.0
    b = np.zeros((4, 6))
    b[2, 4] = 3.0
    fig = heatmap_panels({"left": a, "right": b}, "fixations per cell", screen_size=(60, 40))
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == ["left", "right"]
    # one scale, 0 .. the largest value of either map: a's peak is a third of b's colour
    assert [ax.images[-1].get_clim() for ax in panels] == [(0.0, 3.0), (0.0, 3.0)]
    np.testing.assert_array_equal(panels[0].images[-1].get_array(), a)  # the map's own values
    bars = _colour_bars(fig)
    assert len(bars) == 1 and bars[0].get_ylabel() == "fixations per cell"
    assert bars[0].get_ylim() == (0.0, 3.0)


def test_heatmap_colour_scale_and_bar() -> None:
    d = np.array([[0.0, 1.0], [2.0, 4.0]])
    assert heatmap(d).axes[0].images[0].get_clim() == (0.0, 4.0)  # its own range by default
    fig = heatmap(d, vmin=0.0, vmax=8.0, colorbar="ms/deg²")
    assert fig.axes[0].images[0].get_clim() == (0.0, 8.0)
    assert _colour_bars(fig)[0].get_ylabel() == "ms/deg²"
    assert fig.axes[0].images[0].get_alpha() is None  # no stimulus: opaque, the bar's colours
    # over a stimulus the overlay fades with the density; the bar shows it faded over white
    fig = heatmap(d, image=np.zeros((20, 20, 3), np.uint8), alpha=0.5, colorbar="d")
    overlay = fig.axes[0].images[-1]
    np.testing.assert_allclose(overlay.get_alpha(), 0.5 * d / 4.0)
    bar = _colour_bars(fig)[0].collections[-1].cmap  # the colour bar's mesh
    assert bar(0.0)[:3] == pytest.approx((1.0, 1.0, 1.0))  # zero density: the white page
    top = 0.5 * np.array(overlay.cmap(1.0)[:3]) + 0.5  # half-opaque top colour over white
    assert bar(1.0)[:3] == pytest.approx(tuple(top), abs=1e-6)
    with pytest.raises(InputError, match="vmax"):
        heatmap(d, vmin=2.0, vmax=1.0)


def test_error_vector_panels_share_one_scale() -> None:
    t = np.array([[100.0, 100.0], [500.0, 300.0], [700.0, 500.0]])
    fig = error_vector_panels({"a": (t, t + [3.0, 4.0]), "b": (t, t + [[30.0, 40.0]] * 3)},
                              screen_size=(800, 600))
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    quivers = [[c for c in ax.collections if type(c).__name__ == "Quiver"][0] for ax in panels]
    assert [q.get_clim() for q in quivers] == [(0.0, 50.0), (0.0, 50.0)]
    np.testing.assert_allclose(quivers[0].get_array(), [5.0, 5.0, 5.0])
    assert [ax.get_title() for ax in panels] == ["a\nmean 5 px, median 5 px",
                                                 "b\nmean 50 px, median 50 px"]
    assert len(_colour_bars(fig)) == 1


def test_table_decimals_per_column() -> None:
    rows = [{"detector": "ivt", "kappa": 0.5, "px": 550.6, "n": 3},
            {"detector": "nh", "kappa": float("nan"), "px": 12.0, "n": 4}]
    html = Report("t").section("s").table(rows, decimals={"kappa": 2, "px": 0}).to_html()
    cells = [c for c in html.split("<td") if "</td>" in c]
    texts = [c.split(">", 1)[1].split("</td>")[0] for c in cells]
    assert texts == ["ivt", "0.50", "551", "3", "nh", "n/a", "12", "4"]
    with pytest.raises(InputError, match="'kapa'"):
        Report("t").section("s").table(rows, decimals={"kapa": 2})


def test_biometric_report_names_are_readable_and_json_keys_stay() -> None:
    from gazelearn.biometrics.protocol import evaluate_embeddings
    from gazelearn.report.biometric_results import biometric_report, biometric_rows

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 8))
    people = ["ann", "bob", "cid", "dan"]
    result = evaluate_embeddings(centres, people, centres + rng.normal(0, 0.8, (4, 8)), people)
    html = biometric_report(result).to_html()
    for label in ("rank-1 identification", "equal error rate (EER)", "FRR at FAR 1 %",
                  "FRR at FAR 0.1 %", "impostor pairs"):
        assert label in html
    assert "frr_at_far" not in html and "n_impostor" not in html and "rank1" not in html
    rows = {row["measure"]: row for row in biometric_rows(result)}
    assert rows["rank-1 identification"]["value (%)"] == pytest.approx(100 * result.rank1)
    assert rows["rank-1 identification"]["chance (%)"] == pytest.approx(25.0)
    assert rows["FRR at FAR 1 %"]["value (%)"] == pytest.approx(100 * result.frr_at_far_1e2)
    assert {"frr_at_far_1e-2", "frr_at_far_1e-3", "rank1", "eer"} <= set(result.to_dict())
