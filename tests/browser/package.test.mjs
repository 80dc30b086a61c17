// The package as a user gets it: `npm pack` web/, install the tarball into
// an empty directory, and play <asp-player> from node_modules in Chromium;
// and `npm pack` in a clean clone, where prepack builds dist/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { launch, startServer, openPage, waitForEvent, served, work, root, y4mChecksums } from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch({ webgpu: true });
});
after(async () => {
  await browser.close();
  await server.close();
});

test('npm pack, install the tarball elsewhere: its types check, <asp-player> plays from it', async () => {
  const packDir = path.join(work, 'pack');
  const installDir = path.join(work, 'pkg-install');
  fs.rmSync(packDir, { recursive: true, force: true });
  fs.rmSync(installDir, { recursive: true, force: true });
  fs.mkdirSync(packDir, { recursive: true });
  fs.mkdirSync(installDir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: path.join(root, 'web') });
  const [info] = JSON.parse(out.toString());
  const files = info.files.map((f) => f.path).sort();
  for (const needed of ['src/index.js', 'src/worker/player-worker.js', 'types/index.d.ts', 'package.json',
    'dist/single/asp_wasm.js', 'dist/single/asp_wasm_bg.wasm', 'dist/threads/asp_wasm.js', 'dist/threads/asp_wasm_bg.wasm',
    'dist/yuv.wgsl']) {
    assert.ok(files.includes(needed), `${needed} in the tarball`);
  }
  // The wgpu flavour (tools/build-wasm.sh wgpu) is for the benchmark, never shipped.
  assert.ok(!files.some((f) => f.startsWith('dist/wgpu/')), 'no wgpu build in the tarball');
  assert.ok(files.some((f) => /^dist\/threads\/snippets\/.*workerHelpers/.test(f)), 'rayon worker helpers in the tarball');
  // The whole package, gzip-compressed, within the 1 MB budget.
  assert.ok(info.size <= 1 << 20, `tarball ${info.size} bytes`);

  fs.writeFileSync(path.join(installDir, 'package.json'), JSON.stringify({ name: 'empty', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', path.join(packDir, info.filename)], { cwd: installDir });
  const entry = path.join(installDir, 'node_modules/@alice/asp-decoder/src/index.js');
  assert.ok(fs.existsSync(entry));

  // The types, as a TypeScript user resolves them through the package's exports.
  fs.writeFileSync(path.join(installDir, 'use.ts'), `
    import { loadDecoder, type AspPlayerStats } from '@alice/asp-decoder';
    const player = document.createElement('asp-player');
    player.addEventListener('stats', (e) => { const s: AspPlayerStats = e.detail; console.log(s.fps, s.build); });
    player.addEventListener('error', (e) => console.log(e.detail.message, e.detail.fatal));
    await player.play();
    const asp = await loadDecoder({ threads: 'auto' });
    const dec = new asp.Decoder();
    dec.push(new Uint8Array(16));
    while (dec.next_frame()) console.log(dec.width, dec.y_ptr, asp.wasm_memory().buffer.byteLength);
    const request: Uint8Array | null = dec.request_keyframe();
    console.log(request);
  `);
  const tsc = path.join(root, 'tools/web/node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,dom,dom.iterable',
    '--module', 'nodenext', '--moduleResolution', 'nodenext', 'use.ts'], { cwd: installDir, stdio: 'inherit' });

  const page = await openPage(browser, server, { pkg: served(entry) });
  assert.equal(await page.evaluate(() => customElements.get('asp-player') === window.asp.AspPlayer), true);
  await page.evaluate((src) => window.makePlayer({ src, autoplay: '', checksums: '' }), served(`${work}/small.asp`));
  await waitForEvent(page, 'ended');
  const frames = await page.evaluate(() => window.player.events.filter((e) => e.type === 'frame').map((e) => e.detail.checksum));
  assert.deepEqual(frames, y4mChecksums(`${work}/small.y4m`).checksums);
  const stats = await page.evaluate(() => window.player.stats);
  // The WebGPU adapter here is SwiftShader, a software rasteriser: auto draws with Canvas2D.
  assert.deepEqual([stats.build, stats.renderer], ['threads', 'canvas2d']);
  assert.match(stats.rendererReason, /software rasteriser.*swiftshader/i);
  assert.deepEqual(await page.evaluate(() => window.uncaught), []);
  await page.close();
});

test('npm pack in a clean clone builds dist/ itself (prepack) and ships both builds', async () => {
  // The committed tree, as a publisher checks it out: no web/dist.
  const clone = path.join(work, 'clean-clone');
  fs.rmSync(clone, { recursive: true, force: true });
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', root, clone]);
  assert.ok(!fs.existsSync(path.join(clone, 'web/dist')), 'a clean clone has no dist/');
  const packDir = path.join(work, 'clean-pack');
  fs.rmSync(packDir, { recursive: true, force: true });
  fs.mkdirSync(packDir, { recursive: true });
  // prepack runs tools/build-wasm.sh (its log on stderr, so --json stays parseable).
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: path.join(clone, 'web'), stdio: ['ignore', 'pipe', 'inherit'] });
  const [info] = JSON.parse(out.toString());
  const files = info.files.map((f) => f.path);
  for (const needed of ['dist/single/asp_wasm.js', 'dist/single/asp_wasm_bg.wasm', 'dist/threads/asp_wasm.js', 'dist/threads/asp_wasm_bg.wasm', 'dist/yuv.wgsl']) {
    assert.ok(files.includes(needed), `${needed} in the clean clone's tarball`);
  }
  for (const wasm of ['dist/single/asp_wasm_bg.wasm', 'dist/threads/asp_wasm_bg.wasm']) {
    const bytes = fs.readFileSync(path.join(clone, 'web', wasm));
    assert.ok(bytes.length > 1000 && bytes.subarray(0, 4).equals(Buffer.from('\0asm')), `${wasm} is a wasm module`);
  }
  fs.rmSync(clone, { recursive: true, force: true });
});
