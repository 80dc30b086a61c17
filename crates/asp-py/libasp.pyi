"""ASP (ALICE Streaming Protocol) on NumPy arrays.

Motion estimation, the codec's integer DCT, packets, and the video encoder
and decoder. Heavy calls release the GIL. C-contiguous inputs are read in
place; other layouts are copied once. Do not write to an input array from
another thread while a call that reads it runs.
"""
import os
from typing import Any, BinaryIO, Dict, Iterator, List, Literal, Optional, Sequence, Tuple, Union, overload

import numpy as np
import numpy.typing as npt

__version__: str

PACKET_I: int
PACKET_D: int
PACKET_C: int
PACKET_S: int

#: Structured dtype of the schema's MotionVector: block_x, block_y (u16),
#: dx, dy (i16), sad (u32), little-endian, 12 bytes.
MOTION_VECTOR_DTYPE: np.dtype

Algorithm = Literal["diamond", "hexagon", "three_step", "full"]
U8Array = npt.NDArray[np.uint8]
I32Array = npt.NDArray[np.int32]
F32Array = npt.NDArray[np.float32]
BytesLike = Union[bytes, bytearray, U8Array]
Planes = Tuple[U8Array, U8Array, U8Array]
Frame = Union[U8Array, Planes, Sequence[U8Array]]
Fps = Union[int, float, Tuple[int, int]]
#: Frame formats: "rgb" (H, W, 3), "bgr" (H, W, 3) in OpenCV's order,
#: "gray" (H, W) full-range luma, "yuv" a (Y, U, V) tuple of planes,
#: "i420" (H * 3 / 2, W).
FrameFormat = Literal["rgb", "bgr", "gray", "yuv", "i420"]
Picture = Union[U8Array, Planes]
PathLike = Union[str, "os.PathLike[str]"]

class Error(Exception):
    """Base of every exception libasp raises about packets, frames and streams."""

class PacketError(Error, ValueError):
    """A packet was refused. ``kind`` names the failed check (e.g.
    "crc_mismatch"), ``offset`` the byte at fault or None; from a stream
    (:func:`open`, :class:`PacketReader`) ``skipped`` is the length of the
    damaged span."""
    kind: str
    offset: Optional[int]
    skipped: int

class DecodeError(Error, ValueError):
    """A packet parsed but produced no frame (a delta frame without its
    reference, damaged tile data). Decode the next keyframe to recover."""

class StreamError(Error, OSError):
    """Reading or writing a stream failed: a connection refused or lost, a
    TLS certificate that did not verify, a timeout, a file object that is
    not binary, a reader or writer already closed."""

class UnsupportedError(Error, NotImplementedError):
    """A source libasp cannot read or write (an http:// URL, an unknown
    scheme, a URL to write to); the message says what to use instead."""

def estimate_motion_numpy(
    current: U8Array,
    previous: U8Array,
    block_size: int = 16,
    search_range: int = 16,
    algorithm: Algorithm = "diamond",
    *,
    early_exit_sad: int = 0,
    threads: Optional[int] = None,
) -> I32Array:
    """Block motion of ``current`` from ``previous`` ((H, W) gray or (H, W, 3)
    RGB uint8, same shape). Returns (N, 5) int32 rows ``[block_x, block_y,
    dx, dy, sad]`` in raster order of blocks; block indices, whole-pixel
    displacements into ``previous``. block_size 4/8/16/32, search_range
    0..=64. Releases the GIL."""

class MotionEstimator:
    """Reusable settings for :func:`estimate_motion_numpy`."""
    def __init__(
        self,
        block_size: int = 16,
        search_range: int = 16,
        algorithm: Algorithm = "diamond",
        *,
        early_exit_sad: int = 0,
        threads: Optional[int] = None,
    ) -> None: ...
    def estimate_numpy(self, current: U8Array, previous: U8Array) -> I32Array:
        """(N, 5) int32 ``[block_x, block_y, dx, dy, sad]``."""
    def grid(self, width: int, height: int) -> Tuple[int, int]:
        """``(blocks_x, blocks_y)`` of a frame."""
    @property
    def block_size(self) -> int: ...
    @property
    def search_range(self) -> int: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def early_exit_sad(self) -> int: ...
    @property
    def threads(self) -> Optional[int]: ...

