// The player keeps going through what networks do: damaged packets (an
// error event, a keyframe request on the socket, recovery at the next
// keyframe), arbitrary message chunking, a truncated file, a dropped
// connection (reconnect with backoff), a connection that falls silent
// while open (the same, after the silence timeout), a session description
// that cannot be read (asked for again with backoff), and a tab in the background (no
// frames pile up; it resumes at a keyframe). No uncaught exception anywhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launch, startServer, openPage, waitForEvent, events, served, work, y4mChecksums } from './harness.mjs';
import { splitPackets, packetType } from '../../tools/web/asp-packets.mjs';

let server;
let browser;
let packets;
let want;
before(async () => {
  server = await startServer();
  browser = await launch({ webgpu: false });
  packets = splitPackets(fs.readFileSync(`${work}/small.asp`));
  want = y4mChecksums(`${work}/small.y4m`).checksums;
});
after(async () => {
  await browser.close();
  await server.close();
});

const liveUrl = (params) => `${server.url.replace('http', 'ws')}/asp/ws?${new URLSearchParams({ file: served(`${work}/small.asp`).slice(1), fps: '120', ...params })}`;

async function play(src, until = 'ended', timeout = 30000) {
  const page = await openPage(browser, server);
  await page.evaluate((s) => window.makePlayer({ src: s, autoplay: '', checksums: '' }), src);
  await waitForEvent(page, until, timeout);
  return page;
}

async function finish(page) {
  const uncaught = await page.evaluate(() => window.uncaught);
  assert.deepEqual(uncaught, [], 'uncaught exceptions');
  assert.deepEqual(page.pageErrors, []);
  await page.close();
}

const ofType = (all, type) => all.filter((e) => e.type === type).map((e) => e.detail);

for (const chunk of [0, 1000]) {
  test(`live, ${chunk ? `${chunk}-byte messages` : 'a packet per message'}: a damaged packet is an error, a keyframe is requested, decoding resumes bit-exactly`, async () => {
    const session = `corrupt-${chunk}`;
    const damaged = 5;
    assert.equal(packetType(packets[damaged]), 'D');
    const page = await play(liveUrl({ corrupt: String(damaged), loop: '0', chunk: String(chunk), session }));
    const all = await page.evaluate(() => window.player.events);
    const errors = ofType(all, 'error');
    assert.ok(errors.length >= 1, 'an error event');
    assert.ok(errors.every((e) => !e.fatal), JSON.stringify(errors));
    assert.match(errors[0].message, /damaged/);
    const frames = ofType(all, 'frame');
    // Before the damage: every frame. After it: frames again, from a keyframe.
    assert.deepEqual(frames.slice(0, damaged).map((f) => f.sequence), [0, 1, 2, 3, 4]);
    const resumed = frames.slice(damaged);
    assert.ok(resumed.length > 0, 'decoding resumed');
    assert.equal(resumed[0].keyframe, true);
    for (const f of frames) assert.equal(f.checksum, want[f.sequence], `frame ${f.sequence}`);
    // The viewer asked for a keyframe with an S-packet on the socket.
    const log = await (await fetch(`${server.url}/_log?session=${session}`)).json();
    assert.ok(log.received.length >= 1, 'an S-packet reached the server');
    assert.deepEqual(log.received[0], { valid: true, type: 'S', sequence: 0, command: 'RequestKeyframe', syncSequence: damaged - 1 });
    assert.ok(ofType(all, 'ended').length === 1, 'ended after a normal close');
    await finish(page);
  });
}

test('a truncated file plays its whole packets, then ends', async () => {
  const page = await play(served(`${work}/truncated.asp`));
  const all = await page.evaluate(() => window.player.events);
  const frames = ofType(all, 'frame');
  const size = fs.statSync(`${work}/truncated.asp`).size;
  let whole = 0;
  for (let end = packets[0].length; end <= size; end += packets[whole].length) whole += 1;
  assert.equal(frames.length, whole);
  for (const f of frames) assert.equal(f.checksum, want[f.sequence]);
  await finish(page);
});

