// One player: source -> packet reader -> decoder -> renderer, with its own
// state, driven by messages and answering through `post`. The dedicated
// worker (player-worker.js) hosts one; where the page cannot hand its
// canvas to a worker (no OffscreenCanvas), <asp-player> makes one per
// element on the page's thread. Bytes go from the socket into wasm memory
// once; frames go from wasm memory to the GPU (writeTexture /
// texSubImage2D on views of that memory) without a copy through a JS array.
//
// Messages in:  init { canvas, options }, open { src, base }, play, pause,
//               stop, visibility { hidden }, resize { width, height },
//               snapshot { id }, record, stopRecording { id }, destroy
// Messages out: starting (every STARTING_BEAT_MS while the decoder loads),
//               ready { build, fallback, renderer, rendererReason, adapter }, metadata { width,
//               height } (the first frame, and each change of size),
//               playing { live } (the first frame DRAWN after open, play
//               or waiting), waiting (frames stopped coming while playing),
//               stalled (no bytes for STALLED_AFTER_MS), transportfallback
//               { from, to, reason } (a session src left WebTransport), frame {...}
//               (options.checksums only), presented {...} (options.probeRows
//               only), stats { stats }, error { type, code, message, fatal },
//               ended, snapshot { id, blob | error }, recording { id,
//               blob }, destroyed

import { loadDecoder, simdSupported, threadsSupported } from '../load.js';
import { chooseRenderer, yuvToRgb } from '../render/index.js';
import { sourceFor } from '../sources/index.js';
import { ERROR_TYPES, PlayerFailure } from '../errors.js';
import { Recorder } from './recorder.js';

const STATS_INTERVAL_MS = 1000;
/** While the decoder loads, the player says `starting` this often: the page can tell a slow start from a stuck worker. */
const STARTING_BEAT_MS = 250;
const KEYFRAME_REQUEST_INTERVAL_MS = 1000;
const LATENCY_PLAUSIBLE_MS = 60_000;
/** How often the player looks for waiting and stalled. */
const PROGRESS_CHECK_MS = 100;
/** Playing becomes waiting after this many frame times without a new frame (and at least WAITING_MIN_MS). */
const WAITING_AFTER_FRAMES = 3;
const WAITING_MIN_MS = 250;
/** No bytes for this long while the source is open: `stalled` (the 3 s browsers use for <video>). */
const STALLED_AFTER_MS = 3000;

/**
 * @typedef {import('../../types/load.js').LoadedDecoder} LoadedDecoder
 * @typedef {import('../../types/load.js').Decoder} Decoder
 * @typedef {import('../../types/index.js').Renderer} Renderer
 * @typedef {import('../../types/index.js').Source & { protocol?: string, send(bytes: Uint8Array): boolean, rendition?: string, renditionReason?: string, renditionSwitches?: number, setRenditionPolicy?: (policy: { pin: string | null, maxBitrate: number | null }) => void }} Source
 * @typedef {(message: object, transfer?: Transferable[]) => void} Post
 * @typedef {{
 *   renderer?: 'auto' | 'webgpu' | 'webgl2' | 'canvas2d',
 *   threads?: 'auto' | boolean,
 *   workers?: number,
 *   checksums?: boolean,
 *   probeRows?: number,
 *   fallback?: string | null,
 * }} PlayerOptions
 * @typedef {{ type: string, [field: string]: any }} Message
 */

/** What one stats interval counts. */
const counters = () => ({ frames: 0, presented: 0, bytes: 0, decodeMs: 0, latencyMs: 0, latencies: 0 });
/** What one `open` counts. */
/** @returns {{ frames: number, keyframeRequests: number, errors: number, reconnects: number, transportFallback: string | null }} */
const totalsAtOpen = () => ({ frames: 0, keyframeRequests: 0, errors: 0, reconnects: 0, transportFallback: null });

