// The player's worker: source -> packet reader -> decoder -> renderer, all
// in one dedicated worker that owns the canvas (an OffscreenCanvas). Bytes
// go from the socket into wasm memory once; frames go from wasm memory to
// the GPU (writeTexture / texSubImage2D on views of that memory) without a
// copy through a JS array, and none of it waits on the page's main thread.
// The threaded build starts its own pool of workers from here (nested
// workers).
//
// Where the page cannot hand its canvas to a worker (no OffscreenCanvas),
// <asp-player> imports this module on the page's thread instead (a fresh
// instance per element) and talks to it through attach(): the same player,
// single-threaded build, drawing on the page's canvas.
//
// Messages in:  init { canvas, options }, open { src, base }, play, pause,
//               stop, visibility { hidden }, resize { width, height }
// Messages out: ready { build, renderer, adapter }, playing, frame {...}
//               (options.checksums only), presented {...} (options.probeRows
//               only), stats { stats }, error { message, fatal }, ended

import { loadDecoder } from '../load.js';
import { createRenderer, yuvToRgb } from '../render/index.js';
import { sourceFor } from '../sources/index.js';

const STATS_INTERVAL_MS = 1000;
const KEYFRAME_REQUEST_INTERVAL_MS = 1000;
const LATENCY_PLAUSIBLE_MS = 60_000;

let asp = null;
let dec = null;
let renderer = null;
let canvas = null;
let options = {};

let source = null;
let sourceEnded = false;
let paused = false;
let hidden = false;
let playingSent = false;
let pacer = null;
let nextTickAt = 0;
let lastKeyframeRequest = -Infinity;
let lossesAtLastRequest = 0;
let colour = { key: '', rows: null };
// When the last bytes arrived, and when the frame on show arrived and was decoded.
let bytesAt = 0;
let receivedAt = 0;
let decodedAt = 0;

const counters = () => ({ frames: 0, presented: 0, bytes: 0, decodeMs: 0, latencyMs: 0, latencies: 0 });
let window_ = counters();
let totals = { frames: 0, keyframeRequests: 0, errors: 0, reconnects: 0 };
let statsTimer = null;

// Where messages go: the worker's page, or what attach() was given.
const inWorker = typeof WorkerGlobalScope === 'function' && self instanceof WorkerGlobalScope;
let page = inWorker ? self : null;
const post = (message, transfer) => page?.postMessage(message, transfer);

function report(message, fatal = false) {
  totals.errors += 1;
  post({ type: 'error', message, fatal });
}

// --- commands ----------------------------------------------------------------

const commands = {
  async init(m) {
    canvas = m.canvas;
    options = m.options ?? {};
    asp = await loadDecoder({ threads: options.threads ?? 'auto', workers: options.workers });
    renderer = await createRenderer(canvas, options.renderer ?? 'auto', { readable: options.probeRows > 0 });
    dec = new asp.Decoder();
    post({ type: 'ready', build: asp.build, renderer: renderer.name, adapter: renderer.adapter });
  },

  open(m) {
    closeSource();
    const { url, Source, options: sourceOptions } = sourceFor(m.src, m.base);
    drawPending = false;
    dec.reset();
    sourceEnded = false;
    paused = false;
    playingSent = false;
    window_ = counters();
    totals = { frames: 0, keyframeRequests: 0, errors: 0, reconnects: 0 };
    let opened = false;
    source = new Source(url.href, {
      open: () => {
        // After a reconnection: what was buffered belongs to the old
        // connection; the decoder waits for (and asks for) a keyframe.
        if (opened) dec.reset();
        opened = true;
      },
      data: (bytes) => onData(bytes),
      end: () => onEnd(),
      reconnecting: (delay, reason) => {
        totals.reconnects += 1;
        report(`${reason}; reconnecting in ${delay} ms`);
      },
      error: (error) => report(String(error?.message ?? error), true),
    }, { certificateHash: sourceOptions?.certificateHash ?? m.certificateHash });
    source.start();
    clearInterval(statsTimer);
    statsTimer = setInterval(postStats, STATS_INTERVAL_MS);
  },

  play() {
    paused = false;
    if (source && !source.live) schedule();
  },

  pause() {
    paused = true;
  },

  stop() {
    closeSource();
    drawPending = false;
    dec?.reset();
    renderer?.clear();
  },

  visibility(m) {
    hidden = m.hidden;
    if (!hidden && source && !source.live) schedule();
  },

  resize(m) {
    if (!canvas || (canvas.width === m.width && canvas.height === m.height)) return;
    canvas.width = m.width;
    canvas.height = m.height;
    if (dec?.has_frame) present();
  },
};

