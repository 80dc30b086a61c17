"""Packets from Python: built, parsed back, read by the flatc-generated
Python reader, and refused cleanly when damaged."""
import struct
import zlib

import numpy as np
import pytest

import libasp
from conftest import texture


def field(seed=0):
    big = texture(96, 160, seed=seed)
    return libasp.estimate_motion_numpy(np.roll(big, 2, axis=1), big, algorithm="full")


def test_i_packet_round_trip():
    data = libasp.create_i_packet(7, 1920, 1080, 30)
    assert isinstance(data, bytes) and data[:4] == b"ASP1"
    packet_type, sequence, payload_size = libasp.parse_packet(data)
    assert (packet_type, sequence, payload_size) == (libasp.PACKET_I, 7, len(data) - 20)
    p = libasp.Packet(data)
    assert (p.kind, p.payload_kind, p.keyframe) == ("I", "IPacketPayload", True)
    assert (p.width, p.height, p.fps, p.fps_fraction) == (1920, 1080, 30.0, (30, 1))
    assert (p.color_range, p.color_matrix) == ("limited", "bt709")
    assert p.ref_sequence is None and len(p.motion_vectors) == 0 and p.regions == []
    assert len(p) == len(data) and p.data == data
    # The header and CRC as the spec lays them out.
    magic, version, ptype, flags, seq, n = struct.unpack(">4sBBHII", data[:16])
    assert (magic, version, ptype, flags, seq, n) == (b"ASP1", 3, 1, 0, 7, payload_size)
    assert p.crc == zlib.crc32(data[:-4]) == int.from_bytes(data[-4:], "big")


def test_fps_forms():
    assert libasp.Packet(libasp.create_i_packet(0, 64, 64, (30000, 1001))).fps_fraction == (30000, 1001)
    assert libasp.Packet(libasp.create_i_packet(0, 64, 64, 29.97)).fps_fraction == (30000, 1001)
    assert libasp.Packet(libasp.create_i_packet(0, 64, 64, 23.976)).fps_fraction == (24000, 1001)
    assert libasp.Packet(libasp.create_i_packet(0, 64, 64, 12.5)).fps_fraction == (25, 2)
    assert libasp.Packet(libasp.create_i_packet(0, 64, 64, 60.0)).fps_fraction == (60, 1)


def test_d_packet_carries_the_motion_field():
    mv = field()
    data = libasp.create_d_packet_numpy(12, 11, mv)
    assert libasp.parse_packet(data)[:2] == (libasp.PACKET_D, 12)
    p = libasp.Packet(data)
    assert (p.kind, p.ref_sequence, p.motion_block_size, p.motion_vector_precision) == ("D", 11, 16, 1)
    view = p.motion_vectors
    assert view.dtype == libasp.MOTION_VECTOR_DTYPE and len(view) == len(mv)
    assert (view["block_x"] == mv[:, 0]).all() and (view["dx"] == mv[:, 2]).all()
    assert (view["sad"] == mv[:, 4]).all()
    # A view into the packet's bytes, not a copy.
    assert not view.flags.writeable and not view.flags.owndata
    assert (p.motion_field() == mv).all()


