"""libasp.open on a live `asp-encode --serve` stream: a real process, a real
socket, its testsrc; the frames are bit-exact with asp-decode of the same
stream recorded with `--serve -o`, with their sequence, keyframe flag and
capture time. Over ws://; wss:// through a TLS proxy with a private CA
(verified with ca=, refused without it); and WebTransport (https://, the
certificate pinned by the hash asp-encode prints, refused otherwise)."""
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest

import libasp
from conftest import read_y4m
from test_open import resolved_times


class Served:
    """`asp-encode testsrc --serve` recording to `record`; `port` is its HTTP port."""

    def __init__(self, cli, record, *args, webtransport=False):
        self.record = record
        self.proc = subprocess.Popen(
            [cli["asp-encode"], "testsrc", "--serve", "127.0.0.1:0", "--size", "96x64", "--fps", "30", "-o", record,
             *([] if webtransport else ["--no-webtransport"]), *args],
            stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.recorded = threading.Event()
        self.port = self.wt_url = None
        for line in self.proc.stderr:
            self.lines.append(line)
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if found and self.port is None:
                self.port = int(found.group(1))
            found = re.search(r"(https://127\.0\.0\.1:\d+/asp/wt#sha256=[0-9a-f]{64})", line)
            if found:
                self.wt_url = found.group(1)
            if self.port and (self.wt_url or not webtransport):
                break
        assert self.port, "asp-encode did not say where it serves:\n" + "".join(self.lines)
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stderr:
            self.lines.append(line)
            if "recorded" in line:
                self.recorded.set()

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def serve(cli, tmp_path):
    started = []

    def start(*args, webtransport=False):
        served = Served(cli, tmp_path / f"rec{len(started)}.asp", *args, webtransport=webtransport)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def check_against_asp_decode(cli, served, frames):
    """Every frame read live is the frame asp-decode writes for the same
    sequence of the recording, with the recording's metadata."""
    assert served.recorded.wait(30), "asp-encode did not finish recording:\n" + "".join(served.lines)
    decoded = served.record.with_suffix(".y4m")
    subprocess.run([cli["asp-decode"], served.record, "-o", decoded], check=True, capture_output=True)
    _, _, cli_frames = read_y4m(decoded)
    meta = resolved_times(served.record.read_bytes())
    assert len(meta) == len(cli_frames)
    by_sequence = {m[0]: (m, planes) for m, planes in zip(meta, cli_frames)}
    assert frames, "no frame arrived"
    assert frames[0].keyframe, "a viewer starts at a keyframe"
    for frame in frames:
        (sequence, keyframe, capture), planes = by_sequence[frame.sequence]
        assert (frame.keyframe, frame.capture_time_us) == (keyframe, capture)
        assert capture is not None and capture > 1_600_000_000_000_000  # testsrc stamps the wall clock
        assert all((a == b).all() for a, b in zip(frame.picture, planes)), f"frame {sequence} differs"
    # Consecutive from the join to the end of the stream.
    sequences = [f.sequence for f in frames]
    assert sequences == sorted(sequences) and sequences[-1] == meta[-1][0]
    assert len(frames) == len([m for m in meta if m[0] >= sequences[0]])


@pytest.mark.parametrize("args", [
    ["--frames", "45", "--keyint", "15", "--qp", "28"],
    ["--frames", "30", "--keyint", "10", "--qp", "30", "--roi", "motion,text", "--roi-layer"],
], ids=["plain", "roi-layer"])
def test_a_live_websocket_stream_is_what_asp_decode_shows(cli, serve, args):
    served = serve(*args)
    with libasp.open(f"ws://127.0.0.1:{served.port}/asp/ws", format="yuv", timeout=20) as reader:
        frames = list(reader)  # ends at the server's end of stream (a normal close)
        assert reader.name == f"ws://127.0.0.1:{served.port}/asp/ws"
    check_against_asp_decode(cli, served, frames)
    if "--roi-layer" in args:
        assert any(f.refinements > 0 for f in frames), "C-packets were applied"


def test_the_path_defaults_to_the_endpoint_and_reading_releases_the_gil(cli, serve):
    served = serve("--frames", "20", "--keyint", "10", "--qp", "30")
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        with libasp.open(f"ws://127.0.0.1:{served.port}", format="gray", timeout=20) as reader:
            assert reader.name.endswith("/asp/ws")
            frames = list(reader)
    finally:
        stop.set()
        ticker.join()
    assert frames and frames[0].picture.shape == (64, 96)
    # The other thread ran all along while the reader waited for packets.
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) > 30 and max(gaps) < 0.5


