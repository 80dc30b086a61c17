"""Encoder and Decoder on NumPy frames, bit-exact with the Rust CLI."""
import subprocess

import numpy as np
import pytest

import libasp
from conftest import i420_frames, moving_scene, read_y4m, write_y4m


def encode_all(encoder, frames):
    packets = []
    for f in frames:
        out = encoder.encode(f)
        assert isinstance(out, list) and all(isinstance(p, bytes) for p in out)
        packets += out
    return packets + encoder.flush()


@pytest.mark.parametrize(
    "size, settings, cli_args",
    [
        ((96, 64), dict(qp=24, keyint=4), ["--qp", "24", "--keyint", "4"]),
        ((75, 41), dict(qp=30, preset="ultrafast"), ["--qp", "30", "--preset", "ultrafast"]),
        ((160, 96), dict(bitrate="300k", preset="medium", side_data=True),
         ["--bitrate", "300k", "--preset", "medium", "--side-data"]),
        ((128, 80), dict(qp=20, tiles=(2, 2)), ["--qp", "20", "--tiles", "2x2"]),
        ((96, 64), dict(qp=26, keyint=4, intra_refresh=True), ["--qp", "26", "--keyint", "4", "--intra-refresh"]),
        ((128, 96), dict(qp=30, roi=("text", "motion", "face"), roi_qp=-8, roi_layer=True, palette=4),
         ["--qp", "30", "--roi", "text,motion,face", "--roi-qp", "-8", "--roi-layer", "--palette", "4"]),
    ],
)
def test_encoder_and_decoder_equal_the_cli(tmp_path, cli, size, settings, cli_args):
    w, h = size
    frames = i420_frames(8, h, w, seed=w)
    write_y4m(tmp_path / "in.y4m", frames, w, h)
    subprocess.run([cli["asp-encode"], tmp_path / "in.y4m", "-o", tmp_path / "cli.asp", *cli_args],
                   check=True, capture_output=True)
    subprocess.run([cli["asp-decode"], tmp_path / "cli.asp", "-o", tmp_path / "cli.y4m"], check=True, capture_output=True)
    cli_stream = (tmp_path / "cli.asp").read_bytes()

    packets = encode_all(libasp.Encoder(w, h, 30, **settings), frames)
    # The same bytes, packet for packet.
    assert b"".join(packets) == cli_stream
    assert libasp.split_packets(cli_stream) == packets

    # The same frames as asp-decode (a C-packet replaces its frame's picture).
    _, _, cli_frames = read_y4m(tmp_path / "cli.y4m")
    decoder = libasp.Decoder(output="yuv")
    shown = []
    for packet in packets:
        planes = decoder.decode(packet)
        if libasp.Packet(packet).kind == "C":
            shown[-1] = planes
        else:
            shown.append(planes)
    assert len(cli_frames) == len(shown) == len(frames)
    for planes, expected in zip(shown, cli_frames):
        assert all((a == b).all() for a, b in zip(planes, expected))


def test_reconstruction_is_what_the_decoder_shows():
    frames = moving_scene(5, 72, 120)
    encoder = libasp.Encoder(120, 72, 25, qp=28, keyint=3)
    decoder = libasp.Decoder(output="rgb")
    assert encoder.reconstruction() is None
    for f in frames:
        (packet,) = encoder.encode(f)
        rgb = decoder.decode(packet)
        assert rgb.shape == (72, 120, 3) and rgb.dtype == np.uint8
        assert (rgb == encoder.reconstruction(output="rgb")).all()
        # Lossy, but close: the picture survives.
        assert np.abs(rgb.astype(int) - f).mean() < 12
    assert encoder.frames == 5


def test_keyframes_and_packet_kinds():
    frames = moving_scene(6, 48, 64)
    encoder = libasp.Encoder(64, 48, 30, qp=26, keyint=3)
    kinds = [libasp.Packet(p).kind for p in encode_all(encoder, frames)]
    assert kinds == ["I", "D", "D", "I", "D", "D"]
    encoder.request_keyframe()
    assert libasp.Packet(encoder.encode(frames[0])[0]).kind == "I"


