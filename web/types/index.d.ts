import type { LoadedDecoder } from './load.js';

export type { Decoder, BuildInfo, LoadedDecoder, LoadOptions } from './load.js';
export { loadDecoder, simdSupported, threadsSupported } from './load.js';

/** The `stats` object and the `stats` event's detail (updated every second). */
export interface AspPlayerStats {
  /** Frames presented per second. */
  fps: number;
  /** Frames decoded per second. */
  decodedFps: number;
  /** Bits received per second / 1000. */
  kbps: number;
  /** Frames dropped (waiting for a keyframe, background tab). */
  dropped: number;
  /** Mean time to decode a frame, ms. */
  decodeMs: number;
  /** Capture to decode, ms, when the stream carries capture times. */
  latencyMs: number | null;
  build: 'threads' | 'single' | null;
  renderer: 'webgpu' | 'webgl2' | 'canvas2d' | null;
  width: number;
  height: number;
  frames: number;
  errors: number;
  keyframeRequests: number;
  reconnects: number;
  /** What carries the stream now (a session src: the transport it chose). */
  transport: 'websocket' | 'webtransport' | 'file' | null;
}

export interface AspPlayerErrorDetail {
  message: string;
  /** True when the player cannot go on (no decoder, no renderer, bad src). */
  fatal: boolean;
}

export interface AspPlayerFrameDetail {
  sequence: number;
  keyframe: boolean;
  checksum: string;
}

/** The `presented` event (attribute probe-rows="N"): a measurement aid. */
export interface AspPlayerPresentedDetail {
  sequence: number;
  /** The frame's capture time (µs since the epoch), if the stream carries one. */
  captureUs: number | null;
  /** Wall clock (ms since the epoch) when the pixels below had been read back from the canvas. */
  at: number;
  /** Wall clock (ms since the epoch) of the frame's stages: its last bytes received by the worker, decoded, draw issued. */
  stages: { received: number; decoded: number; drawIssued: number };
  /** The canvas's size in pixels. */
  width: number;
  height: number;
  /** RGBA of the canvas's top N rows (top row first), as drawn. */
  pixels: Uint8Array;
}

export interface AspPlayerEventMap {
  playing: CustomEvent<undefined>;
  stats: CustomEvent<AspPlayerStats>;
  error: CustomEvent<AspPlayerErrorDetail>;
  ended: CustomEvent<undefined>;
  frame: CustomEvent<AspPlayerFrameDetail>;
  presented: CustomEvent<AspPlayerPresentedDetail>;
}

/**
 * `<asp-player src="ws://…|https://…|file.asp" autoplay muted debug>`:
 * ws:// and wss:// are WebSocket, a .asp path is a fetched file, other
 * https:// URLs are WebTransport.
 */
export declare class AspPlayer extends HTMLElement {
  src: string;
  readonly paused: boolean;
  readonly stats: AspPlayerStats;
  play(): Promise<void>;
  pause(): void;
  stop(): void;
  addEventListener<K extends keyof AspPlayerEventMap>(type: K, listener: (this: AspPlayer, ev: AspPlayerEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

export declare function defineAspPlayer(name?: string): void;

/** A frame as the renderers take it: planes in wasm memory. */
export interface RenderFrame {
  buffer: ArrayBufferLike;
  width: number;
  height: number;
  uvWidth: number;
  uvHeight: number;
  yPtr: number;
  uPtr: number;
  vPtr: number;
  yStride: number;
  uvStride: number;
  /** From yuvToRgb(). */
  rows: Float32Array;
  /**
   * Optional: the frame converted to RGBA (width * height * 4 bytes, e.g. a
   * view of the decoder's `rgba()` buffer made after calling it), or null.
   * The Canvas2D renderer uses it instead of converting in JS.
   */
  rgba?: () => Uint8ClampedArray | null;
}

/**
 * WebGPU and WebGL2 draw the picture letterboxed to the canvas size;
 * Canvas2D resizes the canvas to the picture and draws it 1:1 (scale it
 * with CSS, e.g. object-fit: contain).
 */
export interface Renderer {
  readonly name: 'webgpu' | 'webgl2' | 'canvas2d';
  readonly adapter: string;
  draw(frame: RenderFrame): void;
  finish(): Promise<void>;
  clear(): void;
  /** Resolves once the GPU has done the drawing issued so far (never blocks). */
  whenDrawn(): Promise<void>;
  /** Measurement hook: RGBA of the top `rows` rows just drawn (WebGPU: a renderer made with `readable`). */
  readTop(rows: number): Promise<Uint8Array>;
}

export declare function createRenderer(canvas: HTMLCanvasElement | OffscreenCanvas, prefer?: 'auto' | 'webgpu' | 'webgl2' | 'canvas2d', options?: { readable?: boolean }): Promise<Renderer>;
export declare function yuvToRgb(matrix: number, range: number): Float32Array;

export interface SourceHandlers {
  data(bytes: ArrayBuffer | Uint8Array): void;
  open(): void;
  end(): void;
  reconnecting(delayMs: number, reason: string): void;
  error(error: Error): void;
}

export interface Source {
  readonly live: boolean;
  readonly canTalkBack: boolean;
  start(): void;
  send(bytes: Uint8Array): boolean;
  close(): void;
}

export declare class WebSocketSource implements Source {
  constructor(url: string, handlers: SourceHandlers);
  readonly live: boolean;
  readonly canTalkBack: boolean;
  start(): void;
  send(bytes: Uint8Array): boolean;
  close(): void;
}
export declare class WebTransportSource implements Source {
  /** certificateHash: SHA-256 of a self-signed server certificate, as bytes or hex. */
  constructor(url: string, handlers: SourceHandlers, options?: { certificateHash?: Uint8Array | string | null });
  readonly live: boolean;
  readonly canTalkBack: boolean;
  start(): void;
  send(bytes: Uint8Array): boolean;
  close(): void;
}
export declare class FetchSource implements Source {
  constructor(url: string, handlers: SourceHandlers);
  readonly live: boolean;
  readonly canTalkBack: boolean;
  start(): void;
  send(bytes: Uint8Array): boolean;
  close(): void;
}
export declare function sourceFor(src: string, base?: string): { url: URL; Source: new (url: string, handlers: SourceHandlers) => Source };

declare global {
  interface HTMLElementTagNameMap {
    'asp-player': AspPlayer;
  }
}

export type { LoadedDecoder as AspDecoderModule };