export class Player {
  /**
   * @param {Post} post where this player's messages go
   * @param {typeof loadDecoder} load gives the decoder instance (a worker's players share one)
   */
  constructor(post, load = loadDecoder) {
    this.post = post;
    this.load = load;
    /** @type {LoadedDecoder | null} */
    this.asp = null;
    /** @type {Decoder | null} */
    this.dec = null;
    /** @type {Renderer | null} */
    this.renderer = null;
    /** Why this renderer (chooseRenderer). @type {string | null} */
    this.rendererReason = null;
    /** @type {HTMLCanvasElement | OffscreenCanvas | null} */
    this.canvas = null;
    /** @type {PlayerOptions} */
    this.options = {};

    /** @type {Source | null} */
    this.source = null;
    this.sourceEnded = false;
    this.paused = false;
    this.hidden = false;
    // Playing and frames coming: `playing` was posted, `waiting` not since.
    this.flowing = false;
    this.stalledSent = false;
    this.destroyed = false;
    /** The size last posted in `metadata`. */
    this.size = { width: 0, height: 0 };
    /** @type {ReturnType<typeof setInterval> | null} */
    this.progressTimer = null;
    /** The recording in progress (record()), fed the source's bytes. @type {Recorder | null} */
    this.recorder = null;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.pacer = null;
    this.nextTickAt = 0;
    this.lastKeyframeRequest = -Infinity;
    this.lossesAtLastRequest = 0;
    /** @type {{ key: string, rows: Float32Array | null }} */
    this.colour = { key: '', rows: null };
    // When the last bytes arrived, and when the frame on show arrived and was decoded.
    this.bytesAt = 0;
    this.receivedAt = 0;
    this.decodedAt = 0;

    this.window = counters();
    this.totals = totalsAtOpen();
    /** @type {ReturnType<typeof setInterval> | null} */
    this.statsTimer = null;

    // At most one draw in flight. A GPU slower than the stream (a software
    // rasteriser, a busy machine) would otherwise queue every frame's upload
    // and draw in the GPU process, and the picture would fall further and
    // further behind. Frames decoded while a draw is in flight are not drawn;
    // the newest is drawn as soon as the GPU is done.
    this.drawing = false;
    this.drawPending = false;

    // Commands run one after the other (init is async; the rest wait for it).
    /** @type {Promise<void>} */
    this.queue = Promise.resolve();
  }

  /** Takes one message (a command); commands run in the order they came. */
  receive(/** @type {Message} */ m) {
    this.queue = this.queue.then(async () => {
      if (this.destroyed) return undefined;
      try {
        switch (m?.type) {
          case 'init': return await this.init(m);
          case 'open': return this.open(m);
          case 'play': return this.play();
          case 'pause': return this.pause();
          case 'stop': return this.stop();
          case 'visibility': return this.visibility(m);
          case 'resize': return this.resize(m);
          case 'snapshot': return await this.snapshot(m).catch((error) => {
            this.post({ type: 'snapshot', id: m.id, error: String(error?.message ?? error) });
          });
          case 'record':
            this.recorder = new Recorder();
            return undefined;
          case 'stopRecording': return this.stopRecording(m);
          case 'rendition': return this.source?.setRenditionPolicy?.({ pin: m.pin ?? null, maxBitrate: m.maxBitrate ?? null });
          case 'destroy': return this.destroy();
          default: return undefined;
        }
      } catch (error) {
        const code = error instanceof PlayerFailure ? error.code : 'worker-failed';
        this.report(code, String(/** @type {any} */ (error)?.message ?? error), true);
      }
    });
  }

  /**
   * @param {import('../../types/index.js').AspPlayerErrorCode} code
   * @param {string} message
   * @param {boolean} [fatal]
   */
  report(code, message, fatal = false) {
    this.totals.errors += 1;
    if (fatal) this.closeSource();
    this.post({ type: 'error', error: { type: ERROR_TYPES[code], code, message, fatal } });
  }

  // --- commands --------------------------------------------------------------

  /** @param {Message} m */
  async init(m) {
    this.post({ type: 'starting' });
    const beats = setInterval(() => this.post({ type: 'starting' }), STARTING_BEAT_MS);
    try {
      await this.start(m);
    } finally {
      clearInterval(beats);
    }
  }

