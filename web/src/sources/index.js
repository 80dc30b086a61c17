// Picks the source for a `src`: ws:// or wss:// is a WebSocket, a path
// ending in /asp/session is a live server's session description (it picks
// the transport), a path ending in .asp is a file fetched over HTTP, any
// other https:// URL is WebTransport; moq+https://RELAY:PORT/NAME is a
// broadcast on a Media over QUIC relay (WebTransport too, moq-lite).

import { WebSocketSource } from './websocket.js';
import { WebTransportSource } from './webtransport.js';
import { FetchSource } from './fetch.js';
import { SessionSource } from './session.js';
import { MoqSource } from './moq.js';

export { WebSocketSource, WebTransportSource, FetchSource, SessionSource, MoqSource };

/**
 * WebTransport to a self-signed server or MoQ relay (`asp-encode --serve`
 * prints such a URL): `https://host:port/path#sha256=HEX` trusts the certificate with that
 * SHA-256 hash (`serverCertificateHashes`, as the `certificate-hash`
 * attribute does; the fragment wins). The fragment is removed from
 * `url`: WebTransport refuses URLs with one.
 */
/** @param {URL} url @returns {{ certificateHash?: string }} */
function webTransportOptions(url) {
  const hex = new URLSearchParams(url.hash.slice(1)).get('sha256');
  url.hash = '';
  if (!hex || !/^[0-9a-fA-F]{64}$/.test(hex)) return {};
  // The same form as the element's certificate-hash attribute.
  return { certificateHash: hex };
}

/**
 * `src` resolved against `base` (the page), and the source class for it.
 * @param {string} src
 * @param {string} [base]
 * @returns {{ url: URL, Source: typeof WebSocketSource | typeof SessionSource | typeof FetchSource | typeof WebTransportSource | typeof MoqSource, options?: { certificateHash?: string } }}
 */
export function sourceFor(src, base) {
  const url = new URL(src, base);
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return { url, Source: WebSocketSource };
  if (url.protocol === 'moq+https:') return { url, Source: MoqSource, options: webTransportOptions(url) };
  if (url.pathname.endsWith('/asp/session') && (url.protocol === 'http:' || url.protocol === 'https:')) {
    return { url, Source: SessionSource };
  }
  if (url.pathname.endsWith('.asp') || url.protocol === 'http:' || url.protocol === 'blob:') {
    return { url, Source: FetchSource };
  }
  if (url.protocol === 'https:') return { url, Source: WebTransportSource, options: webTransportOptions(url) };
  throw new Error(`unsupported src ${src}: use ws://, wss://, https:// (WebTransport), moq+https:// (a MoQ relay), a server's /asp/session or a .asp file`);
}
