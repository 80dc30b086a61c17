// Decode speed of the browser decoder in Node (V8): frames per second, decode
// alone (whole packets already in JS memory; each is copied into wasm memory,
// verified, parsed and decoded; nothing is rendered), median of RUNS runs after
// one warm-up run.
//
//   node bench/wasm/bench.mjs BUILD[,BUILD] FILE.asp...    (RUNS=3 by default)
//
// Prints one JSON object per build and file. bench/wasm/bench.sh runs it.
import fs from 'node:fs';
import path from 'node:path';
import { loadBuild, splitPackets } from '../../tests/wasm/common.mjs';

const [buildsArg, ...files] = process.argv.slice(2);
const builds = (buildsArg || 'single').split(',');
const runs = Number(process.env.RUNS || 3);
const threads = Number(process.env.THREADS || 2);
if (builds.includes('threads')) await import('../../tests/wasm/node-workers.mjs');

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

for (const build of builds) {
  const glue = await loadBuild(build);
  if (build === 'threads') await glue.initThreadPool(threads);
  for (const file of files) {
    const packets = splitPackets(new Uint8Array(fs.readFileSync(file)));
    const once = () => {
      const dec = new glue.Decoder();
      let frames = 0;
      const t0 = performance.now();
      for (const p of packets) frames += dec.decode(p) ? 1 : 0;
      const ms = performance.now() - t0;
      const error = dec.last_error();
      const size = `${dec.width}x${dec.height}`;
      dec.free();
      if (frames !== packets.length) throw new Error(`${file}: ${frames} of ${packets.length} frames (${error})`);
      return { ms, size };
    };
    const { size } = once();
    const times = Array.from({ length: runs }, () => once().ms);
    const ms = median(times);
    console.log(JSON.stringify({
      build,
      threads: build === 'threads' ? threads : 1,
      file: path.basename(file),
      size,
      frames: packets.length,
      bytes: packets.reduce((n, p) => n + p.length, 0),
      median_ms: Number(ms.toFixed(1)),
      fps: Number((packets.length * 1000 / ms).toFixed(1)),
      runs_ms: times.map((t) => Number(t.toFixed(1))),
    }));
  }
}
