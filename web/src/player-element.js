// <asp-player src="ws://…|https://…|file.asp" autoplay muted poster="…" debug>
//
// The element is the page-side half of the player: it owns a <canvas>,
// hands it (as an OffscreenCanvas) to the player worker, forwards play /
// pause / stop and the page's visibility, and turns the worker's messages
// into the state and events of a media element (readyState, videoWidth,
// play / playing / waiting / pause / ended / error ...) and the `stats`
// object. Everything heavy happens in the worker (worker/player-worker.js,
// hosting the player of worker/player.js).
//
// Attributes: src, autoplay, muted (reflected; ASP streams carry no audio),
// poster (an image shown until the first frame is drawn), paused (set by
// the element: reflects `paused`, for styling), debug (draws the stats over
// the picture), renderer (auto | webgpu | webgl2 | canvas2d: the first to
// try), threads (auto | on | off), workers (threaded build's pool size),
// certificate-hash (hex SHA-256 of a WebTransport server's self-signed
// certificate), relays (for a moq+https:// src: further relays of the
// broadcast, space-separated, moved to in turn when the one in use is
// lost; sources/moq.js), checksums (test aid: a `frame` event with the CRC-32 of
// every decoded frame), probe-rows (measurement aid: a `presented` event
// per drawn frame with the top N rows of the canvas read back after the
// draw, and the time they were).
//
// Events, in the order a media element fires them (web/README.md has the
// table): play() → `play`, `waiting` (nothing drawn yet), on a new src
// `loadstart`; the first frame decoded → `loadedmetadata`, `resize`; the
// first frame drawn → `loadeddata`, `playing` (and play() resolves).
// Frames stop coming → `waiting`, then `playing` on the next frame drawn;
// no bytes for 3 s → `stalled`. pause() → `pause`; the end of a file or of
// a live stream → `pause`, `ended`; failures → `error`.

import { AspPlayerError } from './errors.js';
import { CONTROLS_HTML, CONTROLS_STYLE, PlayerControls } from './controls.js';
import { attachPlayer } from './player-workers.js';

const TEMPLATE = `
<style>
  :host { display: inline-block; position: relative; width: 640px; aspect-ratio: 16 / 9; background: #000; contain: content; }
  canvas { display: block; width: 100%; height: 100%; object-fit: contain; }
  img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; }
  img[hidden] { display: none; }
  pre { position: absolute; left: 6px; top: 6px; margin: 0; padding: 4px 6px; font: 12px/1.35 ui-monospace, monospace;
        color: #d6f5d6; background: rgba(0, 0, 0, 0.6); pointer-events: none; white-space: pre; }
  pre[hidden] { display: none; }
${CONTROLS_STYLE}
</style>
<canvas part="canvas"></canvas>
<img part="poster" alt="" hidden>
<pre part="debug" hidden></pre>
${CONTROLS_HTML}`;

/**
 * @typedef {import('../types/index.js').AspPlayerStats} AspPlayerStats
 * @typedef {import('../types/index.js').AspPlayerErrorDetail} AspPlayerErrorDetail
 * @typedef {{ type: string, [field: string]: any }} Message
 * @typedef {{ resolve(): void, reject(error: Error): void }} PendingPlay
 * @typedef {{ resolve(blob: Blob): void, reject(error: Error): void }} PendingSnapshot
 */

/** @type {Readonly<AspPlayerStats>} */
const EMPTY_STATS = Object.freeze({
  fps: 0, decodedFps: 0, kbps: 0, dropped: 0, decodeMs: 0, latencyMs: null, clockOffsetMs: null, clockRoundTripMs: null,
  build: null, fallback: null, renderer: null, rendererReason: null,
  width: 0, height: 0, frames: 0, errors: 0, keyframeRequests: 0, reconnects: 0, transport: null, transportFallback: null,
  rendition: null, renditionReason: null, renditionSwitches: 0,
});

