"""Writes an ASP stream with the flatc-generated Python builders.

  python write_packets.py OUT.asp [FRAMES]   the stream synthetic_stream.rs writes
  python write_packets.py --mismatch OUT.asp one D-packet whose payload is a keyframe

The first form writes, field for field, what the Rust example writes (the
bytes differ: each builder lays out tables its own way), so Rust can check
what it reads against the same formulas. tests/interop/fixtures/python_written.asp
is `write_packets.py FIXTURE 3`.
"""
import sys

import flatbuffers

import aspio
from Alice.Asp import (AspPacketPayload, CPacketPayload, DPacketPayload, IPacketPayload,
                       MotionVector, RoiRegion, SPacketPayload, StreamInfo)


def finish(b, ptype, table):
    AspPacketPayload.Start(b)
    AspPacketPayload.AddPayloadType(b, ptype)
    AspPacketPayload.AddPayload(b, table)
    b.Finish(AspPacketPayload.End(b))
    return b.Output()


def uint32_vector(b, start, values):
    start(b, len(values))
    for v in reversed(values):
        b.PrependUint32(v)
    return b.EndVector()


def keyframe():
    b = flatbuffers.Builder(256)
    # One tile: no size table (its size is the data's).
    data = b.CreateByteVector(aspio.KEY_TILE)
    attribution = b.CreateString(aspio.ATTRIBUTION)
    StreamInfo.Start(b)
    StreamInfo.AddWidth(b, aspio.WIDTH)
    StreamInfo.AddHeight(b, aspio.HEIGHT)
    StreamInfo.AddFpsNum(b, aspio.FPS[0])
    StreamInfo.AddFpsDen(b, aspio.FPS[1])
    StreamInfo.AddAttribution(b, attribution)
    stream = StreamInfo.End(b)
    IPacketPayload.Start(b)
    IPacketPayload.AddStream(b, stream)
    IPacketPayload.AddCaptureTimeUs(b, aspio.capture_time_us(0))
    IPacketPayload.AddQp(b, aspio.KEY_QP)
    IPacketPayload.AddTileData(b, data)
    return finish(b, aspio.I, IPacketPayload.End(b))


def delta(seq):
    b = flatbuffers.Builder(4096)
    mvs = aspio.motion_vectors(seq)
    DPacketPayload.StartMotionVectorsVector(b, len(mvs))
    for mv in reversed(mvs):
        MotionVector.CreateMotionVector(b, *mv)
    vectors = b.EndVector()
    DPacketPayload.Start(b)
    # The reference is the frame before (implicit); the capture time is a
    # delta from the keyframe's, the last one carried whole.
    DPacketPayload.AddCaptureDeltaUs(b, aspio.capture_time_us(seq) - aspio.capture_time_us(0))
    DPacketPayload.AddQp(b, aspio.DELTA_QP)
    DPacketPayload.AddMotionVectors(b, vectors)
    return finish(b, aspio.D, DPacketPayload.End(b))


def correction(frames):
    b = flatbuffers.Builder(256)
    CPacketPayload.StartRegionsVector(b, 1)
    RoiRegion.CreateRoiRegion(b, *aspio.FACE, aspio.FACE_CONFIDENCE, aspio.ROI_FACE, aspio.FACE_PRIORITY)
    regions = b.EndVector()
    data = b.CreateByteVector(aspio.CORRECTION_DATA)
    CPacketPayload.Start(b)
    CPacketPayload.AddRefSequence(b, frames - 1)
    CPacketPayload.AddCaptureTimeUs(b, aspio.capture_time_us(frames - 1))
    CPacketPayload.AddQp(b, aspio.CORRECTION_QP)
    CPacketPayload.AddRegions(b, regions)
    CPacketPayload.AddTileData(b, data)
    return finish(b, aspio.C, CPacketPayload.End(b))


def sync(command, timestamp_us=0, reason=None):
    b = flatbuffers.Builder(64)
    text = b.CreateString(reason) if reason is not None else None
    SPacketPayload.Start(b)
    SPacketPayload.AddCommand(b, command)
    if timestamp_us:
        SPacketPayload.AddTimestampUs(b, timestamp_us)
    if text is not None:
        SPacketPayload.AddReason(b, text)
    return finish(b, aspio.S, SPacketPayload.End(b))


def stream(frames):
    out = [aspio.packet(aspio.I, 0, keyframe())]
    out += [aspio.packet(aspio.D, seq, delta(seq)) for seq in range(1, frames)]
    out.append(aspio.packet(aspio.C, frames, correction(frames), aspio.DISCARDABLE))
    out.append(aspio.packet(aspio.S, frames + 1, sync(aspio.SYNC_PING, timestamp_us=aspio.PING_TIMESTAMP_US)))
    out.append(aspio.packet(aspio.S, frames + 2, sync(aspio.SYNC_END_OF_STREAM, reason=aspio.END_REASON)))
    return b"".join(out)


def main(args):
    if args[:1] == ["--mismatch"] and len(args) == 2:
        # Valid CRC and FlatBuffer, but the header says D and the union holds I.
        data = aspio.packet(aspio.D, 7, keyframe())
        path = args[1]
    elif 1 <= len(args) <= 2:
        path, frames = args[0], int(args[1]) if len(args) == 2 else 10
        if frames < 1:
            sys.exit("write_packets: FRAMES must be at least 1")
        data = stream(frames)
    else:
        sys.exit(__doc__)
    with open(path, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main(sys.argv[1:])
