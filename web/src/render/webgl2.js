// The WebGL2 renderer: the same shader in GLSL, three R8 textures filled
// with texSubImage2D from a view of the decoder's wasm memory (the plane's
// address as srcOffset, its stride as UNPACK_ROW_LENGTH: no copy through a
// JS array).

import { GLSL_VERTEX, GLSL_FRAGMENT } from './shaders.js';
import { fitScale } from './colour.js';

/** @typedef {import('../../types/index.js').RenderFrame} RenderFrame */

/**
 * A WebGL2 renderer on `canvas`, or null when WebGL2 is not available.
 * @param {HTMLCanvasElement | OffscreenCanvas} canvas
 */
export function createWebGl2Renderer(canvas) {
  const gl = /** @type {WebGL2RenderingContext | null} */ (
    canvas.getContext('webgl2', { alpha: false, antialias: false, depth: false, stencil: false }));
  if (!gl) return null;
  return new WebGl2Renderer(canvas, gl);
}

/** @param {WebGL2RenderingContext} gl @param {number} type @param {string} source */
function compile(gl, type, source) {
  const shader = gl.createShader(type);
  if (!shader) throw new Error('WebGL2: no shader object (context lost?)');
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    throw new Error(`WebGL2 shader: ${gl.getShaderInfoLog(shader)}`);
  }
  return shader;
}

class WebGl2Renderer {
  /** @param {HTMLCanvasElement | OffscreenCanvas} canvas @param {WebGL2RenderingContext} gl */
  constructor(canvas, gl) {
    this.name = /** @type {const} */ ('webgl2');
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    /** @type {string} */
    this.adapter = debug ? gl.getParameter(debug.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    this.canvas = canvas;
    this.gl = gl;
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, GLSL_VERTEX));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, GLSL_FRAGMENT));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      throw new Error(`WebGL2 program: ${gl.getProgramInfoLog(program)}`);
    }
    gl.useProgram(program);
    this.uRows = gl.getUniformLocation(program, 'rows');
    this.uScale = gl.getUniformLocation(program, 'scale');
    ['planeY', 'planeU', 'planeV'].forEach((name, i) => gl.uniform1i(gl.getUniformLocation(program, name), i));
    this.textures = [0, 1, 2].map((i) => {
      const t = gl.createTexture();
      gl.activeTexture(gl.TEXTURE0 + i);
      gl.bindTexture(gl.TEXTURE_2D, t);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
      return t;
    });
    gl.bindVertexArray(gl.createVertexArray());
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    /** @type {string | null} */
    this.size = null;
    this.lost = false;
    canvas.addEventListener?.('webglcontextlost', (/** @type {Event} */ e) => { e.preventDefault(); this.lost = true; });
  }

  /**
   * (Re)allocates the textures when the picture size changes.
   * @param {number} w @param {number} h @param {number} cw @param {number} ch
   */
  ensureTextures(w, h, cw, ch) {
    const key = `${w}x${h}`;
    if (this.size === key) return;
    const gl = this.gl;
    [[w, h], [cw, ch], [cw, ch]].forEach(([tw, th], i) => {
      gl.activeTexture(gl.TEXTURE0 + i);
      gl.bindTexture(gl.TEXTURE_2D, this.textures[i]);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, tw, th, 0, gl.RED, gl.UNSIGNED_BYTE, null);
    });
    this.size = key;
  }

  /** @param {RenderFrame} frame */
  draw(frame) {
    if (this.lost) throw new Error('the WebGL2 context was lost');
    const gl = this.gl;
    const { width: w, height: h, uvWidth: cw, uvHeight: ch } = frame;
    this.ensureTextures(w, h, cw, ch);
    const memory = new Uint8Array(frame.buffer);
    const planes = [
      [frame.yPtr, frame.yStride, w, h],
      [frame.uPtr, frame.uvStride, cw, ch],
      [frame.vPtr, frame.uvStride, cw, ch],
    ];
    planes.forEach(([ptr, stride, pw, ph], i) => {
      gl.activeTexture(gl.TEXTURE0 + i);
      gl.pixelStorei(gl.UNPACK_ROW_LENGTH, stride);
      gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, pw, ph, gl.RED, gl.UNSIGNED_BYTE, memory, ptr);
    });
    gl.pixelStorei(gl.UNPACK_ROW_LENGTH, 0);
    gl.uniform4fv(this.uRows, frame.rows);
    gl.uniform2fv(this.uScale, fitScale(w, h, this.canvas.width, this.canvas.height));
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0, 0, 0, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }

  /**
   * Resolves once the GPU has done the work issued so far (a fence, polled:
   * never blocks the worker). The player draws again only then, so GL work
   * cannot queue up behind a slow GPU.
   */
  whenDrawn() {
    const gl = this.gl;
    const fence = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
    if (!fence) return Promise.reject(new Error('WebGL2 fence failed'));
    gl.flush();
    return /** @type {Promise<void>} */ (new Promise((resolve, reject) => {
      const poll = () => {
        const status = gl.clientWaitSync(fence, 0, 0);
        if (status === gl.TIMEOUT_EXPIRED) {
          setTimeout(poll, 1);
          return;
        }
        gl.deleteSync(fence);
        if (status === gl.WAIT_FAILED) reject(new Error('WebGL2 fence failed'));
        else resolve();
      };
      poll();
    }));
  }

  /**
   * Measurement hook: RGBA of the top `rows` rows of what was just drawn
   * (top row first), once the GPU has drawn it. Call in the same task as
   * draw() (the drawing buffer is not kept past it). The pixels go into a
   * pixel-pack buffer read after a fence, so the readback never blocks the
   * worker on the GPU.
   * @param {number} rows
   */
  async readTop(rows) {
    const gl = this.gl;
    const { width, height } = this.canvas;
    const n = Math.min(rows, height);
    const pbo = gl.createBuffer();
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, pbo);
    gl.bufferData(gl.PIXEL_PACK_BUFFER, width * n * 4, gl.STREAM_READ);
    gl.readPixels(0, height - n, width, n, gl.RGBA, gl.UNSIGNED_BYTE, 0);
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
    try {
      await this.whenDrawn();
      const bottomUp = new Uint8Array(width * n * 4);
      gl.bindBuffer(gl.PIXEL_PACK_BUFFER, pbo);
      gl.getBufferSubData(gl.PIXEL_PACK_BUFFER, 0, bottomUp);
      gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
      const out = new Uint8Array(bottomUp.length);
      const line = width * 4;
      for (let y = 0; y < n; y++) out.set(bottomUp.subarray((n - 1 - y) * line, (n - y) * line), y * line);
      return out;
    } finally {
      gl.deleteBuffer(pbo);
    }
  }

  /** Resolves when the GL work issued so far has completed. */
  finish() {
    this.gl.finish();
    return Promise.resolve();
  }

  clear() {
    const gl = this.gl;
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0, 0, 0, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
  }

  /** Gives the GL context back now rather than when the canvas is collected (destroy()). */
  release() {
    this.gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}
