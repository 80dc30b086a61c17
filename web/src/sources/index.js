// Picks the source for a `src`: ws:// or wss:// is a WebSocket, a path
// ending in .asp is a file fetched over HTTP, any other https:// URL is
// WebTransport.

import { WebSocketSource } from './websocket.js';
import { WebTransportSource } from './webtransport.js';
import { FetchSource } from './fetch.js';

export { WebSocketSource, WebTransportSource, FetchSource };

/** `src` resolved against `base` (the page), and the source class for it. */
export function sourceFor(src, base) {
  const url = new URL(src, base);
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return { url, Source: WebSocketSource };
  if (url.pathname.endsWith('.asp') || url.protocol === 'http:' || url.protocol === 'blob:') {
    return { url, Source: FetchSource };
  }
  if (url.protocol === 'https:') return { url, Source: WebTransportSource };
  throw new Error(`unsupported src ${src}: use ws://, wss://, https:// (WebTransport) or a .asp file`);
}
