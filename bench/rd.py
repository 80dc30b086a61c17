#!/usr/bin/env python3
"""Rate-distortion and speed benchmark: ASP against the low-delay codecs
people use for browser video (`make bench-rd`, through bench/rd.sh).

For each clip (bigbuckbunny 1280x720 when ../shared/media has it, its
640x272 crop and its 176x144 30 fps version, a fast textured pan made from
one of its frames, and a generated 1280x720 screen-content clip) and each
codec below, the clip is
encoded at fixed-quality points (ASP --qp; each anchor's own quantiser or
CRF), every stream is decoded back to raw 4:2:0 and compared with the source
frame by frame, aligned by index (ffmpeg's psnr filter would align
mpeg1video frames by timestamp, wrongly).  From the curves: Bjontegaard
BD-rate (PSNR-Y, SSIM-Y) of ASP against every anchor.  Then speed (on
bigbuckbunny and the screen clip): encode fps with 2 threads and 1-thread
decode fps, medians of 3 interleaved runs.

Everything is written under build/bench/rd/; the tables go to
build/bench/rd-results.md and to the "Codec: rate-distortion and speed"
section of BENCHMARKS.md (other sections are left as they are).

    .venv/bin/python bench/rd.py --bin-dir target/release
    .venv/bin/python bench/rd.py --self-test      # BD-rate unit checks only
"""
#
# The parts: rd_metrics.py (y4m, PSNR, SSIM, BD-rate), rd_clips.py (the
# clips, paths, running commands), rd_codecs.py (codec settings, encode,
# decode, measure, speed), rd_report.py (tables and BENCHMARKS.md).

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rd_clips import BBB, PREPARE, ROOT, WORK, log, prepare  # noqa: E402
from rd_codecs import ALL, Tools, measure, points_for, speed  # noqa: E402
from rd_metrics import self_test  # noqa: E402
from rd_report import BENCHMARKS, RESULTS, SECTION, bd_tables, rd_table, report, tool_versions, update_benchmarks  # noqa: E402



def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", default=str(ROOT / "target" / "release"),
                    help="where asp-encode, asp-decode and asp-info are")
    ap.add_argument("--asp-source", default=str(ROOT),
                    help="the git checkout the binaries were built from (for the commit in the report)")
    ap.add_argument("--self-test", action="store_true", help="run the BD-rate/metric checks and exit")
    ap.add_argument("--no-benchmarks-md", action="store_true", help="do not update BENCHMARKS.md")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed runs (development)")
    ap.add_argument("--clips", default=",".join(PREPARE), help=f"comma-separated, of: {', '.join(PREPARE)}")
    ap.add_argument("--speed-clips", default="bbb,screen", help="the clips whose speed is measured")
    ap.add_argument("--points", action="append", default=[],
                    help="override a codec's points, e.g. asp=20,25,30,35 (development)")
    args = ap.parse_args()

    self_test()
    if args.self_test:
        return
    for spec in args.points:
        key, vals = spec.split("=")
        next(c for c in ALL if c.key == key).points = [int(v) for v in vals.split(",")]
    tools = Tools(args.bin_dir)
    WORK.mkdir(parents=True, exist_ok=True)
    loads = [" ".join(f"{v:.1f}" for v in os.getloadavg())]
    # Named before the run: the tree may change while it runs (the binaries
    # were built before it started).
    versions = tool_versions(args.asp_source)

    clips, skipped = [], []
    for key in args.clips.split(","):
        c = prepare(key)
        clips.append(c) if c else skipped.append(f"{BBB} is absent: the {key} clip is skipped.")
    speed_clips = args.speed_clips.split(",")

    results = {}
    for clip in clips:
        source = clip.load()
        points = []
        for codec in ALL:
            for q in points_for(codec, clip.key):
                log(f"{clip.key}: {codec.label} {codec.knob} {q}")
                points.append(measure(tools, clip, source, codec, q))
                p = points[-1]
                log(f"    {p.kbps:.0f} kbit/s, PSNR-Y {p.psnr:.2f} dB, SSIM-Y {p.ssim:.4f}, {p.keyframes} keyframe(s)")
        del source
        measured = not args.no_speed and clip.key in speed_clips
        results[clip] = {"points": points, "speed": speed(tools, clip) if measured else None}
    loads.append(" ".join(f"{v:.1f}" for v in os.getloadavg()))

    if args.no_speed:
        for clip, r in results.items():
            asp_bd, ref_bd = bd_tables(r["points"])
            print(f"### {clip.label}\n\n{asp_bd}\n\n{ref_bd}\n\n{rd_table(r['points'])}\n")
        return
    section = report(versions, results, skipped, loads)
    print(section)
    RESULTS.write_text(section)
    log(f"wrote {RESULTS.relative_to(ROOT)}")
    if not args.no_benchmarks_md:
        update_benchmarks(section)
        log(f"updated the \"{SECTION[3:]}\" section of {BENCHMARKS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
