// A/B decode speed of two or more single-threaded builds of the browser
// decoder in Node (V8), for a loaded machine: the builds take turns on the
// same stream (one decode each per round, after one warm-up decode each),
// and each decode's CPU time (process.cpuUsage, user + system) is recorded
// next to its wall time. CPU time is less disturbed by other processes
// than wall time (which counts the time spent waiting for a core).
//
//   node bench/wasm/bench-ab.mjs FILE.asp ROUNDS DIST_A DIST_B...
//
// Each DIST is a directory holding single/asp_wasm.js and
// single/asp_wasm_bg.wasm (as web/dist does). Prints, per build, the median
// wall and CPU milliseconds per decode of FILE and the fps they give.
import fs from 'node:fs';
import path from 'node:path';
import { loadBuild, splitPackets } from '../../tests/wasm/common.mjs';

const [file, roundsArg, ...dists] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (!file || !(rounds > 0) || dists.length === 0) {
  console.error('usage: node bench/wasm/bench-ab.mjs FILE.asp ROUNDS DIST...');
  process.exit(2);
}
const packets = splitPackets(new Uint8Array(fs.readFileSync(file)));
const glues = [];
for (const dist of dists) glues.push(await loadBuild('single', path.resolve(dist)));

const once = (glue) => {
  const dec = new glue.Decoder();
  let frames = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const p of packets) frames += dec.decode(p) ? 1 : 0;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const error = dec.last_error();
  dec.free();
  if (frames !== packets.length) throw new Error(`${file}: ${frames} of ${packets.length} frames (${error})`);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
};

const results = dists.map(() => ({ wall: [], cpu: [] }));
glues.forEach((glue) => once(glue));
for (let r = 0; r < rounds; r++) {
  glues.forEach((glue, i) => {
    const { wall, cpu } = once(glue);
    results[i].wall.push(wall);
    results[i].cpu.push(cpu);
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fps = (ms) => Number((packets.length * 1000 / ms).toFixed(1));
dists.forEach((dist, i) => {
  const wall = median(results[i].wall), cpu = median(results[i].cpu);
  console.log(JSON.stringify({
    dist, file: path.basename(file), frames: packets.length, rounds,
    wall_ms: Number(wall.toFixed(1)), wall_fps: fps(wall),
    cpu_ms: Number(cpu.toFixed(1)), cpu_fps: fps(cpu),
  }));
});