def extract_colors(
    pixels: U8Array, num_colors: int = 5, method: Literal["kmeans", "median_cut"] = "kmeans"
) -> U8Array:
    """Dominant colours of an (H, W, 3) RGB image or (N, 3) RGB pixels:
    (N, 3) uint8, most frequent first. Releases the GIL."""

def extract_colors_with_weights(
    pixels: U8Array, num_colors: int = 5, method: Literal["kmeans", "median_cut"] = "kmeans"
) -> Tuple[U8Array, F32Array]:
    """``(colors (N, 3) uint8, weights (N,) float32)``; weights sum to 1."""

def detect_roi(
    frame: U8Array,
    previous_frame: Optional[U8Array] = None,
    width: Optional[int] = None,
    height: Optional[int] = None,
    methods: Union[Sequence[str], str, None] = None,
) -> F32Array:
    """Regions of interest: (N, 6) float32 ``[x, y, w, h, type, confidence]``
    (type: 1 face, 2 text, 3 edge, 4 motion). ``frame``: (H, W) gray,
    (H, W, 3) RGB, or flat gray/RGB/I420 bytes with width and height.
    ``methods``: names among "edge", "text", "motion", "face" (None: edge,
    motion and face). Motion needs ``previous_frame``. Releases the GIL."""

class DctTransform:
    """The codec's integer transform and quantiser. ``quality`` 0..=100 maps
    to ``qp = round((100 - quality) * 51 / 100)``; ``qp=`` sets it directly.
    Blocks are predicted from 128 (an intra block without neighbours)."""
    def __init__(self, block_size: int = 8, quality: int = 75, *, qp: Optional[int] = None) -> None: ...
    def forward(self, block: U8Array) -> I32Array:
        """uint8 (H, W), sides multiples of block_size -> int32 levels, same
        shape, raster order within each block."""
    def inverse(self, coefficients: I32Array) -> U8Array:
        """int32 levels -> the uint8 pixels the decoder reconstructs."""
    @property
    def block_size(self) -> int: ...
    @property
    def quality(self) -> Optional[int]: ...
    @property
    def qp(self) -> int: ...

def create_i_packet(
    sequence: int,
    width: int,
    height: int,
    fps: Fps,
    *,
    flags: int = 0,
    capture_time_us: int = 0,
    regions: Optional[F32Array] = None,
    palette: Optional[U8Array] = None,
) -> bytes:
    """A keyframe packet announcing a stream (no coded picture)."""

def create_d_packet_numpy(
    sequence: int,
    ref_sequence: int,
    motion_vectors: npt.NDArray[np.integer],
    *,
    block_size: int = 16,
    precision: int = 1,
    flags: int = 0,
    capture_time_us: int = 0,
    qp: int = 0,
    regions: Optional[F32Array] = None,
) -> bytes:
    """A delta packet carrying (N, 5) motion vectors as side data."""

def parse_packet(data: BytesLike) -> Tuple[int, int, int]:
    """Checks a packet end to end; ``(packet_type, sequence, payload_size)``."""

def split_packets(data: BytesLike) -> List[bytes]:
    """Splits a stream of packets back to back (an .asp file), checking each."""

class Region:
    """A region of interest carried by a packet."""
    x: int
    y: int
    width: int
    height: int
    roi_type: str
    type_id: int
    confidence: float
    priority: int

