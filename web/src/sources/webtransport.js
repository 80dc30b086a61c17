// WebTransport source (HTTP/3). Incoming unidirectional streams carry the
// packet stream as a byte stream (any chunking), datagrams carry whole
// packets; both go to the packet reader. S-packets go back as datagrams.
// Reconnects with backoff like the WebSocket source.

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 5000;

export class WebTransportSource {
  /** options.serverCertificateHashes: for a self-signed server certificate. */
  constructor(url, handlers, options = {}) {
    this.url = url;
    this.handlers = handlers;
    this.options = options;
    this.live = true;
    this.canTalkBack = true;
    this.transport = null;
    this.writer = null;
    this.closed = false;
    this.backoff = BACKOFF_FIRST_MS;
    this.timer = null;
    this.bytes = 0;
  }

  start() {
    if (typeof WebTransport !== 'function') {
      this.handlers.error(new Error('this browser has no WebTransport'));
      return;
    }
    this.closed = false;
    this.connect();
  }

  async connect() {
    let transport;
    try {
      const init = this.options.serverCertificateHashes
        ? { serverCertificateHashes: this.options.serverCertificateHashes } : {};
      transport = new WebTransport(this.url, init);
      this.transport = transport;
      await transport.ready;
      this.writer = transport.datagrams.writable.getWriter();
      this.handlers.open();
      await Promise.all([this.readDatagrams(transport), this.readStreams(transport)]);
      await transport.closed;
      if (!this.closed) this.handlers.end();
    } catch (error) {
      if (this.closed || this.transport !== transport) return;
      const delay = this.backoff;
      this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
      this.handlers.reconnecting(delay, String(error?.message ?? error));
      this.timer = setTimeout(() => this.connect(), delay);
    }
  }

  deliver(bytes) {
    this.backoff = BACKOFF_FIRST_MS;
    this.bytes += bytes.byteLength;
    this.handlers.data(bytes);
  }

  async readDatagrams(transport) {
    const reader = transport.datagrams.readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      this.deliver(value);
    }
  }

  async readStreams(transport) {
    const streams = transport.incomingUnidirectionalStreams.getReader();
    for (;;) {
      const { done, value: stream } = await streams.read();
      if (done) return;
      const reader = stream.getReader();
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) break;
        this.deliver(value);
      }
    }
  }

  send(bytes) {
    if (!this.writer) return false;
    this.writer.write(bytes).catch(() => {});
    return true;
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.transport?.close();
    this.transport = null;
    this.writer = null;
  }
}
