// What the live sources share: a connection that is redialled with backoff
// when it closes or falls silent. Each source (WebSocket, WebTransport, MoQ)
// extends RedialSource with its own connect(); the bookkeeping of data
// heard, the redial and the close is said once here.

import { Backoff } from './backoff.js';
import { SilenceWatch } from './silence.js';

/** @typedef {import('../../types/index.js').SourceHandlers} SourceHandlers */

export class RedialSource {
  /**
   * @param {string} url
   * @param {SourceHandlers} handlers
   * @param {{ protocol: string, canTalkBack: boolean, silenceMs?: number }} kind
   */
  constructor(url, handlers, { protocol, canTalkBack, silenceMs }) {
    this.url = url;
    this.handlers = handlers;
    this.live = true;
    this.protocol = protocol;
    this.canTalkBack = canTalkBack;
    this.closed = false;
    this.backoff = new Backoff();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.bytes = 0;
    this.silence = new SilenceWatch(silenceMs);
  }

  start() {
    this.closed = false;
    this.connect();
  }

  /** Opens a connection; overridden by each source. */
  connect() {}

  /**
   * Data arrived: counted, the silence watch and the backoff reset, handed on.
   * @param {ArrayBuffer | Uint8Array} bytes
   */
  heard(bytes) {
    this.backoff.reset();
    this.bytes += bytes.byteLength;
    this.silence.heard();
    this.handlers.data(bytes);
  }

  /**
   * The connection is gone: a new one after `delayMs` (by default the
   * backoff's next delay), reported with `reason`.
   * @param {string} reason @param {number} [delayMs]
   */
  redial(reason, delayMs = this.backoff.next()) {
    // Scheduled before the report: a handler may close this source.
    this.timer = setTimeout(() => this.connect(), delayMs);
    this.handlers.reconnecting(delayMs, reason);
  }

  /** Stops redialling and watching; each source then closes its connection. */
  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.silence.stop();
  }
}
