// The browser decodes what asp-decode decodes, byte for byte, with either
// build; the canvas shows the picture through WebGPU and through WebGL2;
// the fallbacks are chosen by what the browser offers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launch, startServer, openPage, waitForEvent, events, served, work, y4mChecksums } from './harness.mjs';

let server;
const browsers = {};
before(async () => {
  server = await startServer();
  browsers.webgpu = await launch({ webgpu: true });
  browsers.plain = await launch({ webgpu: false });
});
after(async () => {
  for (const b of Object.values(browsers)) await b.close();
  await server.close();
});

/** Plays `file` to its end on a fresh page; returns the page and the player's events. */
async function playFile(browser, file, attrs = {}, pageOptions = {}) {
  const page = await openPage(browser, server, pageOptions);
  await page.evaluate(([src, a]) => window.makePlayer({ src, autoplay: '', ...a }), [served(file), attrs]);
  await waitForEvent(page, 'ended', 60000);
  const all = await page.evaluate(() => window.player.events);
  const uncaught = await page.evaluate(() => window.uncaught);
  assert.deepEqual(uncaught, [], 'uncaught exceptions on the page');
  assert.deepEqual(page.pageErrors, []);
  return { page, all, stats: await page.evaluate(() => window.player.stats) };
}

for (const build of ['threads', 'single']) {
  for (const name of ['small', 'tiled']) {
    test(`${build} build: every frame of ${name}.asp equals native asp-decode (CRC-32)`, async () => {
      const want = y4mChecksums(`${work}/${name}.y4m`).checksums;
      const { page, all, stats } = await playFile(browsers.webgpu, `${work}/${name}.asp`,
        { checksums: '', threads: build === 'threads' ? 'on' : 'off' });
      const frames = all.filter((e) => e.type === 'frame').map((e) => e.detail);
      assert.equal(stats.build, build);
      assert.deepEqual(frames.map((f) => f.checksum), want);
      assert.deepEqual(frames.map((f) => f.sequence), want.map((_, i) => i));
      assert.deepEqual(all.filter((e) => e.type === 'error'), []);
      assert.ok(all.some((e) => e.type === 'playing'));
      await page.context().close();
    });
  }
}

test('C-packets refine the picture as asp-decode does (the last picture of each frame)', async () => {
  const want = y4mChecksums(`${work}/roi.y4m`).checksums;
  const packets = fs.readFileSync(`${work}/roi.asp`);
  const { page, all } = await playFile(browsers.webgpu, `${work}/roi.asp`, { checksums: '' });
  const last = [];
  for (const { detail: f } of all.filter((e) => e.type === 'frame')) last[f.sequence] = f.checksum;
  assert.deepEqual(last, want);
  assert.ok(all.filter((e) => e.type === 'frame').length > want.length, 'some frames were refined by a C-packet');
  assert.deepEqual(all.filter((e) => e.type === 'error'), []);
  assert.ok(packets.length > 0);
  await page.context().close();
});

test('fallbacks: threads only on a crossOriginIsolated page; WebGL2 without a WebGPU adapter; Canvas2D without either context', async () => {
  const cases = [
    [browsers.webgpu, '', 'threads', 'webgpu'],
    [browsers.webgpu, '/plain', 'single', 'webgpu'],
    [browsers.plain, '', 'threads', 'webgl2'],
    [browsers.plain, '/plain', 'single', 'webgl2'],
  ];
  for (const [browser, prefix, build, renderer] of cases) {
    const { page, stats } = await playFile(browser, `${work}/small.asp`, {}, { prefix });
    const isolated = await page.evaluate(() => crossOriginIsolated);
    assert.equal(isolated, prefix === '');
    assert.deepEqual([stats.build, stats.renderer], [build, renderer], `${prefix || 'isolated'} page`);
    assert.equal(stats.frames, 60);
    await page.context().close();
  }
  // A canvas that gives neither a WebGPU nor a WebGL2 context (Chromium has
  // no switch that removes both from workers): createRenderer falls back
  // to Canvas2D, after an adapter was found but the canvas said no.
  const page = await openPage(browsers.webgpu, server);
  const names = await page.evaluate(async () => {
    const only2d = () => {
      const canvas = new OffscreenCanvas(16, 16);
      const getContext = canvas.getContext.bind(canvas);
      canvas.getContext = (type, options) => (type === '2d' ? getContext(type, options) : null);
      return canvas;
    };
    return [(await window.asp.createRenderer(only2d())).name, (await window.asp.createRenderer(new OffscreenCanvas(16, 16))).name];
  });
  assert.deepEqual(names, ['canvas2d', 'webgpu']);
  await page.context().close();
});

