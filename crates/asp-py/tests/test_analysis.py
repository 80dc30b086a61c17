"""extract_colors, extract_colors_with_weights and detect_roi: colours are
recovered, regions found on generated content and on a real photograph."""
from pathlib import Path

import numpy as np
import pytest

import libasp
from conftest import ROOT, moving_scene, texture

COLOURS = np.array([[230, 30, 40], [20, 200, 60], [30, 60, 220], [250, 240, 30], [20, 20, 20]], np.uint8)
SHARES = [0.4, 0.25, 0.15, 0.12, 0.08]


def stripes(noise=0, seed=0):
    """A 100x200 image of horizontal bands of COLOURS, SHARES of the rows."""
    rows = np.concatenate([np.repeat(c[None], int(s * 100), 0) for c, s in zip(COLOURS, SHARES)])
    image = np.repeat(rows[:, None, :], 200, 1).astype(np.int16)
    if noise:
        image += np.random.default_rng(seed).integers(-noise, noise + 1, image.shape, dtype=np.int16)
    return np.clip(image, 0, 255).astype(np.uint8)


def nearest(found, wanted):
    d = ((found[:, None, :].astype(int) - wanted[None, :, :].astype(int)) ** 2).sum(-1)
    return np.sqrt(d.min(0))  # for each wanted colour, distance to the nearest found one


def test_colours_are_recovered_from_noisy_pixels():
    colors = libasp.extract_colors(stripes(noise=6), num_colors=5, method="kmeans")
    assert colors.dtype == np.uint8 and colors.shape == (5, 3)
    assert nearest(colors, COLOURS).max() < 12


@pytest.mark.parametrize("method", ["kmeans", "median_cut"])
def test_weights_are_the_shares_most_frequent_first(method):
    colors, weights = libasp.extract_colors_with_weights(stripes(), num_colors=5, method=method)
    assert weights.dtype == np.float32 and weights.shape == (5,)
    assert weights.sum() == pytest.approx(1.0, abs=1e-4)
    assert list(weights) == sorted(weights, reverse=True)
    assert (colors[0] == COLOURS[0]).all()
    assert weights == pytest.approx(SHARES, abs=0.02)


def test_pixels_may_be_a_list_of_rgb_rows_and_results_are_deterministic():
    image = stripes(noise=10, seed=1)
    a = libasp.extract_colors(image)
    b = libasp.extract_colors(image.reshape(-1, 3))
    assert (a == b).all()
    assert (libasp.extract_colors(image) == a).all()
    assert (libasp.extract_colors(np.asfortranarray(image)) == a).all()


def test_fewer_colours_than_asked():
    flat = np.full((10, 10, 3), 77, np.uint8)
    colors, weights = libasp.extract_colors_with_weights(flat, num_colors=4)
    assert len(colors) >= 1 and (colors == 77).all()
    assert weights.sum() == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: libasp.extract_colors(np.zeros((8, 8), np.uint8)), ValueError,
         r"pixels must be an \(H, W, 3\) RGB image or \(N, 3\) RGB pixels, got shape \[8, 8\]"),
        (lambda: libasp.extract_colors(np.zeros((8, 8, 3), np.float64)), TypeError, "pixels must have dtype uint8, got float64"),
        (lambda: libasp.extract_colors(np.zeros((8, 8, 3), np.uint8), num_colors=0), ValueError,
         "num_colors must be in 1..=256, got 0"),
        (lambda: libasp.extract_colors(np.zeros((8, 8, 3), np.uint8), num_colors=300), ValueError, "got 300"),
        (lambda: libasp.extract_colors(np.zeros((8, 8, 3), np.uint8), method="octree"), ValueError,
         "method must be 'kmeans' or 'median_cut', got \"octree\""),
        (lambda: libasp.extract_colors(np.zeros((0, 3), np.uint8)), ValueError, "pixels is empty"),
        (lambda: libasp.extract_colors_with_weights("red"), TypeError, "pixels must be a numpy.ndarray of uint8, got str"),
    ],
)
def test_bad_palette_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def read_pgm(path):
    data = Path(path).read_bytes()
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P5" and parts[3] == b"255"
    w, h = int(parts[1]), int(parts[2])
    return np.frombuffer(parts[4][:w * h], np.uint8).reshape(h, w)


FIXTURES = ROOT / "crates" / "asp-encoder" / "tests" / "data"


def test_a_face_is_found_in_the_astronaut_photograph():
    # NASA's public-domain portrait (see crates/asp-encoder/tests/data/README.md).
    photo = read_pgm(FIXTURES / "astronaut-256.pgm")
    rois = libasp.detect_roi(photo, methods=["face"])
    assert rois.dtype == np.float32 and rois.shape[1] == 6
    faces = rois[rois[:, 4] == 1]
    assert len(faces) == 1, rois
    x, y, w, h, _, confidence = faces[0]
    cx, cy = x + w / 2, y + h / 2
    assert 90 <= cx <= 120 and 35 <= cy <= 65 and 30 <= w <= 80
    assert 0 < confidence <= 1
    # The same photo as RGB and as a flat buffer with width/height.
    rgb = np.repeat(photo[..., None], 3, -1)
    assert (libasp.detect_roi(rgb, methods=("face",)) == rois).all()
    assert (libasp.detect_roi(photo.ravel(), width=256, height=256, methods="face") == rois).all()


