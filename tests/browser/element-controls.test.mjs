// The `controls` attribute, driven from the keyboard as a user would:
// Tab into the bar, Enter / Space / k on play-pause, the statistics toggle
// (the `debug` attribute and its overlay), fullscreen, and the indicator
// saying connecting / live / playing / paused. Chromium only: the keys are
// Playwright's (the driver's raw page).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startServer, openPage, served, work } from './harness.mjs';
import { makeMediaPlayer, waitForCount } from './media.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch({ webgpu: false });
});
after(async () => {
  await browser.close();
  await server.close();
});

async function finish(page) {
  assert.deepEqual(await page.evaluate(() => window.uncaught), [], 'uncaught exceptions');
  assert.deepEqual(page.pageErrors, []);
  await page.close();
}

/** The bar as the user sees it: which control has focus, the labels, the indicator. */
const bar = (page) => page.evaluate(() => {
  const root = window.player.shadowRoot;
  const part = (name) => root.querySelector(`[part~="${name}"]`);
  return {
    shown: !part('controls').hidden,
    focused: root.activeElement?.getAttribute('part') ?? null,
    play: part('play-button').getAttribute('aria-label'),
    indicator: part('live-indicator').textContent,
    state: part('live-indicator').dataset.state,
    stats: part('stats-button').getAttribute('aria-pressed'),
    fullscreen: document.fullscreenElement === window.player,
    overlay: !root.querySelector('pre').hidden,
  };
});

test('controls: a keyboard plays, pauses, toggles the statistics and fullscreen; the indicator follows', async () => {
  const page = await openPage(browser, server);
  await makeMediaPlayer(page, { src: served(`${work}/paced.asp`) });
  assert.equal((await bar(page)).shown, false, 'no bar without the attribute');
  await page.evaluate(() => { window.player.controls = true; });
  assert.deepEqual(await bar(page), {
    shown: true, focused: null, play: 'Play', indicator: '', state: 'paused', stats: 'false', fullscreen: false, overlay: false,
  });

  await page.raw.keyboard.press('Tab');
  assert.equal((await bar(page)).focused, 'control play-button');
  await page.raw.keyboard.press('Enter');
  await waitForCount(page, 'playing');
  let now = await bar(page);
  assert.deepEqual([now.play, now.state, now.indicator], ['Pause', 'playing', 'Playing']);
  await page.raw.keyboard.press('Space');
  now = await bar(page);
  assert.deepEqual([now.play, now.state, now.indicator], ['Play', 'paused', 'Paused']);
  assert.equal(await page.evaluate(() => window.player.paused), true);
  await page.raw.keyboard.press('k');
  await waitForCount(page, 'playing', 2);
  assert.equal(await page.evaluate(() => window.player.paused), false);

  await page.raw.keyboard.press('Tab');
  assert.equal((await bar(page)).focused, 'control stats-button');
  await page.raw.keyboard.press('Enter');
  now = await bar(page);
  assert.deepEqual([now.stats, now.overlay], ['true', true]);
  assert.equal(await page.evaluate(() => window.player.hasAttribute('debug')), true);
  await page.raw.keyboard.press('Enter');
  assert.deepEqual([(await bar(page)).stats, (await bar(page)).overlay], ['false', false]);

  await page.raw.keyboard.press('Tab');
  assert.equal((await bar(page)).focused, 'control fullscreen-button');
  await page.raw.keyboard.press('Enter');
  await page.waitForFunction(() => document.fullscreenElement === window.player);
  assert.equal((await bar(page)).fullscreen, true);
  await page.raw.keyboard.press('f');
  await page.waitForFunction(() => document.fullscreenElement === null);
  assert.equal((await bar(page)).fullscreen, false);
  await page.evaluate(() => window.player.stop());
  await finish(page);
});

test('controls: a live source says connecting, then live', async () => {
  const page = await openPage(browser, server);
  const src = `${server.url.replace('http', 'ws')}/asp/ws?${new URLSearchParams({ file: served(`${work}/small.asp`).slice(1), fps: '60' })}`;
  await makeMediaPlayer(page, { src, controls: '' });
  await page.evaluate(() => { window.player.play().catch(() => {}); });
  const first = await bar(page);
  assert.deepEqual([first.state, first.indicator], ['connecting', 'Connecting…']);
  await waitForCount(page, 'playing');
  const live = await bar(page);
  assert.deepEqual([live.state, live.indicator, live.play], ['live', 'Live', 'Pause']);
  assert.equal(await page.evaluate(() => window.player.live), true);
  await page.evaluate(() => window.player.stop());
  await finish(page);
});