def make_ca(tmp_path):
    """A private CA and a certificate it signs for 127.0.0.1, with openssl."""
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed (tools/setup.sh apt installs it)"

    def run(*args):
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=tmp_path)

    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=libasp test CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1")
    (tmp_path / "leaf.ext").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
        "extendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext")
    return tmp_path / "ca.pem", tmp_path / "leaf.pem", tmp_path / "leaf.key"


class TlsProxy:
    """TLS on a local port, forwarded to a plain TCP port (as a reverse
    proxy in front of asp-encode --serve terminates wss://)."""

    def __init__(self, target_port, cert, key):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.target_port = target_port
        self.handshake_errors = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        try:
            client = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.handshake_errors.append(e)
            raw.close()
            return
        upstream = socket.create_connection(("127.0.0.1", self.target_port))

        def pump(src, dst):
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)

    def close(self):
        self.listener.close()


def test_wss_verifies_the_certificate(cli, serve, tmp_path):
    ca, cert, key = make_ca(tmp_path)
    # Long enough to outlast the refused attempts below.
    served = serve("--frames", "90", "--keyint", "10", "--qp", "28")
    proxy = TlsProxy(served.port, cert, key)
    try:
        url = f"wss://127.0.0.1:{proxy.port}/asp/ws"
        # Not signed by a root this system trusts: refused, never let through.
        with pytest.raises(libasp.StreamError, match="(?i)certificate|UnknownIssuer"):
            libasp.open(url, timeout=10)
        with pytest.raises(libasp.StreamError, match="no PEM certificate"):
            libasp.open(url, ca=key.with_suffix(".ext"), timeout=10)
        with libasp.open(url, format="yuv", ca=ca, timeout=20) as reader:
            frames = list(reader)
    finally:
        proxy.close()
    check_against_asp_decode(cli, served, frames)


def test_a_stalled_stream_times_out_after_its_last_frame(cli):
    """A live y4m pipe into `asp-encode - --serve` that stops sending: the
    frame already served comes out, then StreamError after `timeout`."""
    w, h = 64, 48
    proc = subprocess.Popen([cli["asp-encode"], "-", "--serve", "127.0.0.1:0", "--no-webtransport", "--qp", "30"],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=False)
    try:
        proc.stdin.write(f"YUV4MPEG2 W{w} H{h} F30:1 C420jpeg\n".encode())
        proc.stdin.write(b"FRAME\n" + bytes(range(256)) * (w * h * 3 // 2 // 256))
        proc.stdin.flush()
        port = None
        for line in proc.stderr:
            found = re.search(rb"http://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = int(found.group(1))
                break
        assert port
        threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
        frames = []
        started = time.monotonic()
        with pytest.raises(libasp.StreamError, match=r"no packet for 1\.0 s \(timeout=\)"):
            with libasp.open(f"ws://127.0.0.1:{port}/asp/ws", timeout=1) as reader:
                for frame in reader:
                    frames.append(frame)
        assert 1.0 <= time.monotonic() - started < 10
        assert [(f.sequence, f.keyframe) for f in frames] == [(0, True)]
        # Without a timeout it waits; Ctrl-C still stops it.
        waiting = subprocess.Popen(
            [sys.executable, "-c", "import libasp, sys\n"
             f"r = libasp.open('ws://127.0.0.1:{port}/asp/ws', timeout=None)\n"
             "print('open', flush=True)\n"
             "try:\n    list(r)\nexcept KeyboardInterrupt:\n    print('interrupted', flush=True)\n"],
            stdout=subprocess.PIPE, text=True)
        assert waiting.stdout.readline() == "open\n"
        time.sleep(1.0)
        waiting.send_signal(signal.SIGINT)
        out, _ = waiting.communicate(timeout=5)
        assert out == "interrupted\n"
    finally:
        proc.kill()
        proc.wait()


def test_a_webtransport_stream_with_the_printed_certificate_hash(cli, serve):
    # Long enough to outlast the refused attempts below.
    served = serve("--frames", "90", "--keyint", "10", "--qp", "28", webtransport=True)
    url = served.wt_url
    base, digest = url.split("#sha256=")
    wrong = "0" * 64 if digest != "0" * 64 else "1" * 64
    # The certificate must match the pinned hash, or verify against roots: refused otherwise.
    with pytest.raises(libasp.StreamError, match="WebTransport session with .* failed"):
        libasp.open(f"{base}#sha256={wrong}", timeout=10)
    with pytest.raises(libasp.StreamError, match="WebTransport session with .* failed"):
        libasp.open(base, timeout=10)
    with pytest.raises(libasp.StreamError, match="sha256= must be 64 hex digits"):
        libasp.open(f"{base}#sha256=abc", timeout=10)
    with libasp.open(url, format="yuv", timeout=20) as reader:
        frames = list(reader)  # ends when the server closes the session (code 0)
        assert reader.name == url
    check_against_asp_decode(cli, served, frames)
