"""Heavy calls release the GIL.

Not a timing test. The switch interval is set to 100 s, so a thread that
holds the GIL is never asked to give it up within the test. A helper thread
is woken (its event set) just before the call; it needs the GIL to record
that it ran. If the call releases the GIL, the helper runs while the call
is in progress and has recorded it by the time the call returns; if the
call held the GIL, the helper could not run at all before the main thread
reads the record (which it does without releasing the GIL in between).
"""
import sys
import threading

import numpy as np
import pytest

import libasp
from conftest import moving_scene, texture


def ran_during(call):
    """Whether another Python thread ran while `call()` was running."""
    woken = threading.Event()
    record = []

    def helper():
        woken.wait()
        record.append("ran")

    old = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        thread = threading.Thread(target=helper)
        thread.start()
        woken.set()
        call()
        seen = list(record)  # read before anything can release the GIL
    finally:
        sys.setswitchinterval(old)
    thread.join()
    return seen == ["ran"]


def test_the_method_detects_a_call_that_holds_the_gil():
    # A pure-Python busy loop holds the GIL (the switch interval is 100 s).
    def busy():
        total = 0
        for i in range(3_000_000):
            total += i
        return total
    assert not ran_during(busy)


def test_the_method_detects_a_call_that_releases_the_gil():
    import time
    assert ran_during(lambda: time.sleep(0.3))


@pytest.fixture(scope="module")
def big_pair():
    frame = texture(720, 1280, seed=1)
    return np.roll(frame, 3, axis=1), frame


def test_estimate_motion_numpy_releases_the_gil(big_pair):
    current, previous = big_pair
    assert ran_during(lambda: libasp.estimate_motion_numpy(current, previous, search_range=32, algorithm="full", threads=1))


def test_motion_estimator_releases_the_gil(big_pair):
    est = libasp.MotionEstimator(search_range=32, algorithm="full", threads=1)
    assert ran_during(lambda: est.estimate_numpy(*big_pair))


def test_encoder_and_decoder_release_the_gil():
    frames = moving_scene(2, 360, 640)
    encoder = libasp.Encoder(640, 360, 30, qp=22, preset="medium", threads=1)
    packets = []
    assert ran_during(lambda: packets.extend(encoder.encode(frames[0])))
    decoder = libasp.Decoder(output="rgb", threads=1)
    assert ran_during(lambda: decoder.decode(packets[0]))


def test_two_threads_can_search_at_once(big_pair):
    """Both threads' calls complete and give the single-thread result."""
    current, previous = big_pair
    expected = libasp.estimate_motion_numpy(current, previous, threads=1)
    results = [None, None]

    def work(i):
        results[i] = libasp.estimate_motion_numpy(current, previous, threads=1)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all((r == expected).all() for r in results)
