"""A y4m pipe in (ffmpeg, a webcam), motion measured, an ASP stream out.

    ffmpeg -f v4l2 -i /dev/video0 -pix_fmt yuv420p -f yuv4mpegpipe - | python y4m_to_asp.py out.asp
    ffmpeg -f lavfi -i testsrc=size=320x240:rate=30 -t 2 -pix_fmt yuv420p -f yuv4mpegpipe - | python y4m_to_asp.py -

Writes the stream to the path given (``-``: standard output) and, on
standard error, one line per frame: how many 16x16 blocks moved.
"""
import sys

import numpy as np

import libasp


def y4m_frames(pipe):
    """(width, height, fps, frames): I420 frames as (H * 3 / 2, W) arrays."""
    header = pipe.readline().split()
    if not header or header[0] != b"YUV4MPEG2":
        raise SystemExit("not a y4m stream (ffmpeg ... -pix_fmt yuv420p -f yuv4mpegpipe -)")
    fields = {t[:1]: t[1:] for t in header[1:]}
    if not fields.get(b"C", b"420").startswith(b"420"):
        raise SystemExit("only 4:2:0 y4m (-pix_fmt yuv420p)")
    width, height = int(fields[b"W"]), int(fields[b"H"])
    num, den = (int(x) for x in fields.get(b"F", b"30:1").split(b":"))
    size = width * height * 3 // 2

    def frames():
        while pipe.readline().startswith(b"FRAME"):
            data = pipe.read(size)
            if len(data) < size:
                return
            yield np.frombuffer(data, np.uint8).reshape(height * 3 // 2, width)

    return width, height, (num, den), frames()


def main(target):
    width, height, fps, frames = y4m_frames(sys.stdin.buffer)
    out = sys.stdout.buffer if target == "-" else target
    previous = None
    with libasp.open(out, "w", width=width, height=height, fps=fps, format="i420", bitrate="1M") as writer:
        for n, frame in enumerate(frames):
            luma = frame[:height]
            if previous is not None:
                vectors = libasp.estimate_motion_numpy(luma, previous, block_size=16, search_range=16)
                moved = int(np.count_nonzero(vectors[:, 2:4].any(axis=1)))
                print(f"frame {n}: {moved} of {len(vectors)} blocks moved", file=sys.stderr)
            previous = luma
            writer.write(frame)
    print(f"{writer.packets} packets, {writer.bytes_written} bytes", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out.asp")
