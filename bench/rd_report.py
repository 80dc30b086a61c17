"""The report of bench/rd.py: markdown tables (RD points, BD-rates, speed),
the targets met or not, the settings, and the section of BENCHMARKS.md."""

import datetime
import os
import platform
import re
import subprocess

from rd_clips import ROOT
from rd_codecs import ALL, ANCHORS, ASP_PRESET, CLIP_POINTS, KEYINT, RUNS, THREADS_ENC
from rd_metrics import PSNR_CAP, bd_rate, ssim_db

RESULTS = ROOT / "build" / "bench" / "rd-results.md"
BENCHMARKS = ROOT / "BENCHMARKS.md"
SECTION = "## Codec: rate-distortion and speed"


def fmt_pct(v):
    return "n/a" if v is None else f"{v:+.1f} %".replace("-", "\u2212")


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def curve(points, key, metric, tiles_only=False):
    """(kbit/s, quality) of one codec's points; `tiles_only`: ASP's rate
    counting its coded tiles alone (no header, tables or CRC)."""
    return [(p.tile_kbps if tiles_only else p.kbps, p.psnr if metric == "psnr" else ssim_db(p.ssim))
            for p in points if p.codec == key]


def bd_psnr(points, anchor, tiles_only=False):
    """BD-rate (PSNR-Y) of ASP against `anchor`, %, or None without overlap."""
    return bd_rate(curve(points, anchor, "psnr"), curve(points, "asp", "psnr", tiles_only))[0]


def rd_table(points):
    rows = []
    for c in ALL:
        for p in (p for p in points if p.codec == c.key):
            tiles = "" if p.tile_kbps is None else f"{p.tile_kbps:.0f}"
            rows.append([c.label, f"{c.knob} {p.q}", f"{p.kbps:.0f}", tiles, f"{p.psnr:.2f}",
                         f"{p.ssim:.4f} ({ssim_db(p.ssim):.2f} dB)", p.keyframes])
    return md_table(["codec", "point", "kbit/s", "of which tiles", "PSNR-Y dB", "SSIM-Y", "keyframes"], rows)


def extra_keyframes(points):
    by = {}
    for p in points:
        if p.keyframes > 1:
            by.setdefault(p.codec, []).append(f"{p.q}: {p.keyframes}")
    labels = {c.key: c for c in ALL}
    return "; ".join(f"{labels[k].label} ({labels[k].knob} {', '.join(v)})" for k, v in by.items())


def bd_tables(points):
    rows = []
    for a in ANCHORS:
        p, po = bd_rate(curve(points, a.key, "psnr"), curve(points, "asp", "psnr"))
        s, so = bd_rate(curve(points, a.key, "ssim"), curve(points, "asp", "ssim"))
        rows.append([a.label, fmt_pct(p), f"{po:.1f}", fmt_pct(s), f"{so:.1f}", fmt_pct(bd_psnr(points, a.key, True))])
    asp = md_table(["ASP against", "BD-rate PSNR-Y", "overlap dB", "BD-rate SSIM-Y", "overlap dB",
                    "BD-rate PSNR-Y, ASP's tile bytes only"], rows)
    rows = []
    for c in ANCHORS[1:]:
        p, po = bd_rate(curve(points, "mpeg1", "psnr"), curve(points, c.key, "psnr"))
        rows.append([c.label, fmt_pct(p), f"{po:.1f}"])
    ref = md_table(["anchor against mpeg1video", "BD-rate PSNR-Y", "overlap dB"], rows)
    return asp, ref


def speed_tables(enc, dec):
    rows = [[j.name, f"{j.kbps:.0f}", f"{j.fps:.0f}", f"{j.cpu_fps:.0f}",
             " / ".join(f"{j.frames / w:.0f}" for w in j.walls)] for j in enc]
    e = md_table([f"encoder, {THREADS_ENC} threads", "kbit/s", "fps (wall)", "fps per CPU-second", "runs (fps)"], rows)
    rows = [[j.name, f"{j.kbps:.0f}", f"{j.fps:.0f}", f"{j.cpu_fps:.0f}",
             " / ".join(f"{j.frames / w:.0f}" for w in j.walls)] for j in dec]
    d = md_table(["decoder, 1 thread", "kbit/s", "fps (wall)", "fps per CPU-second", "runs (fps)"], rows)
    return e, d


# Issue 16's BD-rate targets (PSNR-Y, total bytes): anchor key -> limit in
# %, with QCIF's own limit against x264 where framing weighs most.
BD_TARGETS = [("mpeg1", "mpeg1video", -50.0, {}), ("x264vf", "x264 veryfast zl", -10.0, {"qcif": 0.0}),
              ("vp9", "VP9 realtime", 0.0, {})]