def test_no_face_in_the_coffee_cup():
    photo = read_pgm(FIXTURES / "coffee-300x200.pgm")
    assert len(libasp.detect_roi(photo, methods=["face"])) == 0


def test_motion_regions_cover_the_moving_object():
    background = texture(120, 160, seed=9)
    previous, current = background.copy(), background.copy()
    previous[30:60, 20:50] = 240
    current[30:60, 60:90] = 240
    rois = libasp.detect_roi(current, previous_frame=previous, methods=["motion"])
    assert len(rois) >= 1 and (rois[:, 4] == 4).all()
    x0, y0 = rois[:, 0].min(), rois[:, 1].min()
    x1, y1 = (rois[:, 0] + rois[:, 2]).max(), (rois[:, 1] + rois[:, 3]).max()
    # The union covers the box where it was and where it is now, and not the far corners.
    assert x0 <= 60 and x1 >= 90 and y0 <= 30 and y1 >= 60
    assert x1 - x0 < 150 and y1 - y0 < 110
    # No previous frame: motion finds nothing.
    assert len(libasp.detect_roi(current, methods=["motion"])) == 0


def test_lines_of_text_are_text_regions():
    frame = np.full((240, 320), 210, np.uint8)
    lines = [(60, 18), (150, 10)]  # (top row, glyphs)
    for top, count in lines:
        for g in range(count):
            x = 20 + 15 * g
            frame[top:top + 16, x:x + 2] = 25                  # a stem
            frame[top + 7 * (g % 2):top + 7 * (g % 2) + 2, x:x + 9] = 25  # a bar, high or low
            if g % 3:
                frame[top:top + 16, x + 7:x + 9] = 25          # a second stem
    rois = libasp.detect_roi(frame, methods=["text"])
    assert len(rois) == 2, rois
    for (x, y, w, h, kind, confidence), (top, count) in zip(sorted(rois.tolist(), key=lambda r: r[1]), lines):
        assert kind == 2  # RoiType.Text
        assert y <= top and y + h >= top + 16 and h <= 32
        assert x <= 20 and x + w >= 20 + 15 * (count - 1) + 9
        assert 0 < confidence <= 1
    # "edge" runs the same detector; a flat frame has no regions.
    assert (libasp.detect_roi(frame, methods=["edge"]) == rois).all()
    assert len(libasp.detect_roi(np.full((120, 200), 90, np.uint8), methods=["edge"])) == 0


def test_all_detectors_by_default():
    # A line of text-like glyphs and a box that moves over a still textured
    # background (a panning scene is camera motion, not a region).
    background = texture(120, 240, seed=3)
    background[80:96, :] = 210
    for g in range(12):
        x = 20 + 15 * g
        background[80:96, x:x + 2] = 25
        background[80 + 7 * (g % 2):80 + 7 * (g % 2) + 2, x:x + 9] = 25
    previous, current = background.copy(), background.copy()
    previous[10:40, 20:50] = 240
    current[10:40, 60:90] = 240
    rois = libasp.detect_roi(current, previous)
    assert rois.shape[1] == 6
    kinds = set(rois[:, 4].tolist())
    # Motion found, and the edge detector's regions (Text or Edge) too.
    assert 4.0 in kinds and kinds & {2.0, 3.0} and kinds <= {1.0, 2.0, 3.0, 4.0}, rois
    assert ((rois[:, 5] >= 0) & (rois[:, 5] <= 1)).all()


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(methods=["nose"]), ValueError, "methods: unknown detector \"nose\" \\(edge, text, motion or face\\)"),
        (dict(methods=5), TypeError, "methods must be a sequence of names"),
        (dict(previous_frame=np.zeros((10, 12), np.uint8)), ValueError,
         r"previous_frame has shape \[10, 12\] but frame has shape \[12, 10\]"),
        (dict(width=11), ValueError, r"width=11 height=None do not match frame of shape \[12, 10\]"),
        (dict(height=0), ValueError, "height must be in 1..=65536, got 0"),
    ],
)
def test_bad_roi_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        libasp.detect_roi(np.zeros((12, 10), np.uint8), **kwargs)


def test_bad_roi_frames():
    with pytest.raises(ValueError, match="frame is a flat buffer of 120 bytes: give width= and height="):
        libasp.detect_roi(np.zeros(120, np.uint8))
    with pytest.raises(ValueError, match=r"frame has 121 bytes, which is not 10x12 gray \(120\), RGB \(360\) or I420 \(180\)"):
        libasp.detect_roi(np.zeros(121, np.uint8), width=10, height=12)
    with pytest.raises(TypeError, match="frame must have dtype uint8, got float32"):
        libasp.detect_roi(np.zeros((12, 10), np.float32))
    with pytest.raises(ValueError, match="frame must be"):
        libasp.detect_roi(np.zeros((12, 10, 4), np.uint8))
