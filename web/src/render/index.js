// Picks the renderer. With a GPU: WebGPU when the browser gives an
// adapter, WebGL2 otherwise, Canvas2D as the last resort. When the GPU is
// a software rasteriser (SwiftShader, llvmpipe: the CPU does the GPU's
// work), Canvas2D first: the decoder converts to RGBA in wasm (simd128)
// and the frame is put 1:1, which here costs less than a software GPU's
// uploads, draw and fence (issue 19: 13-14 ms p50 capture-to-canvas with
// Canvas2D against 59-94 ms with SwiftShader WebGL2; BENCHMARKS.md "Live
// latency" has the same order in a loaded run). One canvas gets one kind of context, so the GPU is looked at on
// a canvas of its own, and each step only claims the canvas once it knows
// it can work.

import { createWebGpuRenderer } from './webgpu.js';
import { createWebGl2Renderer } from './webgl2.js';
import { createCanvas2dRenderer } from './canvas2d.js';

export { yuvToRgb } from './colour.js';

/** What a software rasteriser calls itself (WebGPU adapter info, WebGL's unmasked renderer). */
const SOFTWARE_RASTERISER = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render/i;

/** @type {Promise<string | null> | null} */
let softwareGpu = null;

/**
 * The GPU this browser would draw with, by name, when it is a software
 * rasteriser; null for a hardware GPU or none. Looked at once per thread:
 * the WebGPU adapter's info, else WebGL2's unmasked renderer on a 1x1
 * canvas whose context is given back at once.
 * @returns {Promise<string | null>}
 */
export function softwareRasteriser() {
  softwareGpu ??= (async () => {
    const adapter = await globalThis.navigator?.gpu?.requestAdapter().catch(() => null);
    if (adapter) {
      const info = adapter.info ?? {};
      const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
      return SOFTWARE_RASTERISER.test(name) ? `WebGPU adapter "${name}"` : null;
    }
    // A worker's canvas is an OffscreenCanvas; the page's may get WebGL2 where an OffscreenCanvas does not (WebKitGTK).
    const canvases = [
      () => (typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(1, 1) : null),
      () => globalThis.document?.createElement('canvas') ?? null,
    ];
    /** @type {WebGL2RenderingContext | null} */
    let gl = null;
    for (const make of canvases) {
      gl ??= /** @type {WebGL2RenderingContext | null} */ (make()?.getContext('webgl2') ?? null);
    }
    if (!gl) return null;
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return SOFTWARE_RASTERISER.test(name) ? `WebGL2 renderer "${name}"` : null;
  })();
  return softwareGpu;
}

/**
 * The renderer for `canvas` and why it was chosen.
 * prefer: 'auto' (default: by the GPU, above), 'webgpu', 'webgl2' or
 * 'canvas2d' — the first renderer to try; the ones after it in the order
 * WebGPU, WebGL2, Canvas2D are fallbacks.
 * options.readable: the canvas can be read back (readTop, a measurement hook).
 * @param {HTMLCanvasElement | OffscreenCanvas} canvas
 * @param {'auto' | 'webgpu' | 'webgl2' | 'canvas2d'} [prefer]
 * @param {{ readable?: boolean }} [options]
 * @returns {Promise<{ renderer: import('../../types/index.js').Renderer, reason: string }>}
 */
export async function chooseRenderer(canvas, prefer = 'auto', options = {}) {
  const order = ['webgpu', 'webgl2', 'canvas2d'];
  if (prefer === 'auto') {
    const software = await softwareRasteriser();
    const renderer = software ? createCanvas2dRenderer(canvas) : null;
    if (renderer) {
      return { renderer, reason: `auto: the GPU is a software rasteriser (${software}); Canvas2D with the decoder's wasm colour conversion is faster there` };
    }
  }
  const start = Math.max(0, order.indexOf(prefer));
  /** @type {string[]} */
  const unavailable = [];
  for (const name of order.slice(start)) {
    const renderer = name === 'webgpu' ? await createWebGpuRenderer(canvas, options)
      : name === 'webgl2' ? createWebGl2Renderer(canvas)
        : createCanvas2dRenderer(canvas);
    if (renderer) {
      const asked = prefer === 'auto' ? 'auto: a hardware GPU, or none' : `renderer="${prefer}"`;
      return { renderer, reason: unavailable.length ? `${asked}; no ${unavailable.join(', no ')} here` : asked };
    }
    unavailable.push(name);
  }
  throw new Error('no renderer: this canvas gives neither WebGPU, WebGL2 nor a 2D context');
}

/**
 * The renderer for `canvas` (chooseRenderer without the reason).
 * @param {HTMLCanvasElement | OffscreenCanvas} canvas
 * @param {'auto' | 'webgpu' | 'webgl2' | 'canvas2d'} [prefer]
 * @param {{ readable?: boolean }} [options]
 * @returns {Promise<import('../../types/index.js').Renderer>}
 */
export async function createRenderer(canvas, prefer = 'auto', options = {}) {
  return (await chooseRenderer(canvas, prefer, options)).renderer;
}
