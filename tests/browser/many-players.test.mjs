// Many <asp-player>s on one page share the page's players' worker (one
// decoder instance: one wasm memory, one threaded pool): 16 players play
// small.asp to the frames asp-decode makes (CRC-32 of every frame), and
// the page has the workers of one player plus nothing per extra player.
// They draw with Canvas2D: Chromium keeps at most 16 WebGL contexts a page
// and loses the oldest beyond (one GL context shared by a worker's players
// would lift that; not done yet).
// Prints the page's memory (performance.measureUserAgentSpecificMemory, as
// Chromium measures it: the page and its workers) and worker count for 1
// and for 16 players (BENCHMARKS.md):
//
//   BROWSERS=chromium tests/browser/run.sh tests/browser/many-players.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, finish, openPage, served, work, y4mChecksums } from './harness.mjs';

const env = serverAndBrowser({ webgpu: false });

/** Plays small.asp on `count` players at once; their frame checksums, the workers and memory while they play. */
async function playMany(count) {
  const page = await openPage(env.browser, env.server);
  const baseline = page.raw.workers().length;
  const made = await page.evaluate(async ([src, n]) => {
    const Native = window.Worker;
    // The players' workers (the threaded build's pool workers, which the page makes too, apart).
    let created = 0;
    window.Worker = class extends Native {
      constructor(...args) {
        super(...args);
        if (String(args[0]).includes('player-worker.js')) created += 1;
      }
    };
    const players = [];
    for (let i = 0; i < n; i++) {
      const el = document.createElement('asp-player');
      el.style.width = '80px';
      el.style.height = '60px';
      el.setAttribute('threads', 'auto');
      el.setAttribute('checksums', '');
      el.setAttribute('renderer', 'canvas2d');
      el.setAttribute('src', src);
      el.frames = [];
      el.addEventListener('frame', (e) => el.frames.push(e.detail.checksum));
      document.body.append(el);
      players.push(el);
    }
    window.players = players;
    // Paused on their first frame, so that workers and memory are measured with every player alive.
    await Promise.all(players.map((el) => el.play().then(() => el.pause())));
    return { created, builds: players.map((el) => el.stats.build) };
  }, [served(`${work}/small.asp`), count]);
  // Chromium lists a new worker a little after it starts.
  await page.waitForTimeout(500);
  const workers = page.raw.workers().length - baseline;
  const memoryBytes = await page.evaluate(async () => {
    if (typeof performance.measureUserAgentSpecificMemory !== 'function') return null;
    return (await performance.measureUserAgentSpecificMemory()).bytes;
  });
  const checksums = await page.evaluate(async () => {
    const ended = window.players.map((el) => new Promise((resolve) => el.addEventListener('ended', resolve, { once: true })));
    for (const el of window.players) el.play().catch(() => {});
    await Promise.all(ended);
    return window.players.map((el) => el.frames);
  });
  return { page, made, workers, memoryBytes, checksums };
}

test('16 players on one page share one worker and play bit-exactly; memory and workers against 1 player', async () => {
  const native = y4mChecksums(`${work}/small.y4m`).checksums;
  const one = await playMany(1);
  assert.deepEqual(one.checksums, [native]);
  await finish(one.page);

  const many = await playMany(16);
  assert.equal(many.made.created, 1, 'one players\' worker for the page');
  assert.ok(many.made.builds.every((b) => b === one.made.builds[0]), JSON.stringify(many.made.builds));
  many.checksums.forEach((frames, i) => assert.deepEqual(frames, native, `player ${i}`));
  assert.equal(many.workers, one.workers, 'no worker per extra player');
  const mb = (bytes) => (bytes === null ? 'n/a' : `${(bytes / 1e6).toFixed(1)} MB`);
  console.log(`build ${one.made.builds[0]}: 1 player: ${one.workers} workers, ${mb(one.memoryBytes)}; `
    + `16 players: ${many.workers} workers, ${mb(many.memoryBytes)}`);
  if (one.memoryBytes !== null && many.memoryBytes !== null) {
    // Each extra player adds its decoder's frames (320x240) and a canvas, not a wasm instance and a pool.
    assert.ok(many.memoryBytes - one.memoryBytes < 15 * 8e6, `16 players: ${mb(many.memoryBytes)} against ${mb(one.memoryBytes)}`);
  }
  await finish(many.page);
});
