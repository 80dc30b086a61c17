"""The clips of bench/rd.py and bench/rd_ab.py (bigbuckbunny from
../shared/media and three clips derived from it, a generated screen-content
clip), where they and the streams live (build/bench/rd/), and how commands
run."""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rd_metrics import Y4m, luma

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"
WORK = OUT / "rd"
# ASP_BBB: another copy of the file (a git worktree's ../shared is not the main checkout's).
BBB = Path(os.environ.get("ASP_BBB", ROOT.parent / "shared" / "media" / "bigbuckbunny.mp4"))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    """Runs cmd, raising with its stderr on failure."""
    p = subprocess.run([str(c) for c in cmd], capture_output=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"command failed ({p.returncode}): {' '.join(map(str, cmd))}\n"
                           f"{p.stderr.decode(errors='replace')[-2000:]}")
    return p


def ffmpeg(*args):
    return ["ffmpeg", "-hide_banner", "-v", "error", "-nostdin", "-y", *args]


# ---------------------------------------------------------------------------
# Clips
# ---------------------------------------------------------------------------


@dataclass(eq=False)
class Clip:
    key: str
    label: str
    path: Path
    width: int = 0
    height: int = 0
    fps: float = 0.0
    frames: int = 0
    note: str = ""

    def load(self):
        """Reads the luma planes of the source once; returns them."""
        with open(self.path, "rb") as f:
            y4m = Y4m(f)
            self.width, self.height, self.fps = y4m.width, y4m.height, y4m.fps
            planes = [luma(fr, self.width, self.height).copy() for fr in y4m.frames()]
        self.frames = len(planes)
        return planes

    @property
    def seconds(self):
        return self.frames / self.fps


def prepare_bbb():
    if not BBB.is_file():
        log(f"note: {BBB} is absent: the bigbuckbunny clip is skipped")
        return None
    path = WORK / "bbb.y4m"
    if not (path.is_file() and path.stat().st_mtime >= BBB.stat().st_mtime):
        log("preparing bigbuckbunny 1280x720 y4m")
        tmp = path.with_suffix(".tmp")
        run(ffmpeg("-i", BBB, "-an", "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", tmp))
        tmp.rename(path)
    return Clip("bbb", "bigbuckbunny 1280x720 (real footage)", path,
                note=f"`{BBB.name}` decoded to y4m 4:2:0, all frames")


SLIDE_TEXT = """\
- Glass-to-glass latency: 180 ms at p50, 240 ms at p95
- Packets: 16-byte header, FlatBuffers payload, CRC-32
- Decoder in WebAssembly, one worker per stream
- Keyframes on demand after packet loss
- Next: screen-content tools and 4:4:4 chroma"""

SIDEBAR_TEXT = "\n".join(["EXPLORER", "  asp-core", "    codec", "      deblock.rs", "      decoder.rs",
                          "      quant.rs", "      recon.rs", "    packet", "  asp-encoder", "    motion",
                          "  asp-cli", "  schemas", "    asp.fbs", "  Makefile", "  README.md"])


def code_text():
    """90 lines of plausible code, deterministic."""
    lines, depth = [], 0
    words = ["frame", "block", "plane", "qp", "cost", "mv", "ref", "tile", "row", "bits"]
    for i in range(90):
        w1, w2 = words[i % 10], words[(i * 7 + 3) % 10]
        kind = i % 9
        if kind == 0:
            lines.append(f"fn encode_{w1}_{i}(&mut self, {w2}: &{w1.capitalize()}) -> Result<u32> {{")
            depth = 1
        elif kind == 8:
            lines.append("}")
            depth = 0
        elif kind == 3:
            lines.append("    " * depth + f"for {w2} in 0..self.{w1}s.len() {{")
            depth += 1
        elif kind == 6:
            depth = max(1, depth - 1)
            lines.append("    " * depth + "}")
        else:
            lines.append("    " * depth + f"let {w1}_{w2} = self.{w2}[{i}] * {i * 37 % 97} + {w1};  // {w2} {i}")
    return "\n".join(lines)


