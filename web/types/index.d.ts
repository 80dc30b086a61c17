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
  /** Capture to decode, ms, when the stream carries capture times: on the sender's clock (capture times are stamped by it), using `clockOffsetMs`. */
  latencyMs: number | null;
  /** The live sender's clock minus this page's, ms, estimated from Ping/Pong round trips (NTP's offset; the fastest of the last 8), or null before the first Pong. */
  clockOffsetMs: number | null;
  /** The round trip of the exchange `clockOffsetMs` comes from, ms: the offset is right to within half of it. */
  clockRoundTripMs: number | null;
  build: 'threads' | 'single' | null;
  /** Why the player plays another build than the page offers (the threaded build's start got stuck), or null. */
  fallback: string | null;
  renderer: 'webgpu' | 'webgl2' | 'canvas2d' | null;
  /** Why that renderer: the `renderer` attribute, or for auto what the GPU is (a software rasteriser gets Canvas2D). */
  rendererReason: string | null;
  width: number;
  height: number;
  frames: number;
  errors: number;
  keyframeRequests: number;
  reconnects: number;
  /** What carries the stream now (a session src: the transport it chose). */
  transport: 'websocket' | 'webtransport' | 'moq' | 'file' | null;
  /** Why a session src gave WebTransport up for WebSocket (handshake refused, no session in time), or null; not counted in `reconnects`. */
  transportFallback: string | null;
  /** A `moq+https://` src: the track playing (`video`, or a rendition's, e.g. `video-600k`), else null. */
  rendition: string | null;
  /** Why that rendition plays (`single stream`, `start`, `pinned to video-600k`, `down to video-600k: ...`, ...), else null. */
  renditionReason: string | null;
  /** How many times the player switched renditions. */
  renditionSwitches: number;
}

/** The `transportfallback` event's detail: a session src plays over `to` from now on, because `from` failed. */
export interface AspPlayerTransportFallbackDetail {
  from: 'webtransport';
  to: 'websocket';
  /** What failed: the handshake's error, or "no session within N ms". */
  reason: string;
}

/**
 * The `renditionchange` event's detail (a `moq+https://` src with renditions):
 * `chosen` when the player decides on `track` (it subscribes to it), then
 * `playing` when the frames shown from now on are `track`'s, from its
 * group `group` (the id both tracks share; null when a new session starts on it).
 */
export interface AspPlayerRenditionChangeDetail {
  track: string;
  /** Why (`start`, `down to video-600k: ...`, `3 groups arrived in time: trying video`, `pinned to ...`). */
  reason: string;
  state: 'chosen' | 'playing';
  group: number | null;
}

/** Which part failed (hls.js's `type`). */
export type AspPlayerErrorType = 'network' | 'decode' | 'renderer' | 'unsupported';

/** What failed, a stable name for programs (hls.js's `details`); each code belongs to one type. */
export type AspPlayerErrorCode =
  /** network: the source could not be opened (HTTP error, refused, no session), fatal. */
  | 'source-failed'
  /** network: a live connection dropped or went silent; reconnecting (message: "...; reconnecting in N ms"). */
  | 'connection-lost'
  /** decode: bytes that did not decode; the player resumes at the next keyframe. */
  | 'corrupt-stream'
  /** renderer: neither WebGPU, WebGL2 nor a 2D context on this canvas, fatal. */
  | 'no-renderer'
  /** renderer: a draw or a read-back (probe-rows) failed. */
  | 'draw-failed'
  /** renderer: snapshot() had no picture or could not encode it (a rejection, never an event). */
  | 'snapshot-failed'
  /** unsupported: a src the player cannot open (scheme, no src, WebTransport missing), fatal. */
  | 'unsupported-src'
  /** unsupported: no WebAssembly SIMD, fatal. */
  | 'no-wasm-simd'
  /** unsupported: threads="on" on a page that is not crossOriginIsolated, fatal. */
  | 'no-threads'
  /** unsupported: the decoder's JS or wasm did not load or compile, fatal. */
  | 'decoder-load-failed'
  /** unsupported: the player worker did not start, or failed, fatal. */
  | 'worker-failed';

/** The `error` event's detail: the plain form of an AspPlayerError. */
export interface AspPlayerErrorDetail {
  type: AspPlayerErrorType;
  code: AspPlayerErrorCode;
  message: string;
  /** True when the player cannot go on (no decoder, no renderer, bad src); play() starts afresh. */
  fatal: boolean;
}

