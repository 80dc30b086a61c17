"""Encode NumPy frames to an .asp stream and decode it back.

    python encode_decode.py [OUT.asp]

Writes a stream that `asp-decode OUT.asp -o out.y4m` plays, and checks that
libasp's decoder shows exactly what the encoder reconstructed.
"""
import sys

import numpy as np
import libasp

width, height, fps = 320, 180, 30
y, x = np.mgrid[0:height, 0:width]
encoder = libasp.Encoder(width, height, fps, bitrate="400k", keyint=30)
decoder = libasp.Decoder(output="rgb")

stream = bytearray()
for n in range(60):
    # A colour gradient that drifts right, and a square that falls.
    frame = np.stack([(x + 3 * n) % 256, (y * 255 // height), np.full_like(x, 96)], axis=-1).astype(np.uint8)
    top = (2 * n) % (height - 32)
    frame[top:top + 32, 140:172] = (250, 250, 250)
    for packet in encoder.encode(frame):
        stream += packet
        shown = decoder.decode(packet)
        assert (shown == encoder.reconstruction(output="rgb")).all()

out = sys.argv[1] if len(sys.argv) > 1 else "libasp-example.asp"
with open(out, "wb") as f:
    f.write(stream)
kinds = "".join(libasp.Packet(p).kind for p in libasp.split_packets(bytes(stream)))
print(f"{len(kinds)} packets ({kinds[:12]}...), {len(stream)} bytes "
      f"= {len(stream) * 8 * fps / len(kinds) / 1000:.0f} kbit/s -> {out}")
