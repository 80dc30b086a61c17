// The WebGPU renderer on wgpu (asp-render in the decoder's module: asp-wasm's
// WebGpuRenderer, built by `tools/build-wasm.sh wgpu`) behind the player's
// renderer shape, for bench-browser's comparison with the player's JS WebGPU
// renderer. It draws the decoder's picture on show (frame.decoder) straight
// from wasm memory, with the crate's yuv.wgsl and colour rows.

/**
 * @param {any} asp the loaded wgpu build (loadDecoder({ base: .../dist/wgpu/ }))
 * @param {OffscreenCanvas} canvas
 * @param {{ readable?: boolean }} [options]
 */
export async function createWgpuRenderer(asp, canvas, { readable = false } = {}) {
  if (!asp.WebGpuRenderer) throw new Error('this decoder build has no WebGpuRenderer (tools/build-wasm.sh wgpu)');
  const inner = await asp.WebGpuRenderer.create(canvas, readable);
  if (!inner) return null;
  return {
    name: 'webgpu-wgpu',
    adapter: inner.adapter,
    /** @param {{ decoder: any }} frame */
    draw: (frame) => inner.draw(frame.decoder),
    whenDrawn: () => inner.when_drawn(),
    finish: () => inner.when_drawn(),
    clear: () => inner.clear(),
    /** @param {number} rows */
    readTop: (rows) => inner.read_top(rows),
    release: () => { inner.release(); inner.free(); },
  };
}
