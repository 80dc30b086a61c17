// The WebGPU renderer: three r8unorm textures written straight from the
// decoder's wasm memory (queue.writeTexture takes the memory's buffer and
// the plane's address: no copy through a JS array), one draw. Its shader is
// the one WGSL source of every target, asp-render's crates/asp-render/src/
// yuv.wgsl, which tools/build-wasm.sh ships as dist/yuv.wgsl beside the
// decoder builds. (A wgpu build of this renderer, asp-render in the
// decoder's module, was measured against this one: BENCHMARKS.md.)

import { fitScale } from './colour.js';

/** Where the shader is: the package's dist/, as load.js finds the decoder builds. */
const WGSL_URL = new URL('../../dist/yuv.wgsl', import.meta.url);

/** @type {Promise<string> | null} */
let wgsl = null;

/** The shader's text, fetched once per thread. */
function shaderSource() {
  wgsl ??= fetch(WGSL_URL).then((response) => {
    if (!response.ok) throw new Error(`the WebGPU shader ${WGSL_URL.href}: HTTP ${response.status}`);
    return response.text();
  });
  wgsl.catch(() => { wgsl = null; });
  return wgsl;
}

/** @typedef {import('../../types/index.js').RenderFrame} RenderFrame */

/**
 * A WebGPU renderer on `canvas` (an OffscreenCanvas or a canvas), or null
 * when this browser has no adapter (then the caller tries WebGL2; the
 * canvas is left untouched, so it can still get another context).
 * @param {HTMLCanvasElement | OffscreenCanvas} canvas
 * @param {{ readable?: boolean }} [options]
 */
export async function createWebGpuRenderer(canvas, { readable = false } = {}) {
  const gpu = globalThis.navigator?.gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return null;
  // Before the device and the canvas are taken: a missing shader is a broken install, said as such.
  const code = await shaderSource();
  const device = await adapter.requestDevice().catch(() => null);
  if (!device) return null;
  const context = /** @type {GPUCanvasContext | null} */ (canvas.getContext('webgpu'));
  if (!context) return null;
  const format = gpu.getPreferredCanvasFormat();
  // readable: the measurement hook (readTop) copies from the canvas texture.
  const usage = GPUTextureUsage.RENDER_ATTACHMENT | (readable ? GPUTextureUsage.COPY_SRC : 0);
  context.configure({ device, format, alphaMode: 'opaque', usage });
  return new WebGpuRenderer(canvas, device, context, format, code, adapter.info?.description || adapter.info?.vendor || '');
}

