// record() / stopRecording() on a live WebSocket stream in 1000-byte
// messages (packets cut across messages): the .asp Blob starts at a
// keyframe, native asp-decode decodes it to the very frames the player
// showed for those sequences (CRC-32), and <asp-player> plays it back from
// a blob: URL to the same frames.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { launch, startServer, openPage, served, work, y4mChecksums } from './harness.mjs';
import { makeMediaPlayer, waitForCount, playAndSettle } from './media.mjs';

const bin = process.env.ASP_BIN_DIR;
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

const liveUrl = (params) => `${server.url.replace('http', 'ws')}/asp/ws?${new URLSearchParams({ file: served(`${work}/small.asp`).slice(1), ...params })}`;
const frameEvents = (page) => page.evaluate(() => window.player.events.filter((e) => e.type === 'frame').map((e) => e.detail));

test('record(): an .asp from a keyframe that asp-decode and the player decode to the frames shown', async () => {
  const page = await openPage(browser, server);
  // small.asp: 60 frames, a keyframe every 15; 30 fps, so 2 s.
  await makeMediaPlayer(page, { src: liveUrl({ fps: '30', loop: '0', chunk: '1000', session: 'record' }), checksums: '' });
  const early = await page.evaluate(() => { try { window.player.record(); return 'recorded'; } catch (e) { return e.name; } });
  assert.equal(early, 'InvalidStateError', 'record() before play()');
  assert.equal(await page.evaluate(() => window.player.stopRecording().then(() => 'blob', (e) => e.name)), 'InvalidStateError');
  assert.equal((await playAndSettle(page)).ok, true);
  await page.waitForFunction(() => window.player.events.filter((e) => e.type === 'frame').length >= 5);
  await page.evaluate(() => window.player.record());
  assert.equal(await page.evaluate(() => window.player.recording), true);
  await page.waitForFunction(() => window.player.events.filter((e) => e.type === 'frame').length >= 50, null, { timeout: 30000 });
  const bytes = Buffer.from(await page.evaluate(async () => {
    const blob = await window.player.stopRecording();
    window.recorded = blob;
    return [blob.type, ...new Uint8Array(await blob.arrayBuffer())];
  }).then(([type, ...rest]) => {
    assert.equal(type, 'video/x-asp');
    return rest;
  }));
  assert.equal(await page.evaluate(() => window.player.recording), false);
  assert.equal(bytes.toString('latin1', 0, 4), 'ASP1');
  assert.equal(bytes[5], 1, 'the recording starts with an I-packet');
  const first = bytes.readUInt32BE(8);
  assert.equal(first % 15, 0, `starts at a keyframe's sequence (${first})`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asp-record-'));
  try {
    fs.writeFileSync(path.join(dir, 'rec.asp'), bytes);
    execFileSync(path.join(bin, 'asp-decode'), [path.join(dir, 'rec.asp'), '-o', path.join(dir, 'rec.y4m')], { stdio: 'pipe' });
    const decoded = y4mChecksums(path.join(dir, 'rec.y4m')).checksums;
    assert.ok(decoded.length >= 15, `frames recorded: ${decoded.length}`);
    const shown = new Map((await frameEvents(page)).map((f) => [f.sequence, f.checksum]));
    assert.deepEqual(decoded, decoded.map((_, i) => shown.get(first + i)), 'asp-decode of the recording = the frames the player showed');

    // Played back by the element from a blob: URL.
    await page.evaluate(() => window.player.stop());
    await makeMediaPlayer(page, { checksums: '' });
    await page.evaluate(() => { window.player.src = URL.createObjectURL(window.recorded); });
    assert.equal((await playAndSettle(page)).ok, true);
    await waitForCount(page, 'ended');
    assert.deepEqual((await frameEvents(page)).map((f) => f.checksum), decoded);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(await page.evaluate(() => window.uncaught), []);
  assert.deepEqual(page.pageErrors, []);
  await page.close();
});
