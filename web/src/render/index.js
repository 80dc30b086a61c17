// Picks the renderer: WebGPU when the browser gives an adapter, WebGL2
// otherwise, Canvas2D as the last resort. One canvas gets one kind of
// context, so each step only claims the canvas once it knows it can work.

import { createWebGpuRenderer } from './webgpu.js';
import { createWebGl2Renderer } from './webgl2.js';
import { createCanvas2dRenderer } from './canvas2d.js';

export { yuvToRgb } from './colour.js';

/**
 * prefer: 'auto' (default), 'webgpu', 'webgl2' or 'canvas2d' — the first
 * renderer to try; the ones after it in the order above are fallbacks.
 * options.readable: the canvas can be read back (readTop, a measurement hook).
 * @param {HTMLCanvasElement | OffscreenCanvas} canvas
 * @param {'auto' | 'webgpu' | 'webgl2' | 'canvas2d'} [prefer]
 * @param {{ readable?: boolean }} [options]
 * @returns {Promise<import('../../types/index.js').Renderer>}
 */
export async function createRenderer(canvas, prefer = 'auto', options = {}) {
  const order = ['webgpu', 'webgl2', 'canvas2d'];
  const start = Math.max(0, order.indexOf(prefer));
  for (const name of order.slice(start)) {
    const renderer = name === 'webgpu' ? await createWebGpuRenderer(canvas, options)
      : name === 'webgl2' ? createWebGl2Renderer(canvas)
        : createCanvas2dRenderer(canvas);
    if (renderer) return renderer;
  }
  throw new Error('no renderer: this canvas gives neither WebGPU, WebGL2 nor a 2D context');
}