// HTMLMediaElement's readyState numbering. The player decodes just in time:
// it holds the picture on show and no frames ahead, so playing means
// HAVE_ENOUGH_DATA and HAVE_FUTURE_DATA is never used.
const HAVE_NOTHING = /** @type {const} */ (0);
const HAVE_METADATA = /** @type {const} */ (1);
const HAVE_CURRENT_DATA = /** @type {const} */ (2);
const HAVE_FUTURE_DATA = /** @type {const} */ (3);
const HAVE_ENOUGH_DATA = /** @type {const} */ (4);

/** After removal from the DOM, how long the player keeps everything in case the element comes back (a move). */
const RELEASE_AFTER_MS = 1000;
/**
 * A starting player says `starting` every 250 ms until it is ready; this
 * long without one, its worker is stuck. Generous: on a loaded machine a
 * software rasteriser's shader compile holds the worker's thread a while,
 * and a stuck start never comes back anyway.
 */
const START_SILENCE_MS = 5000;
/** How long destroy() lets the worker free its memory and GPU context before terminating it anyway. */
const DESTROY_WAIT_MS = 500;

/** How often `timeupdate` fires while the picture moves (HTMLMediaElement: every 15 to 250 ms). */
const TIMEUPDATE_MS = 250;

/** No time ranges: nothing is seekable or buffered (the player decodes just in time). @type {TimeRanges} */
const NO_TIME_RANGES = Object.freeze({
  length: 0,
  start(/** @type {number} */ index) {
    throw new DOMException(`no time range ${index}`, 'IndexSizeError');
  },
  end(/** @type {number} */ index) {
    throw new DOMException(`no time range ${index}`, 'IndexSizeError');
  },
});

const abortError = (/** @type {string} */ why) => new DOMException(`interrupted by ${why}`, 'AbortError');

export class AspPlayer extends HTMLElement {
  /** @readonly */ static HAVE_NOTHING = HAVE_NOTHING;
  /** @readonly */ static HAVE_METADATA = HAVE_METADATA;
  /** @readonly */ static HAVE_CURRENT_DATA = HAVE_CURRENT_DATA;
  /** @readonly */ static HAVE_FUTURE_DATA = HAVE_FUTURE_DATA;
  /** @readonly */ static HAVE_ENOUGH_DATA = HAVE_ENOUGH_DATA;

