// The last resort: no WebGPU adapter and no WebGL2. The colour conversion
// runs on the CPU with the shaders' matrix (chroma nearest-neighbour): in
// the decoder's wasm when the frame offers it (frame.rgba(): simd128, rows
// on the worker pool in the threaded build), in JS otherwise.
//
// The picture is put 1:1 on a canvas of its own size (the canvas is resized
// to it): scaling in a 2D context costs 10-25 ms a frame on a CPU-rendered
// canvas, against ~1-3 ms for putImageData alone, so scaling is left to the
// page (<asp-player> letterboxes its canvas with CSS object-fit: contain).
// The context asks for willReadFrequently, which keeps it in CPU memory:
// measured in a worker here, putImageData of a 1080p picture takes 3 ms
// that way and 8-14 ms on a GPU-backed (SwiftShader) context.

/** @typedef {import('../../types/index.js').RenderFrame} RenderFrame */

/** @param {HTMLCanvasElement | OffscreenCanvas} canvas */
export function createCanvas2dRenderer(canvas) {
  const ctx = /** @type {CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null} */ (
    canvas.getContext('2d', { alpha: false, willReadFrequently: true }));
  if (!ctx) return null;
  return new Canvas2dRenderer(canvas, ctx);
}

class Canvas2dRenderer {
  /**
   * @param {HTMLCanvasElement | OffscreenCanvas} canvas
   * @param {CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D} ctx
   */
  constructor(canvas, ctx) {
    this.name = /** @type {const} */ ('canvas2d');
    this.adapter = 'cpu';
    this.canvas = canvas;
    this.ctx = ctx;
    /** @type {ImageData | null} */
    this.image = null;
  }

  /** @param {RenderFrame} frame */
  draw(frame) {
    const { width: w, height: h } = frame;
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.ctx.putImageData(this.pixels(frame), 0, 0);
  }

  /**
   * The frame as an ImageData: wasm memory itself when it can be.
   * @param {RenderFrame} frame
   * @returns {ImageData}
   */
  pixels(frame) {
    const { width: w, height: h } = frame;
    const rgba = frame.rgba?.();
    if (rgba) {
      // ImageData cannot wrap shared memory (the threaded build's): copy.
      if (!(typeof SharedArrayBuffer === 'function' && rgba.buffer instanceof SharedArrayBuffer)) {
        return new ImageData(/** @type {Uint8ClampedArray<ArrayBuffer>} */ (rgba), w, h);
      }
      const image = this.ensureImage(w, h);
      image.data.set(rgba);
      return image;
    }
    const image = this.ensureImage(w, h);
    convertInJs(frame, image.data);
    return image;
  }

  /** @param {number} w @param {number} h */
  ensureImage(w, h) {
    if (!this.image || this.image.width !== w || this.image.height !== h) this.image = new ImageData(w, h);
    return this.image;
  }

  /** The picture is on the canvas when draw() returns. */
  whenDrawn() {
    return Promise.resolve();
  }

  /**
   * Measurement hook: RGBA of the top `rows` rows of the canvas.
   * @param {number} rows
   */
  readTop(rows) {
    const n = Math.min(rows, this.canvas.height);
    return Promise.resolve(new Uint8Array(this.ctx.getImageData(0, 0, this.canvas.width, n).data.buffer));
  }

  finish() {
    return Promise.resolve();
  }

  clear() {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Shrinks the backing store to nothing (destroy()): a 2D context has no other handle to give back. */
  release() {
    this.canvas.width = 0;
    this.canvas.height = 0;
  }
}

/**
 * The shaders' arithmetic per pixel, for frames without rgba().
 * @param {RenderFrame} frame @param {Uint8ClampedArray} out
 */
function convertInJs(frame, out) {
  const { width: w, height: h, rows: m } = frame;
  const memory = new Uint8Array(frame.buffer);
  const s = 1 / 255;
  for (let y = 0; y < h; y++) {
    const yRow = frame.yPtr + y * frame.yStride;
    const cRow = (y >> 1) * frame.uvStride;
    for (let x = 0; x < w; x++) {
      const Y = memory[yRow + x] * s;
      const U = memory[frame.uPtr + cRow + (x >> 1)] * s;
      const V = memory[frame.vPtr + cRow + (x >> 1)] * s;
      const o = (y * w + x) * 4;
      out[o] = 255 * (m[0] * Y + m[1] * U + m[2] * V + m[3]);
      out[o + 1] = 255 * (m[4] * Y + m[5] * U + m[6] * V + m[7]);
      out[o + 2] = 255 * (m[8] * Y + m[9] * U + m[10] * V + m[11]);
      out[o + 3] = 255;
    }
  }
}