function closeSource() {
  source?.close();
  source = null;
  clearTimeout(pacer);
  pacer = null;
  clearInterval(statsTimer);
  statsTimer = null;
}

// --- data in -----------------------------------------------------------------

function onData(bytes) {
  bytesAt = performance.now();
  window_.bytes += bytes.byteLength;
  dec.push(bytes);
  if (!source.live) {
    schedule();
    return;
  }
  if (hidden || paused) {
    // Nothing piles up: the packets are consumed undecoded, and on return
    // the picture resumes at the next keyframe (asked for below).
    dec.discard();
    return;
  }
  let fresh = false;
  while (decodeOne()) fresh = true;
  if (fresh) present();
  askForKeyframeIfNeeded();
}

function onEnd() {
  sourceEnded = true;
  if (source?.live) {
    postStats();
    post({ type: 'ended' });
    closeSource();
  } else {
    schedule();
  }
}

// --- decoding ----------------------------------------------------------------

/** Decodes the next frame, if one is buffered; reports errors on the way. */
function decodeOne() {
  const t0 = performance.now();
  const fresh = dec.next_frame();
  const error = dec.last_error();
  if (error) report(error);
  if (!fresh) return false;
  decodedAt = performance.now();
  receivedAt = bytesAt;
  window_.decodeMs += decodedAt - t0;
  window_.frames += 1;
  totals.frames += 1;
  const capture = dec.capture_time_us;
  if (capture !== undefined && capture !== null) {
    // Only wall-clock capture times make a latency (a file encoded from a
    // y4m carries times since its start, or old ones).
    const latency = Date.now() - capture / 1000;
    if (latency > -LATENCY_PLAUSIBLE_MS && latency < LATENCY_PLAUSIBLE_MS) {
      window_.latencyMs += latency;
      window_.latencies += 1;
    }
  }
  if (options.checksums) {
    post({ type: 'frame', sequence: dec.sequence, keyframe: dec.keyframe, checksum: dec.frame_checksum() });
  }
  return true;
}

/**
 * Asks the sender for a keyframe when the decoder waits for one because
 * something was lost (an error, or delta frames dropped) since the last
 * request — not merely because a keyframe is still arriving — at most once
 * a second.
 */
function askForKeyframeIfNeeded() {
  if (!dec.needs_keyframe || !source?.canTalkBack) return;
  const losses = dec.errors + dec.frames_dropped;
  const now = performance.now();
  if (losses === lossesAtLastRequest || now - lastKeyframeRequest < KEYFRAME_REQUEST_INTERVAL_MS) return;
  const packet = dec.request_keyframe();
  if (packet && source.send(packet)) {
    lastKeyframeRequest = now;
    lossesAtLastRequest = losses;
    totals.keyframeRequests += 1;
  }
}

/** Files play at the stream's frame rate, one decode per tick. */
function schedule() {
  if (pacer !== null || paused || hidden || !source || source.live) return;
  nextTickAt = Math.max(nextTickAt, performance.now());
  pacer = setTimeout(tick, Math.max(0, nextTickAt - performance.now()));
}

function tick() {
  pacer = null;
  if (paused || hidden || !source) return;
  const shown = dec.has_frame ? dec.sequence : -1;
  if (decodeOne()) {
    present();
    // A C-packet's refinement of the frame on show takes no frame time.
    if (dec.sequence !== shown) nextTickAt += 1000 / (dec.fps || 30);
    schedule();
  } else if (sourceEnded) {
    postStats();
    post({ type: 'ended' });
    closeSource();
  }
  // Otherwise: waiting for bytes; onData schedules again.
}

// --- presenting --------------------------------------------------------------

/**
 * The frame on show as RGBA, a view of wasm memory (for the Canvas2D
 * renderer). The view is made after the conversion, which may grow memory.
 */
