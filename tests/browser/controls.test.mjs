// play / pause / stop on a paced file, and the stats object, in every
// browser of $BROWSERS.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startServer, openPage, waitForEvent, served, work, browserNames } from './harness.mjs';
import { drivers } from './drivers/index.mjs';

const frameCount = (page) => page.evaluate(() => window.player.events.filter((e) => e.type === 'frame').length);

for (const name of browserNames) {
  const { features, testThreads } = drivers[name];
  describe(name, () => {
    let server;
    let browser;
    before(async () => {
      server = await startServer();
      browser = await launch({ browser: name, webgpu: false });
    });
    after(async () => {
      await browser?.close();
      await server?.close();
    });

    test('pause holds the picture, play resumes where it was, stop then play starts afresh', async () => {
      const page = await openPage(browser, server);
      // paced.asp: 45 frames at 30 fps, 1.5 s of playing time.
      await page.evaluate((src) => window.makePlayer({ src, autoplay: '', checksums: '' }), served(`${work}/paced.asp`));
      await waitForEvent(page, 'playing');
      await page.evaluate(() => window.player.pause());
      assert.equal(await page.evaluate(() => window.player.paused), true);
      await page.waitForTimeout(150);
      const paused = await frameCount(page);
      await page.waitForTimeout(400);
      assert.equal(await frameCount(page), paused, 'no frame while paused');
      assert.ok(paused < 45, `paused before the end (${paused})`);
      await page.evaluate(() => window.player.play());
      await waitForEvent(page, 'ended');
      const frames = await page.evaluate(() => window.player.events.filter((e) => e.type === 'frame').map((e) => e.detail.sequence));
      assert.deepEqual(frames, [...Array(45).keys()], 'resumed where it paused');

      await page.evaluate(() => { window.player.events.length = 0; return window.player.play(); });
      await waitForEvent(page, 'playing');
      await page.evaluate(() => window.player.stop());
      await page.waitForTimeout(150);
      const stopped = await frameCount(page);
      await page.waitForTimeout(400);
      assert.equal(await frameCount(page), stopped, 'no frame after stop');
      await page.evaluate(() => { window.player.events.length = 0; return window.player.play(); });
      await waitForEvent(page, 'ended');
      const again = await page.evaluate(() => window.player.events.filter((e) => e.type === 'frame').map((e) => e.detail.sequence));
      assert.deepEqual(again, [...Array(45).keys()], 'play after stop starts from the beginning');

      const stats = await page.evaluate(() => window.player.stats);
      assert.equal(stats.frames, 45);
      assert.deepEqual([stats.width, stats.height, stats.build, stats.renderer],
      [160, 120, features.threads && testThreads ? 'threads' : 'single', features.webgl2.worker ? 'webgl2' : 'canvas2d']);
      assert.ok(stats.decodeMs > 0);
      assert.deepEqual(await page.evaluate(() => window.uncaught), []);
      await page.close();
    });
  });
}
