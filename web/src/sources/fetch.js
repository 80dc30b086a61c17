// File source: an .asp file fetched over HTTP and streamed into the packet
// reader as its bytes arrive. Not live: the player paces the frames at the
// stream's frame rate and reports `ended` after the last one.

export class FetchSource {
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.live = false;
    this.protocol = 'file';
    this.canTalkBack = false;
    this.abort = null;
    this.bytes = 0;
  }

  start() {
    this.abort = new AbortController();
    this.read(this.abort.signal).catch((error) => {
      if (error?.name !== 'AbortError') this.handlers.error(error);
    });
  }

  async read(signal) {
    const response = await fetch(this.url, { signal });
    if (!response.ok) throw new Error(`${this.url}: HTTP ${response.status}`);
    this.handlers.open();
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      this.bytes += value.byteLength;
      this.handlers.data(value);
    }
    this.handlers.end();
  }

  send() {
    return false;
  }

  close() {
    this.abort?.abort();
  }
}
