// Times the ASP browser decoder in a worker (where the player runs it):
// one build, optionally one renderer on an OffscreenCanvas, the whole
// stream in wasm memory, next_frame() in a loop with no frame-rate cap.
// renderer 'auto' is the player's own choice (chooseRenderer), as
// <asp-player> makes it in its worker. Before the timed runs the stream is
// decoded once, untimed: the engine compiles wasm in tiers (V8 and
// SpiderMonkey start with a baseline compiler and optimise hot functions
// in the background, and V8 shares the optimised code with later instances
// of the same module in the process), so without it whichever row ran
// first measured the baseline code (Chromium, loaded machine: decode alone
// 31 fps against 53 for decode + present in the same run).
import { loadDecoder } from '../../web/src/load.js';
import { chooseRenderer, yuvToRgb } from '../../web/src/render/index.js';
import { createWgpuRenderer } from './wgpu-renderer.js';

self.onmessage = async ({ data: job }) => {
  try {
    self.postMessage(await run(job));
  } catch (error) {
    self.postMessage({ error: String(error?.message ?? error) });
  }
};

async function run({ build, renderer: wanted, url, runs, width, height }) {
  // 'webgpu-wgpu': the single build with the wgpu renderer in it (tools/build-wasm.sh wgpu).
  const wgpu = wanted === 'webgpu-wgpu';
  if (wgpu && build !== 'single') throw new Error('the wgpu renderer is built into the single build only');
  const base = wgpu ? new URL('../../web/dist/wgpu/', import.meta.url) : undefined;
  const asp = await loadDecoder({ threads: build === 'threads', base });
  self.postMessage({ started: true });
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  let renderer = null;
  let reason = null;
  if (wgpu) {
    renderer = await createWgpuRenderer(asp, new OffscreenCanvas(width, height));
    if (!renderer) throw new Error('asked for webgpu-wgpu: no WebGPU adapter');
  } else if (wanted) {
    ({ renderer, reason } = await chooseRenderer(new OffscreenCanvas(width, height), wanted));
    if (wanted !== 'auto' && renderer.name !== wanted) throw new Error(`asked for ${wanted}, got ${renderer.name}`);
  }
  const warm = new asp.Decoder();
  warm.push(bytes);
  while (warm.next_frame());
  warm.free();
  const fps = [];
  let frames = 0;
  for (let r = 0; r < runs; r++) {
    const dec = new asp.Decoder();
    dec.push(bytes); // the stream's one copy into wasm memory, before timing
    frames = 0;
    const t0 = performance.now();
    while (dec.next_frame()) {
      frames += 1;
      if (renderer) renderer.draw(frameOf(asp, dec));
    }
    // The GPU's work counts: wait until it has done all of it.
    if (renderer) await renderer.finish();
    const ms = performance.now() - t0;
    if (dec.errors > 0) throw new Error(`decode errors: ${dec.last_error()}`);
    fps.push((frames * 1000) / ms);
    dec.free();
  }
  return { build: asp.build, renderer: renderer?.name ?? null, reason, frames, fps };
}

let rows = null;
function frameOf(asp, dec) {
  rows ??= yuvToRgb(dec.color_matrix, dec.color_range);
  return {
    buffer: asp.wasm_memory().buffer,
    decoder: dec,
    width: dec.width, height: dec.height, uvWidth: dec.uv_width, uvHeight: dec.uv_height,
    yPtr: dec.y_ptr, uPtr: dec.u_ptr, vPtr: dec.v_ptr, yStride: dec.y_stride, uvStride: dec.uv_stride,
    rows,
    rgba: () => {
      const ptr = dec.rgba(); // before reading the memory: it may grow
      return ptr ? new Uint8ClampedArray(asp.wasm_memory().buffer, ptr, dec.width * dec.height * 4) : null;
    },
  };
}
