// `asp-encode --serve --roi face,text,motion --roi-layer` (issue 15): the
// live loop sends each frame's C-packet after it, and <asp-player> shows
// the refined pictures. The page also records the raw WebSocket stream;
// asp-decode of that recording is the reference: for every sequence both
// saw, the last picture the player showed equals asp-decode's (refined)
// picture, CRC for CRC.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { launch, startLiveServer, work, y4mChecksums } from './harness.mjs';

const bin = process.env.ASP_BIN_DIR;
const TYPE_I = 1;
const TYPE_D = 2;
const TYPE_C = 3;
/** Frames between keyframes: a joiner's backlog is shorter. */
const KEYINT = 20;
let server;
let browser;
let base;

before(async () => {
  ({ child: server, base } = await startLiveServer(['--no-webtransport', '--size', '320x240', '--qp', '30',
    '--keyint', String(KEYINT), '--roi', 'face,text,motion', '--roi-layer']));
  browser = await launch({ webgpu: false });
});
after(async () => {
  await browser?.close();
  server?.kill();
});

test('asp-encode --serve --roi face,text,motion --roi-layer: the player shows the C-packets\' refined pictures, as asp-decode does', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  await page.waitForFunction(() => customElements.get('asp-player') !== undefined, null, { timeout: 30000 });
  await page.evaluate(() => {
    // A raw viewer records the stream; a player with frame checksums shows it.
    window.recorded = [];
    const ws = new WebSocket(`ws://${location.host}/asp/ws`);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (e) => window.recorded.push(Array.from(new Uint8Array(e.data)));
    window.recorder = ws;
    const el = document.createElement('asp-player');
    el.style.width = '320px';
    el.style.height = '240px';
    el.frames = [];
    el.addEventListener('frame', (e) => el.frames.push(e.detail));
    el.setAttribute('checksums', '');
    el.setAttribute('src', `ws://${location.host}/asp/ws`);
    document.body.append(el);
    el.play();
    window.checked = el;
  });
  // Refined pictures: a second frame event for a sequence already shown.
  await page.waitForFunction(() => {
    const seen = new Set();
    let refined = 0;
    for (const f of window.checked.frames) {
      if (seen.has(f.sequence)) refined += 1;
      seen.add(f.sequence);
    }
    return seen.size >= 55 && refined >= 10;
  }, null, { timeout: 60000, polling: 200 });
  const { frames, recorded, stats } = await page.evaluate(() => {
    window.recorder.close();
    return { frames: window.checked.frames, recorded: window.recorded, stats: window.checked.stats };
  });
  assert.deepEqual(page.pageErrors, []);
  assert.equal(stats.errors, 0);

  // The recording, decoded natively.
  const packets = recorded.map((p) => Buffer.from(p));
  const sequenceOf = (p) => p.readUInt32BE(8);
  const pictures = packets.filter((p) => p[5] === TYPE_I || p[5] === TYPE_D);
  const cPackets = packets.filter((p) => p[5] === TYPE_C);
  assert.equal(pictures[0][5], TYPE_I, 'the recording starts on a keyframe');
  assert.ok(cPackets.length > 0, 'C-packets came over the WebSocket');
  for (const c of cPackets) {
    const at = packets.indexOf(c);
    assert.equal(sequenceOf(c), sequenceOf(packets[at - 1]), 'a C-packet follows its frame');
  }
  const file = path.join(work, 'live-roi.asp');
  fs.mkdirSync(work, { recursive: true });
  fs.writeFileSync(file, Buffer.concat(packets));
  execFileSync(path.join(bin, 'asp-decode'), [file, '-o', `${file}.y4m`, '--force'], { stdio: 'ignore' });
  const native = y4mChecksums(`${file}.y4m`).checksums;
  assert.equal(native.length, pictures.length);
  const want = new Map(pictures.map((p, i) => [sequenceOf(p), native[i]]));

  // The player: the last picture of each sequence is asp-decode's; a
  // sequence with a C-packet was shown twice (base, then refined).
  const last = new Map();
  const shows = new Map();
  for (const f of frames) {
    last.set(f.sequence, f.checksum);
    shows.set(f.sequence, (shows.get(f.sequence) ?? 0) + 1);
  }
  // A joiner's backlog (the keyframe run so far) comes without C-packets,
  // so compare from one keyframe interval past where each viewer started;
  // and only frames both have seen the next frame of (any C-packet of `s`
  // came before it).
  const from = Math.max(frames[0].sequence, sequenceOf(pictures[0])) + KEYINT;
  const common = [...last.keys()].filter((s) => s >= from && want.has(s) && want.has(s + 1) && last.has(s + 1));
  assert.ok(common.length >= 20, `${common.length} sequences seen live by both`);
  const bad = common.filter((s) => last.get(s) !== want.get(s));
  assert.deepEqual(bad, [], `the player's last picture differs from asp-decode's (of ${common[0]}..${common.at(-1)})`);
  const refined = cPackets.map(sequenceOf).filter((s) => common.includes(s));
  assert.ok(refined.length >= 5, `${refined.length} refined pictures compared`);
  for (const s of refined) assert.equal(shows.get(s), 2, `sequence ${s}: the base picture, then the refined one`);
  await page.close();
});