def test_d_packet_is_read_by_the_flatc_python_reader(flatc_reader):
    root, dpayload = flatc_reader
    mv = field(seed=1)
    data = libasp.create_d_packet_numpy(3, 2, mv, block_size=16, precision=4, qp=30)
    payload = data[16:-4]
    packet = root.AspPacketPayload.GetRootAs(payload, 0)
    assert packet.PayloadType() == libasp.PACKET_D
    d = dpayload.DPacketPayload()
    table = packet.Payload()
    d.Init(table.Bytes, table.Pos)
    # The usual reference (the frame before) is implicit on the wire: flatc
    # readers see no field; libasp.Packet resolves it.
    assert (d.RefSequence(), d.Qp(), d.MotionBlockSize(), d.MotionVectorPrecision()) == (None, 30, 16, 4)
    assert libasp.Packet(data).ref_sequence == 2
    assert d.MotionVectorsLength() == len(mv)
    for i in (0, len(mv) // 2, len(mv) - 1):
        v = d.MotionVectors(i)
        assert [v.BlockX(), v.BlockY(), v.Dx(), v.Dy(), v.Sad()] == mv[i].tolist()


def test_any_integer_dtype_is_accepted_for_vectors():
    mv = field()
    a = libasp.create_d_packet_numpy(1, 0, mv)
    b = libasp.create_d_packet_numpy(1, 0, mv.astype(np.int64))
    c = libasp.create_d_packet_numpy(1, 0, np.asfortranarray(mv.astype(np.int16)))
    assert a == b == c


def test_regions_and_palette_travel_as_side_data():
    rois = np.array([[10, 20, 30, 40, 1, 0.9], [0, 0, 8, 8, 3, 0.5]], np.float32)
    palette = np.array([[255, 0, 0], [0, 128, 255]], np.uint8)
    p = libasp.Packet(libasp.create_i_packet(0, 320, 240, 25, regions=rois, palette=palette))
    assert [r.roi_type for r in p.regions] == ["face", "edge"]
    r = p.regions[0]
    assert (r.x, r.y, r.width, r.height, r.type_id, r.priority) == (10, 20, 30, 40, 1, 1)
    assert r.confidence == pytest.approx(0.9)
    colors, weights = p.palette
    assert (colors == palette).all() and weights is None
    d = libasp.Packet(libasp.create_d_packet_numpy(1, 0, field(), regions=rois))
    assert d.regions == p.regions


def test_split_packets_walks_a_stream():
    packets = [libasp.create_i_packet(0, 64, 48, 30)] + [
        libasp.create_d_packet_numpy(i, i - 1, field(i)) for i in range(1, 4)]
    stream = b"".join(packets)
    assert libasp.split_packets(stream) == packets
    assert libasp.split_packets(bytearray(stream)) == packets
    assert libasp.split_packets(np.frombuffer(stream, np.uint8)) == packets
    damaged = bytearray(stream)
    at = len(packets[0]) + len(packets[1]) + 30
    damaged[at] ^= 1
    with pytest.raises(libasp.PacketError, match=f"packet at byte {len(packets[0]) + len(packets[1])}") as e:
        libasp.split_packets(bytes(damaged))
    assert e.value.kind == "crc_mismatch"


@pytest.mark.parametrize(
    "mutate, kind, offset",
    [
        (lambda b: b[:10], "too_short", None),
        (lambda b: b"ASP2" + b[4:], "bad_magic", 0),
        (lambda b: b[:4] + b"\x09" + b[5:], "unsupported_version", 4),
        (lambda b: b[:5] + b"\x07" + b[6:], "unknown_packet_type", 5),
        (lambda b: b[:-1], "truncated", None),
        (lambda b: b + b"\x00", "trailing_bytes", None),
        (lambda b: b[:40] + bytes([b[40] ^ 0xFF]) + b[41:], "crc_mismatch", None),
        (lambda b: b[:12] + (1 << 30).to_bytes(4, "big") + b[16:], "payload_too_large", 12),
    ],
)
def test_damaged_packets_raise_packet_error(mutate, kind, offset):
    good = libasp.create_d_packet_numpy(1, 0, field())
    bad = mutate(good)
    for parse in (libasp.parse_packet, libasp.Packet, libasp.Decoder().decode):
        with pytest.raises(libasp.PacketError) as e:
            parse(bad)
        assert e.value.kind == kind
        if offset is not None:
            assert e.value.offset == offset
        assert isinstance(e.value, ValueError)


def test_a_payload_of_the_wrong_kind_is_refused():
    i = bytearray(libasp.create_i_packet(0, 64, 64, 30))
    i[5] = libasp.PACKET_D
    crc = zlib.crc32(bytes(i[:-4]))
    i[-4:] = crc.to_bytes(4, "big")
    with pytest.raises(libasp.PacketError) as e:
        libasp.parse_packet(bytes(i))
    assert e.value.kind == "payload_type_mismatch"


def test_random_bytes_never_crash():
    rng = np.random.default_rng(0)
    good = libasp.create_d_packet_numpy(1, 0, field())
    for n in range(300):
        junk = bytearray(good)
        for _ in range(1 + n % 4):
            junk[rng.integers(0, len(junk))] = rng.integers(0, 256)
        # Fix the CRC so the payload verifier is reached too.
        junk[-4:] = zlib.crc32(bytes(junk[:-4])).to_bytes(4, "big")
        try:
            libasp.Packet(bytes(junk))
        except libasp.PacketError:
            pass


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: libasp.create_i_packet(-1, 64, 64, 30), ValueError, "sequence must be in 0..=4294967295, got -1"),
        (lambda: libasp.create_i_packet(2**32, 64, 64, 30), ValueError, "sequence must be in"),
        (lambda: libasp.create_i_packet(0, 0, 64, 30), ValueError, "width must be in 1..=8192, got 0"),
        (lambda: libasp.create_i_packet(0, 64, 9000, 30), ValueError, "height must be in 1..=8192, got 9000"),
        (lambda: libasp.create_i_packet(0, 64, 64, 0), ValueError, "fps must be in 1..=1000, got 0"),
        (lambda: libasp.create_i_packet(0, 64, 64, (30, 0)), ValueError, "fps must be"),
        (lambda: libasp.create_i_packet(0, 64, 64, "30"), TypeError, "fps must be an int, a float or a"),
        (lambda: libasp.create_d_packet_numpy(1, 0, [[0, 0, 0, 0, 0]]), TypeError, "motion_vectors must be a numpy.ndarray"),
        (lambda: libasp.create_d_packet_numpy(1, 0, np.zeros((3, 5), np.float32)), TypeError, "integer dtype, got float32"),
        (lambda: libasp.create_d_packet_numpy(1, 0, np.zeros((3, 4), np.int32)), ValueError, r"shape \(N, 5\), got \[3, 4\]"),
        (lambda: libasp.create_d_packet_numpy(1, 0, np.array([[0, 0, 40000, 0, 0]])), ValueError,
         r"motion_vectors\[0\] dx must be in -32768..=32767, got 40000"),
        (lambda: libasp.create_d_packet_numpy(1, 0, np.array([[0, -1, 0, 0, 0]])), ValueError,
         r"motion_vectors\[0\] block_y must be in 0..=65535, got -1"),
        (lambda: libasp.create_d_packet_numpy(1, 0, np.zeros((1, 5), np.int32), precision=3), ValueError,
         "precision must be 1, 2 or 4, got 3"),
        (lambda: libasp.create_d_packet_numpy(1, -2, np.zeros((1, 5), np.int32)), ValueError, "ref_sequence must be in"),
        (lambda: libasp.create_i_packet(0, 64, 64, 30, regions=np.zeros((1, 5), np.float32)), ValueError,
         r"regions must have shape \(N, 6\)"),
        (lambda: libasp.create_i_packet(0, 64, 64, 30, regions=np.array([[0, 0, 1, 1, 9, 0.5]], np.float32)),
         ValueError, r"regions\[0\] type must be 0..=5, got 9"),
        (lambda: libasp.create_i_packet(0, 64, 64, 30, regions=np.array([[-4, 0, 1, 1, 0, 0.5]], np.float32)),
         ValueError, r"regions\[0\] x must be a non-negative number, got -4"),
        (lambda: libasp.parse_packet("ASP1"), TypeError, "data must be bytes, bytearray or a 1-D uint8 array, got str"),
        (lambda: libasp.parse_packet(np.zeros((4, 8), np.uint8)), ValueError, "data must be a 1-D uint8 array"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