def targets(results):
    """One line per target: met / not met, with the distance; the BD-rate
    counting ASP's tile bytes only beside each."""
    lines = []
    for clip, r in results.items():
        for key, label, limit, by_clip in BD_TARGETS:
            limit = by_clip.get(clip.key, limit)
            line = target_line(f"BD-rate (PSNR-Y) against {label} <= {limit:g} % on {clip.label}",
                               bd_psnr(r["points"], key), limit, "%")
            lines.append(line + f"; tile bytes only {fmt_pct(bd_psnr(r['points'], key, True))}")
    for clip, r in results.items():
        if r["speed"] is None:
            continue
        enc, dec = r["speed"]
        asp, vf = enc[0], next(j for j in enc if j.codec.key == "x264vf")
        lines.append(ratio_line(f"encode fps ({THREADS_ENC} threads) >= x264 veryfast zl on {clip.label}",
                                asp, vf, 1.0))
        h264 = next(j for j in dec if j.codec.key == "x264vf")
        lines.append(ratio_line(f"1-thread decode fps >= 0.5x ffmpeg h264 (x264 veryfast stream) on {clip.label}",
                                dec[0], h264, 0.5))
    return lines


def target_line(what, value, limit, unit):
    if value is None:
        return f"- {what}: **not measured** (no PSNR overlap)"
    met = value <= limit
    dist = value - limit
    return (f"- {what}: **{'met' if met else 'not met'}** ({fmt_pct(value)}; "
            f"{abs(dist):.1f} percentage points {'better than' if met else 'short of'} the target)")


def ratio_line(what, job, ref, factor):
    """Judged on wall-clock fps; the per-CPU-second ratio is given beside it."""
    ratio = job.fps / ref.fps
    met = ratio >= factor
    return (f"- {what}: **{'met' if met else 'not met'}** ({job.fps:.0f} fps against {ref.fps:.0f} fps, "
            f"{ratio:.2f}x for a target of {factor:g}x; per CPU-second {job.cpu_fps / ref.cpu_fps:.2f}x)")


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def tool_versions(source):
    def first_line(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            return "?"
    ff = first_line(["ffmpeg", "-hide_banner", "-version"]).split(" Copyright")[0]
    pkgs = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n",
                           "libx264-*", "libvpx[0-9]*"], capture_output=True, text=True).stdout.split("\n")
    rustc = first_line(["rustc", "--version"])
    commit = first_line(["git", "-C", str(source), "describe", "--always", "--dirty"])
    return ff, ", ".join(p for p in pkgs if p), rustc, commit


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def config_notes():
    lines = [f"- keyframe interval {KEYINT} for every codec (ASP `--keyint {KEYINT}`, ffmpeg "
             f"`-g {KEYINT}`, scene-cut keyframes off where ffmpeg exposes it), i.e. one keyframe per clip; "
             "the keyframes column shows what each stream has; no B-frames, no lookahead",
             f"- every encode (RD points and speed runs) uses {THREADS_ENC} threads "
             f"(ASP `--threads {THREADS_ENC}`, ffmpeg `-threads {THREADS_ENC}`)",
             f"- ASP: `asp-encode CLIP.y4m -o OUT.asp --preset {ASP_PRESET} --threads {THREADS_ENC} "
             f"--keyint {KEYINT} --qp Q`; rate = the whole .asp file (packet headers and CRCs included); "
             "\"tile bytes only\" counts the coded tiles alone (asp-info's `tile_bytes`), to show what "
             "the framing costs",
             "- quality points per clip: each codec's own above; on QCIF, where the realistic rates are "
             "20-300 kbit/s, " + "; ".join(f"{c.label} {c.knob} {', '.join(map(str, CLIP_POINTS['qcif'][c.key]))}"
                                         for c in ALL)]
    for c in ANCHORS:
        args = " ".join(c.common + c.quality).replace("{q}", "Q")
        lines.append(f"- {c.label}: `ffmpeg -i CLIP.y4m {args} -threads {THREADS_ENC} -f {c.muxer} OUT.{c.ext}`")
    lines += ["- VP8 twice: `-cpu-used 8` as the issue names it; in realtime mode a positive value makes "
              "libvpx choose VP8's speed from the measured encode time (`vp8_auto_select_speed`), so its "
              "results depend on the machine's load and differ between runs; `-cpu-used -6` is the fixed "
              "speed libwebrtc's VP8 encoder uses by default on desktop, and is deterministic",
              "- rates are elementary-stream bits (.m1v, Annex B .h264 without SEI, .ivf less its "
              "32 + 12-per-frame bytes of framing) over the clip's duration",
              "- quality: every stream decoded to raw 4:2:0 (ffmpeg `-fps_mode passthrough`; asp-decode "
              "y4m), compared with the source frame by frame in index order; PSNR-Y = mean of per-frame "
              f"PSNR (capped at {PSNR_CAP:.0f} dB), SSIM-Y = mean of per-frame SSIM (8x8 windows on a 4-pixel "
              "grid, as x264 and ffmpeg's ssim filter); BD-rate on SSIM uses -10 log10(1 - SSIM)",
              "- BD-rate: Bjontegaard (cubic fit of ln rate against quality, integrated over the overlapping "
              "quality range; negative = ASP needs fewer bits); overlap = width of that range",
              "- every ASP point is also checked: asp-decode output = asp-encode `--recon`, byte for byte"]
    return "\n".join(lines)


