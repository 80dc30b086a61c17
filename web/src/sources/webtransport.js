// WebTransport source (HTTP/3), as asp-server speaks it: the packet stream
// arrives on unidirectional streams (one per keyframe run, whole packets
// back to back), read in order, each to its end, into the packet reader;
// datagrams, if a sender uses them, carry whole packets. S-packets go back
// back to back on one unidirectional stream the viewer opens. Reconnects
// with backoff like the WebSocket source. A self-signed server certificate
// needs its SHA-256 (options.certificateHash: bytes or hex). A session that
// falls silent counts as lost (see silence.js).

import { RedialSource } from './redial.js';

/** @typedef {import('../../types/index.js').SourceHandlers} SourceHandlers */

/**
 * The certificate hash as bytes, from bytes, an array or a hex string.
 * @param {Uint8Array | ArrayLike<number> | string | null | undefined} value
 */
export function certificateHash(value) {
  if (!value) return null;
  if (typeof value === 'string') {
    const hex = value.replace(/[^0-9a-f]/gi, '');
    return new Uint8Array((hex.match(/../g) ?? []).map((h) => parseInt(h, 16)));
  }
  return new Uint8Array(value);
}

export class WebTransportSource extends RedialSource {
  /**
   * options.certificateHash: SHA-256 of a self-signed server certificate (Uint8Array or hex).
   * @param {string} url
   * @param {SourceHandlers} handlers
   * @param {{ certificateHash?: Uint8Array | string | null }} [options]
   */
  constructor(url, handlers, options = {}) {
    super(url, handlers, { protocol: 'webtransport', canTalkBack: true });
    this.options = options;
    /** @type {WebTransport | null} */
    this.transport = null;
    /** @type {WritableStreamDefaultWriter<Uint8Array> | null} */
    this.writer = null;
  }

  start() {
    if (typeof WebTransport !== 'function') {
      this.handlers.error(new Error('this browser has no WebTransport'));
      return;
    }
    super.start();
  }

  async connect() {
    if (this.closed) return;
    /** @type {WebTransport | undefined} */
    let transport;
    try {
      const hash = certificateHash(this.options.certificateHash);
      const init = hash ? { serverCertificateHashes: [{ algorithm: 'sha-256', value: hash }] } : {};
      const opened = new WebTransport(this.url, init);
      transport = opened;
      this.transport = opened;
      await opened.ready;
      this.writer = (await opened.createUnidirectionalStream()).getWriter();
      /** @type {Promise<void>} */
      const silent = new Promise((_, reject) => {
        this.silence.arm(() => reject(new Error(`no data for ${this.silence.ms} ms`)));
      });
      this.handlers.open();
      await Promise.race([
        Promise.all([this.readDatagrams(opened), this.readStreams(opened)]).then(() => opened.closed),
        silent,
      ]);
      this.silence.stop();
      if (!this.closed) this.handlers.end();
    } catch (error) {
      this.silence.stop();
      if (this.closed || this.transport !== transport) return;
      // A silent session may still be open as far as QUIC knows.
      try {
        transport?.close();
      } catch {
        // already closed
      }
      this.redial(String(/** @type {any} */ (error)?.message ?? error));
    }
  }

  /** @param {WebTransport} transport */
  async readDatagrams(transport) {
    const reader = transport.datagrams.readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      this.heard(value);
    }
  }

  /** @param {WebTransport} transport */
  async readStreams(transport) {
    const streams = transport.incomingUnidirectionalStreams.getReader();
    for (;;) {
      const { done, value: stream } = await streams.read();
      if (done) return;
      const reader = stream.getReader();
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) break;
        this.heard(value);
      }
    }
  }

  /** @param {Uint8Array} bytes */
  send(bytes) {
    if (!this.writer) return false;
    this.writer.write(bytes).catch(() => {});
    return true;
  }

  close() {
    super.close();
    this.transport?.close();
    this.transport = null;
    this.writer = null;
  }
}
