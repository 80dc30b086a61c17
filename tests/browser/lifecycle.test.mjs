// <asp-player>'s lifecycle: destroy() and removal from the DOM release the
// player, the socket and the GPU context, and with the page's last player
// its worker (and the threaded build's pool and wasm memory with it); a removal undone within the grace (a move)
// keeps playing on the same connection; 100 create/remove cycles leave no
// worker, no socket and no page memory behind. Workers are counted twice: by Playwright
// (the workers the page really has, the threaded build's pool workers
// included; Chromium reports a terminated one gone about 2 s later) and by
// a wrapper of `Worker` in the page (created against terminated, players'
// workers and pool workers apart). Sockets are counted by a WebSocket
// server of the test's own, which plays small.asp in a loop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { WebSocketServer } from '../../tools/web/node_modules/ws/wrapper.mjs';
import { splitPackets } from '../../tools/web/asp-packets.mjs';
import { serverAndBrowser, finish, openPage, work } from './harness.mjs';
import { makeMediaPlayer, waitForCount } from './media.mjs';

const env = serverAndBrowser();
let live;
/** Sockets open now, and opened in all. */
const sockets = { open: 0, opened: 0 };

before(async () => {
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
});

const liveSrc = () => `ws://127.0.0.1:${live.address().port}/`;

/**
 * Counts the page's Worker constructions and terminate() calls: of the
 * players' workers (window.workerLog) and of the threaded build's pool
 * workers, which the page makes for them (window.poolLog).
 */
function countWorkers(page) {
  return page.evaluate(() => {
    const Native = window.Worker;
    window.workerLog = { created: 0, terminated: 0 };
    window.poolLog = { created: 0, terminated: 0 };
    window.Worker = class extends Native {
      constructor(...args) {
        super(...args);
        this.log = String(args[0]).includes('player-worker.js') ? window.workerLog : window.poolLog;
        this.log.created += 1;
      }

      terminate() {
        this.log.terminated += 1;
        super.terminate();
      }
    };
  });
}

/** Every pool worker the page made is terminated. */
const poolGone = (page) => page.evaluate(() => window.poolLog.created === window.poolLog.terminated);

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

test('a move within the grace keeps playing; removal releases worker and socket; destroy() then play() starts afresh', async () => {
  const page = await openPage(env.browser, env.server);
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
  assert.ok(await poolGone(page), JSON.stringify(await page.evaluate(() => window.poolLog)));
  const state = await page.evaluate(() => [window.player.paused, window.player.readyState, window.player.videoWidth]);
  assert.deepEqual(state, [true, 0, 0]);

  // destroy() on a playing element; then play() again gets a new worker and canvas.
  await page.evaluate(() => document.body.append(window.player));
  await page.evaluate(() => { window.player.events.length = 0; });
  await waitForCount(page, 'playing');
  assert.equal(sockets.open, 1);
  await page.evaluate(() => window.player.destroy());
  // The page's last player gone, its worker goes after a linger (a player coming soon would reuse it).
  await until('the worker terminated', () => page.evaluate(() => window.workerLog.terminated === 2), 5000);
  assert.deepEqual(await page.evaluate(() => window.workerLog), { created: 2, terminated: 2 });
  assert.ok(await poolGone(page), JSON.stringify(await page.evaluate(() => window.poolLog)));
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

/** The page's memory with its workers (Chromium: measureUserAgentSpecificMemory on an isolated page). */
const pageMemory = (page) => page.evaluate(async () => (await performance.measureUserAgentSpecificMemory()).bytes);

test('100 create/remove cycles leave no worker, no socket and no memory behind', async () => {
  const page = await openPage(env.browser, env.server);
  await countWorkers(page);
  const baseline = page.raw.workers().length;
  const memoryBefore = await pageMemory(page);
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
  let last = null;
  const log = await until('every worker terminated', async () => {
    const l = await page.evaluate(() => window.workerLog);
    last = l;
    return l.terminated === l.created ? l : null;
  }, 20000).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(last)}`); });
  assert.ok(await poolGone(page), JSON.stringify(await page.evaluate(() => window.poolLog)));
  // The players of one build share a worker while one of them lives (or
  // for its linger after): far fewer workers than players.
  assert.ok(log.created <= 50, `workers made for 100 players: ${log.created}`);
  await until('no worker left in the page', () => page.raw.workers().length === baseline, 20000);
  await until('every socket closed', () => sockets.open === 0, 10000);
  assert.ok(sockets.opened >= 10, `sockets opened: ${sockets.opened}`);
  // The workers' wasm memories went with them: what is left is the page's own (its elements, garbage to collect).
  const memoryAfter = await pageMemory(page);
  assert.ok(memoryAfter - memoryBefore < 8e6, `page memory ${(memoryBefore / 1e6).toFixed(1)} MB before, ${(memoryAfter / 1e6).toFixed(1)} MB after`);
  console.log(`100 cycles: page memory ${(memoryBefore / 1e6).toFixed(1)} MB before, ${(memoryAfter / 1e6).toFixed(1)} MB after; ${log.created} workers made`);
  await finish(page);
});