  /** The decoder and the renderer for `init`. @param {Message} m */
  async start(m) {
    this.canvas = m.canvas;
    const options = /** @type {PlayerOptions} */ (m.options ?? {});
    this.options = options;
    const threads = options.threads ?? 'auto';
    if (!simdSupported()) throw new PlayerFailure('no-wasm-simd', 'the ASP decoder needs WebAssembly SIMD, which this browser lacks');
    if (threads === true && !threadsSupported()) {
      throw new PlayerFailure('no-threads', 'threads="on" needs a crossOriginIsolated page with SharedArrayBuffer and Workers');
    }
    const asp = await this.load({ threads, workers: options.workers }).catch((error) => {
      throw new PlayerFailure('decoder-load-failed', `the decoder did not load: ${error?.message ?? error}`);
    });
    this.asp = asp;
    const { renderer, reason } = await chooseRenderer(m.canvas, options.renderer ?? 'auto', { readable: (options.probeRows ?? 0) > 0 })
      .catch((error) => {
        throw new PlayerFailure('no-renderer', String(error?.message ?? error));
      });
    this.renderer = renderer;
    this.rendererReason = reason;
    this.dec = new asp.Decoder();
    this.post({ type: 'ready', build: asp.build, fallback: options.fallback ?? null, renderer: renderer.name, rendererReason: reason, adapter: renderer.adapter });
  }

  /** @param {Message} m */
  open(m) {
    this.closeSource();
    let picked;
    try {
      picked = sourceFor(m.src, m.base);
    } catch (error) {
      throw new PlayerFailure('unsupported-src', String(/** @type {any} */ (error)?.message ?? error));
    }
    const { url, Source, options: sourceOptions } = picked;
    const dec = this.decoder();
    this.drawPending = false;
    dec.reset();
    this.sourceEnded = false;
    this.paused = false;
    this.flowing = false;
    this.stalledSent = false;
    this.size = { width: 0, height: 0 };
    // `stalled` counts from the open until the first bytes.
    this.bytesAt = performance.now();
    this.window = counters();
    this.totals = totalsAtOpen();
    let opened = false;
    const source = /** @type {Source} */ (new Source(url.href, {
      open: () => {
        // After a reconnection: what was buffered belongs to the old
        // connection; the decoder waits for (and asks for) a keyframe.
        if (opened) dec.reset();
        opened = true;
      },
      data: (bytes) => this.onData(bytes),
      end: () => this.onEnd(),
      // A session source gave WebTransport up for WebSocket: the stream
      // goes on over the other transport, nothing was lost to report.
      fallback: (reason) => {
        this.totals.transportFallback = reason;
        this.post({ type: 'transportfallback', from: 'webtransport', to: 'websocket', reason });
      },
      rendition: (change) => this.post({ type: 'renditionchange', ...change }),
      reconnecting: (delay, reason) => {
        this.totals.reconnects += 1;
        this.report('connection-lost', `${reason}; reconnecting in ${delay} ms`);
      },
      error: (error) => {
        const message = String(error?.message ?? error);
        this.report(/no WebTransport/.test(message) ? 'unsupported-src' : 'source-failed', message, true);
      },
    }, {
      certificateHash: sourceOptions?.certificateHash ?? m.certificateHash, relays: m.relays ?? [], rendition: m.pin ?? null, maxBitrate: m.maxBitrate ?? null,
    }));
    this.source = source;
    source.start();
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.statsTimer = setInterval(() => this.postStats(), STATS_INTERVAL_MS);
    if (this.progressTimer !== null) clearInterval(this.progressTimer);
    this.progressTimer = setInterval(() => this.checkProgress(), PROGRESS_CHECK_MS);
  }

  play() {
    this.paused = false;
    this.flowing = false;
    if (this.source && !this.source.live) this.schedule();
  }

  pause() {
    this.paused = true;
    this.flowing = false;
  }

  /**
   * `waiting` when frames stop coming while playing (a file whose bytes
   * are late, a live source gone quiet or reconnecting); `stalled` when no
   * bytes came for STALLED_AFTER_MS while the source is open.
   */
  checkProgress() {
    const dec = this.dec;
    if (!this.source || !dec) return;
    const now = performance.now();
    if (!this.sourceEnded && !this.stalledSent && now - this.bytesAt > STALLED_AFTER_MS) {
      this.stalledSent = true;
      this.post({ type: 'stalled' });
    }
    if (!this.flowing || this.paused || this.hidden) return;
    const frameMs = 1000 / (dec.fps || 30);
    if (now - this.decodedAt > Math.max(WAITING_AFTER_FRAMES * frameMs, WAITING_MIN_MS)) {
      this.flowing = false;
      this.post({ type: 'waiting' });
    }
  }

