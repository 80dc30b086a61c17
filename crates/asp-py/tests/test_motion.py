"""estimate_motion_numpy and MotionEstimator: known shifts are found, the
result has the seed's shape, and every bad input is a clear error."""
import numpy as np
import pytest

import libasp
from conftest import texture

ALGORITHMS = ["diamond", "hexagon", "three_step", "full"]


def shifted_pair(dx, dy, h=96, w=128, seed=3):
    """(current, previous): current's content at (x, y) is previous's at (x + dx, y + dy)."""
    big = texture(h + 40, w + 40, seed=seed)
    previous = np.ascontiguousarray(big[20:20 + h, 20:20 + w])
    current = np.ascontiguousarray(big[20 + dy:20 + dy + h, 20 + dx:20 + dx + w])
    return current, previous


def interior(mv, block, h, w, margin=16):
    """Rows of blocks whose displaced match lies inside the frame."""
    x, y = mv[:, 0] * block, mv[:, 1] * block
    keep = (x >= margin) & (y >= margin) & (x + block <= w - margin) & (y + block <= h - margin)
    return mv[keep]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("shift", [(3, -2), (-5, 4), (0, 0), (7, 1)])
def test_known_shift_is_found(algorithm, shift):
    dx, dy = shift
    current, previous = shifted_pair(dx, dy)
    mv = libasp.estimate_motion_numpy(current, previous, block_size=16, search_range=16, algorithm=algorithm)
    assert mv.dtype == np.int32 and mv.shape == (8 * 6, 5)
    inner = interior(mv, 16, *current.shape)
    assert len(inner) > 0
    assert (inner[:, 2] == dx).all() and (inner[:, 3] == dy).all(), inner[:5]
    assert (inner[:, 4] == 0).all()


def test_rows_are_blocks_in_raster_order_with_edge_blocks():
    current, previous = shifted_pair(1, 1, h=50, w=70)
    mv = libasp.estimate_motion_numpy(current, previous, block_size=16)
    # ceil(70 / 16) = 5 columns, ceil(50 / 16) = 4 rows.
    assert mv.shape == (20, 5)
    assert (mv[:, 0] == np.tile(np.arange(5), 4)).all()
    assert (mv[:, 1] == np.repeat(np.arange(4), 5)).all()


def test_sad_column_is_the_real_sad():
    current, previous = shifted_pair(2, 0)
    noisy = current.copy()
    noisy[40:48, 40:48] ^= 0x10
    mv = libasp.estimate_motion_numpy(noisy, previous, block_size=8, algorithm="full")
    for bx, by, dx, dy, sad in mv[::7]:
        x, y = bx * 8, by * 8
        cur = noisy[y:y + 8, x:x + 8].astype(int)
        ref = previous[y + dy:y + dy + 8, x + dx:x + dx + 8].astype(int)
        assert np.abs(cur - ref).sum() == sad


def test_full_search_finds_the_minimum():
    rng = np.random.default_rng(5)
    previous = rng.integers(0, 256, (48, 48), dtype=np.uint8)
    current = rng.integers(0, 256, (48, 48), dtype=np.uint8)
    mv = libasp.estimate_motion_numpy(current, previous, block_size=16, search_range=4, algorithm="full")
    bx, by, dx, dy, sad = mv[4]  # the centre block
    block = current[16:32, 16:32].astype(int)
    best = min(np.abs(block - previous[16 + j:32 + j, 16 + i:32 + i].astype(int)).sum()
               for j in range(-4, 5) for i in range(-4, 5))
    assert sad == best


def test_estimator_object_matches_the_function_and_describes_itself():
    current, previous = shifted_pair(-3, 2)
    est = libasp.MotionEstimator(block_size=8, search_range=12, algorithm="hexagon")
    assert (est.block_size, est.search_range, est.algorithm) == (8, 12, "hexagon")
    assert "hexagon" in repr(est)
    assert est.grid(128, 96) == (16, 12)
    a = est.estimate_numpy(current, previous)
    b = libasp.estimate_motion_numpy(current, previous, 8, 12, "hexagon")
    assert (a == b).all()


def test_thread_count_does_not_change_the_result():
    current, previous = shifted_pair(4, 3, h=200, w=240)
    one = libasp.estimate_motion_numpy(current, previous, threads=1)
    two = libasp.estimate_motion_numpy(current, previous, threads=2)
    every = libasp.estimate_motion_numpy(current, previous)
    assert (one == two).all() and (one == every).all()


