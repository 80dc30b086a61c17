"""flatc-generated Python reads what Rust (and the Python builders) wrote.

Run by tests/interop/run.sh, which first generates the Python module and
writes build/interop/rust.asp and python.asp (ASP_INTEROP_FRAMES frames each).
"""
import os
import struct

import pytest

import aspio
import write_packets
from Alice.Asp.AspPacketPayload import AspPacketPayload
from Alice.Asp.CPacketPayload import CPacketPayload
from Alice.Asp.DPacketPayload import DPacketPayload
from Alice.Asp.IPacketPayload import IPacketPayload
from Alice.Asp.Rect import Rect
from Alice.Asp.SPacketPayload import SPacketPayload

FRAMES = int(os.environ.get("ASP_INTEROP_FRAMES", "10"))
FIXTURE = aspio.ROOT / "tests" / "interop" / "fixtures" / "python_written.asp"


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def union(root, cls):
    table = root.Payload()
    obj = cls()
    obj.Init(table.Bytes, table.Pos)
    return obj


def check_keyframe(p):
    s = p.Stream()
    assert (s.Width(), s.Height()) == (aspio.WIDTH, aspio.HEIGHT)
    assert (s.FpsNum(), s.FpsDen()) == aspio.FPS
    assert (s.ColorRange(), s.ColorMatrix()) == (0, 1)  # Limited, Bt709
    assert s.Attribution() == aspio.ATTRIBUTION.encode()
    assert p.CaptureTimeUs() == aspio.capture_time_us(0)
    assert p.Qp() == aspio.KEY_QP
    assert (p.TileColumns(), p.TileRows()) == (1, 1)
    assert p.TileSizesIsNone()  # one tile: its size is the data's
    assert bytes(p.TileData(i) for i in range(p.TileDataLength())) == aspio.KEY_TILE


def check_delta(p, seq):
    # The usual reference (the frame before) is implicit; the capture time
    # is a delta from the keyframe's.
    assert p.RefSequence() is None and p.CaptureTimeUs() is None
    assert p.CaptureDeltaUs() == aspio.capture_time_us(seq) - aspio.capture_time_us(0)
    assert p.Qp() == aspio.DELTA_QP
    assert (p.MotionBlockSize(), p.MotionVectorPrecision()) == (16, 1)
    assert p.TileSizesIsNone() and p.TileDataIsNone()
    mvs = [p.MotionVectors(i) for i in range(p.MotionVectorsLength())]
    got = [(m.BlockX(), m.BlockY(), m.Dx(), m.Dy(), m.Sad()) for m in mvs]
    assert got == aspio.motion_vectors(seq)


def check_correction(p, frames):
    assert p.RefSequence() == frames - 1
    assert p.CaptureTimeUs() == aspio.capture_time_us(frames - 1)
    assert p.Qp() == aspio.CORRECTION_QP
    assert p.RegionsLength() == 1
    r = p.Regions(0)
    b = r.Bounds(Rect())
    assert (b.X(), b.Y(), b.Width(), b.Height()) == aspio.FACE
    assert r.Confidence() == f32(aspio.FACE_CONFIDENCE)
    assert (r.RoiType(), r.Priority()) == (aspio.ROI_FACE, aspio.FACE_PRIORITY)
    assert p.TileSizesIsNone()  # one region: its size is the data's
    assert bytes(p.TileData(i) for i in range(p.TileDataLength())) == aspio.CORRECTION_DATA


def check_stream(data, frames):
    packets = aspio.split(data)
    layout = [(aspio.I, 0, 0)] + [(aspio.D, 0, s) for s in range(1, frames)]
    layout += [(aspio.C, aspio.DISCARDABLE, frames), (aspio.S, 0, frames + 1), (aspio.S, 0, frames + 2)]
    assert [(t, f, s) for t, f, s, _ in packets] == layout
    for ptype, _, seq, payload in packets:
        root = AspPacketPayload.GetRootAs(payload, 0)
        assert root.PayloadType() == ptype
        if ptype == aspio.I:
            check_keyframe(union(root, IPacketPayload))
        elif ptype == aspio.D:
            check_delta(union(root, DPacketPayload), seq)
        elif ptype == aspio.C:
            check_correction(union(root, CPacketPayload), frames)
        else:
            p = union(root, SPacketPayload)
            if seq == frames + 1:
                assert (p.Command(), p.TimestampUs(), p.Reason()) == (aspio.SYNC_PING, aspio.PING_TIMESTAMP_US, None)
            else:
                assert (p.Command(), p.Reason()) == (aspio.SYNC_END_OF_STREAM, aspio.END_REASON.encode())
    return len(packets)


@pytest.mark.parametrize("name", ["rust.asp", "python.asp"])
def test_reads_stream(name):
    path = aspio.OUT / name
    assert path.exists(), f"{path} is missing: run tests/interop/run.sh"
    assert check_stream(path.read_bytes(), FRAMES) == FRAMES + 3


def test_committed_fixture_is_what_the_writer_writes():
    # The Rust test crates/asp-core/tests/interop_fixture.rs reads this file.
    assert FIXTURE.read_bytes() == write_packets.stream(3), \
        "regenerate: .venv/bin/python tests/interop/write_packets.py tests/interop/fixtures/python_written.asp 3"


def test_checks_catch_damage():
    data = bytearray(write_packets.stream(2))
    data[100] ^= 0x01
    with pytest.raises(ValueError, match="CRC mismatch"):
        aspio.split(bytes(data))
    with pytest.raises(AssertionError):
        check_stream(write_packets.stream(3), 2)
