// WebTransport faults as <asp-player> sees them: the server (asp-encode
// --serve) vanishes mid-stream. The player notices (a killed server sends
// no close: at the latest after 5 s of silence), keeps the last
// picture, reports each attempt as a non-fatal error, and retries with a
// doubling delay (250 ms, 500 ms, ... capped at 5 s) without ending and
// without an uncaught exception. (A restarted asp-encode has a new
// self-signed certificate, which the URL's #sha256= does not trust, so the
// retries go on failing: what a viewer of a restarted dev server sees.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { launch, startServer, openPage, root } from './harness.mjs';

const target = path.resolve(root, process.env.CARGO_TARGET_DIR || 'target');
let server;
let browser;
let live;
let wt;

before(async () => {
  // The test page is of another origin: allowed explicitly.
  server = await startServer();
  live = spawn(path.join(target, 'release/asp-encode'),
    ['testsrc', '--serve', '127.0.0.1:0', '--size', '320x240', '--fps', '30', '--keyint', '15',
      '--allow-origin', new URL(server.url).origin],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  wt = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`asp-encode --serve did not start: ${text}`)), 30000);
    live.stderr.on('data', (chunk) => {
      text += chunk;
      // Up to the line's end: a chunk may end inside the hash.
      const m = text.match(/WebTransport source for <asp-player>: (https:\S+)\n/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  browser = await launch({ webgpu: false });
});
after(async () => {
  await browser?.close();
  await server?.close();
  live?.kill('SIGKILL');
});

test('WebTransport: the server vanishing mid-stream -> reconnection attempts with backoff, no end, no exception', async () => {
  const page = await openPage(browser, server);
  await page.evaluate((s) => window.makePlayer({ src: s, autoplay: '', checksums: '' }), wt);
  const frames = () => page.evaluate(() => window.player.events.filter((e) => e.type === 'frame').length);
  await page.waitForFunction(() => window.player.events.filter((e) => e.type === 'frame').length >= 10, null, { timeout: 30000 });
  assert.deepEqual(await page.evaluate(() => window.player.events.filter((e) => e.type === 'error')), []);
  live.kill('SIGKILL');
  await new Promise((resolve) => live.once('exit', resolve));
  // Frames already received may still be decoding when the loss is noticed
  // (a loaded machine queues a few): the count must settle, then stay.
  await page.waitForFunction(() => window.player.events.some((e) => e.type === 'error'), null, { timeout: 10000, polling: 50 });
  let seen = await frames();
  for (let quiet = 0, polls = 0; quiet < 5; polls++) {
    assert.ok(polls < 100, 'frames still arriving 10 s after the server vanished');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await frames();
    quiet = now === seen ? quiet + 1 : 0;
    seen = now;
  }
  // Five attempts take 250 + 500 + 1000 + 2000 ms after the loss.
  await page.waitForFunction(() => window.player.events.filter((e) => e.type === 'error').length >= 5, null, { timeout: 20000, polling: 100 });
  const errors = await page.evaluate(() => window.player.events.filter((e) => e.type === 'error').map((e) => e.detail));
  const delays = errors.map((e) => Number(/reconnecting in (\d+) ms/.exec(e.message)?.[1]));
  assert.deepEqual(delays.slice(0, 5), [250, 500, 1000, 2000, 4000], JSON.stringify(errors));
  assert.ok(errors.every((e) => e.fatal === false));
  const all = await page.evaluate(() => window.player.events);
  assert.ok(!all.some((e) => e.type === 'ended'), 'a live stream whose server vanished does not end');
  assert.equal(await frames(), seen, 'no frames without a server');
  // The last picture stays, and the player says it is reconnecting.
  await page.waitForFunction(() => window.player.stats.reconnects >= 1, null, { timeout: 5000 });
  assert.deepEqual(await page.evaluate(() => window.uncaught), []);
  assert.deepEqual(page.pageErrors, []);
  await page.close();
});
