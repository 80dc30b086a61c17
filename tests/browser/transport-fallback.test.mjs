// WebTransport refused -> WebSocket: <asp-player src=".../asp/session">
// reads a session description whose WebTransport certificate hash does not
// match the server's certificate (what a page sees when a certificate
// expired or was replaced). The handshake fails, the player says so (a
// `transportfallback` event with the reason, stats.transportFallback; no
// error, no reconnection counted) and plays over WebSocket from the same
// server; stats.transport says 'websocket'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { launch, startServer as startPageServer, openPage, startLiveServer } from './harness.mjs';

let live;
let pages;
let browser;
let describer;

before(async () => {
  browser = await launch({ webgpu: false });
  pages = await startPageServer();
  live = await startLiveServer(['--size', '320x240', '--keyint', '15', '--allow-origin', new URL(pages.url).origin]);
  const wt = live.session.webtransport;
  assert.ok(wt?.certificateHash, 'the server offers WebTransport with a self-signed certificate');
  // The server's own description, with a hash no certificate has.
  const wrong = { ...live.session, websocket: `${live.base.replace('http:', 'ws:')}${live.session.websocket}`,
    webtransport: { ...wt, certificateHash: '00'.repeat(32), certificateHashBytes: new Array(32).fill(0) } };
  describer = http.createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
    response.end(JSON.stringify(wrong));
  });
  await new Promise((resolve) => describer.listen(0, '127.0.0.1', resolve));
});
after(async () => {
  await browser?.close();
  await pages?.close();
  describer?.close();
  live?.child.kill('SIGKILL');
});

test('a WebTransport certificate hash that does not match -> plays over WebSocket, and says why', async () => {
  const page = await openPage(browser, pages);
  const src = `http://127.0.0.1:${describer.address().port}/asp/session`;
  await page.evaluate((s) => window.makePlayer({ src: s, autoplay: '' }), src);
  await page.waitForFunction(() => window.player.stats.frames > 10, null, { timeout: 30000, polling: 200 });
  const stats = await page.evaluate(() => window.player.stats);
  assert.equal(stats.transport, 'websocket');
  assert.equal(stats.reconnects, 0, 'the fallback is no reconnection');
  assert.equal(typeof stats.transportFallback, 'string');
  assert.ok(stats.transportFallback.length > 0);
  const events = await page.evaluate(() => window.player.events.map((e) => ({ type: e.type, detail: e.detail })));
  const errors = events.filter((e) => e.type === 'error');
  assert.deepEqual(errors, [], 'the fallback is no error');
  const fallbacks = events.filter((e) => e.type === 'transportfallback');
  assert.equal(fallbacks.length, 1, JSON.stringify(fallbacks));
  assert.deepEqual(fallbacks[0].detail, { from: 'webtransport', to: 'websocket', reason: stats.transportFallback });
  assert.deepEqual(await page.evaluate(() => window.uncaught), []);
  assert.deepEqual(page.pageErrors, []);
  await page.close();
});