/** The element's `error` property and the rejection of a failed play() or snapshot(). */
export declare class AspPlayerError extends Error implements AspPlayerErrorDetail {
  constructor(code: AspPlayerErrorCode, message: string, fatal: boolean);
  type: AspPlayerErrorType;
  code: AspPlayerErrorCode;
  fatal: boolean;
  toJSON(): AspPlayerErrorDetail;
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

/** Events as a media element fires them (order: web/README.md). */
export interface AspPlayerEventMap {
  loadstart: CustomEvent<undefined>;
  loadedmetadata: CustomEvent<undefined>;
  loadeddata: CustomEvent<undefined>;
  resize: CustomEvent<undefined>;
  play: CustomEvent<undefined>;
  playing: CustomEvent<undefined>;
  waiting: CustomEvent<undefined>;
  stalled: CustomEvent<undefined>;
  pause: CustomEvent<undefined>;
  emptied: CustomEvent<undefined>;
  volumechange: CustomEvent<undefined>;
  /** readyState reached HAVE_ENOUGH_DATA: before `playing`. */
  canplay: CustomEvent<undefined>;
  /** After `playing` (the player decodes just in time: enough is what it has). */
  canplaythrough: CustomEvent<undefined>;
  /** `duration` changed: Infinity once a live stream's first frame is drawn, NaN again when emptied. */
  durationchange: CustomEvent<undefined>;
  /** Every 250 ms while the picture moves, and when it stops. */
  timeupdate: CustomEvent<undefined>;
  stats: CustomEvent<AspPlayerStats>;
  error: CustomEvent<AspPlayerErrorDetail>;
  ended: CustomEvent<undefined>;
  frame: CustomEvent<AspPlayerFrameDetail>;
  presented: CustomEvent<AspPlayerPresentedDetail>;
  /** A session src fell back from WebTransport to WebSocket (not an error; the stream goes on). */
  transportfallback: CustomEvent<AspPlayerTransportFallbackDetail>;
  /** A `moq+https://` src chose, then started playing, another rendition. */
  renditionchange: CustomEvent<AspPlayerRenditionChangeDetail>;
}

/**
 * `<asp-player src="ws://…|https://…|file.asp" autoplay muted debug>`:
 * ws:// and wss:// are WebSocket, a .asp path is a fetched file, other
 * https:// URLs are WebTransport.
 */
export declare class AspPlayer extends HTMLElement {
  static readonly HAVE_NOTHING: 0;
  static readonly HAVE_METADATA: 1;
  static readonly HAVE_CURRENT_DATA: 2;
  /** Never the state: the player decodes just in time (no frames ahead). */
  static readonly HAVE_FUTURE_DATA: 3;
  static readonly HAVE_ENOUGH_DATA: 4;
  src: string;
  /** An image shown until the first frame is drawn (and after stop()). */
  poster: string;
  autoplay: boolean;
  /** Reflects the `muted` attribute; ASP streams carry no audio. */
  muted: boolean;
  /** Also reflected as the `paused` attribute (for styling; the element sets it). */
  readonly paused: boolean;
  /** 0 to 1 (else an IndexSizeError), kept and announced with `volumechange`; ASP streams carry no audio. */
  volume: number;
  /**
   * Seconds of picture shown since play() opened the src (a clock running
   * while frames are drawn). Setting it does nothing: the player does not seek.
   */
  currentTime: number;
  /** Infinity for a live stream (known from its first frame drawn), NaN otherwise. */
  readonly duration: number;
  /** Empty: the player does not seek. */
  readonly seekable: TimeRanges;
  /** Empty: the player keeps no frames ahead. */
  readonly buffered: TimeRanges;
  /** 0 before a frame is decoded, 1 with its size, 2 with a picture drawn, 4 while playing. */
  readonly readyState: 0 | 1 | 2 | 3 | 4;
  /** The decoded picture's size in pixels; 0 before the first frame. */
  readonly videoWidth: number;
  readonly videoHeight: number;
  /** Whether the src plays as a live stream (WebSocket, WebTransport, a session), known from the first frame drawn. */
  readonly live: boolean;
  /**
   * Reflects the `controls` attribute: a bar with play/pause, a
   * live/connecting indicator, the statistics toggle (`debug`) and
   * fullscreen; native buttons (Tab, Enter, Space), and `k` / `f` inside it.
   */
  controls: boolean;
  /** The last fatal error since play() opened the src, or null. */
  readonly error: AspPlayerError | null;
  readonly stats: AspPlayerStats;
  /**
   * Resolves when a frame has been drawn (on resume: the next one); rejects
   * with an AspPlayerError if the player fails first, or a DOMException
   * named AbortError if pause(), stop(), destroy() or the end come first.
   */
  play(): Promise<void>;
  pause(): void;
  stop(): void;
  /** The picture on show as a PNG of videoWidth x videoHeight. */
  snapshot(): Promise<Blob>;
  /** Whether record() is recording. */
  readonly recording: boolean;
  /**
   * Starts recording what the source delivers, from its next keyframe.
   * Throws a DOMException (InvalidStateError) before play() or while recording.
   */
  record(): void;
  /**
   * The recording as an .asp file (type video/x-asp): the I/D/C packets
   * from the first keyframe after record(), as received; empty if no
   * keyframe came. asp-decode and <asp-player> play it.
   */
  stopRecording(): Promise<Blob>;
  /**
   * Closes the source, frees the decoder's memory and the GPU context and
   * terminates the worker; resolves once done. play() starts afresh.
   * Removal from the DOM does this after a 1 s grace.
   */
  destroy(): Promise<void>;
  addEventListener<K extends keyof AspPlayerEventMap>(type: K, listener: (this: AspPlayer, ev: AspPlayerEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

export declare function defineAspPlayer(name?: string): void;
export declare const ERROR_TYPES: Readonly<Record<AspPlayerErrorCode, AspPlayerErrorType>>;

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
  /** Gives the GPU context (or the 2D backing store) back now; the renderer is unusable after. */
  release?(): void;
}

/** The GPU's name when it is a software rasteriser (SwiftShader, llvmpipe, ...), else null; looked at once per thread. */
export declare function softwareRasteriser(): Promise<string | null>;
/** The renderer createRenderer gives and why (the text of stats.rendererReason). */
export declare function chooseRenderer(canvas: HTMLCanvasElement | OffscreenCanvas, prefer?: 'auto' | 'webgpu' | 'webgl2' | 'canvas2d', options?: { readable?: boolean }): Promise<{ renderer: Renderer; reason: string }>;
export declare function createRenderer(canvas: HTMLCanvasElement | OffscreenCanvas, prefer?: 'auto' | 'webgpu' | 'webgl2' | 'canvas2d', options?: { readable?: boolean }): Promise<Renderer>;
export declare function yuvToRgb(matrix: number, range: number): Float32Array;

export interface SourceHandlers {
  data(bytes: ArrayBuffer | Uint8Array): void;
  open(): void;
  end(): void;
  reconnecting(delayMs: number, reason: string): void;
  error(error: Error): void;
  /** SessionSource: WebTransport failed to open a session, WebSocket from now on (without it: `reconnecting(0, ...)`). */
  fallback?(reason: string): void;
  /** MoqSource: a rendition chosen, or playing from now on. */
  rendition?(change: { track: string; reason: string; state: 'chosen' | 'playing'; group?: number }): void;
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
/**
 * A broadcast on a Media over QUIC relay: `moq+https://RELAY:PORT/NAME` (moq-lite over WebTransport),
 * from the newest group; when the relay in use is lost, from the next of `relays`, the stream going on
 * where it was cut (the cut group after its last played object, else a newer group's keyframe).
 */
export declare class MoqSource implements Source {
  /**
   * certificateHash: SHA-256 of the relay's certificate when no trusted CA signed it, as bytes or hex.
   * relays: further relays of the cluster, `moq+https://HOST:PORT[/SCOPE][#sha256=HEX]` (the broadcast is the
   * src's; without a scope the src's), tried in order after the src's relay (the element's `relays` attribute).
   */
  constructor(url: string, handlers: SourceHandlers, options?: { certificateHash?: Uint8Array | string | null; relays?: string[]; rendition?: string | null; maxBitrate?: number | null });
  /** How many times the source moved to another relay. */
  readonly relaySwitches: number;
  /** The track playing: `video`, or a rendition's (`video-600k`) when the broadcast has several. */
  readonly rendition: string;
  /** Why it plays (the player's choice from its throughput and backlog, a pin, a cap). */
  readonly renditionReason: string;
  readonly renditionSwitches: number;
  /**
   * Pins a rendition (`pin`: its track, e.g. `video-600k`, or its rate as `--rendition` spells it, `600k`) or
   * caps the automatic choice (`maxBitrate`, bits per second); null for neither. Switches at the next group.
   */
  setRenditionPolicy(policy: { pin?: string | null; maxBitrate?: number | null }): void;
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
