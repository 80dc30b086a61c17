// Just enough of the Web Worker API, on node:worker_threads, for the
// threaded build's pool start (web/src/worker/rayon-pool.js, shipped as the
// glue's worker helpers) in Node: `new Worker(url, { type: 'module' })` of a
// file URL, with addEventListener/postMessage. Test-only: the browser has
// all of this natively.
import { Worker as NodeWorker } from 'node:worker_threads';

// Runs in each worker: a `self` with message events and postMessage, then the
// module. Messages are taken from the port only once the module has loaded,
// so its listeners see the first one.
const bootstrap = `
const { parentPort, workerData } = require('node:worker_threads');
const target = new EventTarget();
globalThis.self = globalThis;
globalThis.addEventListener = target.addEventListener.bind(target);
globalThis.removeEventListener = target.removeEventListener.bind(target);
globalThis.postMessage = (data) => parentPort.postMessage(data);
import(workerData.url).then(() => {
  parentPort.on('message', (data) => target.dispatchEvent(new MessageEvent('message', { data })));
});
`;

class Worker {
  #worker;
  #listeners = new Map();

  constructor(url, _options) {
    this.#worker = new NodeWorker(bootstrap, { eval: true, workerData: { url: String(url) } });
    // The pool's threads never return: do not keep the process alive for them.
    this.#worker.unref();
    this.#worker.on('error', (e) => console.error('worker error:', e));
  }

  postMessage(data) {
    this.#worker.postMessage(data);
  }

  addEventListener(type, listener) {
    if (type !== 'message') return;
    const wrapped = (data) => listener({ data });
    this.#listeners.set(listener, wrapped);
    this.#worker.on('message', wrapped);
  }

  removeEventListener(type, listener) {
    const wrapped = this.#listeners.get(listener);
    if (type !== 'message' || !wrapped) return;
    this.#worker.off('message', wrapped);
    this.#listeners.delete(listener);
  }
}

globalThis.Worker ??= Worker;

// The helper module also loads on the main thread, where it listens on
// `self` for a message that never comes there.
if (typeof globalThis.self === 'undefined') {
  const target = new EventTarget();
  globalThis.self = globalThis;
  globalThis.addEventListener ??= target.addEventListener.bind(target);
  globalThis.removeEventListener ??= target.removeEventListener.bind(target);
}
