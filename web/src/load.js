// Loads the right build of the ASP decoder for this page.
//
//   import { loadDecoder } from './src/load.js';
//   const asp = await loadDecoder();          // { build, Decoder, wasm_memory, build_info, ... }
//   const dec = new asp.Decoder();
//
// "threads" (tiles decoded on a pool of Web Workers) when the page is
// crossOriginIsolated (served with COOP: same-origin and COEP: require-corp)
// and the engine has shared WebAssembly memory; "single" everywhere else.
// Both need WebAssembly SIMD (every current engine has it).
//
// The builds live in dist/single/ and dist/threads/ next to this folder
// (tools/build-wasm.sh writes them).

// (module (func (result v128) i32.const 0 i8x16.splat))
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b,
]);
// (module (memory 1 1 shared))
const SHARED_MEMORY_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x05, 0x04, 0x01, 0x03, 0x01, 0x01,
]);

/** Whether this engine runs WebAssembly SIMD (both builds need it). */
export function simdSupported() {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

/** Whether the threaded build can run here. */
export function threadsSupported() {
  return globalThis.crossOriginIsolated === true
    && typeof SharedArrayBuffer === 'function'
    && typeof Worker === 'function'
    && WebAssembly.validate(SHARED_MEMORY_PROBE);
}

/**
 * Imports and initialises one build.
 *
 * options.threads: 'auto' (default), true or false.
 * options.workers: pool size for the threaded build (default: the cores, at most 8).
 * options.base:    URL of the dist/ folder (default: ../dist/ from this file).
 * options.module:  passed to the build's init as `module_or_path` (a URL,
 *                  a Response, bytes or a WebAssembly.Module; default: fetched
 *                  next to the build's JS).
 * @param {import('../types/load.js').LoadOptions} [options]
 * @returns {Promise<import('../types/load.js').LoadedDecoder>}
 */
export async function loadDecoder(options = {}) {
  if (!simdSupported()) throw new Error('the ASP decoder needs WebAssembly SIMD, which this engine lacks');
  const { threads = 'auto', base = new URL('../dist/', import.meta.url) } = options;
  const wantThreads = threads === 'auto' ? threadsSupported() : Boolean(threads);
  if (wantThreads && !threadsSupported()) {
    throw new Error('the threaded decoder needs a crossOriginIsolated page with SharedArrayBuffer and Workers');
  }
  const build = wantThreads ? 'threads' : 'single';
  const glue = await import(new URL(`${build}/asp_wasm.js`, base).href);
  await glue.default(options.module === undefined ? undefined : { module_or_path: options.module });
  if (build === 'threads') {
    const cores = globalThis.navigator?.hardwareConcurrency || 2;
    // Before the first decode: rayon's pool cannot be started after it.
    await glue.initThreadPool(options.workers ?? Math.min(cores, 8));
  }
  return { ...glue, build };
}