def speed_notes():
    return (f"Encode: wall time of the whole process, input y4m read from a file (prepared beforehand), "
            f"output written to a file, {THREADS_ENC} threads; ASP at its default preset and quality "
            f"(`asp-encode CLIP.y4m -o OUT.asp --threads {THREADS_ENC} --keyint {KEYINT}`, i.e. "
            f"`--preset {ASP_PRESET} --qp 26`), each anchor with its settings above in bitrate mode "
            f"(`-b:v` = ASP's bitrate). Decode: ASP `asp-decode OUT.asp -o /dev/null --threads 1`; "
            f"anchors `ffmpeg -threads 1 -i STREAM -f null -` on those equal-bitrate streams. "
            f"Median of {RUNS} runs, interleaved across codecs; \"fps per CPU-second\" = frames / "
            f"(user + system time), less sensitive to other load on the machine. "
            f"libvpx's VP8 encoder threads wait for each other by spinning: when the machine has "
            f"more runnable work than cores, its {THREADS_ENC}-thread runs are far slower than one "
            f"thread (the extra row), and its results swing with the load.")


def report(versions, results, skipped, loads):
    """The BENCHMARKS.md section; `versions` is tool_versions() as taken
    when the run started."""
    ff, libs, rustc, commit = versions
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [SECTION, "",
             "ASP against the low-delay codecs used for browser video, on the same clips, machine and run.",
             "", "```sh", "make bench-rd", "```", "",
             f"Run {date}, ASP `{commit}` (release profile), {rustc}; {ff}, {libs}. "
             f"Machine: {machine()}; load average {loads[0]} at the start, {loads[1]} at the end "
             "(other jobs share the machine, so wall-clock speeds are noisy).", "",
             "Settings:", "", config_notes(), ""]
    for note in skipped:
        parts += [f"Note: {note}", ""]
    parts += ["### Targets", ""] + targets(results) + [""]
    for clip, r in results.items():
        asp_bd, ref_bd = bd_tables(r["points"])
        capped = sum(p.capped for p in r["points"])
        parts += [f"### {clip.label}", "",
                  f"{clip.frames} frames at {clip.fps:g} fps; {clip.note}.", "",
                  "BD-rate of ASP against each anchor (negative: ASP needs fewer bits for the same quality):",
                  "", asp_bd, "",
                  "The anchors against mpeg1video, for comparison with other measurements:", "", ref_bd, "",
                  "Rate-distortion points:", "", rd_table(r["points"]), ""]
        extra = extra_keyframes(r["points"])
        if extra:
            parts += [f"More than one keyframe: {extra} (the encoder's own decision; "
                      "ffmpeg does not expose a switch for it).", ""]
        if capped:
            parts += [f"({capped} decoded frames were identical to the source and count as "
                      f"{PSNR_CAP:.0f} dB.)", ""]
        if r["speed"] is not None:
            enc, dec = speed_tables(*r["speed"])
            parts += ["Speed:", "", enc, "", dec, ""]
    parts += [speed_notes(), ""]
    return "\n".join(parts)


def update_benchmarks(section):
    """Replaces (or appends) our section of BENCHMARKS.md, re-reading the
    file just before writing so concurrent edits to other sections stay."""
    text = BENCHMARKS.read_text() if BENCHMARKS.is_file() else "# Benchmarks\n\nEvery measured figure, with the command that produced it.\n"
    start = text.find("\n" + SECTION + "\n")
    if start < 0:
        new = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        nxt = re.search(r"^## ", text[start + 1 + len(SECTION):], re.M)
        end = len(text) if nxt is None else start + 1 + len(SECTION) + nxt.start()
        new = text[:start + 1] + section.rstrip("\n") + "\n" + ("\n" + text[end:] if nxt else "")
    tmp = BENCHMARKS.with_suffix(".md.tmp")
    tmp.write_text(new)
    tmp.replace(BENCHMARKS)

