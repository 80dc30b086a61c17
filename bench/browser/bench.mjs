// Runs the matrix of bench/browser/bench.sh in each browser of $BROWSERS
// (comma-separated: chromium, firefox; default both) and prints markdown
// tables. Every figure of one browser comes from the same run: the jobs
// take turns (run 1 of every job, then run 2, ...), so load that comes and
// goes on the machine falls on ASP and jsmpeg alike; the ratios are of
// those medians.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { launchBrowser } from '../../tests/browser/drivers/index.mjs';
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
const benchBrowsers = (process.env.BROWSERS || 'chromium,firefox').split(',').map((b) => b.trim()).filter(Boolean);
for (const b of benchBrowsers) {
  if (b !== 'chromium' && b !== 'firefox') throw new Error(`BROWSERS: bench-browser runs in chromium and firefox, not ${b}`);
}
/** Chromium's renderers each get a row of their own as well ($CHROMIUM_RENDERERS, comma-separated; default all three). */
const chromiumRenderers = (process.env.CHROMIUM_RENDERERS ?? 'webgpu,webgl2,canvas2d').split(',').map((r) => r.trim()).filter(Boolean);
for (const r of chromiumRenderers) {
  if (!['webgpu', 'webgpu-wgpu', 'webgl2', 'canvas2d'].includes(r)) throw new Error(`CHROMIUM_RENDERERS: unknown renderer ${r}`);
}
/**
 * $OVERLAP_ROWS=1: each build also draws frame N while frame N+1 decodes
 * (Decoder.start_next_frame), against the player's decode-then-draw, in one run.
 */
/** $RESOLUTIONS (comma-separated: 720, 1080; default both): the slow 1080p rows alone with RESOLUTIONS=1080. */
const resolutions = (process.env.RESOLUTIONS || '720,1080').split(',').map(Number);
for (const res of resolutions) {
  if (res !== 720 && res !== 1080) throw new Error(`RESOLUTIONS: 720 and 1080, not ${res}`);
}
const rel = (f) => `/${path.relative(root, f)}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (fps) => `${median(fps).toFixed(1)} (${Math.min(...fps).toFixed(0)}–${Math.max(...fps).toFixed(0)})`;
/** One run's ms per frame in each stage of asp-worker.js, as text. */
const stageText = (st) => ` (ms a frame: decode ${st.decode.toFixed(2)}, rgba ${st.rgba.toFixed(2)}, draw ${st.draw.toFixed(2)})`;
const RENDERER = { webgpu: 'WebGPU', 'webgpu-wgpu': 'WebGPU on wgpu (asp-render)', webgl2: 'WebGL2', canvas2d: 'Canvas2D' };

function version(binary) {
  try {
    return execFileSync(binary, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return binary;
  }
}

const streams = {};
for (const res of resolutions) {
  const [, aspPsnr, aspBytes, q, mpegPsnr, mpegBytes, belowPsnr, belowBytes] = fs.readFileSync(path.join(work, `bbb${res}.quality`), 'utf8').trim().split(' ');
  streams[res] = {
    size: res === 720 ? [1280, 720] : [1920, 1080],
    asp: rel(path.join(work, `bbb${res}.asp`)),
    ts: rel(path.join(work, `bbb${res}.ts`)),
    quality: { aspPsnr, aspBytes, q, mpegPsnr, mpegBytes, belowPsnr, belowBytes },
  };
}

/**
 * The jobs of one browser at one resolution: { what, kind, page, arg }.
 * kind 'asp-alone' / 'jsmpeg-alone' decode alone; 'asp' / 'jsmpeg' decode
 * and present. Chromium: every ASP renderer (WebGPU on a page with the
 * SwiftShader WebGPU flags, the others on a plain one) and the player's
 * own pick on the plain page, as <asp-player> runs by default. Firefox
 * headless has no WebGL here (drivers/firefox.mjs) and no WebGPU: the
 * player's pick and jsmpeg's fallback are what it draws with.
 */
function jobsOf(name, pages, res) {
  const { size: [width, height], asp, ts, quality } = streams[res];
  const job = { url: asp, runs: 1, width, height };
  const jobs = [];
  for (const build of ['threads', 'single']) {
    jobs.push({ what: `ASP ${build}, decode alone`, kind: 'asp-alone', page: pages.plain, arg: { ...job, build, renderer: null } });
    jobs.push({ what: `ASP ${build}, decode + the player's pick`, kind: 'asp', page: pages.plain, arg: { ...job, build, renderer: 'auto' } });
    if (process.env.OVERLAP_ROWS) {
      jobs.push({ what: `ASP ${build}, decode + the player's pick, drawn during the next decode`, kind: 'asp', page: pages.plain, arg: { ...job, build, renderer: 'auto', overlap: true } });
    }
    for (const renderer of name === 'chromium' ? chromiumRenderers : []) {
      // The wgpu renderer is in the single build only (tools/build-wasm.sh wgpu).
      if (renderer === 'webgpu-wgpu' && build !== 'single') continue;
      const page = renderer.startsWith('webgpu') ? pages.webgpu : pages.plain;
      jobs.push({ what: `ASP ${build}, decode + ${RENDERER[renderer]}`, kind: 'asp', page, arg: { ...job, build, renderer } });
    }
  }
  const jsJob = { url: ts, runs: 1, width, height, size: Number(quality.mpegBytes) };
  jobs.push({ what: 'jsmpeg (WASM), decode alone', kind: 'jsmpeg-alone', page: pages.plain, arg: { ...jsJob, present: null } });
  jobs.push({ what: 'jsmpeg (WASM), decode + WebGL', kind: 'jsmpeg', page: pages.plain, arg: { ...jsJob, present: 'webgl' } });
  jobs.push({ what: 'jsmpeg (WASM), decode + Canvas2D', kind: 'jsmpeg', page: pages.plain, arg: { ...jsJob, present: 'canvas2d' } });
  return jobs;
}

