// <asp-player> as a media element: play() resolving on the first drawn
// frame, the readyState / paused / videoWidth state, the events in the
// order web/README.md documents, `muted` reflected, waiting / stalled on a
// live stream that falls silent, and typed errors (type, code, fatal).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startServer, openPage, served, work } from './harness.mjs';
import { makeMediaPlayer, eventTypes, waitForCount, playAndSettle } from './media.mjs';

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

const liveUrl = (params) => `${server.url.replace('http', 'ws')}/asp/ws?${new URLSearchParams({ file: served(`${work}/small.asp`).slice(1), fps: '60', ...params })}`;

test('play() resolves on the first drawn frame; state and events as a media element', async () => {
  const page = await openPage(browser, server);
  // paced.asp: 160x120, 45 frames at 30 fps.
  await makeMediaPlayer(page, { src: served(`${work}/paced.asp`), checksums: '' });
  const initial = await page.evaluate(() => {
    const el = window.player;
    return [el.readyState, el.paused, el.hasAttribute('paused'), el.videoWidth, el.videoHeight, el.error, window.asp.AspPlayer.HAVE_ENOUGH_DATA];
  });
  assert.deepEqual(initial, [0, true, true, 0, 0, null, 4]);

  const played = await playAndSettle(page);
  assert.equal(played.ok, true, JSON.stringify(played));
  assert.ok(played.frames >= 1, 'a frame was decoded before play() resolved');
  assert.equal(played.playing, 1, '`playing` fired before play() resolved');
  assert.equal(played.readyState, 4);
  assert.equal(played.width, 160);
  assert.deepEqual(await eventTypes(page), ['loadstart', 'play', 'waiting', 'loadedmetadata', 'resize', 'loadeddata', 'playing']);
  const at = Object.fromEntries((await page.evaluate(() => window.player.events)).filter((e) => e.type !== 'frame').map((e) => [e.type, e]));
  assert.deepEqual([at.loadstart.readyState, at.loadedmetadata.readyState, at.loadeddata.readyState, at.playing.readyState], [0, 1, 2, 4]);
  assert.deepEqual([at.resize.width, at.resize.height], [160, 120]);
  assert.equal(at.play.paused, false);
  assert.equal(await page.evaluate(() => window.player.hasAttribute('paused')), false);

  // The picture is on the canvas when play() has resolved.
  await page.evaluate(() => window.player.pause());
  const shot = await page.screenshot('asp-player');
  assert.ok(await page.evaluate(async (png) => {
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(png)], { type: 'image/png' }));
    const c = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
    c.drawImage(bitmap, 0, 0);
    const d = c.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 60) lit += 1;
    return lit > d.length / 16;
  }, [...shot]), 'the paused picture is not black');

  assert.deepEqual(await page.evaluate(() => [window.player.paused, window.player.hasAttribute('paused'), window.player.readyState]), [true, true, 2]);
  await page.evaluate(() => { window.player.events.length = 0; });
  const resumed = await playAndSettle(page);
  assert.equal(resumed.ok, true);
  assert.deepEqual(await eventTypes(page), ['play', 'waiting', 'playing']);
  await waitForCount(page, 'ended');
  assert.deepEqual(await eventTypes(page), ['play', 'waiting', 'playing', 'pause', 'ended']);
  assert.deepEqual(await page.evaluate(() => [window.player.paused, window.player.hasAttribute('paused')]), [true, true]);
  const frames = await page.evaluate(() => window.player.events.filter((e) => e.type === 'frame').map((e) => e.detail.sequence));
  assert.equal(frames.at(-1), 44);

  // A second play() while playing resolves at once and fires nothing new.
  await page.evaluate(() => { window.player.events.length = 0; });
  assert.equal((await playAndSettle(page)).ok, true);
  assert.equal((await playAndSettle(page)).ok, true);
  assert.deepEqual(await eventTypes(page), ['emptied', 'loadstart', 'play', 'waiting', 'loadedmetadata', 'resize', 'loadeddata', 'playing']);
  await page.evaluate(() => window.player.stop());
  await finish(page);
});

