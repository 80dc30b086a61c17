// <asp-player> against the real live server: `asp-encode --serve` (issue 7)
// serves www/ and web/, and the player plays its testsrc stream over
// WebSocket and over WebTransport (self-signed certificate, hash from
// /asp/session), with wall-clock capture times giving a latency figure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startLiveServer } from './harness.mjs';

let server;
let browser;
let base;

before(async () => {
  ({ child: server, base } = await startLiveServer(['--size', '320x240', '--bitrate', '400k']));
  browser = await launch({ webgpu: false });
});
after(async () => {
  await browser?.close();
  server?.kill();
});

for (const [name, query] of [['WebSocket', ''], ['WebTransport', '?transport=wt']]) {
  test(`the demo page plays asp-encode --serve over ${name}`, async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/${query}`);
    await page.waitForFunction(() => document.getElementById('player')?.stats.frames > 20, null, { timeout: 30000, polling: 200 });
    await page.waitForFunction(() => document.getElementById('player').stats.latencyMs !== null, null, { timeout: 10000, polling: 200 });
    const { src, stats } = await page.evaluate(() => ({ src: document.getElementById('player').src, stats: document.getElementById('player').stats }));
    assert.match(src, name === 'WebSocket' ? /^ws:\/\/.*\/asp\/ws$/ : /^https:\/\/.*\/asp\/wt$/);
    assert.deepEqual([stats.width, stats.height, stats.build, stats.errors], [320, 240, 'threads', 0]);
    assert.ok(stats.latencyMs > -1000 && stats.latencyMs < 5000, `latency ${stats.latencyMs} ms`);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });
}
