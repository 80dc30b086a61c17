// WebSocket source: every binary message is a piece of the packet stream —
// one whole ASP packet, several, or any chunk of them (the packet reader
// does not care). The viewer talks back on the same socket: each S-packet
// (e.g. RequestKeyframe) goes as one binary message. A socket that closes
// for any reason but a normal end (code 1000), or that falls silent, is
// reopened with backoff.

import { RedialSource } from './redial.js';

/** @typedef {import('../../types/index.js').SourceHandlers} SourceHandlers */

export class WebSocketSource extends RedialSource {
  /**
   * handlers: { data(ArrayBuffer), open(), reconnecting(delayMs, reason),
   * end(), error(Error) }
   * @param {string} url
   * @param {SourceHandlers} handlers
   */
  constructor(url, handlers) {
    super(url, handlers, { protocol: 'websocket', canTalkBack: true });
    /** @type {WebSocket | null} */
    this.socket = null;
  }

  connect() {
    if (this.closed) return;
    const socket = new WebSocket(this.url);
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      this.silence.arm(() => this.lost(socket, `no data for ${this.silence.ms} ms`));
      this.handlers.open();
    };
    socket.onmessage = (e) => {
      if (!(e.data instanceof ArrayBuffer)) return; // text is not ours
      this.heard(e.data);
    };
    socket.onclose = (e) => {
      if (e.code === 1000 && this.socket === socket && !this.closed) {
        this.socket = null;
        this.silence.stop();
        this.handlers.end();
        return;
      }
      this.lost(socket, `connection closed (code ${e.code})`);
    };
    this.socket = socket;
  }

  /**
   * `socket` is gone (closed, or silent): a new one after the backoff.
   * @param {WebSocket} socket @param {string} reason
   */
  lost(socket, reason) {
    if (this.socket !== socket || this.closed) return;
    this.socket = null;
    this.silence.stop();
    // A silent socket may never finish its closing handshake; nothing it
    // still says matters.
    socket.onmessage = null;
    socket.onclose = null;
    socket.close();
    this.redial(reason);
  }

  /**
   * Sends one S-packet; false when the socket is not open.
   * @param {Uint8Array} bytes
   */
  send(bytes) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(/** @type {Uint8Array<ArrayBuffer>} */ (bytes));
    return true;
  }

  close() {
    super.close();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
  }
}