class Packet:
    """One parsed, verified packet."""
    def __init__(self, data: BytesLike) -> None: ...
    packet_type: int
    flags: int
    sequence: int
    payload_size: int
    crc: int
    capture_time_us: Optional[int]
    capture_delta_us: Optional[int]
    qp: Optional[int]
    ref_sequence: Optional[int]
    width: Optional[int]
    height: Optional[int]
    color_range: Optional[str]
    color_matrix: Optional[str]
    tile_columns: Optional[int]
    tile_rows: Optional[int]
    tile_sizes: List[int]
    motion_block_size: Optional[int]
    motion_vector_precision: Optional[int]
    command: Optional[str]
    @property
    def kind(self) -> Literal["I", "D", "C", "S"]: ...
    @property
    def payload_kind(self) -> str: ...
    @property
    def keyframe(self) -> bool: ...
    @property
    def fps(self) -> Optional[float]: ...
    @property
    def fps_fraction(self) -> Optional[Tuple[int, int]]: ...
    @property
    def data(self) -> bytes: ...
    @property
    def payload(self) -> bytes:
        """The FlatBuffers payload, for a flatc-generated reader."""
    @property
    def motion_vectors(self) -> np.ndarray:
        """Read-only structured view (MOTION_VECTOR_DTYPE) into the packet."""
    def motion_field(self) -> I32Array:
        """The motion vectors as (N, 5) int32 (a copy)."""
    @property
    def regions(self) -> List[Region]: ...
    @property
    def palette(self) -> Optional[Tuple[U8Array, Optional[F32Array]]]: ...
    def __len__(self) -> int: ...

class Encoder:
    """The video encoder; packets byte for byte those of ``asp-encode``."""
    def __init__(
        self,
        width: int,
        height: int,
        fps: Fps,
        bitrate: Union[int, str, None] = None,
        qp: Optional[int] = None,
        *,
        keyint: Optional[int] = None,
        preset: Literal["ultrafast", "realtime", "medium"] = "realtime",
        tiles: Optional[Tuple[int, int]] = None,
        side_data: bool = False,
        intra_refresh: bool = False,
        roi: Union[Sequence[str], str, None] = None,
        roi_qp: int = -3,
        roi_layer: bool = False,
        roi_layer_delta: int = 0,
        palette: Optional[int] = None,
        format: Optional[FrameFormat] = None,
        threads: Optional[int] = None,
    ) -> None: ...
    def encode(self, frame: Frame, *, capture_time_us: Optional[int] = None) -> List[bytes]:
        """A frame in the encoder's ``format`` (without one: (H, W, 3) RGB,
        (H, W) gray, (H*3/2, W) I420 or (Y, U, V) planes) -> packets."""
    def flush(self) -> List[bytes]: ...
    def request_keyframe(self) -> None: ...
    def set_side_data(
        self, regions: Optional[F32Array] = None, palette: Optional[U8Array] = None, weights: Optional[F32Array] = None
    ) -> None:
        """Regions ((N, 6) float32) and a palette ((N, 3) uint8, weights (N,)
        float32) carried by the following packets as side data."""
    def set_qp_offsets(self, offsets: Optional[npt.NDArray[np.int8]] = None) -> None:
        """One int8 QP offset per 16x16 macroblock, raster order."""
    def set_bitrate(self, bitrate: Union[int, str]) -> None: ...
    def reconstruction(self, output: FrameFormat = "yuv") -> Union[U8Array, Planes, None]: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def frames(self) -> int: ...
    @property
    def format(self) -> Optional[FrameFormat]:
        """What ``encode`` takes; None: told by the shape."""

class Decoder:
    """The video decoder; frames exactly those of ``asp-decode``."""
    def __init__(
        self, output: FrameFormat = "rgb", *, apply_corrections: bool = True, threads: Optional[int] = None
    ) -> None: ...
    def decode(self, packet: BytesLike) -> Union[U8Array, Planes, None]:
        """The frame of an I/D packet; for a C-packet the frame on show
        refined in its regions (C-packets for one frame stack); None for S
        packets."""
    def reset(self) -> None:
        """Waits for the next keyframe or intra-refresh start."""
    @property
    def needs_keyframe(self) -> bool:
        """True until a keyframe or refresh start decodes, and after a loss."""
    @property
    def output(self) -> str: ...

