// Starting the threaded build, many times over, in every browser of
// $BROWSERS that has it: each <asp-player threads="auto"> on an isolated
// page gets to `playing`, with the threaded build or, when its start got
// stuck twice, with the single build and stats.fallback saying why (Firefox
// blocked the player's worker in about 3 starts in 100 while that worker
// made the pool's workers; the page makes them now, and none got stuck in
// 500 starts since).
// Each start on a fresh page (a page's players share one worker, whose
// pool starts once). Workers are counted by a wrapper of `Worker` in the
// page: a start that got stuck costs one more players' worker, terminated;
// the pool's workers are the page's too (web/src/worker/rayon-pool.js).
//
//   ASP_POOL_STARTS=100 tests/browser/run.sh tests/browser/pool-start.test.mjs
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, finish, openPage, served, work, browserNames } from './harness.mjs';
import { drivers } from './drivers/index.mjs';

const STARTS = Number(process.env.ASP_POOL_STARTS || 30);

for (const name of browserNames.filter((n) => drivers[n].features.threads)) {
  describe(name, () => {
    const env = serverAndBrowser({ browser: name, webgpu: false });

    test(`${STARTS} starts of the threaded build, each on a fresh page, get to playing`, async () => {
      const outcomes = [];
      const page = await openPage(env.browser, env.server);
      for (let i = 0; i < STARTS; i++) {
        // A fresh page for each start: the players of one page share one
        // worker, whose pool starts once.
        if (i > 0) {
          await page.goto(`${env.server.url}/tests/browser/page.html`);
          await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
        }
        outcomes.push(await page.evaluate(async (src) => {
          const Native = window.Worker;
          const log = { created: 0, terminated: 0, poolWorkers: 0 };
          window.Worker = class extends Native {
            constructor(...args) {
              super(...args);
              this.isPlayers = String(args[0]).includes('player-worker.js');
              if (this.isPlayers) log.created += 1;
              else log.poolWorkers += 1;
            }

            terminate() {
              if (this.isPlayers) log.terminated += 1;
              super.terminate();
            }
          };
          const el = document.createElement('asp-player');
          el.style.width = '160px';
          el.style.height = '120px';
          el.setAttribute('threads', 'auto');
          el.setAttribute('src', src);
          document.body.append(el);
          const t0 = performance.now();
          const outcome = await el.play().then(
            () => ({ build: el.stats.build, fallback: el.stats.fallback }),
            (error) => ({ error: String(error?.message ?? error) }),
          );
          return { ...outcome, ms: Math.round(performance.now() - t0), ...log };
        }, served(`${work}/small.asp`)));
      }
      const failed = outcomes.filter((o) => o.error);
      assert.deepEqual(failed, [], 'every start gets to playing');
      const threaded = outcomes.filter((o) => o.build === 'threads');
      const fellBack = outcomes.filter((o) => o.build === 'single');
      for (const o of fellBack) assert.match(o.fallback ?? '', /stopped answering while starting the threaded build/);
      for (const o of threaded) assert.equal(o.fallback, null);
      assert.equal(threaded.length + fellBack.length, STARTS);
      // A stuck start's worker was terminated and one more made: the rest play on one worker.
      for (const o of outcomes) assert.equal(o.created - o.terminated, 1, JSON.stringify(o));
      // The threaded build's pool workers are made by the page, one pool per
      // players' worker that got to start it (never nested in that worker).
      const poolSize = await page.evaluate(() => Math.min(navigator.hardwareConcurrency || 2, 8));
      for (const o of threaded) assert.ok(o.poolWorkers >= poolSize && o.poolWorkers % poolSize === 0, JSON.stringify(o));
      const restarts = outcomes.reduce((sum, o) => sum + o.created - 1, 0);
      assert.ok(restarts >= fellBack.length * 2, `restarts ${restarts}, fallbacks ${fellBack.length}`);
      const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
      console.log(`${name}: ${STARTS} starts: ${threaded.length} threaded, ${fellBack.length} single after two stuck starts, `
        + `${restarts} stuck starts restarted; start to playing p50 ${ms[ms.length >> 1]} ms, max ${ms.at(-1)} ms`);
      await finish(page);
    });
  });
}
