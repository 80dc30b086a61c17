// The threaded build's pool of Web Workers, started for wasm-bindgen-rayon.
//
// tools/build-wasm.sh ships this file in place of the crate's own
// `workerHelpers.no-bundler.js` (the glue imports `startWorkers` from it):
// same exports, same messages, one difference. wasm-bindgen-rayon makes each
// pool worker with `new Worker` where the decoder runs; in the player that is
// the players' worker, so the pool workers are nested workers, and Firefox
// sometimes blocks a worker inside `new Worker` for good (measured: about 3
// starts in 100 on an idle machine, more under load; tests/browser/pool-start).
// So a context that can ask someone else to make the workers says so by
// setting `globalThis[Symbol.for('asp.pool.spawn')]`, and the pool's workers
// are made there (the player's worker asks the page, web/src/player-workers.js).
// Anywhere else (loadDecoder on a page, or in a worker of the user's) they
// are made here, all of them before any is sent its work.
//
// This file is also each pool worker's script: in a pool worker it waits for
// its `wasm_bindgen_worker_init`, instantiates the module on the shared
// memory and runs a rayon thread on it until the pool ends.

/**
 * What a pool worker needs: the module, the shared memory, the address of the
 * channel its rayon thread is received from, and the glue to import.
 * @typedef {{ type: 'wasm_bindgen_worker_init', module: WebAssembly.Module, memory: WebAssembly.Memory, receiver: number, mainJS: string }} PoolWorkerInit
 * @typedef {(count: number, init: PoolWorkerInit, script: string) => Promise<unknown>} PoolSpawner
 */

/** @param {EventTarget} target @param {string} type @returns {Promise<any>} */
function nextMessage(target, type) {
  return new Promise((resolve) => {
    /** @param {Event} event */
    const listener = (event) => {
      const data = /** @type {MessageEvent} */ (event).data;
      if (data?.type !== type) return;
      target.removeEventListener('message', listener);
      resolve(data);
    };
    target.addEventListener('message', listener);
  });
}

// In a pool worker: the init message comes once. Elsewhere (the decoder's
// own context, which imports this file too) it never comes.
if (typeof self !== 'undefined') {
  nextMessage(self, 'wasm_bindgen_worker_init').then(async (/** @type {PoolWorkerInit} */ init) => {
    const glue = await import(init.mainJS);
    await glue.default({ module_or_path: init.module, memory: init.memory });
    postMessage({ type: 'wasm_bindgen_worker_ready' });
    // Runs this worker's rayon thread; returns when the pool ends.
    glue.wbg_rayon_start_worker(init.receiver);
  });
}

/**
 * Makes `count` pool workers from `script` in this context, sends each its
 * init, and resolves with them once every one is ready. All are made before
 * any starts its work: a worker that is ready blocks in the rayon channel.
 * @param {number} count @param {PoolWorkerInit} init @param {string} script
 * @returns {Promise<Worker[]>}
 */
export async function spawnPoolWorkers(count, init, script) {
  const workers = Array.from({ length: count }, () => new Worker(script, { type: 'module' }));
  const ready = workers.map((worker) => new Promise((resolve, reject) => {
    nextMessage(worker, 'wasm_bindgen_worker_ready').then(resolve);
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      reject(new Error(`a pool worker failed: ${event.message || 'its script did not load'}`));
    });
  }));
  for (const worker of workers) worker.postMessage(init);
  try {
    await Promise.all(ready);
  } catch (error) {
    for (const worker of workers) worker.terminate();
    throw error;
  }
  return workers;
}

/**
 * The pool's workers, kept referenced: Firefox collects workers that share a
 * wasm memory but have no live `Worker` object
 * (https://bugzilla.mozilla.org/show_bug.cgi?id=1702191).
 * @type {unknown}
 */
let poolWorkers = null;

/**
 * Called by the glue's `initThreadPool`: starts the pool's workers, then
 * rayon's pool on them.
 * @param {WebAssembly.Module} module
 * @param {WebAssembly.Memory} memory
 * @param {{ numThreads(): number, receiver(): number, mainJS(): string, build(): void }} builder
 */
export async function startWorkers(module, memory, builder) {
  const count = builder.numThreads();
  if (count === 0) throw new Error('num_threads must be > 0.');
  /** @type {PoolWorkerInit} */
  const init = { type: 'wasm_bindgen_worker_init', module, memory, receiver: builder.receiver(), mainJS: builder.mainJS() };
  const spawn = /** @type {PoolSpawner | undefined} */ (/** @type {any} */ (globalThis)[Symbol.for('asp.pool.spawn')]);
  poolWorkers = spawn ? await spawn(count, init, import.meta.url) : await spawnPoolWorkers(count, init, import.meta.url);
  builder.build();
}
