// Runs the matrix of bench/browser/bench.sh in Chromium and prints a
// markdown table (medians of RUNS runs, all in this one run).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { launch } from '../../tests/browser/harness.mjs';
import { serve } from '../../tools/web/serve.mjs';

/** ASP's bytes over jsmpeg's interpolated at ASP's PSNR-Y (ln bytes linear
 * in PSNR between -q:v q and q+1), as a sentence fragment. */
function equalQualityShare(qual) {
  const [p0, b0, p1, b1, p] = [qual.mpegPsnr, qual.mpegBytes, qual.belowPsnr, qual.belowBytes, qual.aspPsnr].map(Number);
  if (!(p0 > p1) || !(p >= p1) || !(p <= p0)) return '';
  const bytes = Math.exp(Math.log(b1) + ((p - p1) / (p0 - p1)) * (Math.log(b0) - Math.log(b1)));
  return `; at equal PSNR-Y, interpolating jsmpeg's bytes between -q:v ${qual.q} and ${Number(qual.q) + 1} `
    + `(${qual.belowPsnr} dB, ${(b1 / 1024).toFixed(0)} KiB), ${(100 * qual.aspBytes / bytes).toFixed(0)} %`;
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const work = path.resolve(process.argv[2] ?? path.join(root, 'build/bench-browser'));
const runs = Number(process.env.RUNS) || 3;
const rel = (f) => `/${path.relative(root, f)}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (r) => `${median(r.fps).toFixed(1)} (${Math.min(...r.fps).toFixed(0)}–${Math.max(...r.fps).toFixed(0)})`;

const server = await serve({ root, port: 0 });
const browsers = { webgpu: await launch({ webgpu: true }), plain: await launch({ webgpu: false }) };
const pages = {};
for (const [k, b] of Object.entries(browsers)) {
  pages[k] = await b.newPage();
  pages[k].on('pageerror', (e) => console.error('pageerror', e));
  await pages[k].goto(`${server.url}/bench/browser/bench.html`);
  await pages[k].waitForFunction(() => window.ready === true);
}
const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
const version = execFileSync('/usr/bin/chromium', ['--version']).toString().trim();

const rows = [];
for (const res of [720, 1080]) {
  const [, aspPsnr, aspBytes, q, mpegPsnr, mpegBytes, belowPsnr, belowBytes] = fs.readFileSync(path.join(work, `bbb${res}.quality`), 'utf8').trim().split(' ');
  const [width, height] = res === 720 ? [1280, 720] : [1920, 1080];
  const asp = rel(path.join(work, `bbb${res}.asp`));
  const ts = rel(path.join(work, `bbb${res}.ts`));
  const job = { url: asp, runs, width, height };
  const add = (what, r) => {
    rows.push({ res, what, r });
    console.error(`${res}p ${what}: ${fmt(r)} fps`);
  };
  for (const build of ['threads', 'single']) {
    add(`ASP ${build}, decode alone`, await pages.webgpu.evaluate((j) => window.runAsp(j), { ...job, build, renderer: null }));
    add(`ASP ${build}, decode + WebGPU`, await pages.webgpu.evaluate((j) => window.runAsp(j), { ...job, build, renderer: 'webgpu' }));
    add(`ASP ${build}, decode + WebGL2`, await pages.plain.evaluate((j) => window.runAsp(j), { ...job, build, renderer: 'webgl2' }));
    add(`ASP ${build}, decode + Canvas2D`, await pages.plain.evaluate((j) => window.runAsp(j), { ...job, build, renderer: 'canvas2d' }));
  }
  const jsJob = { url: ts, runs, width, height, size: Number(mpegBytes) };
  add('jsmpeg (WASM), decode + WebGL', await pages.plain.evaluate((j) => window.runJsmpeg(j), { ...jsJob, gl: true }));
  add('jsmpeg (WASM), decode + Canvas2D', await pages.plain.evaluate((j) => window.runJsmpeg(j), { ...jsJob, gl: false }));
  rows.push({ res, quality: { aspPsnr, aspBytes, q, mpegPsnr, mpegBytes, belowPsnr, belowBytes } });
}
for (const b of Object.values(browsers)) await b.close();
await server.close();

// Package sizes: what `npm pack` ships, per file group.
const gz = (f) => zlib.gzipSync(fs.readFileSync(f), { level: 9 }).length;
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
const group = (files) => files.reduce((a, f) => [a[0] + fs.statSync(f).size, a[1] + gz(f)], [0, 0]);
const dist = path.join(root, 'web/dist');
const sizes = [
  ['single build: asp_wasm_bg.wasm', group([path.join(dist, 'single/asp_wasm_bg.wasm')])],
  ['single build: wasm-bindgen JS', group([path.join(dist, 'single/asp_wasm.js')])],
  ['threads build: asp_wasm_bg.wasm', group([path.join(dist, 'threads/asp_wasm_bg.wasm')])],
  ['threads build: wasm-bindgen JS + rayon worker helper', group(walk(path.join(dist, 'threads')).filter((f) => f.endsWith('.js')))],
  ['player JS (web/src: element, worker, sources, renderers)', group(walk(path.join(root, 'web/src')).filter((f) => f.endsWith('.js')))],
];

let out = `Chromium: ${version}, headless, SwiftShader (CPU) for WebGPU and WebGL2; ${os.cpus().length} cores; load average before: ${load}; RUNS=${runs}.\n\n`;
for (const res of [720, 1080]) {
  const qual = rows.find((r) => r.res === res && r.quality).quality;
  out += `**${res}p** bigbuckbunny, 132 frames: ASP ${(qual.aspBytes / 1024).toFixed(0)} KiB, PSNR-Y ${qual.aspPsnr} dB; `
    + `mpeg1video -q:v ${qual.q} in MPEG-TS ${(qual.mpegBytes / 1024).toFixed(0)} KiB, PSNR-Y ${qual.mpegPsnr} dB `
    + `(ASP uses ${(100 * qual.aspBytes / qual.mpegBytes).toFixed(0)} % of jsmpeg's bytes)`
    + `${equalQualityShare(qual)}.\n\n`;
  out += '| player | fps, median (min–max) |\n|---|---:|\n';
  for (const r of rows.filter((x) => x.res === res && x.r)) out += `| ${r.what} | ${fmt(r.r)} |\n`;
  out += '\n';
}
out += '| package part | raw bytes | gzip -9 |\n|---|---:|---:|\n';
for (const [name, [raw, g]] of sizes) out += `| ${name} | ${raw} | ${g} |\n`;
const total = sizes.reduce((a, [, [r, g]]) => [a[0] + r, a[1] + g], [0, 0]);
out += `| **total** | ${total[0]} | ${total[1]} |\n`;
fs.writeFileSync(path.join(work, 'results.md'), out);
console.log(out);
