// The page's side of the players' worker (worker/player-worker.js): one
// worker per build choice (threads auto / on / off, and the pool size),
// shared by every <asp-player> on the page that makes that choice, so a
// page of 16 players has one decoder instance (one wasm memory, one
// threaded pool), not 16. Each element talks to its player in it through
// a handle shaped like a Worker:
//
//   const handle = attachPlayer('auto/0', { message(m) {}, failed(text) {}, lost() {} });
//   handle.postMessage(message, transfer);   to this element's player
//   handle.terminate();                      destroys the player; the worker
//                                            goes when no player is left
//   handle.kill();                           the worker is stuck: terminated
//                                            now; its other players are `lost`
//
// The page also makes the threaded build's pool workers for the worker's
// decoder when it asks (`pool-start`): nested in the worker they could block
// it for good in Firefox (worker/rayon-pool.js).

import { spawnPoolWorkers } from './worker/rayon-pool.js';

/** After its last player left, a worker waits this long for the next one before it is terminated. */
const LINGER_MS = 2000;

/**
 * @typedef {{ type: string, [field: string]: any }} Message
 * @typedef {{ message(m: Message): void, failed(text: string): void, lost(): void }} PlayerEnds
 * @typedef {{ postMessage(m: Message, transfer?: Transferable[]): void, terminate(): void, kill(): void }} PlayerHandle
 */

class PlayersWorker {
  /** @param {string} key */
  constructor(key) {
    this.key = key;
    this.worker = new Worker(new URL('./worker/player-worker.js', import.meta.url), { type: 'module' });
    /** @type {Map<number, PlayerEnds>} */
    this.players = new Map();
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.lingerTimer = null;
    this.closed = false;
    /** The threaded build's pool workers this worker asked for (kept referenced; rayon-pool.js). @type {Worker[]} */
    this.pool = [];
    this.worker.onmessage = (e) => {
      if (e.data.type === 'pool-start') {
        this.startPool(e.data);
        return;
      }
      const { player, ...m } = e.data;
      this.players.get(player)?.message(m);
    };
    this.worker.onerror = (e) => {
      e.preventDefault();
      const text = e.message || 'the player worker failed';
      const ends = [...this.players.values()];
      this.close();
      for (const end of ends) end.failed(text);
    };
  }

  /**
   * Makes the pool workers the worker's decoder asked for, here: made inside
   * the worker they would be nested workers, which Firefox can block for good.
   * @param {{ request: number, count: number, init: import('./worker/rayon-pool.js').PoolWorkerInit, script: string }} ask
   */
  async startPool({ request, count, init, script }) {
    try {
      const pool = await spawnPoolWorkers(count, init, script);
      if (this.closed) {
        for (const worker of pool) worker.terminate();
        return;
      }
      this.pool.push(...pool);
      this.worker.postMessage({ type: 'pool-started', request, count });
    } catch (error) {
      if (!this.closed) this.worker.postMessage({ type: 'pool-failed', request, message: String(/** @type {any} */ (error)?.message ?? error) });
    }
  }

  /** Terminates the worker (and its pool) now and forgets it (the next player of its key gets a new one). */
  close() {
    if (this.closed) return;
    this.closed = true;
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    this.players.clear();
    this.worker.terminate();
    for (const worker of this.pool.splice(0)) worker.terminate();
    if (workers.get(this.key) === this) workers.delete(this.key);
  }

  /** @param {number} id */
  leave(id) {
    this.players.delete(id);
    if (this.closed || this.players.size > 0 || this.lingerTimer !== null) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = null;
      if (this.players.size === 0) this.close();
    }, LINGER_MS);
  }

  /** @param {number} id @param {PlayerEnds} ends */
  join(id, ends) {
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    this.players.set(id, ends);
  }
}

/** The page's players' workers by key. @type {Map<string, PlayersWorker>} */
const workers = new Map();
let nextId = 1;

/**
 * A new player in the page's worker for `key` (made on first use).
 * @param {string} key the build choice: players with the same key share a worker
 * @param {PlayerEnds} ends where the player's messages and its worker's failures go
 * @returns {PlayerHandle}
 */
export function attachPlayer(key, ends) {
  let shared = workers.get(key);
  if (!shared) {
    shared = new PlayersWorker(key);
    workers.set(key, shared);
  }
  const host = shared;
  const id = nextId++;
  host.join(id, ends);
  let attached = true;
  return {
    postMessage(m, transfer = []) {
      if (attached && !host.closed) host.worker.postMessage({ ...m, player: id }, transfer);
    },
    terminate() {
      if (!attached) return;
      if (!host.closed) host.worker.postMessage({ type: 'destroy', player: id });
      attached = false;
      host.leave(id);
    },
    kill() {
      if (!attached) return;
      attached = false;
      host.players.delete(id);
      const others = [...host.players.values()];
      host.close();
      for (const end of others) end.lost();
    },
  };
}