test('pause() or stop() before the first frame rejects play() with an AbortError; muted is reflected', async () => {
  const page = await openPage(browser, server);
  await makeMediaPlayer(page, { src: served(`${work}/paced.asp`) });
  const aborted = await page.evaluate(async () => {
    const p = window.player.play();
    window.player.pause();
    return p.then(() => 'resolved', (e) => `${e.name}`);
  });
  assert.equal(aborted, 'AbortError');
  const stopped = await page.evaluate(async () => {
    const p = window.player.play();
    window.player.stop();
    return p.then(() => 'resolved', (e) => `${e.name}`);
  });
  assert.equal(stopped, 'AbortError');
  assert.equal(await page.evaluate(() => window.player.readyState), 0);

  const muted = await page.evaluate(() => {
    const el = window.player;
    const seen = [el.muted];
    el.muted = true;
    seen.push(el.hasAttribute('muted'), el.muted);
    el.removeAttribute('muted');
    seen.push(el.muted);
    el.setAttribute('muted', '');
    seen.push(el.muted);
    return seen;
  });
  assert.deepEqual(muted, [false, true, true, false, true]);
  assert.equal((await eventTypes(page)).filter((t) => t === 'volumechange').length, 3);
  await finish(page);
});

test('errors are typed: network (HTTP 404), unsupported (src scheme, threads without isolation), decode (damaged packet)', async () => {
  const cases = [
    ['', { src: served(`${work}/missing.asp`) }, { type: 'network', code: 'source-failed' }],
    ['', { src: 'ftp://example.org/x' }, { type: 'unsupported', code: 'unsupported-src' }],
    ['/plain', { src: served(`${work}/paced.asp`), threads: 'on' }, { type: 'unsupported', code: 'no-threads' }],
  ];
  for (const [prefix, attrs, want] of cases) {
    const page = await openPage(browser, server, { prefix });
    await makeMediaPlayer(page, attrs);
    const played = await playAndSettle(page);
    assert.deepEqual({ ok: played.ok, name: played.name, type: played.type, code: played.code, fatal: played.fatal, isError: played.isError },
      { ok: false, name: 'AspPlayerError', ...want, fatal: true, isError: true }, JSON.stringify(played));
    assert.ok(played.message.length > 0);
    const state = await page.evaluate(() => ({ error: window.player.error?.toJSON(), paused: window.player.paused }));
    assert.deepEqual(state, { error: { ...want, message: played.message, fatal: true }, paused: true });
    const errors = await page.evaluate(() => window.player.events.filter((e) => e.type === 'error').map((e) => e.detail));
    assert.deepEqual(errors, [{ ...want, message: played.message, fatal: true }]);
    await finish(page);
  }

  const page = await openPage(browser, server);
  await makeMediaPlayer(page, { src: liveUrl({ corrupt: '5', loop: '0', session: 'element-corrupt' }), checksums: '' });
  assert.equal((await playAndSettle(page)).ok, true);
  await waitForCount(page, 'ended');
  const errors = await page.evaluate(() => window.player.events.filter((e) => e.type === 'error').map((e) => e.detail));
  assert.ok(errors.length >= 1);
  for (const e of errors) assert.deepEqual([e.type, e.code, e.fatal], ['decode', 'corrupt-stream', false], JSON.stringify(e));
  assert.equal(await page.evaluate(() => window.player.error), null, 'a non-fatal error is not the element\'s error');
  await finish(page);
});

test('a live stream falling silent: waiting, then stalled after 3 s, then playing again once reconnected', async () => {
  const page = await openPage(browser, server);
  // The first connection of the session goes quiet after 30 packets, left
  // open; the player reconnects after 5 s of silence and the second plays.
  await makeMediaPlayer(page, { src: liveUrl({ stall: '30', session: 'element-stall' }), checksums: '' });
  assert.equal((await playAndSettle(page)).ok, true);
  await waitForCount(page, 'playing', 2, 30000);
  const all = await page.evaluate(() => window.player.events.filter((e) => e.type !== 'frame'));
  const first = (type, after = 0) => all.findIndex((e, i) => i >= after && e.type === type);
  const playing = first('playing');
  const waiting = first('waiting', playing);
  const stalled = first('stalled', waiting);
  const lost = all.findIndex((e, i) => i > stalled && e.type === 'error' && e.detail.code === 'connection-lost');
  const again = first('playing', lost);
  assert.ok(playing >= 0 && waiting > playing && stalled > waiting && lost > stalled && again > lost, JSON.stringify(all.map((e) => e.type)));
  assert.equal(all[waiting].readyState, 2);
  assert.ok(all[stalled].t - all[waiting].t > 2000, 'stalled comes about 3 s after the last bytes');
  assert.deepEqual([all[lost].detail.type, all[lost].detail.fatal], ['network', false]);
  assert.equal(all[again].readyState, 4);
  await page.evaluate(() => window.player.stop());
  await finish(page);
});