  static get observedAttributes() {
    return ['src', 'debug', 'poster', 'muted', 'controls', 'rendition', 'max-bitrate'];
  }

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = TEMPLATE;
    this._canvas = /** @type {HTMLCanvasElement} */ (root.querySelector('canvas'));
    this._poster = /** @type {HTMLImageElement} */ (root.querySelector('img'));
    this._overlay = /** @type {HTMLPreElement} */ (root.querySelector('pre'));
    this._controls = new PlayerControls(this, root);
    /** @type {{ postMessage(message: Message): void, terminate(): void } | null} */
    this._worker = null;
    /** @type {Promise<void> | null} */
    this._ready = null;
    /** @type {string | null} */
    this._opened = null;
    this._paused = true;
    /** @type {0 | 1 | 2 | 3 | 4} */
    this._readyState = HAVE_NOTHING;
    this._videoWidth = 0;
    this._videoHeight = 0;
    this._live = false;
    this._volume = 1;
    // The playing clock (currentTime): ms played before `_clockSince`, and since when it runs (null: stopped).
    this._playedMs = 0;
    /** @type {number | null} */
    this._clockSince = null;
    /** @type {ReturnType<typeof setInterval> | null} */
    this._timeTimer = null;
    /** @type {AspPlayerError | null} */
    this._error = null;
    /** play() calls waiting for the next drawn frame. @type {PendingPlay[]} */
    this._plays = [];
    /** snapshot() and stopRecording() calls waiting for their Blob. @type {Map<number, PendingSnapshot>} */
    this._requests = new Map();
    this._nextRequestId = 1;
    this._recording = false;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this._releaseTimer = null;
    /** Resolves when the worker said it freed everything (destroy()). @type {(() => void) | null} */
    this._onDestroyed = null;
    /** @type {AspPlayerStats} */
    this._stats = { ...EMPTY_STATS };
    this._onVisibility = () => this._post({ type: 'visibility', hidden: document.visibilityState === 'hidden' });
    this._resizer = new ResizeObserver(() => this._sendSize());
  }

  connectedCallback() {
    if (this._releaseTimer !== null) clearTimeout(this._releaseTimer);
    this._releaseTimer = null;
    this.toggleAttribute('paused', this._paused);
    document.addEventListener('visibilitychange', this._onVisibility);
    this._resizer.observe(this);
    // Moved within the page (removed and inserted again within the grace):
    // the player goes on as it was.
    if (!this._worker && this.hasAttribute('autoplay') && this.src) this.play().catch(() => {});
  }

  disconnectedCallback() {
    document.removeEventListener('visibilitychange', this._onVisibility);
    this._resizer.disconnect();
    if (!this._worker) return;
    if (this._releaseTimer !== null) clearTimeout(this._releaseTimer);
    this._releaseTimer = setTimeout(() => {
      this._releaseTimer = null;
      if (!this.isConnected) this.destroy();
    }, RELEASE_AFTER_MS);
  }

  /** @param {string} name @param {string | null} old @param {string | null} value */
  attributeChangedCallback(name, old, value) {
    if (name === 'debug') {
      this._overlay.hidden = value === null;
      this._drawOverlay();
      this._controls.update();
    } else if (name === 'controls') {
      this._controls.show(value !== null);
    } else if (name === 'poster') {
      if (value) this._poster.src = new URL(value, document.baseURI).href;
      else this._poster.removeAttribute('src');
      this._showPoster();
    } else if (name === 'rendition' || name === 'max-bitrate') {
      this._post({ type: 'rendition', ...this._renditionPolicy() });
    } else if (name === 'muted') {
      if ((old === null) !== (value === null)) this._emit('volumechange');
    } else if (name === 'src' && old !== value && this.isConnected && (!this._paused || this.hasAttribute('autoplay'))) {
      this._opened = null;
      if (value) this.play().catch(() => {});
      else this.stop();
    }
  }

  get src() {
    return this.getAttribute('src') ?? '';
  }

  /**
   * The `rendition` (pin) and `max-bitrate` (cap, `600k`, `2M` or bit/s)
   * attributes, for a moq+https:// src whose broadcast has renditions.
   * @returns {{ pin: string | null, maxBitrate: number | null }}
   */
  _renditionPolicy() {
    const cap = (this.getAttribute('max-bitrate') ?? '').trim().toLowerCase();
    const match = /^(\d+(?:\.\d+)?)([km]?)$/.exec(cap);
    const scale = match?.[2] === 'm' ? 1e6 : match?.[2] === 'k' ? 1e3 : 1;
    return { pin: this.getAttribute('rendition') || null, maxBitrate: match ? Number(match[1]) * scale : null };
  }

  set src(value) {
    this.setAttribute('src', value);
  }

  get poster() {
    return this.getAttribute('poster') ?? '';
  }

  set poster(value) {
    this.setAttribute('poster', value);
  }

  get autoplay() {
    return this.hasAttribute('autoplay');
  }

  set autoplay(value) {
    this.toggleAttribute('autoplay', Boolean(value));
  }

  /** Reflects the `muted` attribute (ASP streams carry no audio; kept for pages and controls that set it). */
  get muted() {
    return this.hasAttribute('muted');
  }

  set muted(value) {
    this.toggleAttribute('muted', Boolean(value));
  }

  get paused() {
    return this._paused;
  }

  /** 0 to 1, kept and announced (`volumechange`) for controls that set it; ASP streams carry no audio. */
  get volume() {
    return this._volume;
  }

  set volume(value) {
    const volume = Number(value);
    if (!(volume >= 0 && volume <= 1)) throw new DOMException(`volume ${value} is not in [0, 1]`, 'IndexSizeError');
    if (volume === this._volume) return;
    this._volume = volume;
    this._emit('volumechange');
  }

  /**
   * Seconds of picture shown since play() opened the src: a clock that runs
   * while frames are drawn (not while paused or waiting). Setting it does
   * nothing: the player does not seek (`seekable` is empty).
   */
  get currentTime() {
    const running = this._clockSince === null ? 0 : performance.now() - this._clockSince;
    return (this._playedMs + running) / 1000;
  }

  set currentTime(_seconds) {}

  /** Infinity for a live stream (known from the first frame drawn), NaN otherwise (a file's length is not known ahead). */
  get duration() {
    return this._live ? Infinity : NaN;
  }

  /** Empty: the player does not seek. */
  get seekable() {
    return NO_TIME_RANGES;
  }

  /** Empty: the player keeps no frames ahead. */
  get buffered() {
    return NO_TIME_RANGES;
  }

  /** HAVE_NOTHING (0) … HAVE_ENOUGH_DATA (4), as HTMLMediaElement.readyState. */
  get readyState() {
    return this._readyState;
  }

  /** The decoded picture's size in pixels; 0 before the first frame. */
  get videoWidth() {
    return this._videoWidth;
  }

  get videoHeight() {
    return this._videoHeight;
  }

  /** Whether the src plays as a live stream (WebSocket, WebTransport, a session), known from the first frame drawn. */
  get live() {
    return this._live;
  }

  get controls() {
    return this.hasAttribute('controls');
  }

  set controls(value) {
    this.toggleAttribute('controls', Boolean(value));
  }

  /** The last fatal error since play() opened the src, or null. */
  get error() {
    return this._error;
  }

  /** The latest statistics (updated every second; see the `stats` event). */
  get stats() {
    return this._stats;
  }

  /**
   * Starts (or resumes) playing `src`. Resolves once a frame has been drawn
   * (on resume: the next one); rejects with an AspPlayerError when the
   * player fails first, or with an AbortError DOMException when pause(),
   * stop() or destroy() come first.
   * @returns {Promise<void>}
   */
  play() {
    if (!this.src) {
      return Promise.reject(new AspPlayerError('unsupported-src', 'play() without a src', true));
    }
    const opening = this._opened !== this.src;
    const wasPaused = this._paused;
    if (!opening && !wasPaused && this._readyState === HAVE_ENOUGH_DATA) return Promise.resolve();
    /** @type {Promise<void>} */
    const drawn = new Promise((resolve, reject) => this._plays.push({ resolve, reject }));
    if (opening) {
      this._error = null;
      this._opened = this.src;
      this._empty();
      this._emit('loadstart');
    }
    this._setPaused(false);
    if (wasPaused) this._emit('play');
    if ((wasPaused || opening) && this._readyState < HAVE_FUTURE_DATA) this._emit('waiting');
    if (opening) {
      const src = this.src;
      this._start().then(() => {
        // A stop(), pause() or another src while the worker started: theirs
        // is the last word (after a pause(), the next play() opens the src).
        if (this._opened !== src) return;
        if (this._paused) {
          this._opened = null;
          return;
        }
        this._post({
          type: 'open', src, base: document.baseURI, certificateHash: this.getAttribute('certificate-hash'),
          relays: (this.getAttribute('relays') ?? '').split(/\s+/).filter(Boolean),
          ...this._renditionPolicy(),
        });
        this._onVisibility();
      }, (/** @type {Error} */ error) => this._rejectPlays(error));
    } else if (wasPaused) {
      this._post({ type: 'play' });
    }
    return drawn;
  }

  /** Stops decoding; the picture stays. A live stream resumes at a keyframe. */
  pause() {
    const wasPaused = this._paused;
    this._setPaused(true);
    if (this._readyState > HAVE_CURRENT_DATA) this._readyState = HAVE_CURRENT_DATA;
    this._post({ type: 'pause' });
    this._rejectPlays(abortError('pause()'));
    if (!wasPaused) this._emit('pause');
  }

  /** Closes the source and blanks the picture; `play()` starts afresh. */
  stop() {
    const wasPaused = this._paused;
    this._setPaused(true);
    this._opened = null;
    this._post({ type: 'stop' });
    this._rejectPlays(abortError('stop()'));
    if (!wasPaused) this._emit('pause');
    this._empty();
  }

  /**
   * The picture on show as a PNG of the decoded size (videoWidth x
   * videoHeight), converted from the decoder's planes as the Canvas2D
   * renderer converts them. Rejects (AspPlayerError `snapshot-failed`)
   * before the first frame.
   * @returns {Promise<Blob>}
   */
  snapshot() {
    if (!this._worker || this._readyState < HAVE_CURRENT_DATA) {
      return Promise.reject(new AspPlayerError('snapshot-failed', 'no picture on show yet', false));
    }
    const id = this._nextRequestId++;
    /** @type {Promise<Blob>} */
    const taken = new Promise((resolve, reject) => this._requests.set(id, { resolve, reject }));
    this._post({ type: 'snapshot', id });
    return taken;
  }

  /** Whether record() is recording. */
  get recording() {
    return this._recording;
  }

  /**
   * Starts recording what the source delivers, from its next keyframe;
   * stopRecording() gives the .asp file. Throws (InvalidStateError) when
   * no source is open or a recording is already running.
   */
  record() {
    if (!this._worker || !this._opened) throw new DOMException('record() needs play() first', 'InvalidStateError');
    if (this._recording) throw new DOMException('already recording', 'InvalidStateError');
    this._recording = true;
    this._post({ type: 'record' });
  }

  /**
   * Ends the recording: an .asp Blob (type video/x-asp) of the picture
   * packets from the first keyframe after record() (asp-decode and this
   * element play it); empty if no keyframe came.
   * @returns {Promise<Blob>}
   */
  stopRecording() {
    if (!this._recording || !this._worker) return Promise.reject(new DOMException('not recording', 'InvalidStateError'));
    this._recording = false;
    const id = this._nextRequestId++;
    /** @type {Promise<Blob>} */
    const recorded = new Promise((resolve, reject) => this._requests.set(id, { resolve, reject }));
    this._post({ type: 'stopRecording', id });
    return recorded;
  }

  /**
   * Releases everything now: closes the source, frees the decoder's wasm
   * memory and the GPU context, and terminates the worker (with the
   * threaded build's pool). The element stays usable: play() starts afresh
   * with a new worker. Removal from the DOM does this after a short grace.
   * @returns {Promise<void>}
   */
  destroy() {
    if (this._releaseTimer !== null) clearTimeout(this._releaseTimer);
    this._releaseTimer = null;
    const worker = this._worker;
    const wasPaused = this._paused;
    this._setPaused(true);
    this._opened = null;
    this._worker = null;
    this._ready = null;
    this._recording = false;
    this._rejectPlays(abortError('destroy()'));
    for (const pending of this._requests.values()) pending.reject(abortError('destroy()'));
    this._requests.clear();
    if (!wasPaused) this._emit('pause');
    this._empty();
    this._freshCanvas();
    if (!worker) return Promise.resolve();
    /** @type {Promise<void>} */
    const freed = new Promise((resolve) => {
      const timer = setTimeout(resolve, DESTROY_WAIT_MS);
      this._onDestroyed = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    worker.postMessage({ type: 'destroy' });
    return freed.then(() => {
      this._onDestroyed = null;
      worker.terminate();
    });
  }

  _start() {
    if (this._ready) return this._ready;
    this._sizeCanvas();
    const threadsAttribute = this.getAttribute('threads');
    /** @type {boolean | 'auto'} */
    const threads = threadsAttribute === 'on' ? true : threadsAttribute === 'off' ? false : 'auto';
    const init = {
      type: 'init',
      options: {
        renderer: this.getAttribute('renderer') || 'auto',
        threads,
        workers: Number(this.getAttribute('workers')) || undefined,
        checksums: this.hasAttribute('checksums'),
        probeRows: Number(this.getAttribute('probe-rows')) || 0,
      },
    };
    /** @type {() => void} */
    let ready = () => {};
    /** @type {(error: Error) => void} */
    let failed = () => {};
    /** @type {Promise<void>} */
    const started = new Promise((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    this._ready = started;
    /** @param {AspPlayerError} error */
    const startFailed = (error) => {
      this._fail(error);
      failed(error);
    };
    let isReady = false;
    /** @param {Message} m @param {{ terminate(): void }} owner */
    const receive = (m, owner) => {
      // Messages of a player destroyed since are not this element's any more.
      if (owner !== this._worker) {
        if (m.type === 'destroyed') this._onDestroyed?.();
        return;
      }
      if (m.type === 'ready') {
        isReady = true;
        this._stats = { ...this._stats, build: m.build, fallback: m.fallback, renderer: m.renderer, rendererReason: m.rendererReason };
        this._drawOverlay();
        ready();
      } else if (m.type === 'error' && m.error.fatal && !isReady) {
        // No player came up: the next play() starts another worker.
        owner.terminate();
        this._worker = null;
        this._ready = null;
        failed(new AspPlayerError(m.error.code, m.error.message, true));
      }
      this._onMessage(m);
    };
    if (typeof this._canvas.transferControlToOffscreen === 'function' && typeof Worker === 'function') {
      // A worker whose start goes silent (no `starting` beat for
      // START_SILENCE_MS) is stuck. Firefox blocked the player's worker for
      // good when it made the threaded build's pool workers itself; the page
      // makes them now (worker/rayon-pool.js), and this stays as the net for
      // any other stuck start: the worker is terminated and a new one
      // started, the same build once more, then the single build, which has
      // no pool (stats.fallback says why).
      /** @param {boolean | 'auto'} threads @param {number} attempt @param {string | null} fallback */
      const spawn = (threads, attempt, fallback) => {
        /** @type {ReturnType<typeof setTimeout> | null} */
        let watchdog = null;
        const quiet = () => {
          if (watchdog !== null) clearTimeout(watchdog);
          watchdog = null;
        };
        /** @param {boolean} stuckHere whether this player's worker is the one stuck (else another player's watchdog found it) */
        const stuck = (stuckHere) => {
          quiet();
          if (this._worker !== handle) return;
          if (stuckHere) handle.kill();
          this._freshCanvas();
          const waited = `the player's worker stopped answering while starting the ${threads === false ? 'single' : 'threaded'} build (${START_SILENCE_MS} ms)`;
          if (threads !== false && attempt === 0) {
            console.warn(`<asp-player>: ${waited}; starting it again`);
            spawn(threads, 1, null);
          } else if (threads === 'auto') {
            console.warn(`<asp-player>: ${waited}, twice; playing the single build`);
            spawn(false, 0, `${waited}, twice`);
          } else {
            this._worker = null;
            this._ready = null;
            startFailed(new AspPlayerError('worker-failed', waited, true));
          }
        };
        const beat = () => {
          quiet();
          watchdog = setTimeout(() => stuck(true), START_SILENCE_MS);
        };
        const handle = attachPlayer(`${threads}/${init.options.workers ?? 0}`, {
          message: (m) => {
            if (m.type === 'starting') {
              if (this._worker === handle) beat();
              return;
            }
            if (m.type === 'ready' || m.type === 'error') quiet();
            receive(m, handle);
          },
          failed: (text) => {
            quiet();
            if (this._worker !== handle) return;
            this._worker = null;
            this._ready = null;
            startFailed(new AspPlayerError('worker-failed', text || 'the player worker failed to start', true));
          },
          lost: () => stuck(false),
        });
        this._worker = handle;
        const offscreen = this._canvas.transferControlToOffscreen();
        const options = { ...init.options, threads, fallback };
        handle.postMessage({ ...init, options, canvas: offscreen }, [offscreen]);
        beat();
      };
      spawn(threads, 0, null);
    } else {
      // No OffscreenCanvas: the same player on this thread, drawing on the
      // element's canvas (a player of its own per element). The threaded
      // build is not used here: its pool would block the page's thread.
      /** @type {Message[]} */
      const early = [];
      const handle = {
        /** @type {((m: Message) => void) | null} */
        deliver: null,
        postMessage(/** @type {Message} */ m) {
          if (this.deliver) this.deliver(m);
          else early.push(m);
        },
        terminate() {
          this.deliver = null;
        },
      };
      this._worker = handle;
      const canvas = this._canvas;
      import('./worker/player.js').then(({ createPlayer }) => {
        const player = createPlayer((m) => receive(/** @type {Message} */ (m), handle));
        handle.deliver = (m) => player.receive(m);
        player.receive({ ...init, options: { ...init.options, threads: false }, canvas });
        for (const m of early.splice(0)) player.receive(m);
      }, (error) => {
        if (this._worker !== handle) return;
        this._worker = null;
        this._ready = null;
        startFailed(new AspPlayerError('worker-failed', `the player failed to load: ${error?.message ?? error}`, true));
      });
    }
    return started;
  }

  /** @param {Message} m */
  _onMessage(m) {
    switch (m.type) {
      case 'metadata':
        if (this._readyState === HAVE_NOTHING) {
          this._readyState = HAVE_METADATA;
          this._setSize(m.width, m.height, false);
          this._emit('loadedmetadata');
          this._emit('resize');
        } else {
          this._setSize(m.width, m.height, true);
        }
        break;
      case 'playing': {
        if (this._paused) break;
        const wasLive = this._live;
        this._live = Boolean(m.live);
        if (this._live !== wasLive) this._emit('durationchange');
        if (this._readyState < HAVE_CURRENT_DATA) {
          this._readyState = HAVE_CURRENT_DATA;
          this._showPoster();
          this._emit('loadeddata');
        }
        this._readyState = HAVE_ENOUGH_DATA;
        this._emit('canplay');
        this._runClock(true);
        this._emit('playing');
        this._emit('canplaythrough');
        for (const pending of this._plays.splice(0)) pending.resolve();
        break;
      }
      case 'waiting':
        if (this._paused) break;
        if (this._readyState > HAVE_CURRENT_DATA) this._readyState = HAVE_CURRENT_DATA;
        this._runClock(false);
        this._emit('waiting');
        break;
      case 'stalled':
        this._emit('stalled');
        break;
      case 'transportfallback':
        this._emit('transportfallback', { from: m.from, to: m.to, reason: m.reason });
        break;
      case 'renditionchange':
        this._emit('renditionchange', { track: m.track, reason: m.reason, state: m.state, group: m.group ?? null });
        break;
      case 'frame':
        this._emit('frame', { sequence: m.sequence, keyframe: m.keyframe, checksum: m.checksum });
        break;
      case 'presented': {
        const { type, ...detail } = m;
        this._emit('presented', detail);
        break;
      }
      case 'stats':
        this._stats = m.stats;
        this._drawOverlay();
        this._emit('stats', m.stats);
        break;
      case 'recording':
      case 'snapshot': {
        const pending = this._requests.get(m.id);
        this._requests.delete(m.id);
        if (m.blob) pending?.resolve(m.blob);
        else pending?.reject(new AspPlayerError('snapshot-failed', m.error, false));
        break;
      }
      case 'error': {
        const e = /** @type {AspPlayerErrorDetail} */ (m.error);
        if (e.fatal) this._fail(new AspPlayerError(e.code, e.message, true));
        else this._emit('error', { ...e });
        break;
      }
      case 'ended': {
        const wasPaused = this._paused;
        this._setPaused(true);
        this._opened = null;
        if (this._readyState > HAVE_CURRENT_DATA) this._readyState = HAVE_CURRENT_DATA;
        this._rejectPlays(abortError('the end of the stream'));
        if (!wasPaused) this._emit('pause');
        this._emit('ended');
        break;
      }
      case 'destroyed':
        this._onDestroyed?.();
        break;
      default:
    }
  }

  /** A fatal error: kept in `error`, pending play() calls reject with it, then the `error` event. */
  _fail(/** @type {AspPlayerError} */ error) {
    this._error = error;
    this._setPaused(true);
    this._opened = null;
    this._rejectPlays(error);
    this._emit('error', error.toJSON());
  }

  /** @param {Error} error */
  _rejectPlays(error) {
    for (const pending of this._plays.splice(0)) pending.reject(error);
  }

  /** @param {boolean} paused */
  _setPaused(paused) {
    this._paused = paused;
    if (paused) this._runClock(false);
    if (this.isConnected) this.toggleAttribute('paused', paused);
  }

  /** @param {number} width @param {number} height @param {boolean} announce fire `resize` if it changed */
  _setSize(width, height, announce) {
    const changed = width !== this._videoWidth || height !== this._videoHeight;
    this._videoWidth = width;
    this._videoHeight = height;
    if (changed && announce) this._emit('resize');
  }

  /** Back to HAVE_NOTHING with no picture: `emptied` when there was something. */
  _empty() {
    const had = this._readyState !== HAVE_NOTHING;
    this._readyState = HAVE_NOTHING;
    this._runClock(false);
    this._playedMs = 0;
    if (this._live) this._emit('durationchange');
    this._live = false;
    this._setSize(0, 0, false);
    this._showPoster();
    if (had) this._emit('emptied');
  }

  /**
   * Starts or stops the playing clock (currentTime) and its `timeupdate`
   * events; one more `timeupdate` when it stops.
   * @param {boolean} running
   */
  _runClock(running) {
    const now = performance.now();
    if (this._clockSince !== null) this._playedMs += now - this._clockSince;
    const wasRunning = this._clockSince !== null;
    this._clockSince = running ? now : null;
    if (running && this._timeTimer === null) {
      this._timeTimer = setInterval(() => this._emit('timeupdate'), TIMEUPDATE_MS);
    } else if (!running && this._timeTimer !== null) {
      clearInterval(this._timeTimer);
      this._timeTimer = null;
    }
    if (wasRunning && !running) this._emit('timeupdate');
  }

  /** The poster covers the canvas until a frame is drawn. */
  _showPoster() {
    this._poster.hidden = !this.poster || this._readyState >= HAVE_CURRENT_DATA;
  }

  /** @param {string} type @param {unknown} [detail] */
  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
    this._controls.update();
  }

  /** @param {Message} message */
  _post(message) {
    this._worker?.postMessage(message);
  }

  /** A transferred canvas cannot be transferred again: the next worker gets a new one. */
  _freshCanvas() {
    const canvas = document.createElement('canvas');
    canvas.setAttribute('part', 'canvas');
    this._canvas.replaceWith(canvas);
    this._canvas = canvas;
    this._sizeCanvas();
  }

  /** The canvas's backing size: the element's size in device pixels. */
  _canvasSize() {
    const dpr = globalThis.devicePixelRatio || 1;
    const rect = this.getBoundingClientRect();
    return { width: Math.max(1, Math.round(rect.width * dpr)), height: Math.max(1, Math.round(rect.height * dpr)) };
  }

  _sizeCanvas() {
    const { width, height } = this._canvasSize();
    this._canvas.width = width;
    this._canvas.height = height;
  }

  _sendSize() {
    if (this._worker) this._post({ type: 'resize', ...this._canvasSize() });
  }

  _drawOverlay() {
    if (this._overlay.hidden) return;
    const s = this._stats;
    const latency = s.latencyMs === null ? '–' : `${s.latencyMs.toFixed(0)} ms`;
    this._overlay.textContent = [
      `${s.width}x${s.height}  ${s.fps.toFixed(1)} fps  ${s.kbps.toFixed(0)} kbps`,
      `decode ${s.decodeMs.toFixed(2)} ms  latency ${latency}`,
      `dropped ${s.dropped}  errors ${s.errors}  keyframe requests ${s.keyframeRequests}`,
      `${s.build ?? '?'} build, ${s.renderer ?? '?'}`,
    ].join('\n');
  }
}

/** Registers <asp-player> (once). */
export function defineAspPlayer(name = 'asp-player') {
  if (globalThis.customElements && !customElements.get(name)) customElements.define(name, AspPlayer);
}
