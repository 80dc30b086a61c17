// File source: an .asp file fetched over HTTP and streamed into the packet
// reader as its bytes arrive. Not live: the player paces the frames at the
// stream's frame rate and reports `ended` after the last one.

/** @typedef {import('../../types/index.js').SourceHandlers} SourceHandlers */

export class FetchSource {
  /** @param {string} url @param {SourceHandlers} handlers */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.live = false;
    this.protocol = 'file';
    this.canTalkBack = false;
    /** @type {AbortController | null} */
    this.abort = null;
    this.bytes = 0;
  }

  start() {
    this.abort = new AbortController();
    this.read(this.abort.signal).catch((error) => {
      if (error?.name !== 'AbortError') this.handlers.error(error);
    });
  }

  /** @param {AbortSignal} signal */
  async read(signal) {
    const response = await fetch(this.url, { signal });
    if (!response.ok) throw new Error(`${this.url}: HTTP ${response.status}`);
    this.handlers.open();
    if (!response.body) throw new Error(`${this.url}: no body`);
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      this.bytes += value.byteLength;
      this.handlers.data(value);
    }
    this.handlers.end();
  }

  /** @param {Uint8Array} _bytes */
  send(_bytes) {
    return false;
  }

  close() {
    this.abort?.abort();
  }
}