def font(name):
    if not shutil.which("fc-match"):
        return None
    p = subprocess.run(["fc-match", "-f", "%{file}", name], capture_output=True, text=True)
    f = p.stdout.strip()
    return f if p.returncode == 0 and f and Path(f).is_file() else None


def screen_graph(d, sans, mono):
    """A filtergraph for 4 s of 1280x720 at 30 fps: 2 s of a slide (static,
    a moving cursor, a webcam inset), then 2 s of a dark code editor whose
    text scrolls at 3 px a frame.  Without fonts, boxes stand in for text."""
    slide, editor = "enable='lt(t,2)'", "enable='gte(t,2)'"
    f = [
        "color=c=0xf4f4f4:s=1280x720:r=30:d=4",
        f"drawbox=0:0:1280:96:0x1f4e79:t=fill:{slide}",
        f"drawbox=760:180:60:300:0x4f81bd:t=fill:{slide}",
        f"drawbox=840:260:60:220:0xc0504d:t=fill:{slide}",
        f"drawbox=920:120:60:360:0x9bbb59:t=fill:{slide}",
        f"drawbox=740:480:280:2:0x404040:t=fill:{slide}",
        f"drawbox=0:0:1280:720:0x1e1e1e:t=fill:{editor}",
    ]
    if sans and mono:
        (d / "slide.txt").write_text(SLIDE_TEXT + "\n")
        (d / "sidebar.txt").write_text(SIDEBAR_TEXT + "\n")
        (d / "code.txt").write_text(code_text() + "\n")
        f += [
            f"drawtext=fontfile={sans}:expansion=none:text='Streaming latency review':"
            f"fontcolor=white:fontsize=44:x=40:y=24:{slide}",
            f"drawtext=fontfile={sans}:expansion=none:textfile={d}/slide.txt:fontcolor=0x202020:"
            f"fontsize=24:line_spacing=22:x=48:y=150:{slide}",
            f"drawtext=fontfile={mono}:expansion=none:textfile={d}/code.txt:fontcolor=0xd4d4d4:"
            f"fontsize=18:line_spacing=6:x=236:y='48-(t-2)*90':{editor}",
        ]
    else:
        for i in range(10):  # text-like bars
            f.append(f"drawbox=48:{150 + 46 * i}:{180 + (i * 173) % 420}:18:0x303030:t=fill:{slide}")
            f.append(f"drawbox=236:{48 + 24 * i}:{120 + (i * 211) % 700}:12:0xd4d4d4:t=fill:{editor}")
    f += [  # editor chrome over the scrolling text
        f"drawbox=0:0:220:720:0x252526:t=fill:{editor}",
        f"drawbox=0:0:1280:32:0x333333:t=fill:{editor}",
        f"drawbox=0:696:1280:24:0x007acc:t=fill:{editor}",
    ]
    if sans and mono:
        f.append(f"drawtext=fontfile={sans}:expansion=none:textfile={d}/sidebar.txt:fontcolor=0xbbbbbb:"
                 f"fontsize=16:line_spacing=10:x=14:y=48:{editor}")
    base = ",".join(f) + "[bg]"
    inset = "testsrc2=s=320x180:r=30:d=4[cam]"
    cursor = "color=c=0xe08000:s=12x18:r=30:d=4[cur]"
    over = ("[bg][cam]overlay=x=940:y=500[a];"
            "[a][cur]overlay=x='200+150*t':y='300+40*t':eval=frame,format=yuv420p[out]")
    return f"{base};{inset};{cursor};{over}"


def prepare_screen():
    d = WORK / "screen"
    d.mkdir(parents=True, exist_ok=True)
    sans, mono = font("DejaVu Sans"), font("DejaVu Sans Mono")
    graph = screen_graph(d, sans, mono)
    path, stamp = WORK / "screen.y4m", WORK / "screen.graph"
    if not (path.is_file() and stamp.is_file() and stamp.read_text() == graph):
        log("generating the screen-content clip")
        tmp = path.with_suffix(".tmp")
        run(ffmpeg("-filter_complex", graph, "-map", "[out]", "-frames:v", "120",
                   "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", tmp))
        tmp.rename(path)
        stamp.write_text(graph)
    text = "text drawn with DejaVu Sans / Sans Mono" if sans and mono else \
        "no fonts found (fc-match): grey bars stand in for text"
    return Clip("screen", "screen content 1280x720 (generated)", path,
                note=f"generated by ffmpeg lavfi: 2 s slide then 2 s code editor scrolling 3 px/frame, "
                     f"moving cursor, 320x180 testsrc2 inset, 30 fps; {text}")