// --- pixels ------------------------------------------------------------------

/** The last frame of a y4m as planes. */
function lastFrame(file) {
  const bytes = fs.readFileSync(file);
  const header = bytes.subarray(0, bytes.indexOf(10)).toString('latin1');
  const w = Number(/ W(\d+)/.exec(header)[1]);
  const h = Number(/ H(\d+)/.exec(header)[1]);
  const cw = Math.ceil(w / 2);
  const ch = Math.ceil(h / 2);
  const frameLen = w * h + 2 * cw * ch;
  const start = bytes.length - frameLen;
  return {
    w, h, cw, ch,
    y: bytes.subarray(start, start + w * h),
    u: bytes.subarray(start + w * h, start + w * h + cw * ch),
    v: bytes.subarray(start + w * h + cw * ch, bytes.length),
  };
}

/** Bilinear sample of a plane at texel coordinates (x, y), edges clamped. */
function bilinear(plane, pw, ph, x, y) {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx, yy) => plane[Math.min(ph - 1, Math.max(0, yy)) * pw + Math.min(pw - 1, Math.max(0, xx))];
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}

/**
 * The RGB a renderer should draw for pixel (x, y) of a frame shown 1:1:
 * chroma sampled bilinearly (the shaders) or nearest (the Canvas2D path).
 */
function expectedRgb(f, rows, x, y, chroma = 'bilinear') {
  const Y = f.y[y * f.w + x] / 255;
  let U;
  let V;
  if (chroma === 'nearest') {
    U = f.u[(y >> 1) * f.cw + (x >> 1)] / 255;
    V = f.v[(y >> 1) * f.cw + (x >> 1)] / 255;
  } else {
    const cx = ((x + 0.5) * f.cw) / f.w - 0.5;
    const cy = ((y + 0.5) * f.ch) / f.h - 0.5;
    U = bilinear(f.u, f.cw, f.ch, cx, cy) / 255;
    V = bilinear(f.v, f.cw, f.ch, cx, cy) / 255;
  }
  return [0, 1, 2].map((i) => {
    const r = rows.slice(4 * i, 4 * i + 4);
    return Math.round(255 * Math.min(1, Math.max(0, r[0] * Y + r[1] * U + r[2] * V + r[3])));
  });
}

for (const [name, browserKey] of [['webgpu', 'webgpu'], ['webgl2', 'plain'], ['canvas2d', 'plain']]) {
  test(`${name} renderer: the canvas shows the decoded picture (screenshot vs expected RGB)`, async () => {
    const { page, stats } = await playFile(browsers[browserKey], `${work}/small.asp`, { renderer: name });
    assert.equal(stats.renderer, name);
    const frame = lastFrame(`${work}/small.y4m`);
    // The element is 320x240 CSS px at device scale 1: the canvas shows the
    // 320x240 picture 1:1. Read its pixels from a screenshot, in the page.
    const png = await page.locator('asp-player').screenshot();
    const got = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = new OffscreenCanvas(img.width, img.height);
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      return { w: img.width, h: img.height, data: Array.from(ctx.getImageData(0, 0, img.width, img.height).data) };
    }, png.toString('base64'));
    assert.deepEqual([got.w, got.h], [frame.w, frame.h]);
    const rows = await page.evaluate(() => Array.from(window.asp.yuvToRgb(1, 0)));
    let max = 0;
    let sum = 0;
    let worst = null;
    for (let y = 0; y < frame.h; y++) {
      for (let x = 0; x < frame.w; x++) {
        const want = expectedRgb(frame, rows, x, y, name === 'canvas2d' ? 'nearest' : 'bilinear');
        for (let c = 0; c < 3; c++) {
          const d = Math.abs(got.data[(y * got.w + x) * 4 + c] - want[c]);
          sum += d;
          if (d > max) {
            max = d;
            worst = { x, y, c, got: got.data[(y * got.w + x) * 4 + c], want: want[c] };
          }
        }
      }
    }
    const mean = sum / (frame.w * frame.h * 3);
    assert.ok(max <= 4 && mean < 0.5, `max error ${max} at ${JSON.stringify(worst)}, mean ${mean.toFixed(3)}`);
    await page.context().close();
  });
}

