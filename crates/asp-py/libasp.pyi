"""ASP (ALICE Streaming Protocol) on NumPy arrays.

Motion estimation, the codec's integer DCT, packets, and the video encoder
and decoder. Heavy calls release the GIL. C-contiguous inputs are read in
place; other layouts are copied once. Do not write to an input array from
another thread while a call that reads it runs.
"""
from typing import List, Literal, Optional, Sequence, Tuple, Union

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

class PacketError(ValueError):
    """A packet was refused. ``kind`` names the failed check (e.g.
    "crc_mismatch"), ``offset`` the byte at fault or None."""
    kind: str
    offset: Optional[int]

class DecodeError(ValueError):
    """A packet parsed but produced no frame (a delta frame without its
    reference, damaged tile data). Decode the next keyframe to recover."""

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
        threads: Optional[int] = None,
    ) -> None: ...
    def encode(self, frame: Frame, *, capture_time_us: Optional[int] = None) -> List[bytes]:
        """(H, W, 3) RGB, (H*3/2, W) I420 or (Y, U, V) planes -> packets."""
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
    def reconstruction(self, output: Literal["rgb", "yuv", "i420"] = "yuv") -> Union[U8Array, Planes, None]: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def frames(self) -> int: ...

class Decoder:
    """The video decoder; frames exactly those of ``asp-decode``."""
    def __init__(
        self, output: Literal["rgb", "yuv", "i420"] = "rgb", *, apply_corrections: bool = True, threads: Optional[int] = None
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