/**
 * A live stream of `small.asp` whose first connection of `session` is lost
 * after `lost` packets (`knob`: drop= or stall=): the player reports a
 * reconnection (`reason`), opens a second connection, and plays on from a
 * keyframe, every frame bit-exact. Returns the page's stats.
 */
async function reconnectsAndResumes(knob, session, reason, timeout) {
  const lost = 20;
  const page = await play(liveUrl({ [knob]: String(lost), loop: '0', session }), 'ended', timeout);
  const all = await page.evaluate(() => window.player.events);
  const errors = ofType(all, 'error');
  assert.ok(errors.some((e) => reason.test(e.message)), JSON.stringify(errors));
  assert.ok(errors.every((e) => !e.fatal), JSON.stringify(errors));
  const frames = ofType(all, 'frame');
  assert.deepEqual(frames.slice(0, lost).map((f) => f.sequence), [...Array(lost).keys()]);
  const after = frames.slice(lost);
  assert.ok(after.length > 0 && after[0].keyframe, 'frames after the reconnection, from a keyframe');
  for (const f of frames) assert.equal(f.checksum, want[f.sequence]);
  const log = await (await fetch(`${server.url}/_log?session=${session}`)).json();
  assert.equal(log.connections, 2);
  const stats = await page.evaluate(() => window.player.stats);
  await finish(page);
  return stats;
}

test('a dropped connection reconnects with backoff and plays on from a keyframe', async () => {
  const stats = await reconnectsAndResumes('drop', 'drop', /reconnecting in \d+ ms/);
  assert.ok(stats.reconnects >= 1);
});

test('a connection that falls silent but stays open is given up after 5 s and reopened', async () => {
  await reconnectsAndResumes('stall', 'stall', /no data for 5000 ms; reconnecting in \d+ ms/, 60000);
});

test('a session description that cannot be read is asked for again with backoff, never fatal', async () => {
  const page = await openPage(browser, server);
  await page.evaluate((s) => window.makePlayer({ src: s, autoplay: '' }), `${server.url}/missing/asp/session`);
  await page.waitForFunction(() => window.player.events.filter((e) => e.type === 'error').length >= 3, null, { timeout: 10000, polling: 50 });
  const errors = await events(page, 'error');
  assert.deepEqual(errors.slice(0, 3).map((e) => /HTTP 404; reconnecting in (\d+) ms/.exec(e.message)?.[1]), ['250', '500', '1000'], JSON.stringify(errors));
  assert.ok(errors.every((e) => !e.fatal));
  assert.deepEqual(await events(page, 'ended'), []);
  await finish(page);
});

test('a hidden tab drops frames instead of piling them up, and resumes at a keyframe', async () => {
  const session = 'hidden';
  const page = await play(liveUrl({ session, fps: '60' }), 'playing');
  const setHidden = (hidden) => page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
  await setHidden(true);
  await page.waitForTimeout(300);
  const before = await page.evaluate(() => window.player.events.filter((e) => e.type === 'frame').length);
  await page.waitForTimeout(700);
  const during = await page.evaluate(() => window.player.events.filter((e) => e.type === 'frame').length);
  assert.equal(during, before, 'no frame decoded while hidden');
  await setHidden(false);
  await page.waitForFunction((n) => window.player.events.filter((e) => e.type === 'frame').length > n + 5, during, { timeout: 10000 });
  const frames = await page.evaluate(() => window.player.events.filter((e) => e.type === 'frame').map((e) => e.detail));
  assert.equal(frames[during].keyframe, true, 'resumed at a keyframe');
  for (const f of frames) assert.equal(f.checksum, want[f.sequence]);
  await page.waitForFunction(() => window.player.stats.dropped > 0, null, { timeout: 5000 });
  const log = await (await fetch(`${server.url}/_log?session=${session}`)).json();
  assert.ok(log.received.some((p) => p.command === 'RequestKeyframe'), 'asked for a keyframe on return');
  await page.evaluate(() => window.player.stop());
  await finish(page);
});
