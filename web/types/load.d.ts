/**
 * The wasm decoder of one build (see crates/asp-wasm): a type only, the
 * class itself is `(await loadDecoder()).Decoder` (the package exports no
 * `Decoder` value).
 */
declare class Decoder {
  constructor();
  free(): void;
  /** Appends a chunk of the packet stream (any size; packets may span chunks). */
  push(bytes: Uint8Array | ArrayBuffer): void;
  /** Decodes buffered packets until one gives a frame: true when a new frame is ready. */
  next_frame(): boolean;
  /**
   * next_frame() in two halves, to present the frame on show (from rgba(),
   * or its planes unless `refined`) while the next decodes: the threaded
   * build returns at once and decodes on its pool, the single build decodes
   * here. Until finish_next_frame() the decoder shows no frame.
   */
  start_next_frame(): void;
  /** Waits for start_next_frame()'s decode; answers as next_frame() (which it is without a start). */
  finish_next_frame(): boolean;
  /** C-packets refined the frame on show: its planes are freed by the next decode (rgba() is safe). */
  readonly refined: boolean;
  /** Decodes exactly one whole packet: true when it gave a new frame. */
  decode(bytes: Uint8Array | ArrayBuffer): boolean;
  /** Consumes buffered packets undecoded; returns the frames dropped. */
  discard(): number;
  /** The error of the last push / next_frame / decode call, or null. */
  last_error(): string | null;
  /** A RequestKeyframe S-packet for the sender, or null. */
  request_keyframe(): Uint8Array | null;
  /** A Ping S-packet carrying this page's clock (Date.now()), or null. */
  ping(): Uint8Array | null;
  /** The sender's clock minus this page's, ms, from the Pongs to ping() (the fastest recent round trip); NaN before any. */
  readonly clock_offset_ms: number;
  /** The round trip behind clock_offset_ms, ms; NaN before any. */
  readonly clock_round_trip_ms: number;
  /** CRC-32 (hex) of the current frame's cropped I420 bytes. */
  frame_checksum(): string;
  /** Forgets buffered bytes and waits for a keyframe. */
  reset(): void;
  /**
   * Converts the current frame to RGBA (width * height * 4 bytes, alpha
   * 255, the stream's matrix and range) into a buffer the decoder keeps;
   * returns its address in `wasm_memory().buffer`, 0 without a frame.
   */
  rgba(): number;
  readonly needs_keyframe: boolean;
  readonly has_frame: boolean;
  readonly width: number;
  readonly height: number;
  readonly uv_width: number;
  readonly uv_height: number;
  readonly y_stride: number;
  readonly uv_stride: number;
  /** Addresses of the planes in `wasm_memory().buffer`. */
  readonly y_ptr: number;
  readonly u_ptr: number;
  readonly v_ptr: number;
  readonly sequence: number;
  readonly keyframe: boolean;
  /** Joined at an intra-refresh start, picture not yet exact. */
  readonly recovering: boolean;
  readonly capture_time_us: number | undefined;
  /** 0 limited, 1 full. */
  readonly color_range: number;
  /** 0 BT.601, 1 BT.709, 2 BT.2020. */
  readonly color_matrix: number;
  readonly fps: number;
  readonly frames_decoded: number;
  readonly frames_dropped: number;
  readonly errors: number;
  readonly damaged_bytes: number;
  readonly buffered_bytes: number;
}

export type { Decoder };

export interface BuildInfo {
  build: 'threads' | 'single';
  simd128: boolean;
  version: string;
}

export interface LoadedDecoder {
  build: 'threads' | 'single';
  Decoder: typeof Decoder;
  wasm_memory(): WebAssembly.Memory;
  build_info(): BuildInfo;
}

export interface LoadOptions {
  /** 'auto' (default): threads when the page is crossOriginIsolated. */
  threads?: 'auto' | boolean;
  /** Pool size of the threaded build (default: the cores, at most 8). */
  workers?: number;
  /** URL of the package's dist/ folder. */
  base?: string | URL;
  /** The .wasm to instantiate (URL, Response, bytes or Module). */
  module?: unknown;
}

export declare function loadDecoder(options?: LoadOptions): Promise<LoadedDecoder>;
export declare function simdSupported(): boolean;
export declare function threadsSupported(): boolean;
