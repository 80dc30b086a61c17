"""Checks what run.sh captured from other programs.

  check_outputs.py asp-info FILE.json FRAMES   asp-info --json read write_packets.py's stream
  check_outputs.py mismatch FILE.json          asp-info flagged the mismatched packet
  check_outputs.py snippet FILE.txt SEQ        the C++ snippet printed D-packet SEQ's vectors
"""
import json
import sys

import aspio


def events(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def asp_info(path, frames):
    *packets, summary = events(path)
    assert summary["event"] == "summary", summary
    assert (summary["packets"], summary["damaged_spans"], summary["damaged_bytes"]) == (frames + 3, 0, 0), summary
    assert (summary["i"], summary["d"], summary["c"], summary["s"]) == (1, frames - 1, 1, 2), summary
    assert summary["attribution"] == "Streamed via ALICE Protocol (ASP)", summary
    assert all(p["event"] == "packet" and p["crc_ok"] for p in packets)
    assert [p["type"] for p in packets] == ["I"] + ["D"] * (frames - 1) + ["C", "S", "S"]
    assert [p["sequence"] for p in packets] == list(range(frames + 3))
    assert [p["flags"] for p in packets] == [0] * frames + [aspio.DISCARDABLE, 0, 0]
    offsets = [p["offset"] for p in packets]
    assert offsets == [sum(p["packet_bytes"] for p in packets[:n]) for n in range(len(packets))]
    i = packets[0]
    assert (i["width"], i["height"], tuple(i["fps"])) == (aspio.WIDTH, aspio.HEIGHT, aspio.FPS), i
    assert (i["qp"], i["tiles"], i["capture_time_us"]) == (aspio.KEY_QP, 1, aspio.capture_time_us(0)), i
    for d in packets[1:frames]:
        seq = d["sequence"]
        assert d["motion_vectors"] == aspio.COLS * aspio.ROWS, d
        assert (d["ref_sequence"], d["qp"], d["tiles"]) == (seq - 1, aspio.DELTA_QP, 0), d
        assert d["capture_time_us"] == aspio.capture_time_us(seq), d
    c = packets[frames]
    assert (c["ref_sequence"], c["regions"], c["tiles"]) == (frames - 1, 1, 1), c
    assert [p["command"] for p in packets[-2:]] == ["Ping", "EndOfStream"]
    print(f"asp-info read {len(packets)} Python-written packets, no damage")


def mismatch(path):
    *damaged, summary = events(path)
    assert [(e["event"], e["offset"], e["error"]) for e in damaged] == [("damaged", 0, "payload_type_mismatch")], damaged
    assert (summary["packets"], summary["damaged_spans"]) == (0, 1), summary
    print("asp-info rejected the D-header/I-payload packet: payload_type_mismatch")


def snippet(path, seq):
    with open(path) as f:
        got = [tuple(map(int, line.split())) for line in f]
    assert got == [mv[:4] for mv in aspio.motion_vectors(seq)], got[:5]
    print(f"C++ snippet printed the {len(got)} motion vectors of D-packet {seq}")


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"asp-info": lambda p, n: asp_info(p, int(n)), "mismatch": mismatch,
     "snippet": lambda p, s: snippet(p, int(s))}[cmd](*args)