function rgbaOfFrame() {
  const ptr = dec.rgba();
  return ptr ? new Uint8ClampedArray(asp.wasm_memory().buffer, ptr, dec.width * dec.height * 4) : null;
}

// At most one draw in flight. A GPU slower than the stream (a software
// rasteriser, a busy machine) would otherwise queue every frame's upload
// and draw in the GPU process, and the picture would fall further and
// further behind. Frames decoded while a draw is in flight are not drawn;
// the newest is drawn as soon as the GPU is done.
let drawing = false;
let drawPending = false;

function present() {
  if (drawing) {
    drawPending = true;
    return;
  }
  draw();
}

function drawn() {
  drawing = false;
  if (!drawPending) return;
  drawPending = false;
  if (dec?.has_frame) draw();
}

function draw() {
  const key = `${dec.color_matrix}/${dec.color_range}`;
  if (colour.key !== key) colour = { key, rows: yuvToRgb(dec.color_matrix, dec.color_range) };
  renderer.draw({
    buffer: asp.wasm_memory().buffer,
    width: dec.width,
    height: dec.height,
    uvWidth: dec.uv_width,
    uvHeight: dec.uv_height,
    yPtr: dec.y_ptr,
    uPtr: dec.u_ptr,
    vPtr: dec.v_ptr,
    yStride: dec.y_stride,
    uvStride: dec.uv_stride,
    rows: colour.rows,
    rgba: rgbaOfFrame,
  });
  window_.presented += 1;
  if (options.probeRows > 0) probePresented();
  drawing = true;
  renderer.whenDrawn().then(drawn, drawn);
  if (!playingSent) {
    playingSent = true;
    post({ type: 'playing' });
  }
}

/**
 * Measurement hook (probe-rows): the top rows of what the renderer just
 * drew, read back from the canvas, the times of the frame's stages, and
 * the wall-clock time once the pixels were
 * read — so a page can compare a timestamp burnt into the picture with
 * the moment the picture was on the canvas.
 */
function probePresented() {
  const sequence = dec.sequence;
  const captureUs = dec.capture_time_us ?? null;
  const { width, height } = canvas;
  const epoch = (t) => performance.timeOrigin + t;
  // The stages of this frame (epoch ms): its last bytes received, decoded, draw issued.
  const stages = { received: epoch(receivedAt), decoded: epoch(decodedAt), drawIssued: epoch(performance.now()) };
  renderer.readTop(options.probeRows).then((pixels) => {
    const at = performance.timeOrigin + performance.now();
    post({ type: 'presented', sequence, captureUs, at, stages, width, height, pixels }, [pixels.buffer]);
  }, (error) => report(`probe-rows: ${error?.message ?? error}`));
}

function postStats() {
  const w = window_;
  window_ = counters();
  post({
    type: 'stats',
    stats: {
      fps: w.presented * 1000 / STATS_INTERVAL_MS,
      decodedFps: w.frames * 1000 / STATS_INTERVAL_MS,
      kbps: (w.bytes * 8) / STATS_INTERVAL_MS,
      dropped: dec.frames_dropped,
      decodeMs: w.frames ? w.decodeMs / w.frames : 0,
      latencyMs: w.latencies ? w.latencyMs / w.latencies : null,
      build: asp.build,
      renderer: renderer.name,
      width: dec.width,
      height: dec.height,
      frames: totals.frames,
      errors: totals.errors,
      keyframeRequests: totals.keyframeRequests,
      reconnects: totals.reconnects,
      transport: source?.protocol ?? null,
    },
  });
}

// Commands run one after the other (init is async; the rest wait for it).
let queue = Promise.resolve();
function receive(m) {
  queue = queue.then(async () => {
    const command = commands[m?.type];
    if (!command) return;
    try {
      await command(m);
    } catch (error) {
      report(String(error?.message ?? error), true);
    }
  });
}

if (inWorker) self.onmessage = (e) => receive(e.data);

/**
 * The main-thread fallback: runs this player on the page's thread, posting
 * its messages to `target.postMessage(message)`; returns the function that
 * takes the page's messages. The threaded build is not used there (its
 * pool would block the page's thread).
 */
export function attach(target) {
  page = target;
  return (m) => receive(m?.type === 'init' ? { ...m, options: { ...m.options, threads: false } } : m);
}