def test_input_layouts_give_the_same_stream():
    w, h = 64, 48
    planes = i420_frames(3, h, w)
    stacked = [np.concatenate([y.ravel(), u.ravel(), v.ravel()]).reshape(h * 3 // 2, w) for y, u, v in planes]
    a = encode_all(libasp.Encoder(w, h, 30, qp=26), planes)
    b = encode_all(libasp.Encoder(w, h, 30, qp=26), stacked)
    c = encode_all(libasp.Encoder(w, h, 30, qp=26), [tuple(np.asfortranarray(p) for p in f) for f in planes])
    assert a == b == c


def test_rgb_input_is_converted_with_bt709_limited_range():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (32, 48, 3), dtype=np.uint8)
    encoder = libasp.Encoder(48, 32, 30, qp=0)
    encoder.encode(rgb)
    y, u, v = encoder.reconstruction()
    f = rgb.astype(np.float64)
    luma = 0.2126 * f[..., 0] + 0.7152 * f[..., 1] + 0.0722 * f[..., 2]
    expected_y = 16 + luma * 219 / 255
    # QP 0 is nearly lossless: the luma is within a couple of steps.
    assert np.abs(y - expected_y).mean() < 1.0
    avg = f.reshape(16, 2, 24, 2, 3).mean(axis=(1, 3))
    l2 = 0.2126 * avg[..., 0] + 0.7152 * avg[..., 1] + 0.0722 * avg[..., 2]
    expected_u = 128 + (avg[..., 2] - l2) / 1.8556 * 224 / 255
    assert np.abs(u - expected_u).mean() < 1.0


def test_decoder_outputs():
    frames = i420_frames(2, 40, 56)
    packets = encode_all(libasp.Encoder(56, 40, 30, qp=10), frames)
    yuv = libasp.Decoder(output="yuv").decode(packets[0])
    i420 = libasp.Decoder(output="i420").decode(packets[0])
    assert i420.shape == (60, 56)
    assert (i420.ravel() == np.concatenate([p.ravel() for p in yuv])).all()
    assert libasp.Decoder().output == "rgb"
    # A delta packet with side data only (no coded tiles) codes no frame.
    d = libasp.Decoder()
    d.decode(packets[0])
    with pytest.raises(libasp.DecodeError, match="frame without coded tiles"):
        d.decode(libasp.create_d_packet_numpy(1, 0, np.zeros((1, 5), np.int32)))


def test_odd_sizes_and_i420_output():
    frames = i420_frames(2, 33, 47)
    packets = encode_all(libasp.Encoder(47, 33, 30, qp=20), frames)
    y, u, v = libasp.Decoder(output="yuv").decode(packets[0])
    assert (y.shape, u.shape, v.shape) == ((33, 47), (17, 24), (17, 24))
    with pytest.raises(ValueError, match="format 'i420' needs an even frame size, this one is 47x33; use 'yuv'"):
        libasp.Decoder(output="i420").decode(packets[0])


def test_decode_errors_recover_at_the_next_keyframe():
    frames = moving_scene(4, 48, 64)
    packets = encode_all(libasp.Encoder(64, 48, 30, qp=26, keyint=2), frames)
    decoder = libasp.Decoder()
    with pytest.raises(libasp.DecodeError, match="delta frame before any keyframe"):
        decoder.decode(packets[1])
    assert decoder.decode(packets[0]) is not None
    with pytest.raises(libasp.DecodeError, match="predicts from frame 2"):
        decoder.decode(packets[3])
    assert decoder.decode(packets[2]) is not None
    assert decoder.decode(packets[3]) is not None
    decoder.reset()
    with pytest.raises(libasp.DecodeError):
        decoder.decode(packets[3])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(qp=52), ValueError, "qp must be in 0..=51, got 52"),
        (dict(qp=20, bitrate=1_000_000), ValueError, "give bitrate or qp, not both"),
        (dict(bitrate="fast"), ValueError, "bitrate must be bits per second or like '1500k' / '2M', got fast"),
        (dict(bitrate=10), ValueError, "bitrate must be in 1k..=10G bits per second, got 10"),
        (dict(bitrate=[1]), TypeError, "bitrate must be an int or a string"),
        (dict(preset="turbo"), ValueError, "preset must be 'ultrafast', 'realtime' or 'medium', got \"turbo\""),
        (dict(keyint=-1), ValueError, "keyint must be in 0..=4294967295, got -1"),
        (dict(tiles=(0, 1)), ValueError, "tiles columns must be in 1..=255, got 0"),
        (dict(tiles=(64, 1)), ValueError, "tile"),
        (dict(threads=-1), ValueError, "threads must be None or in 1..=256, got -1"),
    ],
)
def test_bad_encoder_settings(kwargs, error, message):
    with pytest.raises(error, match=message):
        libasp.Encoder(64, 48, 30, **kwargs)


