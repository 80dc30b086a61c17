"""libasp.open: .asp files, binary file objects and pipes read as frames
bit-exact with asp-decode, with their metadata; writing a stream; the
errors, each a libasp.Error."""
import io
import subprocess
import zlib

import numpy as np
import pytest

import libasp
from conftest import i420_frames, read_y4m, write_y4m
from test_player_fixtures import DATA, expected


def resolved_times(stream):
    """(sequence, keyframe, capture time) of each I/D packet of `stream`,
    capture times resolved from whole times and deltas by hand."""
    out, base = [], None
    for data in libasp.split_packets(stream):
        p = libasp.Packet(data)
        if p.kind not in ("I", "D"):
            continue
        if p.kind == "I":
            base = p.capture_time_us or 0
            t = p.capture_time_us
        elif p.capture_time_us is not None:
            base = t = p.capture_time_us
        elif p.capture_delta_us is not None and base is not None:
            t = base + p.capture_delta_us or None
        else:
            t = None
        out.append((p.sequence, p.kind == "I", t))
    return out


@pytest.fixture(scope="module")
def clip(tmp_path_factory, cli):
    """An .asp file made by asp-encode (with ROI C-packets), and the frames
    asp-decode writes for it."""
    tmp = tmp_path_factory.mktemp("clip")
    w, h = 96, 64
    write_y4m(tmp / "in.y4m", i420_frames(12, h, w, seed=3), w, h)
    subprocess.run([cli["asp-encode"], tmp / "in.y4m", "-o", tmp / "clip.asp", "--qp", "28", "--keyint", "5",
                    "--roi", "motion,text", "--roi-layer"], check=True, capture_output=True)
    subprocess.run([cli["asp-decode"], tmp / "clip.asp", "-o", tmp / "clip.y4m"], check=True, capture_output=True)
    _, _, frames = read_y4m(tmp / "clip.y4m")
    return tmp / "clip.asp", frames


def check_frames(got, clip_path, cli_frames):
    stream = clip_path.read_bytes()
    meta = resolved_times(stream)
    assert len(got) == len(cli_frames) == len(meta)
    for frame, planes, (sequence, keyframe, t) in zip(got, cli_frames, meta):
        assert frame.format == "yuv"
        assert all((a == b).all() for a, b in zip(frame.picture, planes))
        assert (frame.sequence, frame.keyframe, frame.capture_time_us) == (sequence, keyframe, t)
        assert (frame.width, frame.height) == (96, 64)
        assert (frame.color_matrix, frame.color_range, frame.fps_fraction) == ("bt709", "limited", (30, 1))
    assert any(f.refinements > 0 for f in got), "the C-packets were applied"


def test_a_file_by_path_is_what_asp_decode_writes(clip):
    path, cli_frames = clip
    with libasp.open(path, format="yuv") as reader:
        got = list(reader)
        assert reader.stats["decoded"] == len(got) and reader.stats["refined"] > 0
        assert reader.stats["bytes_read"] == path.stat().st_size
    assert reader.closed
    check_frames(got, path, cli_frames)
    # str and os.PathLike alike
    assert len(list(libasp.open(str(path)))) == len(got)


class CountingReader(io.RawIOBase):
    """A binary file object that records how much each read asked for."""

    def __init__(self, data):
        self.data, self.at, self.asked = data, 0, []

    def readable(self):
        return True

    def readinto(self, buffer):
        self.asked.append(len(buffer))
        n = min(len(buffer), len(self.data) - self.at)
        buffer[:n] = self.data[self.at:self.at + n]
        self.at += n
        return n


@pytest.mark.parametrize("chunk_size", [1, 7, 512])
def test_a_file_object_is_read_in_chunks_never_whole(clip, chunk_size):
    path, cli_frames = clip
    source = CountingReader(path.read_bytes())
    with libasp.open(source, format="yuv", chunk_size=chunk_size) as reader:
        first = next(reader)
        # Frames come before the stream is read to its end.
        assert source.at < len(source.data)
        got = [first, *reader]
    assert max(source.asked) <= chunk_size
    check_frames(got, path, cli_frames)