/** The element's screenshot as RGBA pixels. */
async function screenshotPixels(page) {
  const png = await page.locator('asp-player').screenshot();
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = new OffscreenCanvas(img.width, img.height);
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    return { w: img.width, h: img.height, data: Array.from(ctx.getImageData(0, 0, img.width, img.height).data) };
  }, png.toString('base64'));
}

for (const renderer of ['webgl2', 'canvas2d']) {
  test(`no OffscreenCanvas: the player runs on the page's thread (${renderer}), same frames, same picture`, async () => {
    const page = await openPage(browsers.plain, server);
    await page.evaluate(() => { delete HTMLCanvasElement.prototype.transferControlToOffscreen; });
    const want = y4mChecksums(`${work}/small.y4m`).checksums;
    // threads=on is overridden: the pool cannot block the page's thread.
    await page.evaluate(([src, r]) => window.makePlayer({ src, autoplay: '', checksums: '', renderer: r, threads: 'on' }), [served(`${work}/small.asp`), renderer]);
    await waitForEvent(page, 'ended', 60000);
    const all = await page.evaluate(() => window.player.events);
    assert.deepEqual(await page.evaluate(() => window.uncaught), []);
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(all.filter((e) => e.type === 'error'), []);
    assert.deepEqual(all.filter((e) => e.type === 'frame').map((e) => e.detail.checksum), want);
    const stats = await page.evaluate(() => window.player.stats);
    assert.deepEqual([stats.build, stats.renderer], ['single', renderer]);
    // The page's own canvas shows the last frame.
    const frame = lastFrame(`${work}/small.y4m`);
    const rows = await page.evaluate(() => Array.from(window.asp.yuvToRgb(1, 0)));
    const got = await screenshotPixels(page);
    assert.deepEqual([got.w, got.h], [frame.w, frame.h]);
    let sum = 0;
    for (let y = 0; y < frame.h; y++) {
      for (let x = 0; x < frame.w; x++) {
        const want = expectedRgb(frame, rows, x, y, renderer === 'canvas2d' ? 'nearest' : 'bilinear');
        for (let c = 0; c < 3; c++) sum += Math.abs(got.data[(y * got.w + x) * 4 + c] - want[c]);
      }
    }
    const mean = sum / (frame.w * frame.h * 3);
    assert.ok(mean < 0.5, `mean error ${mean.toFixed(3)}`);
    await page.context().close();
  });
}

for (const [renderer, browserKey] of [['webgpu', 'webgpu'], ['canvas2d', 'plain']]) {
  test(`a picture that is not 1:1 is letterboxed (${renderer}: ${renderer === 'canvas2d' ? 'CSS object-fit' : 'the shader'})`, async () => {
    const page = await openPage(browsers[browserKey], server);
    await page.evaluate(([src, r]) => window.makePlayer({ src, autoplay: '', renderer: r }, 640, 240), [served(`${work}/small.asp`), renderer]);
    await waitForEvent(page, 'ended');
    const png = await page.locator('asp-player').screenshot();
    const bars = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = new OffscreenCanvas(img.width, img.height);
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const px = (x, y) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
      return { left: px(50, 120), right: px(590, 120), inside: px(320, 180) };
    }, png.toString('base64'));
    // 4:3 in 8:3: black bars of 160 px each side, picture in the middle.
    assert.deepEqual(bars.left, [0, 0, 0]);
    assert.deepEqual(bars.right, [0, 0, 0]);
    assert.notDeepEqual(bars.inside, [0, 0, 0]);
    await page.context().close();
  });
}
