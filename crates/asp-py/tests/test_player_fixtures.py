"""The stream player's fixtures (crates/asp-core/tests/data): the Decoder
shows the same final pictures as asp-core's player, asp-decode and the
browser binding (expected.txt), and its exceptions follow the rules."""
import zlib

import pytest

import libasp
from conftest import ROOT

DATA = ROOT / "crates" / "asp-core" / "tests" / "data"


def expected():
    out = {}
    for line in (DATA / "expected.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, *pictures = line.split()
        out[name] = [(int(s), int(c, 16)) for s, c in (p.split(":") for p in pictures)]
    return out


def packets(stream):
    """(type, sequence, bytes) of each packet, cut at its header's length."""
    out, at = [], 0
    while at + 16 <= len(stream):
        end = at + 20 + int.from_bytes(stream[at + 12:at + 16], "big")
        out.append((stream[at + 5], int.from_bytes(stream[at + 8:at + 12], "big"), stream[at:end]))
        at = end
    return out


def play(name, **kwargs):
    """Final pictures (sequence, crc) and the exceptions, packet by packet."""
    decoder = libasp.Decoder(output="i420", **kwargs)
    shown, errors = [], []
    for kind, sequence, packet in packets((DATA / f"{name}.asp").read_bytes()):
        try:
            frame = decoder.decode(packet)
        except (libasp.DecodeError, libasp.PacketError) as e:
            errors.append((sequence, type(e).__name__, str(e)))
            continue
        if frame is None:
            continue
        crc = zlib.crc32(frame.tobytes())
        if kind == 3:  # a C-packet refines the picture on show
            shown[-1] = (shown[-1][0], crc)
        else:
            shown.append((sequence, crc))
    return shown, errors, decoder


@pytest.mark.parametrize("name", sorted(expected()))
def test_fixtures_show_the_expected_pictures(name):
    shown, _, _ = play(name)
    assert shown == expected()[name]


def test_c_packets_stack_and_a_stale_one_is_refused():
    shown, errors, decoder = play("c-stacked")
    assert errors == [(1, "DecodeError", "C-packet 1 not applied: it refines frame 1, the frame on show is 2")]
    assert not decoder.needs_keyframe
    # Frame 4 has two C-packets: the second refines the first's picture.
    decoder = libasp.Decoder(output="i420")
    seen = []
    for kind, sequence, packet in packets((DATA / "c-stacked.asp").read_bytes()):
        try:
            frame = decoder.decode(packet)
        except libasp.DecodeError:
            continue
        if kind == 3 and sequence == 4:
            seen.append(zlib.crc32(frame.tobytes()))
    assert len(seen) == 2 and seen[0] != seen[1]
    assert seen[1] == dict(expected()["c-stacked"])[4]


def test_damage_and_a_late_join_wait_for_a_keyframe():
    _, errors, _ = play("damaged")
    assert [e[:2] for e in errors] == [(2, "PacketError"), (3, "DecodeError")]
    assert "waiting for a keyframe" in errors[1][2]
    _, errors, _ = play("delta-first")
    assert errors == [(s, "DecodeError", "delta frame before any keyframe") for s in (1, 2, 3)]
    shown, errors, decoder = play("refresh-joined")
    assert [e[0] for e in errors] == [2, 3], "joined at the refresh start, frame 4"
    assert shown[0][0] == 4 and not decoder.needs_keyframe
