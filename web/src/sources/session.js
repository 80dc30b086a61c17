// Session source: `src` is a live server's session description (asp-server
// answers `GET /asp/session`, e.g. `asp-encode --serve`). It reads the
// description, plays over WebTransport when the server offers it and the
// browser has it (trusting the self-signed certificate by the hash the
// description gives), over WebSocket otherwise — and reads the description
// again before every reconnection, so a restarted server, whose new
// certificate a fixed `#sha256=` URL would refuse, is found again.
//
// WebTransport that cannot open a session (handshake refused: a certificate
// expired or not matching its hash, UDP blocked, no session within
// WEBTRANSPORT_DEADLINE_MS) makes the source fall back to WebSocket for the
// rest of its life: `fallback` says why, the handlers' `fallback` hears it
// (the player's `transportfallback` event and `stats.transportFallback`,
// not an error and not a reconnection; handlers without it get the old
// `reconnecting` call) and `stats.transport` turns 'websocket'. A WebTransport session that did
// open and was lost later is retried as WebTransport.

import { Backoff } from './backoff.js';
import { WebSocketSource } from './websocket.js';
import { WebTransportSource } from './webtransport.js';


/** @typedef {import('../../types/index.js').SourceHandlers} SourceHandlers */

/**
 * The view token of the session URL (`?token=`, asp-encode --serve
 * --token) goes on to the transport's URL, which needs it too.
 * @param {URL} from @param {URL} to
 */
function passToken(from, to) {
  const token = from.searchParams.get('token');
  if (token !== null) to.searchParams.set('token', token);
}

/** How long a WebTransport session may take to open before WebSocket is used instead. */
export const WEBTRANSPORT_DEADLINE_MS = 4000;

/**
 * The transport a description offers, as `{ url, Source, options }`:
 * WebTransport if offered, the browser has it and `webTransport` allows it.
 * @param {any} description what the server answered (JSON)
 * @param {string} sessionUrl
 * @param {{ webTransport?: boolean }} [allowed]
 * @returns {{ url: URL, Source: typeof WebTransportSource | typeof WebSocketSource, options: { certificateHash?: string } }}
 */
export function transportFor(description, sessionUrl, { webTransport = true } = {}) {
  const base = new URL(sessionUrl);
  const wt = description?.webtransport;
  if (webTransport && wt && typeof WebTransport === 'function' && Number.isInteger(wt.port) && typeof wt.path === 'string') {
    const url = new URL(`https://${base.hostname}:${wt.port}`);
    url.pathname = wt.path;
    passToken(base, url);
    return { url, Source: WebTransportSource, options: { certificateHash: wt.certificateHash } };
  }
  if (typeof description?.websocket !== 'string') throw new Error(`${sessionUrl}: not a session description`);
  const url = new URL(description.websocket, base);
  url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  passToken(base, url);
  return { url, Source: WebSocketSource, options: {} };
}

export class SessionSource {
  /** @param {string} url @param {SourceHandlers} handlers */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.live = true;
    this.canTalkBack = true;
    /** @type {WebTransportSource | WebSocketSource | null} */
    this.inner = null;
    this.closed = false;
    this.backoff = new Backoff();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** @type {AbortController | null} */
    this.abort = null;
    /** Why WebTransport was given up for WebSocket (null: it was not). @type {string | null} */
    this.fallback = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.deadline = undefined;
  }

  get bytes() {
    return this.inner?.bytes ?? 0;
  }

  /** The protocol of the transport in use: 'webtransport' or 'websocket'. */
  get protocol() {
    return this.inner?.protocol ?? null;
  }

  start() {
    this.closed = false;
    this.fallback = null;
    this.connect();
  }

  async connect() {
    let transport;
    try {
      this.abort = new AbortController();
      const response = await fetch(this.url, { cache: 'no-store', signal: this.abort.signal });
      if (!response.ok) throw new Error(`${this.url}: HTTP ${response.status}`);
      transport = transportFor(await response.json(), this.url, { webTransport: this.fallback === null });
    } catch (error) {
      if (!this.closed) this.retry(String(/** @type {any} */ (error)?.message ?? error));
      return;
    }
    if (this.closed) return;
    const { url, Source, options } = transport;
    const webTransport = Source === WebTransportSource;
    let opened = false;
    const inner = new Source(url.href, {
      open: () => {
        opened = true;
        clearTimeout(this.deadline);
        this.handlers.open();
      },
      data: (bytes) => {
        this.backoff.reset();
        this.handlers.data(bytes);
      },
      end: () => this.handlers.end(),
      error: (error) => this.handlers.error(error),
      // The transport lost its connection: ask the server again rather
      // than retrying what may be stale (a new port, a new certificate).
      reconnecting: (_delay, reason) => {
        if (this.inner !== inner) return;
        inner.close();
        this.inner = null;
        if (webTransport && !opened) this.fallBack(reason);
        else this.retry(reason);
      },
    }, options);
    this.inner = inner;
    if (webTransport) {
      clearTimeout(this.deadline);
      this.deadline = setTimeout(() => {
        if (this.inner !== inner || opened) return;
        inner.close();
        this.inner = null;
        this.fallBack(`no session within ${WEBTRANSPORT_DEADLINE_MS} ms`);
      }, WEBTRANSPORT_DEADLINE_MS);
    }
    inner.start();
  }

  /**
   * WebTransport could not open a session: WebSocket from now on, at once.
   * @param {string} reason
   */
  fallBack(reason) {
    clearTimeout(this.deadline);
    this.fallback = reason;
    if (this.handlers.fallback) this.handlers.fallback(reason);
    else this.handlers.reconnecting(0, `WebTransport failed (${reason}); falling back to WebSocket`);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), 0);
  }

  /** @param {string} reason */
  retry(reason) {
    const delay = this.backoff.next();
    this.handlers.reconnecting(delay, reason);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** @param {Uint8Array} bytes */
  send(bytes) {
    return this.inner?.send(bytes) ?? false;
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    this.abort?.abort();
    this.inner?.close();
    this.inner = null;
  }
}
