// <asp-player> playing `asp-encode --serve` live, in every browser of
// $BROWSERS: over WebSocket, over WebTransport where the browser has it
// (self-signed certificate trusted through the `#sha256=` URL fragment the
// server prints), from the server's session description (WebTransport, or
// WebSocket where the browser lacks it); and the server's own page and
// assets served with the cross-origin isolation headers.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { launch, startServer, openPage, waitForEvent, root, browserNames } from './harness.mjs';
import { drivers } from './drivers/index.mjs';

const target = path.resolve(root, process.env.CARGO_TARGET_DIR || 'target');
let server;
let live;
let urls;

before(async () => {
  // The test page is of another origin: allowed explicitly.
  server = await startServer();
  live = spawn(path.join(target, 'release/asp-encode'),
    ['testsrc', '--serve', '127.0.0.1:0', '--size', '320x240', '--fps', '30', '--keyint', '15',
      '--allow-origin', new URL(server.url).origin],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  urls = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`asp-encode --serve did not start: ${text}`)), 30000);
    live.stderr.on('data', (chunk) => {
      text += chunk;
      const http = text.match(/serving \S+ at (http:\/\/[^/]+)\//);
      // Up to the line's end: a chunk may end inside the hash.
      const wt = text.match(/WebTransport source for <asp-player>: (https:\S+)\n/);
      if (http && wt) {
        clearTimeout(timer);
        resolve({ http: http[1], wt: wt[1] });
      }
    });
  });
});
after(async () => {
  await server?.close();
  live?.kill();
});

for (const name of browserNames) {
  const { features } = drivers[name];
  describe(name, () => {
    let browser;
    before(async () => { browser = await launch({ browser: name }); });
    after(async () => { await browser?.close(); });

    /** Plays live `src` until 20 frames; returns the player's stats. */
    async function playsLive(src) {
      const page = await openPage(browser, server);
      await page.evaluate((s) => window.makePlayer({ src: s, autoplay: '', checksums: '' }), src);
      await waitForEvent(page, 'playing', 30000);
      await page.waitForFunction(() => window.player.events.filter((e) => e.type === 'frame').length >= 20, null, { timeout: 30000 });
      const frames = await page.evaluate(() => window.player.events.filter((e) => e.type === 'frame').map((e) => e.detail.sequence));
      for (let i = 1; i < frames.length; i++) assert.ok(frames[i] > frames[i - 1], `sequences increase: ${frames}`);
      // stats come once a second.
      await page.waitForFunction(() => window.player.stats.transport !== null, null, { timeout: 10000 });
      assert.deepEqual(await page.evaluate(() => window.uncaught), []);
      assert.deepEqual(page.pageErrors, []);
      const stats = await page.evaluate(() => window.player.stats);
      await page.close();
      return stats;
    }

    test('<asp-player> plays asp-encode --serve over WebSocket', async () => {
      const stats = await playsLive(`${urls.http.replace('http:', 'ws:')}/asp/ws`);
      assert.equal(stats.transport, 'websocket');
    });

    if (features.webTransport) {
      test('<asp-player> plays asp-encode --serve over WebTransport', async () => {
        const stats = await playsLive(urls.wt);
        assert.equal(stats.transport, 'webtransport');
      });
    }

    test(`<asp-player> plays the server's session description over ${features.webTransport ? 'WebTransport' : 'WebSocket (no WebTransport in this browser)'}`, async () => {
      const stats = await playsLive(`${urls.http}/asp/session`);
      assert.equal(stats.transport, features.webTransport ? 'webtransport' : 'websocket');
    });
  });
}

test('the server serves www/ and web/ cross-origin isolated', async () => {
  for (const file of ['/', '/web/src/index.js', '/asp/session']) {
    const response = await fetch(`${urls.http}${file}`);
    assert.equal(response.status, 200, file);
    assert.equal(response.headers.get('cross-origin-opener-policy'), 'same-origin', file);
    assert.equal(response.headers.get('cross-origin-embedder-policy'), 'require-corp', file);
  }
  const page = await (await fetch(`${urls.http}/`)).text();
  assert.match(page, /asp-player/);
});