def test_bad_sizes_and_rates():
    with pytest.raises(ValueError, match="width must be in 1..=8192, got 0"):
        libasp.Encoder(0, 48, 30)
    with pytest.raises(ValueError, match="height must be in 1..=8192, got 10000"):
        libasp.Encoder(64, 10000, 30)
    with pytest.raises(ValueError, match="fps must be in 1..=1000, got -3"):
        libasp.Encoder(64, 48, -3)
    with pytest.raises(ValueError, match="output must be 'rgb', 'bgr', 'gray', 'yuv' or 'i420', got \"hsv\""):
        libasp.Decoder(output="hsv")
    with pytest.raises(ValueError, match="format must be 'rgb', 'bgr', 'gray', 'yuv' or 'i420', got \"rgba\""):
        libasp.Encoder(64, 48, 30, format="rgba")


@pytest.mark.parametrize(
    "frame, error, message",
    [
        (np.zeros((48, 64, 3), np.float32), TypeError, "frame must have dtype uint8, got float32"),
        (np.zeros((48, 64, 4), np.uint8), ValueError,
         r"frame must have shape \(48, 64, 3\) RGB, \(48, 64\) gray, \(72, 64\) I420, or be a \(Y, U, V\) tuple for a 64x48 encoder, got \[48, 64, 4\]"),
        (np.zeros((64, 48, 3), np.uint8), ValueError, r"got \[64, 48, 3\]"),
        (np.zeros((40, 64), np.uint8), ValueError, r"got \[40, 64\]"),
        ("frame", TypeError, "frame must be a numpy.ndarray or a \\(Y, U, V\\) tuple of arrays, got str"),
        ((np.zeros((48, 64), np.uint8),), ValueError, r"frame as planes must be \(Y, U, V\), got 1 items"),
        ((np.zeros((48, 64), np.uint8), np.zeros((24, 32), np.uint8), np.zeros((24, 31), np.uint8)), ValueError,
         r"frame plane V must have shape \[24, 32\] for a 64x48 encoder, got \[24, 31\]"),
        ((np.zeros((48, 64), np.uint8), np.zeros((24, 32), np.int8), np.zeros((24, 32), np.uint8)), TypeError,
         "frame plane U must have dtype uint8, got int8"),
    ],
)
def test_bad_frames(frame, error, message):
    encoder = libasp.Encoder(64, 48, 30)
    with pytest.raises(error, match=message):
        encoder.encode(frame)
    # The encoder is still usable after a refused frame.
    assert len(encoder.encode(np.zeros((48, 64, 3), np.uint8))) == 1


def test_set_bitrate_needs_bitrate_mode():
    with pytest.raises(ValueError, match="set_bitrate needs an encoder made with bitrate="):
        libasp.Encoder(64, 48, 30, qp=20).set_bitrate(1_000_000)
    encoder = libasp.Encoder(64, 48, 30, bitrate="500k")
    encoder.set_bitrate("2M")
    with pytest.raises(ValueError):
        encoder.set_bitrate(-5)


def test_damaged_tile_data_is_an_error_or_a_frame_never_a_crash():
    import zlib
    frames = moving_scene(3, 48, 64)
    packets = encode_all(libasp.Encoder(64, 48, 30, qp=26), frames)
    rng = np.random.default_rng(1)
    outcomes = set()
    for n in range(200):
        packet = bytearray(packets[n % 3])
        tiles_end = len(packet) - 4
        for _ in range(1 + n % 5):
            at = rng.integers(tiles_end - 64, tiles_end)  # tile data sits near the end of the payload
            packet[at] = rng.integers(0, 256)
        packet[-4:] = zlib.crc32(bytes(packet[:-4])).to_bytes(4, "big")
        decoder = libasp.Decoder(output="yuv")
        try:
            if n % 3:
                decoder.decode(packets[0])
            out = decoder.decode(bytes(packet))
            outcomes.add("frame" if out is not None else "none")
        except libasp.DecodeError:
            outcomes.add("decode_error")
        except libasp.PacketError:
            outcomes.add("packet_error")
    assert outcomes & {"decode_error", "packet_error"}


