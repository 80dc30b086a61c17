"""Regenerates the committed seed corpus in fuzz/seeds/ (run from the repo root):

  cargo run -q -p asp-core --example synthetic_stream -- build/seed-stream.asp 3
  python3 fuzz/make_seeds.py build/seed-stream.asp tests/interop/fixtures/python_written.asp

The first file is Rust-written (I, D, D, C, S ping, S end-of-stream); the
second is the same stream written by the Python FlatBuffers builder, whose
table layout differs. packet_reader seeds start with its chunking prefix
(see fuzz_targets/packet_reader.rs).
"""
import struct
import sys
import zlib
from pathlib import Path


def split(data):
    out, pos = [], 0
    while pos < len(data):
        (n,) = struct.unpack_from(">I", data, pos + 12)
        out.append(data[pos:pos + 20 + n])
        pos += 20 + n
    return out


def write(target, name, data):
    path = Path("fuzz/seeds") / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def main(rust_path, python_path):
    rust, python = Path(rust_path).read_bytes(), Path(python_path).read_bytes()
    i, d1, d2, c, ping, end = split(rust)
    for name, p in [("i_keyframe", i), ("d_motion_vectors", d1), ("c_correction_face", c),
                    ("s_ping", ping), ("s_end_of_stream", end), ("py_i_keyframe", split(python)[0]),
                    ("py_d_motion_vectors", split(python)[1]), ("py_s_end_of_stream", split(python)[-1])]:
        write("packet_parse", name + ".asp", p)
    bad_crc = bytearray(d1)
    bad_crc[100] ^= 0x01
    write("packet_parse", "d_bad_crc.asp", bytes(bad_crc))
    write("packet_parse", "i_truncated.asp", i[:-9])
    write("packet_parse", "s_ping_then_end_of_stream.asp", ping + end)  # parse_prefix only
    covered = bytearray(ping[:-4])
    covered[5] = 2  # header says D, payload holds an S
    write("packet_parse", "s_payload_d_header.asp", bytes(covered) + struct.pack(">I", zlib.crc32(covered)))

    # packet_reader: byte 0 = number of chunk-size bytes, then the sizes, then the stream.
    short = i + d1 + c + ping + end
    damaged = bytearray(short)
    damaged[300] ^= 0xFF  # inside the D-packet
    damaged[len(i) + len(d1) + 10:len(i) + len(d1) + 20] = b"garbage!!!"  # inside the C-packet
    write("packet_reader", "whole_stream_one_push.bin", b"\x00" + short)
    write("packet_reader", "whole_stream_chunks_7.bin", b"\x01\x07" + short)
    write("packet_reader", "python_stream_chunks_1_13_200.bin", b"\x03\x01\x0d\xc8" + python)
    write("packet_reader", "damaged_stream_chunks_64.bin", b"\x01\x40" + bytes(damaged))
    write("packet_reader", "truncated_stream_chunks_3_255.bin", b"\x02\x03\xff" + short[:-9])
    write("packet_reader", "garbage_then_packets.bin", b"\x01\x05" + b"ASPASP1\x00noise" + ping + b"AS" + end)


if __name__ == "__main__":
    main(*sys.argv[1:])
