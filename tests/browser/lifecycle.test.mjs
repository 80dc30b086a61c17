// <asp-player>'s lifecycle: destroy() and removal from the DOM release the
// worker (and the threaded build's pool with it), the socket, the GPU
// context and the wasm memory; a removal undone within the grace (a move)
// keeps playing on the same connection; 100 create/remove cycles leave no
// worker and no socket behind. Workers are counted twice: by Playwright
// (the workers the page really has, the threaded build's nested pool
// workers included; Chromium reports a terminated one gone about 2 s
// later) and by a wrapper of `Worker` in the page (created against
// terminated). Sockets are counted by a WebSocket
// server of the test's own, which plays small.asp in a loop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { WebSocketServer } from '../../tools/web/node_modules/ws/wrapper.mjs';
import { splitPackets } from '../../tools/web/asp-packets.mjs';
import { launch, startServer, openPage, work } from './harness.mjs';
import { makeMediaPlayer, waitForCount } from './media.mjs';

let server;
let browser;
let live;
/** Sockets open now, and opened in all. */
const sockets = { open: 0, opened: 0 };

before(async () => {
  server = await startServer();
  browser = await launch({ webgpu: false });
  const packets = splitPackets(fs.readFileSync(`${work}/small.asp`));
  live = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => live.once('listening', resolve));
  live.on('connection', (socket) => {
    sockets.open += 1;
    sockets.opened += 1;
    let index = 0;
    const timer = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      socket.send(packets[index]);
      index = (index + 1) % packets.length;
    }, 1000 / 60);
    socket.on('close', () => {
      clearInterval(timer);
      sockets.open -= 1;
    });
  });
});
after(async () => {
  for (const client of live.clients) client.terminate();
  await new Promise((resolve) => live.close(resolve));
  await browser.close();
  await server.close();
});

const liveSrc = () => `ws://127.0.0.1:${live.address().port}/`;

/** Counts the page's Worker constructions and terminate() calls (window.workerLog). */
function countWorkers(page) {
  return page.evaluate(() => {
    const Native = window.Worker;
    window.workerLog = { created: 0, terminated: 0 };
    window.Worker = class extends Native {
      constructor(...args) {
        super(...args);
        window.workerLog.created += 1;
      }

      terminate() {
        window.workerLog.terminated += 1;
        super.terminate();
      }
    };
  });
}

async function until(what, check, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    assert.ok(Date.now() < end, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const frames = (page) => page.evaluate(() => window.player.events.filter((e) => e.type === 'frame').length);

async function finish(page) {
  assert.deepEqual(await page.evaluate(() => window.uncaught), [], 'uncaught exceptions');
  assert.deepEqual(page.pageErrors, []);
  await page.close();
}

test('a move within the grace keeps playing; removal releases worker and socket; destroy() then play() starts afresh', async () => {
  const page = await openPage(browser, server);
  await countWorkers(page);
  const baseline = page.raw.workers().length;
  sockets.opened = 0;
  await makeMediaPlayer(page, { src: liveSrc(), autoplay: '', checksums: '' });
  await waitForCount(page, 'playing');
  assert.equal(sockets.open, 1);
  assert.ok(page.raw.workers().length > baseline, 'the player has a worker');

  // Moved: out of the DOM and back within the grace.
  await page.evaluate(async () => {
    const el = window.player;
    el.remove();
    await new Promise((resolve) => setTimeout(resolve, 300));
    document.body.prepend(el);
  });
  const before = await frames(page);
  await page.waitForTimeout(1500);
  assert.ok(await frames(page) > before + 20, 'frames kept coming after the move');
  assert.deepEqual([sockets.open, sockets.opened], [1, 1], 'the same connection');
  assert.deepEqual(await page.evaluate(() => window.workerLog), { created: 1, terminated: 0 });
  assert.equal(await page.evaluate(() => window.player.paused), false);

  // Removed for good: released after the grace.
  await page.evaluate(() => window.player.remove());
  await until('the socket to close', () => sockets.open === 0, 5000);
  await until('the worker to go', () => page.raw.workers().length === baseline, 15000);
  assert.deepEqual(await page.evaluate(() => window.workerLog), { created: 1, terminated: 1 });
  const state = await page.evaluate(() => [window.player.paused, window.player.readyState, window.player.videoWidth]);
  assert.deepEqual(state, [true, 0, 0]);

  // destroy() on a playing element; then play() again gets a new worker and canvas.
  await page.evaluate(() => document.body.append(window.player));
  await page.evaluate(() => { window.player.events.length = 0; });
  await waitForCount(page, 'playing');
  assert.equal(sockets.open, 1);
  await page.evaluate(() => window.player.destroy());
  assert.deepEqual(await page.evaluate(() => window.workerLog), { created: 2, terminated: 2 });
  await until('the socket to close', () => sockets.open === 0, 5000);
  await until('the worker to go', () => page.raw.workers().length === baseline, 15000);
  await page.evaluate(() => { window.player.events.length = 0; });
  const again = await page.evaluate(() => window.player.play().then(() => window.player.readyState));
  assert.equal(again, 4);
  assert.equal(sockets.open, 1);
  await page.evaluate(() => window.player.remove());
  await until('the socket to close', () => sockets.open === 0, 5000);
  await until('the worker to go', () => page.raw.workers().length === baseline, 15000);
  await finish(page);
});

test('100 create/remove cycles leave no worker and no socket', async () => {
  const page = await openPage(browser, server);
  await countWorkers(page);
  const baseline = page.raw.workers().length;
  sockets.opened = 0;
  const cycles = await page.evaluate(async (src) => {
    let played = 0;
    for (let i = 0; i < 100; i++) {
      const el = document.createElement('asp-player');
      el.style.width = '160px';
      el.style.height = '120px';
      // Every other player single-threaded: both builds' workers must go.
      if (i % 2) el.setAttribute('threads', 'off');
      el.setAttribute('src', src);
      document.body.append(el);
      // Some are removed while starting, some once playing.
      const playing = new Promise((resolve) => el.addEventListener('playing', () => resolve(true), { once: true }));
      const wait = i % 10 === 0 ? 5000 : 30 + (i % 7) * 40;
      el.play().catch(() => {});
      if (await Promise.race([playing, new Promise((resolve) => setTimeout(() => resolve(false), wait))])) played += 1;
      el.remove();
    }
    return { played };
  }, liveSrc());
  assert.ok(cycles.played >= 10, `players that got to playing: ${cycles.played}`);
  const log = await until('every worker terminated', async () => {
    const l = await page.evaluate(() => window.workerLog);
    return l.terminated === l.created ? l : null;
  }, 20000);
  assert.equal(log.created, 100);
  await until('no worker left in the page', () => page.raw.workers().length === baseline, 20000);
  await until('every socket closed', () => sockets.open === 0, 10000);
  assert.ok(sockets.opened >= 10, `sockets opened: ${sockets.opened}`);
  await finish(page);
});