  /**
   * The picture on show as a PNG Blob of the decoded size: the decoder's
   * own RGBA conversion (the Canvas2D renderer's), not a read-back of the
   * canvas, so it does not depend on the renderer or the element's size.
   * @param {Message} m
   */
  async snapshot(m) {
    const dec = this.dec;
    const rgba = dec?.has_frame ? this.rgbaOfFrame() : null;
    if (!dec || !rgba) {
      this.post({ type: 'snapshot', id: m.id, error: 'no picture on show yet' });
      return;
    }
    const { width, height } = dec;
    // A copy: ImageData takes no view of (shared) wasm memory.
    const image = new ImageData(new Uint8ClampedArray(rgba), width, height);
    let blob;
    if (typeof OffscreenCanvas === 'function') {
      const canvas = new OffscreenCanvas(width, height);
      /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d')).putImageData(image, 0, 0);
      blob = await canvas.convertToBlob({ type: 'image/png' });
    } else {
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d')).putImageData(image, 0, 0);
      blob = await new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob gave nothing'))), 'image/png'));
    }
    this.post({ type: 'snapshot', id: m.id, blob });
  }

  /** The recording so far as an .asp Blob; recording stops. @param {Message} m */
  stopRecording(m) {
    const blob = this.recorder?.finish() ?? new Blob([], { type: 'video/x-asp' });
    this.recorder = null;
    this.post({ type: 'recording', id: m.id, blob });
  }

  /** Closes the source and gives back the decoder's memory and the GPU context; nothing runs after. */
  destroy() {
    this.closeSource();
    this.destroyed = true;
    try {
      this.renderer?.release?.();
    } finally {
      this.renderer = null;
      this.dec?.free();
      this.dec = null;
      this.post({ type: 'destroyed' });
    }
  }

  stop() {
    this.paused = true;
    this.flowing = false;
    this.closeSource();
    this.drawPending = false;
    this.dec?.reset();
    this.renderer?.clear();
  }

  /** @param {Message} m */
  visibility(m) {
    this.hidden = m.hidden;
    if (!this.hidden && this.source && !this.source.live) this.schedule();
  }

  /** @param {Message} m */
  resize(m) {
    const canvas = this.canvas;
    if (!canvas || (canvas.width === m.width && canvas.height === m.height)) return;
    canvas.width = m.width;
    canvas.height = m.height;
    if (this.dec?.has_frame) this.present();
  }

  closeSource() {
    this.source?.close();
    this.source = null;
    if (this.pacer !== null) clearTimeout(this.pacer);
    this.pacer = null;
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.statsTimer = null;
    if (this.progressTimer !== null) clearInterval(this.progressTimer);
    this.progressTimer = null;
  }

  /** The decoder; commands other than init come after init (the queue). */
  decoder() {
    if (!this.dec) throw new Error('the player has no decoder yet (init first)');
    return this.dec;
  }

  // --- data in ---------------------------------------------------------------

  /** @param {ArrayBuffer | Uint8Array} bytes */
  onData(bytes) {
    const dec = this.decoder();
    this.bytesAt = performance.now();
    this.stalledSent = false;
    this.window.bytes += bytes.byteLength;
    this.recorder?.push(bytes);
    dec.push(bytes);
    if (!this.source?.live) {
      this.schedule();
      return;
    }
    if (this.hidden || this.paused) {
      // Nothing piles up: the packets are consumed undecoded, and on return
      // the picture resumes at the next keyframe (asked for below).
      dec.discard();
      return;
    }
    let fresh = false;
    while (this.decodeOne()) fresh = true;
    if (fresh) this.present();
    this.askForKeyframeIfNeeded();
  }

  onEnd() {
    this.sourceEnded = true;
    if (this.source?.live) {
      this.postStats();
      this.paused = true;
      this.post({ type: 'ended' });
      this.closeSource();
    } else {
      this.schedule();
    }
  }

  // --- decoding --------------------------------------------------------------

