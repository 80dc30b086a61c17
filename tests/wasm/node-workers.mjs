// Just enough of the Web Worker API, on node:worker_threads, for
// wasm-bindgen-rayon's no-bundler helper (workerHelpers.no-bundler.js) to
// start its pool in Node: `new Worker(url, { type: 'module' })` with
// addEventListener/postMessage, `fetch(import.meta.url)` of a file URL, and
// `URL.createObjectURL` of what that fetch returned. Test-only: the browser
// has all of this natively.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker as NodeWorker } from 'node:worker_threads';

const fileUrls = new WeakMap();

const nativeFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = String(input);
  if (!url.startsWith('file:')) return nativeFetch(input, init);
  const blob = new Blob([fs.readFileSync(fileURLToPath(url))], { type: 'text/javascript' });
  fileUrls.set(blob, url);
  return { ok: true, blob: async () => blob, text: async () => blob.text() };
};

const nativeCreate = URL.createObjectURL;
const nativeRevoke = URL.revokeObjectURL;
URL.createObjectURL = (blob) => fileUrls.get(blob) ?? nativeCreate(blob);
URL.revokeObjectURL = (url) => (String(url).startsWith('file:') ? undefined : nativeRevoke(url));

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
