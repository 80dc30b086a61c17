"""DctTransform: the codec's transform and quantiser.

`inverse` is checked against an independent NumPy implementation of the
H.264 8x8 and 4x4 dequantisation and inverse transforms (the decoder's
specification), so inverse(forward(x)) is what a decoder reconstructs.
"""
import numpy as np
import pytest

import libasp
from conftest import texture

# H.264 normAdjust8x8(m, class) and normAdjust4x4(m, class).
V8 = np.array([[20, 18, 32, 19, 25, 24], [22, 19, 35, 21, 28, 26], [26, 23, 42, 24, 33, 31],
               [28, 25, 45, 26, 35, 33], [32, 28, 51, 30, 40, 38], [36, 32, 58, 34, 46, 43]])
V4 = np.array([[10, 16, 13], [11, 18, 14], [13, 20, 16], [14, 23, 18], [16, 25, 20], [18, 29, 23]])


def class8(i, j):
    if i % 4 == 0 and j % 4 == 0:
        return 0
    if i % 2 == 1 and j % 2 == 1:
        return 1
    if i % 4 == 2 and j % 4 == 2:
        return 2
    if (i % 4 == 0 and j % 2 == 1) or (i % 2 == 1 and j % 4 == 0):
        return 3
    if (i % 4 == 0 and j % 4 == 2) or (i % 4 == 2 and j % 4 == 0):
        return 4
    return 5


def class4(i, j):
    if i % 2 == 0 and j % 2 == 0:
        return 0
    if i % 2 == 1 and j % 2 == 1:
        return 1
    return 2


def dequant(levels, qp, n):
    out = np.zeros((n, n), np.int64)
    for i in range(n):
        for j in range(n):
            scale = 16 * (V8[qp % 6, class8(i, j)] if n == 8 else V4[qp % 6, class4(i, j)])
            c = int(levels[i, j]) * scale
            shift = qp // 6 - (6 if n == 8 else 4)
            out[i, j] = c << shift if shift >= 0 else (c + (1 << (-shift - 1))) >> -shift
    return out


def inverse_1d_8(d):
    a0, a4 = d[0] + d[4], d[0] - d[4]
    a2, a6 = (d[2] >> 1) - d[6], d[2] + (d[6] >> 1)
    b0, b2, b4, b6 = a0 + a6, a4 + a2, a4 - a2, a0 - a6
    a1 = -d[3] + d[5] - d[7] - (d[7] >> 1)
    a3 = d[1] + d[7] - d[3] - (d[3] >> 1)
    a5 = -d[1] + d[7] + d[5] + (d[5] >> 1)
    a7 = d[3] + d[5] + d[1] + (d[1] >> 1)
    b1, b7 = a1 + (a7 >> 2), a7 - (a1 >> 2)
    b3, b5 = a3 + (a5 >> 2), (a3 >> 2) - a5
    return [b0 + b7, b2 + b5, b4 + b3, b6 + b1, b6 - b1, b4 - b3, b2 - b5, b0 - b7]


def inverse_1d_4(d):
    e, f = d[0] + d[2], d[0] - d[2]
    g, h = (d[1] >> 1) - d[3], d[1] + (d[3] >> 1)
    return [e + h, f + g, f - g, e - h]


def decode_block(levels, qp, n):
    """What the decoder reconstructs: 128 + idct(dequant(levels)), clipped."""
    d = dequant(levels, qp, n)
    inv = inverse_1d_8 if n == 8 else inverse_1d_4
    rows = np.array([inv(list(r)) for r in d])
    full = np.array([inv(list(c)) for c in rows.T]).T
    return np.clip(128 + ((full + 32) >> 6), 0, 255).astype(np.uint8)


