// The player's worker: one Player (player.js) in a dedicated worker that
// owns the canvas (an OffscreenCanvas), so none of the decoding and drawing
// waits on the page's main thread. The threaded build starts its own pool
// of workers from here (nested workers). This file only carries messages:
// the page's to the player, the player's to the page (see player.js for
// both).

import { createPlayer } from './player.js';

const player = createPlayer((message, transfer) => self.postMessage(message, { transfer }));
self.onmessage = (e) => player.receive(e.data);