def test_side_data_and_qp_offsets_reach_the_packets():
    frames = moving_scene(3, 64, 96)
    encoder = libasp.Encoder(96, 64, 30, qp=30, keyint=2)
    rois = libasp.detect_roi(frames[1], frames[0], methods=["motion"])
    colors, weights = libasp.extract_colors_with_weights(frames[0], num_colors=3)
    encoder.set_side_data(regions=rois, palette=colors, weights=weights)
    packets = [libasp.Packet(p) for f in frames for p in encoder.encode(f)]
    for p in packets:
        assert len(p.regions) == len(rois)
        assert [(r.x, r.y, r.width, r.height, r.type_id) for r in p.regions] == \
            [tuple(int(v) for v in row[:5]) for row in rois]
        pc, pw = p.palette
        assert (pc == colors).all() and (pw == weights).all()
    encoder.set_side_data()
    assert libasp.Packet(encoder.encode(frames[0])[0]).palette is None

    # A finer QP in the top-left macroblocks costs bytes there: the stream grows.
    plain = libasp.Encoder(96, 64, 30, qp=36)
    sharp = libasp.Encoder(96, 64, 30, qp=36)
    offsets = np.zeros((4, 6), np.int8)
    offsets[:2, :3] = -12
    sharp.set_qp_offsets(offsets)
    a = sum(len(p) for f in frames for p in plain.encode(f))
    b = sum(len(p) for f in frames for p in sharp.encode(f))
    assert b > a
    with pytest.raises(ValueError, match=r"offsets must hold 4x6 = 24 values \(one per 16x16 macroblock\), got shape \[5\]"):
        sharp.set_qp_offsets(np.zeros(5, np.int8))
    with pytest.raises(TypeError, match="offsets must have dtype int8, got int64"):
        sharp.set_qp_offsets(np.zeros(24, np.int64))
    with pytest.raises(ValueError, match=r"weights must have shape \(3,\) like the palette, got \[2\]"):
        encoder.set_side_data(palette=colors, weights=weights[:2])


def test_roi_coding_sends_regions_and_refinements():
    frames = moving_scene(4, 96, 128)
    # The layer refines 6 QP steps finer than the regions' base: at the
    # same QP it would only code what the base left out, which in this
    # scene (integer motion, 8x8 vectors) is nothing.
    encoder = libasp.Encoder(128, 96, 30, qp=32, roi="motion", roi_layer=True, roi_layer_delta=6, palette=3)
    out = [encoder.encode(f) for f in frames]
    kinds = ["".join(libasp.Packet(p).kind for p in packets) for packets in out]
    assert kinds[0][0] == "I" and all(k[0] == "D" for k in kinds[1:])
    assert any("C" in k for k in kinds[1:]), kinds
    for packets in out:
        p = libasp.Packet(packets[0])
        assert p.palette is not None and len(p.palette[0]) == 3
    moving = [libasp.Packet(packets[0]) for packets in out[1:]]
    assert any(r.roi_type == "motion" for p in moving for r in p.regions)
    # A decoder that drops C-packets shows the base picture (the reconstruction).
    base, refined = libasp.Decoder(output="yuv", apply_corrections=False), libasp.Decoder(output="yuv")
    for packets in out:
        for packet in packets:
            b, r = base.decode(packet), refined.decode(packet)
            if libasp.Packet(packet).kind == "C":
                assert b is None and r is not None
    with pytest.raises(ValueError, match="roi_layer=True needs roi="):
        libasp.Encoder(64, 48, 30, roi_layer=True)
    with pytest.raises(ValueError, match="roi: unknown detector"):
        libasp.Encoder(64, 48, 30, roi=["nose"])
    with pytest.raises(ValueError, match="roi_qp must be in -12..=0, got 3"):
        libasp.Encoder(64, 48, 30, roi="face", roi_qp=3)
    with pytest.raises(ValueError, match="palette must be in 1..=256, got 0"):
        libasp.Encoder(64, 48, 30, palette=0)
    with pytest.raises(libasp.DecodeError, match="C-packet before any decoded frame"):
        libasp.Decoder().decode(next(p for packets in out for p in packets if libasp.Packet(p).kind == "C"))