  /** Decodes the next frame, if one is buffered; reports errors on the way. */
  decodeOne() {
    const dec = this.decoder();
    const t0 = performance.now();
    const fresh = dec.next_frame();
    const error = dec.last_error();
    if (error) this.report('corrupt-stream', error);
    if (!fresh) return false;
    this.decodedAt = performance.now();
    if (dec.width !== this.size.width || dec.height !== this.size.height) {
      this.size = { width: dec.width, height: dec.height };
      this.post({ type: 'metadata', ...this.size });
    }
    this.receivedAt = this.bytesAt;
    this.window.decodeMs += this.decodedAt - t0;
    this.window.frames += 1;
    this.totals.frames += 1;
    const capture = dec.capture_time_us;
    if (capture !== undefined && capture !== null) {
      // Only wall-clock capture times make a latency (a file encoded from a
      // y4m carries times since its start, or old ones).
      // The sender's clock, not ours: capture times are stamped by the
      // sender, and the two machines' clocks may differ by any amount. The
      // offset comes from the Pongs to our Pings (see ping()); until one
      // arrives, the clocks are taken to agree.
      const offset = dec.clock_offset_ms;
      const latency = Date.now() + (Number.isNaN(offset) ? 0 : offset) - capture / 1000;
      if (latency > -LATENCY_PLAUSIBLE_MS && latency < LATENCY_PLAUSIBLE_MS) {
        this.window.latencyMs += latency;
        this.window.latencies += 1;
      }
    }
    if (this.options.checksums) {
      this.post({ type: 'frame', sequence: dec.sequence, keyframe: dec.keyframe, checksum: dec.frame_checksum() });
    }
    return true;
  }

  /**
   * Asks the sender for a keyframe when the decoder waits for one because
   * something was lost (an error, or delta frames dropped) since the last
   * request — not merely because a keyframe is still arriving — at most once
   * a second.
   */
  askForKeyframeIfNeeded() {
    const dec = this.decoder();
    const source = this.source;
    if (!dec.needs_keyframe || !source?.canTalkBack) return;
    const losses = dec.errors + dec.frames_dropped;
    const now = performance.now();
    if (losses === this.lossesAtLastRequest || now - this.lastKeyframeRequest < KEYFRAME_REQUEST_INTERVAL_MS) return;
    const packet = dec.request_keyframe();
    if (packet && source.send(packet)) {
      this.lastKeyframeRequest = now;
      this.lossesAtLastRequest = losses;
      this.totals.keyframeRequests += 1;
    }
  }

  /** Files play at the stream's frame rate, one decode per tick. */
  schedule() {
    if (this.pacer !== null || this.paused || this.hidden || !this.source || this.source.live) return;
    this.nextTickAt = Math.max(this.nextTickAt, performance.now());
    this.pacer = setTimeout(() => this.tick(), Math.max(0, this.nextTickAt - performance.now()));
  }

  tick() {
    this.pacer = null;
    if (this.paused || this.hidden || !this.source) return;
    const dec = this.decoder();
    const shown = dec.has_frame ? dec.sequence : -1;
    if (this.decodeOne()) {
      this.present();
      // A C-packet's refinement of the frame on show takes no frame time.
      if (dec.sequence !== shown) this.nextTickAt += 1000 / (dec.fps || 30);
      this.schedule();
    } else if (this.sourceEnded) {
      this.postStats();
      this.paused = true;
      this.post({ type: 'ended' });
      this.closeSource();
    }
    // Otherwise: waiting for bytes; onData schedules again.
  }

  // --- presenting ------------------------------------------------------------

  /**
   * The frame on show as RGBA, a view of wasm memory (for the Canvas2D
   * renderer). The view is made after the conversion, which may grow memory.
   * @returns {Uint8ClampedArray | null}
   */
  rgbaOfFrame() {
    const dec = this.decoder();
    const ptr = dec.rgba();
    return ptr && this.asp ? new Uint8ClampedArray(this.asp.wasm_memory().buffer, ptr, dec.width * dec.height * 4) : null;
  }

  present() {
    if (this.drawing) {
      this.drawPending = true;
      return;
    }
    this.draw();
  }

  drawn() {
    this.drawing = false;
    if (!this.flowing && !this.paused) {
      this.flowing = true;
      this.post({ type: 'playing', live: Boolean(this.source?.live) });
    }
    if (!this.drawPending) return;
    this.drawPending = false;
    if (this.dec?.has_frame) this.draw();
  }

