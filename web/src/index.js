// @alice/asp-decoder: `import '@alice/asp-decoder'` registers <asp-player>.
// The parts are exported for pages that build their own pipeline:
// source -> packet reader + decoder (wasm) -> renderer.

import { AspPlayer, defineAspPlayer } from './player-element.js';

defineAspPlayer();

export { AspPlayer, defineAspPlayer };
export { AspPlayerError, ERROR_TYPES } from './errors.js';
export { loadDecoder, simdSupported, threadsSupported } from './load.js';
export { chooseRenderer, createRenderer, softwareRasteriser, yuvToRgb } from './render/index.js';
export { sourceFor, WebSocketSource, WebTransportSource, FetchSource, MoqSource } from './sources/index.js';