def blocks(a, n):
    h, w = a.shape
    return a.reshape(h // n, n, w // n, n).swapaxes(1, 2).reshape(-1, n, n)


@pytest.mark.parametrize("n", [8, 4])
@pytest.mark.parametrize("qp", [0, 13, 26, 37, 51])
def test_inverse_is_the_decoders_reconstruction(n, qp):
    rng = np.random.default_rng(qp + n)
    levels = rng.integers(-40, 41, (2 * n, 3 * n)).astype(np.int32)
    levels[rng.random(levels.shape) < 0.6] = 0
    dct = libasp.DctTransform(block_size=n, qp=qp)
    out = dct.inverse(levels)
    assert out.dtype == np.uint8 and out.shape == levels.shape
    for got, lv in zip(blocks(out, n), blocks(levels, n)):
        assert (got == decode_block(lv, qp, n)).all()


@pytest.mark.parametrize("n", [8, 4])
def test_round_trip_error_grows_with_the_quantiser(n):
    picture = texture(64, 96, seed=2)
    errors = []
    for quality in (100, 90, 75, 50, 20, 0):
        dct = libasp.DctTransform(block_size=n, quality=quality)
        levels = dct.forward(picture)
        assert levels.dtype == np.int32 and levels.shape == picture.shape
        back = dct.inverse(levels)
        errors.append(np.abs(back.astype(int) - picture).mean())
    assert errors == sorted(errors)
    assert errors[0] < 1.0           # qp 0: a step of 0.625
    assert errors[-1] > 4 * errors[1]


def test_forward_of_a_flat_block_is_dc_only_and_exact():
    dct = libasp.DctTransform(quality=100)
    flat = np.full((8, 8), 200, np.uint8)
    levels = dct.forward(flat)
    assert levels[0, 0] > 0 and (levels.ravel()[1:] == 0).all()
    assert (dct.inverse(levels) == flat).all()
    grey = np.full((8, 8), 128, np.uint8)
    assert (dct.forward(grey) == 0).all()


def test_quality_maps_to_qp():
    assert libasp.DctTransform().qp == 13
    assert libasp.DctTransform(quality=100).qp == 0
    assert libasp.DctTransform(quality=0).qp == 51
    d = libasp.DctTransform(qp=30)
    assert d.qp == 30 and d.quality is None and "qp=30" in repr(d)


def test_a_whole_plane_is_coded_block_by_block():
    picture = texture(32, 48, seed=4)
    dct = libasp.DctTransform()
    whole = dct.forward(picture)
    one = dct.forward(np.ascontiguousarray(picture[8:16, 16:24]))
    assert (whole[8:16, 16:24] == one).all()
    # A non-contiguous view gives the same levels.
    assert (dct.forward(picture[:, ::-1][:, ::-1]) == whole).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [(dict(block_size=16), "block_size must be 8 or 4, got 16"),
     (dict(quality=101), "quality must be in 0..=100, got 101"),
     (dict(quality=-1), "got -1"),
     (dict(qp=52), "qp must be in 0..=51, got 52")],
)
def test_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        libasp.DctTransform(**kwargs)


def test_bad_blocks():
    dct = libasp.DctTransform()
    with pytest.raises(ValueError, match=r"block must be 2-D with both sides non-zero multiples of 8, got shape \[8, 12\]"):
        dct.forward(np.zeros((8, 12), np.uint8))
    with pytest.raises(ValueError, match="got shape"):
        dct.forward(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(TypeError, match="block must have dtype uint8, got float64"):
        dct.forward(np.zeros((8, 8)))
    with pytest.raises(TypeError, match="coefficients must have dtype int32, got int64"):
        dct.inverse(np.zeros((8, 8), np.int64))
    with pytest.raises(ValueError, match="coefficients must be 2-D"):
        dct.inverse(np.zeros((0, 8), np.int32))


def test_absurd_levels_never_crash():
    dct = libasp.DctTransform(qp=51)
    levels = np.full((8, 8), np.iinfo(np.int32).max, np.int32)
    out = dct.inverse(levels)
    assert out.dtype == np.uint8
    levels[::2] = np.iinfo(np.int32).min
    dct.inverse(levels)