  draw() {
    const dec = this.decoder();
    const { asp, renderer } = this;
    if (!asp || !renderer) return;
    const key = `${dec.color_matrix}/${dec.color_range}`;
    if (this.colour.key !== key) this.colour = { key, rows: yuvToRgb(dec.color_matrix, dec.color_range) };
    // A failed draw (a lost GPU context) ends this player, not its worker:
    // the worker may host the page's other players.
    try {
      renderer.draw({
        buffer: asp.wasm_memory().buffer,
        width: dec.width,
        height: dec.height,
        uvWidth: dec.uv_width,
        uvHeight: dec.uv_height,
        yPtr: dec.y_ptr,
        uPtr: dec.u_ptr,
        vPtr: dec.v_ptr,
        yStride: dec.y_stride,
        uvStride: dec.uv_stride,
        rows: /** @type {Float32Array} */ (this.colour.rows),
        rgba: () => this.rgbaOfFrame(),
      });
    } catch (error) {
      this.report('draw-failed', String(/** @type {any} */ (error)?.message ?? error), true);
      return;
    }
    this.window.presented += 1;
    if ((this.options.probeRows ?? 0) > 0) this.probePresented();
    this.drawing = true;
    const drawn = () => this.drawn();
    renderer.whenDrawn().then(drawn, drawn);
  }

  /**
   * Measurement hook (probe-rows): the top rows of what the renderer just
   * drew, read back from the canvas, the times of the frame's stages, and
   * the wall-clock time once the pixels were read — so a page can compare a
   * timestamp burnt into the picture with the moment the picture was on the
   * canvas.
   */
  probePresented() {
    const dec = this.decoder();
    const { canvas, renderer } = this;
    if (!canvas || !renderer) return;
    const sequence = dec.sequence;
    const captureUs = dec.capture_time_us ?? null;
    const { width, height } = canvas;
    const epoch = (/** @type {number} */ t) => performance.timeOrigin + t;
    // The stages of this frame (epoch ms): its last bytes received, decoded, draw issued.
    const stages = { received: epoch(this.receivedAt), decoded: epoch(this.decodedAt), drawIssued: epoch(performance.now()) };
    renderer.readTop(this.options.probeRows ?? 0).then((pixels) => {
      const at = performance.timeOrigin + performance.now();
      this.post({ type: 'presented', sequence, captureUs, at, stages, width, height, pixels }, [pixels.buffer]);
    }, (error) => this.report('draw-failed', `probe-rows: ${error?.message ?? error}`));
  }

  /**
   * Sends a Ping carrying our clock (once a second, with the stats): the
   * sender's Pong echoes it with its own clock, and the decoder estimates
   * the offset between the two (clock_offset_ms) from the fastest of the
   * recent round trips.
   */
  ping() {
    const source = this.source;
    if (!source?.live || !source.canTalkBack) return;
    const packet = this.decoder().ping();
    if (packet) source.send(packet);
  }

  postStats() {
    this.ping();
    const dec = this.decoder();
    const w = this.window;
    this.window = counters();
    this.post({
      type: 'stats',
      stats: {
        fps: w.presented * 1000 / STATS_INTERVAL_MS,
        decodedFps: w.frames * 1000 / STATS_INTERVAL_MS,
        kbps: (w.bytes * 8) / STATS_INTERVAL_MS,
        dropped: dec.frames_dropped,
        decodeMs: w.frames ? w.decodeMs / w.frames : 0,
        latencyMs: w.latencies ? w.latencyMs / w.latencies : null,
        clockOffsetMs: Number.isNaN(dec.clock_offset_ms) ? null : dec.clock_offset_ms,
        clockRoundTripMs: Number.isNaN(dec.clock_round_trip_ms) ? null : dec.clock_round_trip_ms,
        build: this.asp?.build ?? null,
        fallback: this.options.fallback ?? null,
        renderer: this.renderer?.name ?? null,
        rendererReason: this.rendererReason,
        width: dec.width,
        height: dec.height,
        frames: this.totals.frames,
        errors: this.totals.errors,
        keyframeRequests: this.totals.keyframeRequests,
        reconnects: this.totals.reconnects,
        transport: this.source?.protocol ?? null,
        transportFallback: this.totals.transportFallback,
        rendition: this.source?.rendition ?? null,
        renditionReason: this.source?.renditionReason ?? null,
        renditionSwitches: this.source?.renditionSwitches ?? 0,
      },
    });
  }
}

/**
 * A player posting its messages through `post(message, transfer)`, its
 * decoder from `load` (default: a decoder instance of its own).
 * @param {Post} post
 * @param {typeof loadDecoder} [load]
 */
export function createPlayer(post, load) {
  return new Player(post, load);
}
