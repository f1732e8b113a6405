"""Grad-CAM and input-gradient saliency point at the region that decides the class."""

from __future__ import annotations

import numpy as np
import pytest

from gazelearn import Recording
from gazelearn.errors import InputError
from gazelearn.scanpath.classify import ScanpathClassifier
from gazelearn.scanpath.gradcam import grad_cam

from ._classify_data import SCREEN

GRID = (32, 24)  # 32 px cells on the 1024 x 768 screen
CENTRE = (192, 384)  # the deciding region: 320 x 320 px around this point


def _recording(label: str, rng: np.random.Generator) -> Recording:
    """Background gaze and two blobs on the right half (the same for both classes), and in the
    region a horizontal (class A) or vertical (class B) line of gaze: only the region decides."""
    n = 200
    x, y = rng.uniform(0, 1024, n), rng.uniform(0, 768, n)
    for j in range(2):
        cx, cy = rng.uniform(480, 960), rng.uniform(64, 704)
        x[40 * j:40 * j + 40] = cx + rng.normal(0, 30, 40)
        y[40 * j:40 * j + 40] = cy + rng.normal(0, 30, 40)
    along, across = rng.uniform(-100, 100, 80), rng.normal(0, 4, 80)
    if label == "A":
        x[100:180], y[100:180] = CENTRE[0] + along, CENTRE[1] + across
    else:
        x[100:180], y[100:180] = CENTRE[0] + across, CENTRE[1] + along
    return Recording(np.arange(n) / 60, x, y, screen=SCREEN)


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(0)
    labels = ["A", "B"] * 16
    clf = ScanpathClassifier("heatmap-cnn", grid=GRID, sigma_deg=0.5, epochs=20, lr=0.01,
                             num_threads=1, progress=False)
    clf.fit([_recording(label, rng) for label in labels], labels)
    test = [_recording(label, rng) for label in ["A", "B"] * 4]
    return clf, test


def _region() -> np.ndarray:
    region = np.zeros(GRID[::-1], dtype=bool)
    rows = slice((CENTRE[1] - 160) // 32, (CENTRE[1] + 160) // 32 + 1)
    cols = slice((CENTRE[0] - 160) // 32, (CENTRE[0] + 160) // 32 + 1)
    region[rows, cols] = True
    return region


def test_grad_cam_mass_lies_in_the_deciding_region(trained):
    clf, test = trained
    assert clf.predict(test).tolist() == ["A", "B"] * 4
    region = _region()
    assert region.mean() == pytest.approx(0.158, abs=0.001)   # 11 x 11 of 32 x 24 cells
    cam = grad_cam(clf, test)
    assert cam.shape == (8, 24, 32) and np.allclose(cam.sum(axis=(1, 2)), 1)
    inside = cam[:, region].sum(axis=1)
    # measured: 0.45-0.53 of the mass in 16 % of the map; blobs elsewhere get little
    assert inside.min() > 0.35, inside
    # the blobs' half of the screen (x >= 480 px, 53 % of the map) gets 6-20 % of the mass
    assert cam[:, :, 15:].sum(axis=(1, 2)).max() < 0.3


def test_input_gradient_saliency_also_favours_the_region(trained):
    clf, test = trained
    saliency = grad_cam(clf, test, method="saliency")
    inside = saliency[:, _region()].sum(axis=1)
    assert inside.min() > 1.4 * _region().mean(), inside  # measured 0.22-0.33 vs 0.16


def test_grad_cam_on_maps_and_targets(trained):
    clf, test = trained
    maps = clf._maps(test[:2])[:, 0]
    one = grad_cam(clf, maps[0], target="A")
    assert one.shape == (24, 32) and np.isclose(one.sum(), 1)
    assert np.allclose(grad_cam(clf, maps, target="A")[0], one)
    with pytest.raises(InputError, match="target 'C' is not a class"):
        grad_cam(clf, maps, target="C")
    with pytest.raises(InputError, match="method must be"):
        grad_cam(clf, maps, method="lime")


def test_grad_cam_refuses_window_models():
    rng = np.random.default_rng(1)
    recs = [_recording(label, rng) for label in ["A", "B"] * 2]
    tree = ScanpathClassifier("tree", window=50).fit(recs, ["A", "B"] * 2)
    with pytest.raises(InputError, match="explains a heatmap-cnn"):
        grad_cam(tree, recs)