def _derived(key, graph_inputs, graph, frames, label, note):
    """A clip ffmpeg derives from bigbuckbunny (`graph_inputs` then the
    filtergraph `graph`), made once and remade when the recipe changes;
    None (with a note) when bigbuckbunny is absent."""
    if not BBB.is_file():
        log(f"note: {BBB} is absent: the {key} clip is skipped")
        return None
    path, stamp = WORK / f"{key}.y4m", WORK / f"{key}.graph"
    recipe = " ".join(map(str, graph_inputs)) + " " + graph
    if not (path.is_file() and stamp.is_file() and stamp.read_text() == recipe):
        log(f"preparing the {key} clip")
        tmp = path.with_suffix(".tmp")
        run(ffmpeg(*graph_inputs, "-vf", graph, "-frames:v", str(frames), "-pix_fmt", "yuv420p",
                   "-f", "yuv4mpegpipe", tmp))
        tmp.rename(path)
        stamp.write_text(recipe)
    return Clip(key, label, path, note=note)


def prepare_qcif():
    """bigbuckbunny scaled to 176x144 at 30 fps: the small-picture, low-rate case."""
    return _derived("qcif", ["-i", BBB, "-an"], "scale=176:144:flags=lanczos,fps=30", 150,
                    "bigbuckbunny 176x144 30 fps (QCIF)",
                    f"`{BBB.name}` scaled to 176x144 (lanczos), 30 fps")


def prepare_crop():
    """A 640x272 window of bigbuckbunny, not scaled: real motion and texture
    at the size of a small embedded player."""
    return _derived("crop", ["-i", BBB, "-an"], "crop=640:272:320:224", 132,
                    "bigbuckbunny 640x272 25 fps (real footage, cropped)",
                    f"`{BBB.name}` cropped to its central 640x272, not scaled, all frames")


# The pan: a 640x272 window over one detailed bigbuckbunny frame (grass,
# bark, fur), upscaled 1.5x so that its texture is finer than the
# window, moving ~22 px a frame to the right with a shaking vertical
# component and a speed that changes, as a hand-held camera would.
PAN_GRAPH = ("scale=1920:1080:flags=lanczos,"
             "crop=640:272:x='min(1280\\,n*22+40*sin(n/9))':y='380+60*sin(n/6)+12*sin(n*1.7)'")


def prepare_pan():
    """A fast pan with fine texture, 640x272, 25 fps."""
    if not BBB.is_file():
        log(f"note: {BBB} is absent: the pan clip is skipped")
        return None
    still = WORK / "pan-still.png"
    if not still.is_file():
        run(ffmpeg("-ss", "3.0", "-i", BBB, "-frames:v", "1", still))
    return _derived("pan", ["-loop", "1", "-framerate", "25", "-i", still], PAN_GRAPH, 60,
                    "textured pan 640x272 25 fps (synthetic)",
                    f"one frame of `{BBB.name}` (3 s in) upscaled 1.5x, a 640x272 window panning ~22 px/frame "
                    "with vertical shake, 60 frames")


# Every clip by its key, in the order the reports list them.
PREPARE = {
    "bbb": prepare_bbb,
    "crop": prepare_crop,
    "qcif": prepare_qcif,
    "pan": prepare_pan,
    "screen": prepare_screen,
}


def prepare(key):
    """The clip `key` (None when its source is absent, with a note logged)."""
    if key not in PREPARE:
        raise SystemExit(f"unknown clip {key!r} (expected one of {', '.join(PREPARE)})")
    WORK.mkdir(parents=True, exist_ok=True)
    return PREPARE[key]()
