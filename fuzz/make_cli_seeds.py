"""Regenerates the committed seeds of the player and y4m_reader targets
(run from the repo root, with a built asp-encode):

  python3 fuzz/make_cli_seeds.py $CARGO_TARGET_DIR/debug/asp-encode

player seeds are small asp-encode streams (keyframes, intra refresh, an ROI
layer with C-packets, a size and tile-grid change, damage, a delta-first
join) behind the player target's settings byte and chunking prefix (see
fuzz_targets/player.rs); y4m_reader seeds are tiny y4m files (the 4:2:0
variants, odd sizes, frame parameters, a cut frame, refused formats, a
header claiming a huge frame).
"""
import subprocess
import sys
import tempfile
from pathlib import Path


def encode(exe, out, *args):
    subprocess.run([exe, "testsrc", "--qp", "30", *args, "-o", str(out), "--force"], check=True, capture_output=True)
    return out.read_bytes()


def y4m(w, h, frames, tags="C420jpeg"):
    header = f"YUV4MPEG2 W{w} H{h} F25:1 Ip A1:1 {tags}\n".encode()
    size = w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)
    return header + b"".join(b"FRAME\n" + bytes((i * 7 + t) % 256 for i in range(size)) for t in range(frames))


def write(target, seeds):
    folder = Path("fuzz/seeds") / target
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in seeds.items():
        (folder / name).write_bytes(data)


def main(exe):
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        a = encode(exe, t / "a.asp", "--size", "64x48", "--frames", "6", "--keyint", "3")
        b = encode(exe, t / "b.asp", "--size", "64x48", "--frames", "6", "--keyint", "3", "--intra-refresh")
        c = encode(exe, t / "c.asp", "--size", "64x48", "--frames", "4", "--roi", "motion,text", "--roi-layer",
                   "--palette", "4")
        e = encode(exe, t / "e1.asp", "--size", "32x32", "--frames", "3") + \
            encode(exe, t / "e2.asp", "--size", "48x32", "--frames", "3", "--tiles", "2x2")
    damaged = bytearray(a)
    damaged[len(damaged) // 2] ^= 0xFF
    # byte 0: settings (1 = drop C, 2 = read late); byte 1: chunk-size count; the sizes; the stream.
    write("player", {
        "keyframes_whole.bin": bytes([0, 0]) + a,
        "keyframes_chunked.bin": bytes([0, 3, 7, 200, 0]) + a,
        "intra_refresh_late.bin": bytes([2, 0]) + b,
        "roi_layer.bin": bytes([0, 1, 61]) + c,
        "roi_layer_drop_c.bin": bytes([1, 0]) + c,
        "damaged_cut.bin": bytes([0, 2, 33, 0]) + bytes(damaged[:-7]),
        "size_change_tiles.bin": bytes([0, 0]) + e,
        "delta_first.bin": bytes([0, 0]) + a[len(a) // 2:],
    })
    write("y4m_reader", {
        "c420jpeg_8x8_2frames.y4m": y4m(8, 8, 2),
        "c420_odd_5x3.y4m": y4m(5, 3, 2, "C420 XYSCSS=420JPEG"),
        "c420mpeg2_ntsc_rate.y4m": y4m(6, 4, 1, "C420mpeg2").replace(b"F25:1", b"F30000:1001"),
        "truncated_frame.y4m": y4m(8, 8, 2)[:-5],
        "c444_refused.y4m": b"YUV4MPEG2 W4 H4 F25:1 C444\nFRAME\n" + bytes(48),
        "frame_params.y4m": b"YUV4MPEG2 W2 H2 F25:1 C420jpeg\nFRAME Ixyz\n" + bytes(6),
        "huge_header.y4m": b"YUV4MPEG2 W100000 H100000 F25:1 C420jpeg\nFRAME\n" + bytes(16),
        # What the fuzzer found: an area that overflows the y4m crate's multiplication.
        "overflowing_size.y4m": b"YUV4MPEG2 W10000000000 H10010000000000 g\nFRA\0\0\0",
    })


if __name__ == "__main__":
    main(sys.argv[1])