def test_rgb_frames_are_searched_on_luma():
    current, previous = shifted_pair(2, -1)
    gray = libasp.estimate_motion_numpy(current, previous)
    # R = G = B: the luma of a gray pixel is the pixel itself.
    rgb = libasp.estimate_motion_numpy(np.repeat(current[..., None], 3, -1), np.repeat(previous[..., None], 3, -1))
    assert (gray == rgb).all()


def test_non_contiguous_inputs_are_copied_and_give_the_same_result():
    current, previous = shifted_pair(1, 2)
    wide_c = np.zeros((96, 256), np.uint8)
    wide_p = np.zeros((96, 256), np.uint8)
    wide_c[:, ::2], wide_p[:, ::2] = current, previous
    view_c, view_p = wide_c[:, ::2], wide_p[:, ::2]
    assert not view_c.flags.c_contiguous
    a = libasp.estimate_motion_numpy(view_c, view_p)
    b = libasp.estimate_motion_numpy(current, previous)
    assert (a == b).all()
    fortran = np.asfortranarray(current)
    assert (libasp.estimate_motion_numpy(fortran, previous) == b).all()


def test_read_only_inputs_are_accepted():
    current, previous = shifted_pair(1, 0)
    current.flags.writeable = False
    assert libasp.estimate_motion_numpy(current, previous).shape == (48, 5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(block_size=12), "block_size must be 4, 8, 16 or 32, got 12"),
        (dict(block_size=-16), "got -16"),
        (dict(search_range=65), "search_range must be in 0..=64, got 65"),
        (dict(search_range=-1), "got -1"),
        (dict(algorithm="spiral"), "algorithm must be 'diamond', 'hexagon', 'three_step' or 'full', got \"spiral\""),
        (dict(threads=0), "threads must be None or in 1..=256, got 0"),
        (dict(early_exit_sad=-5), "early_exit_sad must be in"),
    ],
)
def test_bad_parameters_are_value_errors_naming_the_value(kwargs, message):
    current, previous = shifted_pair(0, 0)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        libasp.estimate_motion_numpy(current, previous, **kwargs)
    with pytest.raises(ValueError):
        libasp.MotionEstimator(**kwargs)


@pytest.mark.parametrize(
    "current, error, message",
    [
        ([[1, 2], [3, 4]], TypeError, "current must be a numpy.ndarray of uint8, got list"),
        (np.zeros((32, 32), np.float32), TypeError, "current must have dtype uint8, got float32"),
        (np.zeros((32, 32), np.int64), TypeError, "current must have dtype uint8, got int64"),
        (np.zeros(32 * 32, np.uint8), ValueError, r"got 1 dimensions \(shape \[1024\]\)"),
        (np.zeros((2, 32, 32, 3), np.uint8), ValueError, "got 4 dimensions"),
        (np.zeros((32, 32, 4), np.uint8), ValueError, "got 4 channels"),
        (np.zeros((0, 32), np.uint8), ValueError, "current is empty"),
        (np.zeros((32, 48), np.uint8), ValueError, "must have the same shape"),
    ],
)
def test_bad_frames_are_type_or_value_errors_naming_the_argument(current, error, message):
    previous = np.zeros((32, 32), np.uint8)
    with pytest.raises(error, match=message):
        libasp.estimate_motion_numpy(current, previous)


def test_previous_is_named_too():
    with pytest.raises(TypeError, match="previous must have dtype uint8, got uint16"):
        libasp.estimate_motion_numpy(np.zeros((16, 16), np.uint8), np.zeros((16, 16), np.uint16))
    with pytest.raises(TypeError, match="previous must be a numpy.ndarray of uint8, got NoneType"):
        libasp.estimate_motion_numpy(np.zeros((16, 16), np.uint8), None)


def test_wrong_argument_types_are_type_errors():
    frame = np.zeros((16, 16), np.uint8)
    with pytest.raises(TypeError):
        libasp.estimate_motion_numpy(frame, frame, block_size="16")
    with pytest.raises(TypeError):
        libasp.estimate_motion_numpy(frame, frame, algorithm=3)
    with pytest.raises(TypeError):
        libasp.estimate_motion_numpy(frame)


def test_tiny_and_huge_frames_never_crash():
    one = np.zeros((1, 1), np.uint8)
    assert libasp.estimate_motion_numpy(one, one).tolist() == [[0, 0, 0, 0, 0]]
    with pytest.raises(ValueError, match="65536"):
        wide = np.zeros((1, 70000), np.uint8)
        libasp.estimate_motion_numpy(wide, wide)
