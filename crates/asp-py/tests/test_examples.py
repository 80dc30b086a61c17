"""The README's Python I/O examples, run as a user runs them: ffmpeg's y4m
pipe into examples/y4m_to_asp.py, its stream watched by examples/watch.py
from a path and from standard input."""
import shutil
import subprocess
import sys

import pytest

import libasp
from conftest import ROOT, read_y4m

EXAMPLES = ROOT / "crates" / "asp-py" / "examples"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg is needed (tools/setup.sh apt installs it)"
    tmp = tmp_path_factory.mktemp("examples")
    source = subprocess.Popen(
        [ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x96:rate=25", "-frames:v", "20",
         "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "-"], stdout=subprocess.PIPE)
    run = subprocess.run([sys.executable, EXAMPLES / "y4m_to_asp.py", tmp / "out.asp"], stdin=source.stdout,
                         capture_output=True, text=True, check=True)
    assert source.wait() == 0
    return tmp / "out.asp", run.stderr


def test_a_y4m_pipe_from_ffmpeg_becomes_a_stream(recorded, cli, tmp_path):
    path, log = recorded
    lines = log.splitlines()
    # testsrc2 moves a box over a changing background: blocks move.
    moved = [int(line.split()[2]) for line in lines if line.startswith("frame ")]
    assert len(moved) == 19 and sum(moved) > 19
    assert lines[-1].startswith("20 packets")
    subprocess.run([cli["asp-decode"], path, "-o", tmp_path / "out.y4m"], check=True, capture_output=True)
    w, h, frames = read_y4m(tmp_path / "out.y4m")
    assert (w, h, len(frames)) == (160, 96, 20)
    with libasp.open(path, format="yuv") as stream:
        ours = list(stream)
    assert [f.fps_fraction for f in ours[:1]] == [(25, 1)]
    assert all(all((a == b).all() for a, b in zip(f.picture, planes)) for f, planes in zip(ours, frames))


def test_watch_sees_the_changes_from_a_path_and_from_stdin(recorded):
    path, _ = recorded
    by_path = subprocess.run([sys.executable, EXAMPLES / "watch.py", path], capture_output=True, text=True, check=True)
    with open(path, "rb") as f:
        by_stdin = subprocess.run([sys.executable, EXAMPLES / "watch.py", "-"], stdin=f, capture_output=True,
                                  text=True, check=True)
    assert by_path.stdout == by_stdin.stdout
    changes = by_path.stdout.splitlines()
    assert len(changes) > 5 and all(line.startswith("frame ") and line.endswith("% changed") for line in changes)
    assert by_path.stderr.strip() == "20 frames, 0 dropped"
