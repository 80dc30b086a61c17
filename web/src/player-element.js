// <asp-player src="ws://…|https://…|file.asp" autoplay muted debug>
//
// The element is the page-side half of the player: it owns a <canvas>,
// hands it (as an OffscreenCanvas) to the player worker, forwards play /
// pause / stop and the page's visibility, and turns the worker's messages
// into DOM events (playing, stats, error, ended) and the `stats` object.
// Everything heavy happens in the worker (worker/player-worker.js, hosting
// the player of worker/player.js).
//
// Attributes: src, autoplay, muted (accepted; ASP streams carry no audio),
// debug (draws the stats over the picture), renderer (auto | webgpu |
// webgl2 | canvas2d: the first to try), threads (auto | on | off),
// workers (threaded build's pool size), certificate-hash (hex SHA-256 of a
// WebTransport server's self-signed certificate), checksums (test aid: a
// `frame` event with the CRC-32 of every decoded frame), probe-rows
// (measurement aid: a `presented` event per drawn frame with the top N
// rows of the canvas read back after the draw, and the time they were).

const TEMPLATE = `
<style>
  :host { display: inline-block; position: relative; width: 640px; aspect-ratio: 16 / 9; background: #000; contain: content; }
  canvas { display: block; width: 100%; height: 100%; object-fit: contain; }
  pre { position: absolute; left: 6px; top: 6px; margin: 0; padding: 4px 6px; font: 12px/1.35 ui-monospace, monospace;
        color: #d6f5d6; background: rgba(0, 0, 0, 0.6); pointer-events: none; white-space: pre; }
  pre[hidden] { display: none; }
</style>
<canvas part="canvas"></canvas>
<pre part="debug" hidden></pre>`;

/**
 * @typedef {import('../types/index.js').AspPlayerStats} AspPlayerStats
 * @typedef {{ type: string, [field: string]: any }} Message
 */

/** @type {Readonly<AspPlayerStats>} */
const EMPTY_STATS = Object.freeze({
  fps: 0, decodedFps: 0, kbps: 0, dropped: 0, decodeMs: 0, latencyMs: null, build: null, renderer: null,
  width: 0, height: 0, frames: 0, errors: 0, keyframeRequests: 0, reconnects: 0, transport: null,
});

export class AspPlayer extends HTMLElement {
  static get observedAttributes() {
    return ['src', 'debug'];
  }

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = TEMPLATE;
    this._canvas = /** @type {HTMLCanvasElement} */ (root.querySelector('canvas'));
    this._overlay = /** @type {HTMLPreElement} */ (root.querySelector('pre'));
    /** @type {{ postMessage(message: Message): void } | null} */
    this._worker = null;
    /** @type {Promise<void> | null} */
    this._ready = null;
    /** @type {string | null} */
    this._opened = null;
    this._paused = true;
    /** @type {AspPlayerStats} */
    this._stats = { ...EMPTY_STATS };
    this._onVisibility = () => this._post({ type: 'visibility', hidden: document.visibilityState === 'hidden' });
    this._resizer = new ResizeObserver(() => this._sendSize());
  }

  connectedCallback() {
    document.addEventListener('visibilitychange', this._onVisibility);
    this._resizer.observe(this);
    if (this.hasAttribute('autoplay') && this.src) this._playUnawaited();
  }

  /** play() that nobody awaits (autoplay, a new src): its failure is already an `error` event. */
  _playUnawaited() {
    this.play().catch(() => {});
  }

  disconnectedCallback() {
    document.removeEventListener('visibilitychange', this._onVisibility);
    this._resizer.disconnect();
    this.stop();
  }

  /** @param {string} name @param {string | null} old @param {string | null} value */
  attributeChangedCallback(name, old, value) {
    if (name === 'debug') {
      this._overlay.hidden = value === null;
      this._drawOverlay();
    } else if (name === 'src' && old !== value && this.isConnected && (!this._paused || this.hasAttribute('autoplay'))) {
      this._opened = null;
      if (value) this._playUnawaited();
      else this.stop();
    }
  }

  get src() {
    return this.getAttribute('src') ?? '';
  }

  set src(value) {
    this.setAttribute('src', value);
  }

  get paused() {
    return this._paused;
  }

  /** The latest statistics (updated every second; see the `stats` event). */
  get stats() {
    return this._stats;
  }

  /** Starts (or resumes) playing `src`. Resolves once the worker is ready. */
  async play() {
    await this._start();
    this._paused = false;
    if (this._opened !== this.src) {
      this._opened = this.src;
      this._post({ type: 'open', src: this.src, base: document.baseURI, certificateHash: this.getAttribute('certificate-hash') });
      this._onVisibility();
    } else {
      this._post({ type: 'play' });
    }
  }

  /** Stops decoding; the picture stays. A live stream resumes at a keyframe. */
  pause() {
    this._paused = true;
    this._post({ type: 'pause' });
  }

  /** Closes the source and blanks the picture; `play()` starts afresh. */
  stop() {
    this._paused = true;
    this._opened = null;
    this._post({ type: 'stop' });
  }

  _start() {
    if (this._ready) return this._ready;
    this._sizeCanvas();
    const threads = this.getAttribute('threads');
    const init = {
      type: 'init',
      options: {
        renderer: this.getAttribute('renderer') || 'auto',
        threads: threads === 'on' ? true : threads === 'off' ? false : 'auto',
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
    const receive = (/** @type {Message} */ m) => {
      if (m.type === 'ready') {
        this._stats = { ...this._stats, build: m.build, renderer: m.renderer };
        this._drawOverlay();
        ready();
      } else if (m.type === 'error' && m.fatal) {
        failed(new Error(m.message));
      }
      this._onMessage(m);
    };
    if (typeof this._canvas.transferControlToOffscreen === 'function' && typeof Worker === 'function') {
      const worker = new Worker(new URL('./worker/player-worker.js', import.meta.url), { type: 'module' });
      this._worker = worker;
      worker.onmessage = (e) => receive(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        const message = e.message || 'the player worker failed to start';
        this._emit('error', { message, fatal: true });
        failed(new Error(message));
      };
      const offscreen = this._canvas.transferControlToOffscreen();
      worker.postMessage({ ...init, canvas: offscreen }, [offscreen]);
    } else {
      // No OffscreenCanvas: the same player on this thread, drawing on the
      // element's canvas (a player of its own per element). The threaded
      // build is not used here: its pool would block the page's thread.
      import('./worker/player.js').then(({ createPlayer }) => {
        const player = createPlayer((m) => receive(/** @type {Message} */ (m)));
        this._worker = { postMessage: (m) => player.receive(m) };
        player.receive({ ...init, options: { ...init.options, threads: false }, canvas: this._canvas });
      }, (error) => {
        const message = `the player failed to load: ${error?.message ?? error}`;
        this._emit('error', { message, fatal: true });
        failed(new Error(message));
      });
    }
    return started;
  }

  /** @param {Message} m */
  _onMessage(m) {
    switch (m.type) {
      case 'playing':
        this._emit('playing');
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
      case 'error':
        this._emit('error', { message: m.message, fatal: m.fatal });
        break;
      case 'ended':
        this._paused = true;
        this._opened = null;
        this._emit('ended');
        break;
      default:
    }
  }

  /** @param {string} type @param {unknown} [detail] */
  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** @param {Message} message */
  _post(message) {
    this._worker?.postMessage(message);
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
