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
//
// With `overlap` (bench.sh's OVERLAP_ROWS), frame N is drawn while frame
// N+1 decodes (Decoder.start_next_frame / finish_next_frame: on the worker
// pool in the threaded build, before the draw in the single build);
// without it each frame is decoded, then drawn, as <asp-player> does.
//
// Each run also reports where its time went, in ms per frame: `decode`
// (next_frame, or the start of the next decode and the wait for it after
// the draw: the decode time the draw did not hide), `rgba` (the wasm
// colour conversion, when the renderer asks for it) and `draw` (the rest
// of the renderer's draw: copies, upload, putImageData or the GPU calls,
// and the final wait for the GPU).
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

async function run({ build, renderer: wanted, url, runs, width, height, overlap: overlapWanted = false }) {
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
  const stages = [];
  let frames = 0;
  for (let r = 0; r < runs; r++) {
    const dec = new asp.Decoder();
    dec.push(bytes); // the stream's one copy into wasm memory, before timing
    frames = 0;
    const spent = { decode: 0, rgba: 0, draw: 0 };
    const t0 = performance.now();
    let t1 = performance.now();
    let fresh = dec.next_frame();
    spent.decode += performance.now() - t1;
    while (fresh) {
      frames += 1;
      if (!renderer) {
        t1 = performance.now();
        fresh = dec.next_frame();
        spent.decode += performance.now() - t1;
        continue;
      }
      // With overlap, the frame on show is drawn while the next one
      // decodes (on the pool in the threaded build): its RGBA (for
      // Canvas2D) is converted before the decode starts, and its planes,
      // the next frame's reference, stay as they are unless C-packets
      // refined them.
      // The wgpu renderer reads the picture through the decoder itself,
      // which has none while the next decode is away.
      const frame = frameOf(asp, dec, spent, renderer.name === 'canvas2d');
      const overlap = overlapWanted && (renderer.name === 'canvas2d' || (!wgpu && !dec.refined));
      t1 = performance.now();
      if (overlap) dec.start_next_frame();
      const t2 = performance.now();
      const rgbaBefore = spent.rgba;
      renderer.draw(frame);
      const t3 = performance.now();
      fresh = dec.finish_next_frame();
      const t4 = performance.now();
      spent.decode += t2 - t1 + t4 - t3;
      spent.draw += t3 - t2 - (spent.rgba - rgbaBefore);
    }
    // The GPU's work counts: wait until it has done all of it.
    if (renderer) {
      const t3 = performance.now();
      await renderer.finish();
      spent.draw += performance.now() - t3;
    }
    const ms = performance.now() - t0;
    if (dec.errors > 0) throw new Error(`decode errors: ${dec.last_error()}`);
    fps.push((frames * 1000) / ms);
    stages.push(Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, v / Math.max(frames, 1)])));
    dec.free();
  }
  return { build: asp.build, renderer: renderer?.name ?? null, reason, frames, fps, stages };
}

let rows = null;
/** The frame on show for renderer.draw(); with `rgbaNow` its RGBA is converted here, before the next decode starts. */
function frameOf(asp, dec, spent, rgbaNow) {
  rows ??= yuvToRgb(dec.color_matrix, dec.color_range);
  if (rgbaNow) {
    const t0 = performance.now();
    const ptr = dec.rgba(); // before reading the memory: it may grow
    spent.rgba += performance.now() - t0;
    const rgba = ptr ? new Uint8ClampedArray(asp.wasm_memory().buffer, ptr, dec.width * dec.height * 4) : null;
    return { ...planesOf(asp, dec), rgba: () => rgba };
  }
  return {
    ...planesOf(asp, dec),
    rgba: () => {
      const t0 = performance.now();
      const ptr = dec.rgba(); // before reading the memory: it may grow
      spent.rgba += performance.now() - t0;
      return ptr ? new Uint8ClampedArray(asp.wasm_memory().buffer, ptr, dec.width * dec.height * 4) : null;
    },
  };
}

function planesOf(asp, dec) {
  return {
    buffer: asp.wasm_memory().buffer,
    decoder: dec,
    width: dec.width, height: dec.height, uvWidth: dec.uv_width, uvHeight: dec.uv_height,
    yPtr: dec.y_ptr, uPtr: dec.u_ptr, vPtr: dec.v_ptr, yStride: dec.y_stride, uvStride: dec.uv_stride,
    rows,
  };
}
