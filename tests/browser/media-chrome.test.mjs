// media-chrome (npm, pinned in tools/web/package.json) drives <asp-player>
// as the media of a <media-controller>: its play, mute and fullscreen
// buttons clicked as a user would (Playwright's mouse, Chromium), its time
// display following `timeupdate`, and a live stream shown as live
// (duration Infinity).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, finish, openPage, served, work } from './harness.mjs';

const env = serverAndBrowser({ webgpu: false });

const liveUrl = () => `${env.server.url.replace('http', 'ws')}/asp/ws?${new URLSearchParams({ file: served(`${work}/small.asp`).slice(1), fps: '30', session: 'media-chrome' })}`;

/** What media-chrome and the player say now. */
const state = (page) => page.evaluate(() => {
  const controller = document.querySelector('media-controller');
  const el = window.player;
  return {
    paused: el.paused,
    muted: el.muted,
    controllerPaused: controller.hasAttribute('mediapaused'),
    controllerMuted: controller.hasAttribute('mediamuted'),
    streamType: controller.getAttribute('mediastreamtype'),
    currentTime: Number(controller.getAttribute('mediacurrenttime') ?? 0),
    fullscreen: document.fullscreenElement === controller && controller.contains(el),
    events: el.events.slice(),
  };
});

async function until(page, what, check, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const now = await state(page);
    if (check(now)) return now;
    assert.ok(Date.now() < end, `timed out waiting for ${what}: ${JSON.stringify({ ...now, events: now.events.slice(-12) })}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('media-chrome: play, pause, mute and fullscreen buttons drive <asp-player>; time and live follow it', async () => {
  const page = await openPage(env.browser, env.server);
  await page.evaluate(async (src) => {
    await import('/tools/web/node_modules/media-chrome/dist/index.js');
    const controller = document.createElement('media-controller');
    controller.style.width = '320px';
    controller.style.height = '240px';
    controller.innerHTML = `
      <asp-player slot="media" style="width: 100%; height: 100%"></asp-player>
      <media-control-bar>
        <media-play-button></media-play-button>
        <media-mute-button></media-mute-button>
        <media-time-display></media-time-display>
        <media-fullscreen-button></media-fullscreen-button>
      </media-control-bar>`;
    const el = controller.querySelector('asp-player');
    el.events = [];
    for (const type of ['play', 'playing', 'pause', 'volumechange', 'timeupdate', 'durationchange', 'canplay']) {
      el.addEventListener(type, () => el.events.push(type));
    }
    el.setAttribute('src', src);
    document.body.append(controller);
    window.player = el;
    await customElements.whenDefined('media-controller');
  }, liveUrl());
  const mouse = page.raw;
  let now = await until(page, 'media-chrome to see a paused player', (s) => s.controllerPaused);
  assert.equal(now.paused, true);

  await mouse.locator('media-play-button').click();
  now = await until(page, 'playing', (s) => !s.controllerPaused && s.events.includes('playing'));
  assert.equal(now.paused, false);
  assert.deepEqual(now.events.filter((e) => e !== 'timeupdate' && e !== 'durationchange').slice(0, 3), ['play', 'canplay', 'playing']);
  now = await until(page, 'the live stream type and a moving clock', (s) => s.streamType === 'live' && s.currentTime > 0.5);

  await mouse.locator('media-play-button').click();
  now = await until(page, 'paused', (s) => s.paused && s.controllerPaused);
  assert.ok(now.events.includes('pause'));
  const pausedAt = await page.evaluate(() => window.player.currentTime);
  await page.waitForTimeout(400);
  assert.equal(await page.evaluate(() => window.player.currentTime), pausedAt, 'the clock stops while paused');

  await mouse.locator('media-mute-button').click();
  now = await until(page, 'muted', (s) => s.muted && s.controllerMuted);
  assert.ok(now.events.includes('volumechange'));
  await mouse.locator('media-mute-button').click();
  await until(page, 'unmuted', (s) => !s.muted && !s.controllerMuted);

  await mouse.locator('media-fullscreen-button').click();
  await until(page, 'fullscreen with the player in it', (s) => s.fullscreen);
  await page.evaluate(() => document.exitFullscreen());

  await mouse.locator('media-play-button').click();
  await until(page, 'playing again', (s) => !s.paused && !s.controllerPaused);
  await page.evaluate(() => window.player.destroy());
  await finish(page);
});
