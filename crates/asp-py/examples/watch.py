"""Watch an ASP stream for motion: a file, standard input, or a live
``asp-encode --serve`` stream.

    python watch.py recording.asp
    asp-encode testsrc -o - | python watch.py -
    python watch.py ws://127.0.0.1:8080/asp/ws

Prints one line per frame whose picture changed: more than 1% of its
pixels moved by more than 24 gray levels since the frame before.
"""
import sys

import numpy as np

import libasp


def main(source, level=24, share=0.01):
    source = sys.stdin.buffer if source == "-" else source
    previous = None
    with libasp.open(source, format="gray", keep_going=True) as stream:
        for frame in stream:
            gray = frame.picture.astype(np.int16)
            if previous is not None:
                changed = np.count_nonzero(np.abs(gray - previous) > level) / gray.size
                if changed > share:
                    kind = "keyframe" if frame.keyframe else "delta"
                    print(f"frame {frame.sequence} ({kind}, captured at {frame.capture_time_us} us): "
                          f"{100 * changed:.1f}% changed")
            previous = gray
        print(f"{stream.frames} frames, {stream.stats['dropped']} dropped", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "-")