class VideoFrame:
    """A decoded frame and what its packet said about it (what
    :class:`Reader` yields)."""
    width: int
    height: int
    sequence: int
    keyframe: bool
    capture_time_us: Optional[int]
    recovering: bool
    refinements: int
    @property
    def picture(self) -> Picture:
        """The picture in the reader's format (the same array each time)."""
    def to_ndarray(self, format: Optional[FrameFormat] = None) -> Picture:
        """A new array of the picture in ``format`` (default: the reader's)."""
    @property
    def format(self) -> FrameFormat: ...
    @property
    def color_matrix(self) -> str:
        """"bt601", "bt709" or "bt2020"."""
    @property
    def color_range(self) -> str:
        """"limited" or "full"."""
    @property
    def fps(self) -> Optional[float]: ...
    @property
    def fps_fraction(self) -> Optional[Tuple[int, int]]: ...

class Reader:
    """Frames decoded from a file, a file object or a live stream, exactly
    those ``asp-decode`` writes. Iterate it; use it in a ``with`` block."""
    def __iter__(self) -> Iterator[VideoFrame]: ...
    def __next__(self) -> VideoFrame: ...
    def __enter__(self) -> "Reader": ...
    def __exit__(self, *args: Any) -> bool: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def name(self) -> str: ...
    @property
    def format(self) -> FrameFormat: ...
    @property
    def frames(self) -> int: ...
    @property
    def needs_keyframe(self) -> bool: ...
    @property
    def stats(self) -> Dict[str, int]:
        """decoded, dropped, refined, damaged, failed, errors, bytes_read, damaged_bytes."""

class Writer:
    """Frames in, an ASP stream out to a file or file object."""
    def write(self, frame: Frame, *, capture_time_us: Optional[int] = None) -> int:
        """Encodes one frame and writes its packets; returns the bytes written."""
    def flush(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Writer": ...
    def __exit__(self, *args: Any) -> bool: ...
    @property
    def encoder(self) -> Encoder: ...
    @property
    def closed(self) -> bool: ...
    @property
    def name(self) -> str: ...
    @property
    def packets(self) -> int: ...
    @property
    def bytes_written(self) -> int: ...

@overload
def open(
    file: Union[PathLike, BinaryIO, Any],
    mode: Literal["r", "rb"] = "r",
    *,
    format: FrameFormat = "rgb",
    keep_going: bool = False,
    apply_corrections: bool = True,
    ca: Optional[PathLike] = None,
    timeout: Optional[float] = 30.0,
    chunk_size: int = 262144,
    threads: Optional[int] = None,
) -> Reader:
    """Reads a path, a binary file object (read in chunks) or a live
    ``ws://`` / ``wss://`` / ``https://`` (WebTransport) stream of
    ``asp-encode --serve`` as frames."""
@overload
def open(
    file: Union[PathLike, BinaryIO, Any],
    mode: Literal["w", "wb"],
    *,
    format: FrameFormat = "rgb",
    threads: Optional[int] = None,
    width: int,
    height: int,
    fps: Fps,
    **encoder_options: Any,
) -> Writer:
    """Writes frames as an ASP stream; ``encoder_options`` as :class:`Encoder` takes them."""

class PacketReader:
    """Packets from a stream given in chunks: ``push(data)``, then iterate
    the whole, verified packets found so far (bytes)."""
    def __init__(self, *, skip_damaged: bool = False) -> None: ...
    def push(self, data: BytesLike) -> None: ...
    def finish(self) -> None: ...
    def __iter__(self) -> Iterator[bytes]: ...
    def __next__(self) -> bytes: ...
    @property
    def buffered(self) -> int: ...
    @property
    def skipped_bytes(self) -> int: ...
    @property
    def finished(self) -> bool: ...