const server = await serve({ root, port: 0 });
const results = [];
for (const name of benchBrowsers) {
  const launched = { plain: await launchBrowser(name, { webgpu: false }) };
  if (name === 'chromium' && chromiumRenderers.some((r) => r.startsWith('webgpu'))) launched.webgpu = await launchBrowser('chromium', { webgpu: true });
  const pages = {};
  for (const [k, b] of Object.entries(launched)) {
    pages[k] = await b.newPage();
    await pages[k].goto(`${server.url}/bench/browser/bench.html`);
    await pages[k].waitForFunction(() => window.ready === true);
  }
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const started = new Date().toISOString().slice(11, 16);
  const browser = { name, version: version(name === 'chromium' ? '/usr/bin/chromium' : '/usr/bin/firefox-esr'), load, started, rows: [] };
  for (const res of resolutions) {
    const jobs = jobsOf(name, pages, res).map((j) => ({ ...j, fps: [], stages: [], renderer: null, reason: null, restarts: 0 }));
    for (let r = 0; r < runs; r++) {
      for (const j of jobs) {
        const out = j.kind.startsWith('asp')
          ? await j.page.evaluate((arg) => window.runAsp(arg), j.arg)
          : await j.page.evaluate((arg) => window.runJsmpeg(arg), j.arg);
        j.fps.push(...out.fps);
        j.stages.push(...(out.stages ?? []));
        j.renderer = out.renderer;
        j.reason = out.reason ?? null;
        j.restarts += out.restarts ?? 0;
        console.error(`${name} ${res}p run ${r + 1}/${runs} ${j.what}${out.renderer ? ` [${out.renderer}]` : ''}: ${out.fps.map((f) => f.toFixed(1)).join(', ')} fps${(out.stages ?? []).map(stageText).join('')}`);
      }
    }
    for (const j of jobs) {
      // jsmpeg's WebGL row where the page has no WebGL drew with Canvas2D: the Canvas2D row says that.
      if (j.kind === 'jsmpeg' && j.arg.present === 'webgl' && j.renderer !== 'WebGLRenderer') continue;
      const pick = j.arg.renderer === 'auto' ? RENDERER[j.renderer] ?? j.renderer : null;
      browser.rows.push({ res, what: j.what, pick, kind: j.kind, fps: j.fps, stages: j.stages, reason: j.reason, restarts: j.restarts });
    }
  }
  for (const p of Object.values(pages)) {
    if (p.pageErrors.length) console.error(`${name} page errors: ${p.pageErrors.join('; ')}`);
  }
  for (const b of Object.values(launched)) await b.close();
  results.push(browser);
}
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

const best = (rows) => rows.reduce((a, r) => (median(r.fps) > median(a.fps) ? r : a));
let out = `${os.cpus().length} cores; RUNS=${runs} (each figure: the median of RUNS runs taken in turns with every other row of its browser and resolution; min–max in brackets). `
  + '"× jsmpeg": decode alone against jsmpeg\'s decode alone, decode + present against jsmpeg\'s faster decode + present, both from the same browser and run.\n\n';
