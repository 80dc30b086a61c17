// A live server that restarts: <asp-player src=".../asp/session"> reads
// the server's session description, plays over WebTransport with the
// certificate hash it gives, and when the server is killed and started
// again on the same port — with a new self-signed certificate — reads the
// description again and plays on. (A fixed `https://...#sha256=` src
// cannot: its hash names the old certificate.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { launch, root } from './harness.mjs';

const bin = process.env.ASP_BIN_DIR;
const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
let server;
let browser;

async function startServer() {
  const child = spawn(path.join(bin, 'asp-encode'), ['--serve', `127.0.0.1:${port}`, '--size', '320x240', '--bitrate', '400k'],
    { cwd: root, stdio: 'ignore' });
  for (let i = 0; ; i++) {
    const session = await fetch(`${base}/asp/session`).then((r) => (r.ok ? r.json() : null)).catch(() => null);
    if (session) return { child, session };
    if (i > 100) throw new Error('asp-encode --serve did not come up');
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  assert.ok(bin, 'ASP_BIN_DIR (set by run.sh)');
  browser = await launch({ webgpu: false });
});
after(async () => {
  await browser?.close();
  server?.child.kill('SIGKILL');
});

test('src=/asp/session follows a restarted server to its new certificate', async () => {
  server = await startServer();
  const firstHash = server.session.webtransport.certificateHash;
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/?src=/asp/session`);
  const frames = () => page.evaluate(() => document.getElementById('player').stats.frames);
  await page.waitForFunction(() => document.getElementById('player')?.stats.frames > 10, null, { timeout: 30000, polling: 200 });
  assert.equal(await page.evaluate(() => document.getElementById('player').stats.transport), 'webtransport');

  server.child.kill('SIGKILL');
  await new Promise((resolve) => server.child.once('exit', resolve));
  await page.waitForFunction(() => document.getElementById('player').stats.reconnects >= 1, null, { timeout: 15000, polling: 100 });
  const before = await frames();
  server = await startServer();
  assert.notEqual(server.session.webtransport.certificateHash, firstHash, 'a restarted server has a new certificate');
  // Frames again, from the new server (the backoff is at most 5 s).
  await page.waitForFunction((n) => document.getElementById('player').stats.frames > n + 10, before, { timeout: 30000, polling: 200 });
  assert.equal(await page.evaluate(() => document.getElementById('player').stats.transport), 'webtransport');
  const log = await page.evaluate(() => document.getElementById('log').textContent);
  assert.match(log, /reconnecting in \d+ ms/);
  assert.deepEqual(errors, []);
  await page.close();
});
