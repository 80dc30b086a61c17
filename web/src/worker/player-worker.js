// The players' worker: the players (player.js) of every <asp-player> on
// the page that plays the same build, each drawing on its own canvas (an
// OffscreenCanvas), so none of the decoding and drawing waits on the
// page's main thread. They share this worker's one decoder instance: one
// wasm memory and, in the threaded build, one pool of workers (made by the
// page for it, see below), each player a Decoder of its own in it.
// This file only carries messages, each with the `player` id of its player: the
// page's to the player, the player's to the page (see player.js for both;
// web/src/player-workers.js is the page's side).

import { createPlayer } from './player.js';
import { loadDecoder } from '../load.js';

/** @type {Map<number, ReturnType<typeof createPlayer>>} */
const players = new Map();
/**
 * The decoder instance of this worker, loaded by the first player's init:
 * every player of a worker asks for the same build (the page keys its
 * workers by build choice and pool size).
 * @type {Promise<import('../../types/load.js').LoadedDecoder> | null}
 */
let decoder = null;
/** @param {import('../../types/load.js').LoadOptions} [options] */
const loadShared = (options) => {
  decoder ??= loadDecoder(options);
  decoder.catch(() => { decoder = null; });
  return decoder;
};

// The threaded build's pool workers are made by the page, not nested in this
// worker: Firefox sometimes blocks a worker in `new Worker` for good
// (rayon-pool.js). The page answers `pool-start` with `pool-started`, or
// `pool-failed` and its reason.
/** @type {Map<number, { resolve(value: unknown): void, reject(error: Error): void }>} */
const poolRequests = new Map();
let nextPoolRequest = 1;
/** @type {import('./rayon-pool.js').PoolSpawner} */
const spawnOnPage = (count, init, script) => new Promise((resolve, reject) => {
  const request = nextPoolRequest++;
  poolRequests.set(request, { resolve, reject });
  self.postMessage({ type: 'pool-start', request, count, init, script });
});
/** @type {any} */ (globalThis)[Symbol.for('asp.pool.spawn')] = spawnOnPage;

self.onmessage = (e) => {
  if (e.data.type === 'pool-started' || e.data.type === 'pool-failed') {
    const pending = poolRequests.get(e.data.request);
    poolRequests.delete(e.data.request);
    if (e.data.type === 'pool-started') pending?.resolve(e.data.count);
    else pending?.reject(new Error(`the page could not start the decoder's pool: ${e.data.message}`));
    return;
  }
  const { player: id, ...message } = e.data;
  let player = players.get(id);
  if (!player) {
    if (message.type !== 'init') return;
    player = createPlayer((m, transfer) => self.postMessage({ ...m, player: id }, { transfer }), loadShared);
    players.set(id, player);
  }
  if (message.type === 'destroy') players.delete(id);
  player.receive(message);
};