for (const res of resolutions) {
  const qual = streams[res].quality;
  out += `**${res}p** bigbuckbunny, 132 frames: ASP ${(qual.aspBytes / 1024).toFixed(0)} KiB, PSNR-Y ${qual.aspPsnr} dB; `
    + `mpeg1video -q:v ${qual.q} in MPEG-TS ${(qual.mpegBytes / 1024).toFixed(0)} KiB, PSNR-Y ${qual.mpegPsnr} dB `
    + `(ASP uses ${(100 * qual.aspBytes / qual.mpegBytes).toFixed(0)} % of jsmpeg's bytes)`
    + `${equalQualityShare(qual)}.\n\n`;
}
for (const b of results) {
  const rows = b.rows;
  out += `**${b.name}**: ${b.version}, headless; started ${b.started} UTC, load average before: ${b.load}.\n\n`;
  out += `| player | ${resolutions.map((res) => `${res}p fps, median (min–max) | × jsmpeg`).join(' | ')} |\n|---|${resolutions.map(() => '---:|---:|').join('')}\n`;
  const cells = (what) => resolutions.map((res) => {
    const r = rows.find((x) => x.res === res && x.what === what);
    if (!r) return '| – | – ';
    const here = rows.filter((x) => x.res === res);
    const ref = r.kind.endsWith('alone')
      ? here.find((x) => x.kind === 'jsmpeg-alone')
      : best(here.filter((x) => x.kind === 'jsmpeg'));
    const ratio = r.kind.startsWith('asp') && ref ? `${(median(r.fps) / median(ref.fps)).toFixed(2)}x` : '';
    return `| ${fmt(r.fps)}${r.restarts ? ` (${r.restarts} restarted)` : ''} | ${ratio} `;
  }).join('');
  for (const what of [...new Set(rows.map((r) => r.what))]) {
    const picks = [...new Set(rows.filter((r) => r.what === what && r.pick).map((r) => r.pick))];
    out += `| ${what}${picks.length ? ` (${picks.join(' / ')})` : ''} ${cells(what)}|\n`;
  }
  const reasons = [...new Set(rows.filter((r) => r.pick && r.reason).map((r) => r.reason))];
  if (reasons.length) out += `\nThe player's pick: ${reasons.join('; ')}.\n`;
  // Where ASP's frame time goes (asp-worker.js's stage timers), medians over the runs.
  out += `\n| ASP, ms per frame (median of runs) | ${resolutions.map((res) => `${res}p decode | rgba | draw`).join(' | ')} |\n|---|${resolutions.map(() => '---:|---:|---:|').join('')}\n`;
  for (const what of [...new Set(rows.filter((r) => r.kind.startsWith('asp')).map((r) => r.what))]) {
    out += `| ${what} |${resolutions.map((res) => {
      const row = rows.find((x) => x.res === res && x.what === what);
      const st = row?.stages ?? [];
      // Decode alone has no rgba or draw stage.
      const stages = row?.kind === 'asp-alone' ? ['decode'] : ['decode', 'rgba', 'draw'];
      return ['decode', 'rgba', 'draw'].map((k) => (st.length && stages.includes(k) ? ` ${median(st.map((s) => s[k])).toFixed(2)} ` : ' – ')).join('|');
    }).join('|')}|\n`;
  }
  out += '\n';
}
out += '| package part | raw bytes | gzip -9 |\n|---|---:|---:|\n';
for (const [name, [raw, g]] of sizes) out += `| ${name} | ${raw} | ${g} |\n`;
const total = sizes.reduce((a, [, [r, g]]) => [a[0] + r, a[1] + g], [0, 0]);
out += `| **total** | ${total[0]} | ${total[1]} |\n`;
// The wgpu renderer's build (not shipped) beside the part of the package it would replace.
if (chromiumRenderers.includes('webgpu-wgpu')) {
  const compared = [
    ['single build with the wgpu renderer (asp-render): asp_wasm_bg.wasm', group([path.join(dist, 'wgpu/single/asp_wasm_bg.wasm')])],
    ['single build with the wgpu renderer: wasm-bindgen JS', group([path.join(dist, 'wgpu/single/asp_wasm.js')])],
    ['the JS WebGPU renderer it would replace (web/src/render/webgpu.js)', group([path.join(root, 'web/src/render/webgpu.js')])],
  ];
  out += '\n| not shipped, for the WebGPU comparison | raw bytes | gzip -9 |\n|---|---:|---:|\n';
  for (const [name, [raw, g]] of compared) out += `| ${name} | ${raw} | ${g} |\n`;
}
fs.writeFileSync(path.join(work, 'results.md'), out);
console.log(out);
