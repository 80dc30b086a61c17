// The last resort: no WebGPU adapter and no WebGL2. The colour conversion
// runs on the CPU in JS with the same matrix as the shaders (chroma
// nearest-neighbour), then the picture is drawn letterboxed. Slow, but a
// picture.

import { fitScale } from './colour.js';

export function createCanvas2dRenderer(canvas) {
  const ctx = canvas.getContext('2d', { alpha: false });
  if (!ctx) return null;
  return new Canvas2dRenderer(canvas, ctx);
}

class Canvas2dRenderer {
  constructor(canvas, ctx) {
    this.name = 'canvas2d';
    this.adapter = 'cpu';
    this.canvas = canvas;
    this.ctx = ctx;
    this.image = null;
    this.staging = null;
  }

  draw(frame) {
    const { width: w, height: h, rows: m } = frame;
    if (!this.image || this.image.width !== w || this.image.height !== h) {
      this.image = new ImageData(w, h);
      this.staging = new OffscreenCanvas(w, h);
    }
    const memory = new Uint8Array(frame.buffer);
    const out = this.image.data;
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
    this.staging.getContext('2d').putImageData(this.image, 0, 0);
    const [sx, sy] = fitScale(w, h, this.canvas.width, this.canvas.height);
    const dw = this.canvas.width * sx;
    const dh = this.canvas.height * sy;
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.ctx.drawImage(this.staging, (this.canvas.width - dw) / 2, (this.canvas.height - dh) / 2, dw, dh);
  }

  /** The picture is on the canvas when draw() returns. */
  whenDrawn() {
    return Promise.resolve();
  }

  /** Measurement hook: RGBA of the top `rows` rows of the canvas. */
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
}