def test_a_pipe_from_asp_encode(cli, tmp_path):
    w, h = 64, 48
    write_y4m(tmp_path / "in.y4m", i420_frames(6, h, w), w, h)
    subprocess.run([cli["asp-encode"], tmp_path / "in.y4m", "-o", tmp_path / "x.asp", "--qp", "30"],
                   check=True, capture_output=True)
    subprocess.run([cli["asp-decode"], tmp_path / "x.asp", "-o", tmp_path / "x.y4m"], check=True, capture_output=True)
    _, _, cli_frames = read_y4m(tmp_path / "x.y4m")
    encoder = subprocess.Popen([cli["asp-encode"], tmp_path / "in.y4m", "-o", "-", "--qp", "30"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    with libasp.open(encoder.stdout, format="i420") as reader:
        got = [f.picture for f in reader]
    assert encoder.wait() == 0
    assert len(got) == len(cli_frames) == 6
    for picture, (y, u, v) in zip(got, cli_frames):
        assert (picture == np.concatenate([y, u.reshape(-1, w), v.reshape(-1, w)])).all()


@pytest.mark.parametrize("name", sorted(expected()))
def test_the_player_fixtures_with_keep_going(name):
    """Damage, late joins, stale C-packets: the same final pictures as
    asp-core's player, asp-decode and the browser binding."""
    with libasp.open(DATA / f"{name}.asp", format="i420", keep_going=True) as reader:
        shown = [(f.sequence, zlib.crc32(f.picture.tobytes())) for f in reader]
    assert shown == expected()[name]


def test_every_format_is_a_view_of_the_same_picture(clip):
    path, _ = clip
    frame = next(iter(libasp.open(path, format="rgb")))
    y, u, v = frame.to_ndarray("yuv")
    h, w = y.shape
    assert (frame.to_ndarray("i420") == np.concatenate([y, u.reshape(-1, w), v.reshape(-1, w)])).all()
    assert (frame.to_ndarray("bgr") == frame.picture[..., ::-1]).all()
    assert frame.picture is frame.picture and frame.to_ndarray() is not frame.picture
    # Gray: the luma as full-range levels, in the Q16 arithmetic of the RGB path.
    scale = round(65536 * 255 / 219)
    gray = np.clip(((y.astype(np.int64) - 16) * scale + 32768) >> 16, 0, 255)
    assert (frame.to_ndarray("gray") == gray).all()
    with pytest.raises(ValueError, match="format must be 'rgb', 'bgr', 'gray', 'yuv' or 'i420', got \"rgb24\""):
        frame.to_ndarray("rgb24")


def test_the_encoder_takes_every_format():
    rng = np.random.default_rng(5)
    w, h = 64, 48
    rgb = [np.ascontiguousarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for _ in range(3)]

    def packets(encoder, frames):
        return [p for f in frames for p in encoder.encode(f)]

    reference = packets(libasp.Encoder(w, h, 30, qp=22), rgb)
    # BGR from OpenCV: the same stream as the RGB it holds.
    assert packets(libasp.Encoder(w, h, 30, qp=22, format="bgr"), [f[..., ::-1] for f in rgb]) == reference
    # Gray: the same stream as the grey RGB picture.
    gray = [f[..., 1].copy() for f in rgb]
    assert packets(libasp.Encoder(w, h, 30, qp=22, format="gray"), gray) == \
        packets(libasp.Encoder(w, h, 30, qp=22), [np.stack([g] * 3, axis=-1) for g in gray])
    # Planes and I420: the same bytes.
    planes = i420_frames(3, h, w)
    i420 = [np.concatenate([y, u.reshape(-1, w), v.reshape(-1, w)]) for y, u, v in planes]
    assert packets(libasp.Encoder(w, h, 30, format="yuv"), planes) == \
        packets(libasp.Encoder(w, h, 30, format="i420"), i420)
    with pytest.raises(ValueError, match=r"frame must have shape \(48, 64, 3\) for format \"bgr\" for a 64x48 encoder, got \[48, 64\]"):
        libasp.Encoder(w, h, 30, format="bgr").encode(gray[0])
    with pytest.raises(TypeError, match=r"frame must be a numpy.ndarray, got tuple"):
        libasp.Encoder(w, h, 30, format="rgb").encode(planes[0])
    assert libasp.Encoder(w, h, 30, format="bgr").format == "bgr" and libasp.Encoder(w, h, 30).format is None


@pytest.mark.parametrize("fmt", ["rgb", "bgr", "gray", "yuv", "i420"])
def test_write_then_read_round_trips_every_format(fmt):
    w, h = 64, 48
    planes = i420_frames(4, h, w, seed=9)
    source = libasp.Encoder(w, h, 30, qp=0)
    # Pictures in `fmt`, made by the codec's own conversion of smooth frames.
    frames = []
    for p in planes:
        source.encode(p)
        frames.append(source.reconstruction(output=fmt))
    out = io.BytesIO()
    with libasp.open(out, "w", width=w, height=h, fps=30, format=fmt, qp=4, keyint=2) as writer:
        for f in frames:
            assert writer.write(f) > 0
    assert writer.packets == 4 and writer.bytes_written == len(out.getvalue())
    out.seek(0)
    got = [f.picture for f in libasp.open(out, format=fmt)]
    assert len(got) == 4
    for a, b in zip(got, frames):
        a = np.concatenate([x.ravel() for x in a]) if fmt == "yuv" else a
        b = np.concatenate([x.ravel() for x in b]) if fmt == "yuv" else b
        assert a.shape == b.shape
        assert np.abs(a.astype(int) - b).mean() < 2.0


def test_a_written_file_is_what_asp_encode_writes(cli, tmp_path):
    w, h = 80, 48
    planes = i420_frames(6, h, w, seed=11)
    write_y4m(tmp_path / "in.y4m", planes, w, h)
    subprocess.run([cli["asp-encode"], tmp_path / "in.y4m", "-o", tmp_path / "cli.asp", "--qp", "27", "--keyint", "3"],
                   check=True, capture_output=True)
    with libasp.open(tmp_path / "py.asp", "w", width=w, height=h, fps=30, format="yuv", qp=27, keyint=3) as writer:
        for p in planes:
            writer.write(p)
        assert writer.encoder.frames == 6
    assert (tmp_path / "py.asp").read_bytes() == (tmp_path / "cli.asp").read_bytes()
    with pytest.raises(libasp.StreamError, match="the writer is closed"):
        writer.write(planes[0])


def test_damage_raises_then_keep_going_skips_it(clip):
    path, cli_frames = clip
    data = bytearray(path.read_bytes())
    first = len(libasp.split_packets(bytes(data))[0])
    data[first + 30] ^= 0xFF  # inside the second packet
    with pytest.raises(libasp.PacketError, match=f"damaged data at byte {first} ") as e:
        list(libasp.open(io.BytesIO(bytes(data)), format="yuv"))
    assert e.value.kind == "crc_mismatch" and e.value.offset >= first and e.value.skipped > 0
    assert isinstance(e.value, libasp.Error) and isinstance(e.value, ValueError)
    with libasp.open(io.BytesIO(bytes(data)), format="yuv", keep_going=True) as reader:
        got = list(reader)
        assert reader.stats["damaged"] == 1 and reader.stats["dropped"] > 0
    # Frame 0, then nothing until the next keyframe; from there what asp-decode shows.
    assert got[0].sequence == 0 and got[1].keyframe
    assert all((a == b).all() for a, b in zip(got[-1].picture, cli_frames[-1]))


def test_a_stream_without_its_keyframe(clip):
    path, _ = clip
    packets = libasp.split_packets(path.read_bytes())
    with pytest.raises(libasp.DecodeError, match="delta frame before any keyframe"):
        list(libasp.open(io.BytesIO(b"".join(packets[1:]))))
    with pytest.raises(libasp.DecodeError, match="no keyframe in the input: nothing to decode"):
        list(libasp.open(io.BytesIO(b"")))
    # Truncated in its last packet: every whole frame, then the error.
    reader = libasp.open(io.BytesIO(path.read_bytes()[:-5]), format="yuv")
    with pytest.raises(libasp.PacketError, match="truncated|Truncated"):
        for _ in reader:
            pass
    assert reader.frames > 0


def test_bad_sources_raise_typed_errors(tmp_path):
    with pytest.raises(libasp.StreamError, match="No such file") as e:
        libasp.open(tmp_path / "missing.asp")
    assert isinstance(e.value, OSError) and isinstance(e.value, libasp.Error)
    with pytest.raises(libasp.StreamError, match=r"read\(\) returned str, not bytes; open the file in binary mode"):
        next(libasp.open(io.StringIO("ASP1")))
    with pytest.raises(libasp.UnsupportedError, match=r"over WebSocket \(ws://HOST:PORT/asp/ws\) or WebTransport") as e:
        libasp.open("http://127.0.0.1:8080/")
    assert isinstance(e.value, NotImplementedError)
    with pytest.raises(libasp.UnsupportedError, match="libasp writes files and file objects"):
        libasp.open("wss://example.com/asp/ws", "w", width=16, height=16, fps=30)
    with pytest.raises(libasp.UnsupportedError, match="unknown scheme \"rtsp\""):
        libasp.open("rtsp://camera/stream")
    with pytest.raises(TypeError, match=r"wrap bytes in io.BytesIO"):
        libasp.open(b"ASP1")
    with pytest.raises(ValueError, match="mode must be 'r' or 'w', got \"a\""):
        libasp.open(tmp_path / "x.asp", "a")
    with pytest.raises(TypeError, match="mode='w' needs width=, height= and fps="):
        libasp.open(tmp_path / "x.asp", "w")
    with pytest.raises(TypeError, match="unexpected keyword argument 'qp' for mode='r'"):
        libasp.open(tmp_path / "x.asp", qp=3)
    with pytest.raises(ValueError, match="ca= is for wss:// and https:// URLs"):
        libasp.open(tmp_path / "x.asp", ca=tmp_path / "ca.pem")
    with pytest.raises(ValueError, match="chunk_size must be in"):
        libasp.open(io.BytesIO(b""), chunk_size=0)
    with pytest.raises(ValueError, match="timeout must be positive seconds or None"):
        libasp.open(io.BytesIO(b""), timeout=-1)
    with pytest.raises(libasp.StreamError, match="cannot connect to 127.0.0.1:1"):
        libasp.open("ws://127.0.0.1:1/asp/ws", timeout=2)
    reader = libasp.open(io.BytesIO(b""))
    reader.close()
    with pytest.raises(libasp.StreamError, match="the reader is closed"):
        next(reader)


def test_packet_reader_takes_any_chunking(clip):
    path, _ = clip
    data = path.read_bytes()
    whole = libasp.split_packets(data)
    for size in (1, 3, 17, 4096, len(data)):
        reader = libasp.PacketReader()
        got = []
        for at in range(0, len(data), size):
            reader.push(data[at:at + size])
            got += list(reader)
            assert reader.buffered < max(len(p) for p in whole) + size
        reader.finish()
        got += list(reader)
        assert got == whole and reader.buffered == 0


def test_packet_reader_damage(clip):
    path, _ = clip
    data = bytearray(path.read_bytes())
    whole = libasp.split_packets(bytes(data))
    data[len(whole[0]) + 20] ^= 0x55
    reader = libasp.PacketReader()
    reader.push(bytes(data))
    assert next(reader) == whole[0]
    with pytest.raises(libasp.PacketError) as e:
        next(reader)
    assert e.value.offset >= len(whole[0]) and e.value.skipped == len(whole[1])
    assert list(reader) == whole[2:]
    skipping = libasp.PacketReader(skip_damaged=True)
    skipping.push(bytes(data) + whole[0][:30])
    skipping.finish()
    assert list(skipping) == [whole[0], *whole[2:]]
    assert skipping.skipped_bytes == len(whole[1]) + 30
    with pytest.raises(libasp.StreamError, match="push after finish"):
        skipping.push(b"x")
    with pytest.raises(TypeError, match="data must be bytes, bytearray or a 1-D uint8 array, got str"):
        libasp.PacketReader().push("ASP1")