class WebGpuRenderer {
  /**
   * @param {HTMLCanvasElement | OffscreenCanvas} canvas
   * @param {GPUDevice} device
   * @param {GPUCanvasContext} context
   * @param {GPUTextureFormat} format
   * @param {string} code the WGSL
   * @param {string} adapterName
   */
  constructor(canvas, device, context, format, code, adapterName) {
    this.name = /** @type {const} */ ('webgpu');
    this.adapter = adapterName;
    this.canvas = canvas;
    this.device = device;
    this.context = context;
    const module = device.createShaderModule({ code });
    this.pipeline = device.createRenderPipeline({
      layout: 'auto',
      vertex: { module, entryPoint: 'vs' },
      fragment: { module, entryPoint: 'fs', targets: [{ format }] },
      primitive: { topology: 'triangle-strip' },
    });
    this.sampler = device.createSampler({ magFilter: 'linear', minFilter: 'linear' });
    // 3 x vec4 rows + vec2 scale, padded to 64 bytes.
    this.params = device.createBuffer({ size: 64, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.paramData = new Float32Array(16);
    /** @type {string | null} */
    this.size = null;
    /** @type {GPUTexture[]} */
    this.textures = [];
    /** @type {GPUBindGroup | null} */
    this.bindGroup = null;
    this.lost = false;
    device.lost.then(() => { this.lost = true; });
  }

  /**
   * Makes textures for a w x h picture (chroma cw x ch) when the size changes.
   * @param {number} w @param {number} h @param {number} cw @param {number} ch
   */
  ensureTextures(w, h, cw, ch) {
    const key = `${w}x${h}`;
    if (this.size === key) return;
    for (const t of this.textures) t.destroy();
    const make = (/** @type {number} */ width, /** @type {number} */ height) => this.device.createTexture({
      size: { width, height },
      format: 'r8unorm',
      usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
    });
    this.textures = [make(w, h), make(cw, ch), make(cw, ch)];
    this.bindGroup = this.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.params } },
        ...this.textures.map((t, i) => ({ binding: i + 1, resource: t.createView() })),
        { binding: 4, resource: this.sampler },
      ],
    });
    this.size = key;
  }

  /**
   * Uploads the frame's planes and draws it, letterboxed, on the canvas.
   * @param {RenderFrame} frame
   */
  draw(frame) {
    if (this.lost) throw new Error('the WebGPU device was lost');
    const { width: w, height: h, uvWidth: cw, uvHeight: ch } = frame;
    this.ensureTextures(w, h, cw, ch);
    const q = this.device.queue;
    const planes = [
      [frame.yPtr, frame.yStride, w, h],
      [frame.uPtr, frame.uvStride, cw, ch],
      [frame.vPtr, frame.uvStride, cw, ch],
    ];
    planes.forEach(([ptr, stride, pw, ph], i) => {
      q.writeTexture({ texture: this.textures[i] }, /** @type {ArrayBuffer} */ (frame.buffer),
        { offset: ptr, bytesPerRow: stride, rowsPerImage: ph }, { width: pw, height: ph });
    });
    this.paramData.set(frame.rows, 0);
    this.paramData.set(fitScale(w, h, this.canvas.width, this.canvas.height), 12);
    q.writeBuffer(this.params, 0, this.paramData);
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginRenderPass({
      colorAttachments: [{
        view: this.context.getCurrentTexture().createView(),
        clearValue: { r: 0, g: 0, b: 0, a: 1 },
        loadOp: 'clear',
        storeOp: 'store',
      }],
    });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.draw(4);
    pass.end();
    q.submit([encoder.finish()]);
  }

  /**
   * Measurement hook (the renderer made with `readable`): RGBA of the top
   * `rows` rows of the canvas texture just drawn, once the GPU has drawn
   * it. Call in the same task as draw().
   * @param {number} rows
   */
  async readTop(rows) {
    const texture = this.context.getCurrentTexture();
    const width = texture.width;
    const n = Math.min(rows, texture.height);
    const bytesPerRow = Math.ceil((width * 4) / 256) * 256;
    const buffer = this.device.createBuffer({ size: bytesPerRow * n, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    const encoder = this.device.createCommandEncoder();
    encoder.copyTextureToBuffer({ texture }, { buffer, bytesPerRow }, { width, height: n });
    this.device.queue.submit([encoder.finish()]);
    await buffer.mapAsync(GPUMapMode.READ);
    const mapped = new Uint8Array(buffer.getMappedRange());
    const out = new Uint8Array(width * n * 4);
    const bgra = texture.format.startsWith('bgra');
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * bytesPerRow + x * 4, o = (y * width + x) * 4;
        out[o] = mapped[bgra ? i + 2 : i];
        out[o + 1] = mapped[i + 1];
        out[o + 2] = mapped[bgra ? i : i + 2];
        out[o + 3] = mapped[i + 3];
      }
    }
    buffer.unmap();
    buffer.destroy();
    return out;
  }

  /** Resolves once the GPU has done the work submitted so far (never blocks). */
  whenDrawn() {
    return this.device.queue.onSubmittedWorkDone();
  }

  /** Resolves when the GPU has finished the work submitted so far. */
  finish() {
    return this.device.queue.onSubmittedWorkDone();
  }

  /** Paints the canvas black. */
  clear() {
    const encoder = this.device.createCommandEncoder();
    encoder.beginRenderPass({
      colorAttachments: [{ view: this.context.getCurrentTexture().createView(), clearValue: { r: 0, g: 0, b: 0, a: 1 }, loadOp: 'clear', storeOp: 'store' }],
    }).end();
    this.device.queue.submit([encoder.finish()]);
  }

  /** Frees the device and its textures now rather than when they are collected (destroy()). */
  release() {
    this.context.unconfigure();
    this.device.destroy();
  }
}
