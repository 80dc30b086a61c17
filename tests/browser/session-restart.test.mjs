// A live server that restarts: <asp-player src=".../asp/session">, on a
// page of another origin (cross-origin isolated), reads the server's
// session description, plays over WebTransport with the
// certificate hash it gives, and when the server is killed and started
// again on the same port — with a new self-signed certificate — reads the
// description again and plays on. (A fixed `https://...#sha256=` src
// cannot: its hash names the old certificate.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startServer as startPageServer, openPage, startLiveServer } from './harness.mjs';

const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
let server;
let pages;
let browser;

// The test page is of another origin: allowed explicitly.
const startServer = () =>
  startLiveServer(['--size', '320x240', '--bitrate', '400k', '--allow-origin', new URL(pages.url).origin], { port });

before(async () => {
  browser = await launch({ webgpu: false });
  pages = await startPageServer();
});
after(async () => {
  await browser?.close();
  await pages?.close();
  server?.child.kill('SIGKILL');
});

test('src=/asp/session follows a restarted server to its new certificate', async () => {
  server = await startServer();
  const firstHash = server.session.webtransport.certificateHash;
  const page = await openPage(browser, pages);
  assert.notEqual(new URL(pages.url).origin, base);
  await page.evaluate((src) => window.makePlayer({ src, autoplay: '' }), `${base}/asp/session`);
  const stats = () => page.evaluate(() => window.player.stats);
  const frames = async () => (await stats()).frames;
  await page.waitForFunction(() => window.player.stats.frames > 10, null, { timeout: 30000, polling: 200 });
  assert.equal((await stats()).transport, 'webtransport');

  server.child.kill('SIGKILL');
  await new Promise((resolve) => server.child.once('exit', resolve));
  await page.waitForFunction(() => window.player.stats.reconnects >= 1, null, { timeout: 15000, polling: 100 });
  const before = await frames();
  server = await startServer();
  assert.notEqual(server.session.webtransport.certificateHash, firstHash, 'a restarted server has a new certificate');
  // Frames again, from the new server (the backoff is at most 5 s).
  await page.waitForFunction((n) => window.player.stats.frames > n + 10, before, { timeout: 30000, polling: 200 });
  assert.equal((await stats()).transport, 'webtransport');
  const errors = await page.evaluate(() => window.player.events.filter((e) => e.type === 'error').map((e) => e.detail));
  assert.ok(errors.length >= 1 && errors.every((e) => !e.fatal && /reconnecting in \d+ ms/.test(e.message)), JSON.stringify(errors));
  assert.deepEqual(await page.evaluate(() => window.uncaught), []);
  assert.deepEqual(page.pageErrors, []);
  await page.close();
});
