// WebSocket source: every binary message is a piece of the packet stream —
// one whole ASP packet, several, or any chunk of them (the packet reader
// does not care). The viewer talks back on the same socket: each S-packet
// (e.g. RequestKeyframe) goes as one binary message. A socket that closes
// for any reason but a normal end (code 1000) is reopened with backoff.

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 5000;

export class WebSocketSource {
  /**
   * handlers: { data(ArrayBuffer), open(), reconnecting(delayMs, reason),
   * end(), error(Error) }
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.live = true;
    this.canTalkBack = true;
    this.socket = null;
    this.closed = false;
    this.backoff = BACKOFF_FIRST_MS;
    this.timer = null;
    this.bytes = 0;
  }

  start() {
    this.closed = false;
    this.connect();
  }

  connect() {
    const socket = new WebSocket(this.url);
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => this.handlers.open();
    socket.onmessage = (e) => {
      if (!(e.data instanceof ArrayBuffer)) return; // text is not ours
      this.backoff = BACKOFF_FIRST_MS;
      this.bytes += e.data.byteLength;
      this.handlers.data(e.data);
    };
    socket.onclose = (e) => {
      if (this.socket !== socket || this.closed) return;
      this.socket = null;
      if (e.code === 1000) {
        this.handlers.end();
        return;
      }
      const delay = this.backoff;
      this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
      this.handlers.reconnecting(delay, `connection closed (code ${e.code})`);
      this.timer = setTimeout(() => this.connect(), delay);
    };
    this.socket = socket;
  }

  /** Sends one S-packet; false when the socket is not open. */
  send(bytes) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(bytes);
    return true;
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
  }
}
