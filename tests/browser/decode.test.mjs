// In every browser of $BROWSERS (Chromium, Firefox, WebKitGTK): the player
// decodes what asp-decode decodes, byte for byte, with each build the
// browser can run, from a file and over a WebSocket; the canvas shows the
// picture through each renderer the browser has; the fallbacks are chosen
// by what the browser offers (./drivers/*.mjs declare it, the first test
// checks the declaration against the engine).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launch, startServer, openPage, waitForEvent, served, work, y4mChecksums, browserNames } from './harness.mjs';
import { drivers } from './drivers/index.mjs';
import { lastFrame, decodePng, rgbAt, pictureError } from './pixels.mjs';

for (const name of browserNames) {
  const { features, testThreads } = drivers[name];
  // The threaded build where the browser offers it and the suite starts it.
  const threaded = features.threads && testThreads;
  // Chromium runs twice: with a WebGPU adapter (main) and without (plain).
  // The other engines have no WebGPU here; one instance serves both.
  const hasWebGpu = Boolean(features.webgpu);
  const isolatedBuild = threaded ? 'threads' : 'single';
  // The player draws from its worker on an OffscreenCanvas, or on the
  // page's canvas where there is none: each has its own renderers.
  const plainRenderer = features.webgl2.worker ? 'webgl2' : 'canvas2d';
  const mainRenderer = hasWebGpu ? 'webgpu' : plainRenderer;
  const renderers = [...(hasWebGpu ? ['webgpu'] : []), ...(features.webgl2.worker ? ['webgl2'] : []), 'canvas2d'];
  const pageRenderers = [...(features.webgl2.page ? ['webgl2'] : []), 'canvas2d'];

  describe(name, () => {
    let server;
    const browsers = {};
    before(async () => {
      server = await startServer();
      browsers.main = await launch({ browser: name, webgpu: true });
      browsers.plain = hasWebGpu ? await launch({ browser: name, webgpu: false }) : browsers.main;
    });
    after(async () => {
      for (const b of new Set(Object.values(browsers))) await b.close();
      await server?.close();
    });
    const browserFor = (renderer) => (renderer === 'webgpu' ? browsers.main : browsers.plain);

    // Where the driver's screenshots show the page (not WebKitGTK on Xvfb:
    // they come back black), the picture is read from one; elsewhere from
    // the canvas itself, as the renderer read it back after its last draw
    // (the player's probe-rows hook).
    const probeAttrs = features.screenshots ? {} : { 'probe-rows': '100000' };
    async function recordLastPicture(page) {
      if (!features.screenshots) {
        await page.evaluate(() => {
          window.player.addEventListener('presented', (e) => { window.lastPresented = e.detail; });
        });
      }
    }
    /** The picture on show, as { w, h, data: RGBA }. */
    async function pictureOf(page) {
      if (features.screenshots) return decodePng(await page.screenshot('asp-player'));
      const p = await page.evaluate(() => {
        const d = window.lastPresented;
        return d ? { w: d.width, h: d.height, data: Array.from(d.pixels) } : null;
      });
      assert.ok(p, 'a presented event with the canvas pixels');
      return { w: p.w, h: p.h, data: Uint8Array.from(p.data) };
    }

    /** Plays `src` to its end on a fresh page; returns the page, the player's events and stats. */
    async function play(browser, src, attrs = {}, pageOptions = {}, onMade = async () => {}) {
      const page = await openPage(browser, server, pageOptions);
      await page.evaluate(([s, a]) => { window.makePlayer({ src: s, autoplay: '', ...a }); }, [src, attrs]);
      await onMade(page);
      await waitForEvent(page, 'ended', 60000);
      const all = await page.evaluate(() => window.player.events);
      assert.deepEqual(await page.evaluate(() => window.uncaught), [], 'uncaught exceptions on the page');
      assert.deepEqual(page.pageErrors, []);
      return { page, all, stats: await page.evaluate(() => window.player.stats) };
    }

    test('the engine offers what its driver declares (the README table)', async () => {
      for (const prefix of ['', '/plain']) {
        const page = await openPage(browsers.main, server, { prefix });
        const got = await page.evaluate(async () => ({
          isolated: crossOriginIsolated,
          threads: window.asp.threadsSupported(),
          simd: window.asp.simdSupported(),
          webTransport: typeof WebTransport === 'function',
          offscreenCanvas: typeof HTMLCanvasElement.prototype.transferControlToOffscreen === 'function',
          webgl2: {
            worker: await new Promise((resolve) => {
              const source = 'postMessage(Boolean(new OffscreenCanvas(4, 4).getContext("webgl2")))';
              const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
              worker.onmessage = (e) => { resolve(e.data); worker.terminate(); };
              worker.onerror = () => resolve('worker failed');
            }),
            page: Boolean(document.createElement('canvas').getContext('webgl2')),
          },
        }));
        assert.deepEqual(got, {
          isolated: prefix === '',
          threads: prefix === '' && features.threads,
          simd: features.simd,
          webTransport: features.webTransport,
          offscreenCanvas: features.offscreenCanvas,
          webgl2: features.webgl2,
        }, `${prefix || 'isolated'} page`);
        await page.close();
      }
    });

    const builds = threaded ? ['threads', 'single'] : ['single'];
    for (const build of builds) {
      for (const stream of ['small', 'tiled']) {
        test(`${build} build: every frame of ${stream}.asp equals native asp-decode (CRC-32)`, async () => {
          const want = y4mChecksums(`${work}/${stream}.y4m`).checksums;
          const { page, all, stats } = await play(browsers.main, served(`${work}/${stream}.asp`),
            { checksums: '', threads: build === 'threads' ? 'on' : 'off' });
          const frames = all.filter((e) => e.type === 'frame').map((e) => e.detail);
          assert.equal(stats.build, build);
          assert.deepEqual(frames.map((f) => f.checksum), want);
          assert.deepEqual(frames.map((f) => f.sequence), want.map((_, i) => i));
          assert.deepEqual(all.filter((e) => e.type === 'error'), []);
          assert.ok(all.some((e) => e.type === 'playing'));
          await page.close();
        });
      }
    }

    test(`WebSocket source (${isolatedBuild} build): every frame of small.asp, streamed live, equals asp-decode`, async () => {
      const want = y4mChecksums(`${work}/small.y4m`).checksums;
      const query = new URLSearchParams({ file: served(`${work}/small.asp`).slice(1), fps: '120', loop: '0' });
      const { page, all, stats } = await play(browsers.main, `${server.url.replace('http', 'ws')}/asp/ws?${query}`, { checksums: '' });
      assert.deepEqual([stats.build, stats.transport], [isolatedBuild, 'websocket']);
      assert.deepEqual(all.filter((e) => e.type === 'frame').map((e) => e.detail.checksum), want);
      assert.deepEqual(all.filter((e) => e.type === 'error'), []);
      await page.close();
    });

    test('C-packets refine the picture as asp-decode does (the last picture of each frame)', async () => {
      const want = y4mChecksums(`${work}/roi.y4m`).checksums;
      const packets = fs.readFileSync(`${work}/roi.asp`);
      const { page, all } = await play(browsers.main, served(`${work}/roi.asp`), { checksums: '' });
      const last = [];
      for (const { detail: f } of all.filter((e) => e.type === 'frame')) last[f.sequence] = f.checksum;
      assert.deepEqual(last, want);
      assert.ok(all.filter((e) => e.type === 'frame').length > want.length, 'some frames were refined by a C-packet');
      assert.deepEqual(all.filter((e) => e.type === 'error'), []);
      assert.ok(packets.length > 0);
      await page.close();
    });

    test(`fallbacks: threads only where the page is isolated and the engine shares memory; ${mainRenderer}${hasWebGpu ? ', WebGL2 without an adapter' : ''}; Canvas2D without either context`, async () => {
      const cases = [
        [browsers.main, '', isolatedBuild, mainRenderer],
        [browsers.main, '/plain', 'single', mainRenderer],
        ...(hasWebGpu ? [[browsers.plain, '', isolatedBuild, plainRenderer], [browsers.plain, '/plain', 'single', plainRenderer]] : []),
      ];
      for (const [browser, prefix, build, renderer] of cases) {
        const { page, stats } = await play(browser, served(`${work}/small.asp`), {}, { prefix });
        assert.equal(await page.evaluate(() => crossOriginIsolated), prefix === '');
        assert.deepEqual([stats.build, stats.renderer], [build, renderer], `${prefix || 'isolated'} page`);
        assert.equal(stats.frames, 60);
        await page.close();
      }
      // A canvas that gives neither a WebGPU nor a WebGL2 context (Chromium has
      // no switch that removes both from workers): createRenderer falls back
      // to Canvas2D.
      const page = await openPage(browsers.main, server);
      const names = await page.evaluate(async () => {
        const only2d = () => {
          const canvas = new OffscreenCanvas(16, 16);
          const getContext = canvas.getContext.bind(canvas);
          canvas.getContext = (type, options) => (type === '2d' ? getContext(type, options) : null);
          return canvas;
        };
        return [(await window.asp.createRenderer(only2d())).name, (await window.asp.createRenderer(new OffscreenCanvas(16, 16))).name];
      });
      assert.deepEqual(names, ['canvas2d', mainRenderer]);
      await page.close();
    });

    // --- pixels ----------------------------------------------------------------

    for (const renderer of renderers) {
      test(`${renderer} renderer: the canvas shows the decoded picture (its pixels vs expected RGB)`, async () => {
        const { page, stats } = await play(browserFor(renderer), served(`${work}/small.asp`), { renderer, ...probeAttrs }, {}, recordLastPicture);
        assert.equal(stats.renderer, renderer);
        const frame = lastFrame(`${work}/small.y4m`);
        // The element is 320x240 CSS px at device scale 1: the canvas shows
        // the 320x240 picture 1:1.
        const got = await pictureOf(page);
        assert.deepEqual([got.w, got.h], [frame.w, frame.h]);
        const rows = await page.evaluate(() => Array.from(window.asp.yuvToRgb(1, 0)));
        const { max, mean, worst } = pictureError(frame, rows, got, renderer === 'canvas2d' ? 'nearest' : 'bilinear');
        assert.ok(max <= 4 && mean < 0.5, `max error ${max} at ${JSON.stringify(worst)}, mean ${mean.toFixed(3)}`);
        await page.close();
      });
    }

    for (const renderer of pageRenderers) {
      test(`no OffscreenCanvas: the player runs on the page's thread (${renderer}), same frames, same picture`, async () => {
        const page = await openPage(browsers.plain, server);
        await page.evaluate(() => { delete HTMLCanvasElement.prototype.transferControlToOffscreen; });
        const want = y4mChecksums(`${work}/small.y4m`).checksums;
        // threads=on is overridden: the pool cannot block the page's thread.
        await page.evaluate(([src, r, a]) => { window.makePlayer({ src, autoplay: '', checksums: '', renderer: r, threads: 'on', ...a }); }, [served(`${work}/small.asp`), renderer, probeAttrs]);
        await recordLastPicture(page);
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
        const got = await pictureOf(page);
        assert.deepEqual([got.w, got.h], [frame.w, frame.h]);
        const { mean } = pictureError(frame, rows, got, renderer === 'canvas2d' ? 'nearest' : 'bilinear');
        assert.ok(mean < 0.5, `mean error ${mean.toFixed(3)}`);
        await page.close();
      });
    }

    // The bars are the page's (CSS) or the canvas's: only a screenshot shows both.
    for (const renderer of features.screenshots ? renderers.filter((r) => r !== 'webgl2') : []) {
      test(`a picture that is not 1:1 is letterboxed (${renderer}: ${renderer === 'canvas2d' ? 'CSS object-fit' : 'the shader'})`, async () => {
        const page = await openPage(browserFor(renderer), server);
        await page.evaluate(([src, r]) => window.makePlayer({ src, autoplay: '', renderer: r }, 640, 240), [served(`${work}/small.asp`), renderer]);
        await waitForEvent(page, 'ended');
        const img = decodePng(await page.screenshot('asp-player'));
        // 4:3 in 8:3: black bars of 160 px each side, picture in the middle.
        assert.deepEqual(rgbAt(img, 50, 120), [0, 0, 0]);
        assert.deepEqual(rgbAt(img, 590, 120), [0, 0, 0]);
        assert.notDeepEqual(rgbAt(img, 320, 180), [0, 0, 0]);
        await page.close();
      });
    }

    if (drivers[name].withoutSimd) {
      test('without wasm SIMD: a fatal error that says why, no frames (no scalar build is shipped)', async () => {
        const browser = await launch({ browser: name, ...drivers[name].withoutSimd });
        try {
          const page = await openPage(browser, server);
          assert.equal(await page.evaluate(() => window.asp.simdSupported()), false);
          await page.evaluate((src) => window.makePlayer({ src, autoplay: '' }), served(`${work}/small.asp`));
          await waitForEvent(page, 'error', 30000);
          const all = await page.evaluate(() => window.player.events);
          const errors = all.filter((e) => e.type === 'error').map((e) => e.detail);
          assert.equal(errors.length, 1, JSON.stringify(errors));
          assert.equal(errors[0].fatal, true);
          assert.match(errors[0].message, /needs WebAssembly SIMD/);
          assert.deepEqual(all.filter((e) => e.type === 'frame'), []);
          assert.deepEqual(await page.evaluate(() => window.uncaught), []);
          await page.close();
        } finally {
          await browser.close();
        }
      });
    }
  });
}
