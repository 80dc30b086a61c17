// <asp-player src="moq+https://…"> through a real moq-relay cluster (issue
// 18): tools/moq/relay.sh starts an origin and an edge relay (test CA),
// `asp-encode --publish` publishes a paced testsrc stream to the origin
// while writing the same packets to a file, and Chromium plays the
// broadcast from the edge over WebTransport (moq-lite, web/src/sources/
// moq.js), trusting the relays' certificate by its SHA-256
// (serverCertificateHashes). Every frame it shows equals asp-decode of that
// file, CRC for CRC, from the keyframe it joined at to the stream's end: a
// player there before the broadcast, and a late one from the newest
// keyframe run when it subscribed.
//
// Needs an asp-encode built with the `moq` feature (ASP_MOQ_BIN_DIR, set by
// `make test-moq`) and moq-relay (tools/setup.sh moq).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { launch, startServer, openPage, waitForEvent, work, root, y4mChecksums } from './harness.mjs';

const KEYINT = 15;
const FRAMES = 240;
const FPS = 30;

const binDir = process.env.ASP_MOQ_BIN_DIR && path.resolve(root, process.env.ASP_MOQ_BIN_DIR);

/** A port free on loopback for both UDP (QUIC) and TCP (the relay's HTTP). */
async function freePort() {
  for (;;) {
    const udp = dgram.createSocket('udp4');
    await new Promise((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const { port } = udp.address();
    const tcp = net.createServer();
    const ok = await new Promise((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise((resolve) => (ok ? tcp.close(resolve) : resolve()));
    udp.close();
    if (ok) return port;
  }
}

/** The cluster, once relay.sh says both relays accept connections. */
async function startCluster(dir) {
  const [origin, edge] = [await freePort(), await freePort()];
  const env = { ...process.env, PATH: `${process.env.PATH}:${path.join(os.homedir(), '.cargo/bin')}` };
  const child = spawn('bash', ['tools/moq/relay.sh', dir, String(origin), String(edge)], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`relay.sh not ready in 30 s: ${out}`)), 30000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('relay.sh: ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`relay.sh exited (${code}): ${out}`)));
  });
  return { child, dir, origin, edge, ca: path.join(dir, 'tls/ca.pem'), cert: path.join(dir, 'tls/relay.pem') };
}

/** Runs `bin` to its end; rejects on a non-zero exit. */
function run(bin, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk) => { err += chunk; });
    child.once('exit', (code) => (code === 0 ? resolve(err) : reject(new Error(`${path.basename(bin)} exited ${code}: ${err}`))));
  });
}

let cluster;
let server;
let browser;

before(async () => {
  assert.ok(binDir, 'ASP_MOQ_BIN_DIR: the directory of an asp-encode built with --features moq (make test-moq sets it)');
  cluster = await startCluster(fs.mkdtempSync(path.join(os.tmpdir(), 'asp-moq-browser-')));
  server = await startServer();
  browser = await launch({ webgpu: false });
});
after(async () => {
  await browser?.close();
  await server?.close();
  if (cluster) {
    const exited = new Promise((resolve) => cluster.child.once('exit', resolve));
    cluster.child.kill('SIGTERM');
    await exited;
    fs.rmSync(cluster.dir, { recursive: true, force: true });
  }
});

/**
 * Waits until the edge relay has accepted `count` moq-lite-03 sessions
 * (its log says so): the players' (the cluster link and the publisher
 * speak lite-06), so a player is connected before the stream starts.
 */
async function browserSessions(count) {
  const log = path.join(cluster.dir, 'edge.log');
  for (let i = 0; i < 600; i++) {
    // Without the colours the relay's logger puts in.
    const text = (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '').replace(/\x1b\[[0-9;]*m/g, '');
    if ((text.match(/negotiated version=moq-lite-03/g) ?? []).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the edge did not see ${count} player session(s) in 30 s`);
}

/** A player of `src` on a new page, with frame checksums. */
async function player(src) {
  const page = await openPage(browser, server);
  await page.evaluate((s) => window.makePlayer({ src: s, autoplay: '', checksums: '' }), src);
  return page;
}

/** What `page`'s player showed, checked against `want`: where it joined. */
async function check(page, want, who) {
  await waitForEvent(page, 'ended', 20000);
  const all = await page.evaluate(() => window.player.events);
  const frames = all.filter((e) => e.type === 'frame').map((e) => e.detail);
  const stats = await page.evaluate(() => window.player.stats);
  assert.ok(frames.length >= KEYINT, `${who}: ${frames.length} frames shown`);
  const first = frames[0].sequence;
  assert.equal(first % KEYINT, 0, `${who} joined at a keyframe`);
  assert.deepEqual(frames.map((f) => f.sequence), want.slice(first).map((_, i) => first + i), `${who}: every frame from the join to the end, in order`);
  assert.deepEqual(frames.map((f) => f.checksum), want.slice(first), `${who}: frames equal asp-decode's`);
  assert.equal(stats.transport, 'moq');
  assert.deepEqual(all.filter((e) => e.type === 'error'), []);
  assert.deepEqual(page.pageErrors, []);
  await page.close();
  return first;
}

test('Chromium plays a broadcast through origin → edge relays, every frame equal to asp-decode of the published stream; a late joiner starts at the newest keyframe run', async (t) => {
  const der = new crypto.X509Certificate(fs.readFileSync(cluster.cert)).raw;
  const hash = crypto.createHash('sha256').update(der).digest('hex');
  const src = `moq+https://127.0.0.1:${cluster.edge}/cam#sha256=${hash}`;
  // Connected before the broadcast exists: the source waits for the relay
  // to announce it, then subscribes.
  const early = await player(src);
  await browserSessions(1);

  const file = path.join(work, 'moq-published.asp');
  const reference = path.join(work, 'moq-published.y4m');
  fs.mkdirSync(work, { recursive: true });
  const published = run(path.join(binDir, 'asp-encode'), ['testsrc', '--size', '160x120', '--fps', String(FPS), '--frames', String(FRAMES),
    '--keyint', String(KEYINT), '--qp', '30', '-o', file, '--force',
    '--publish', `https://localhost:${cluster.origin}/cam`, '--tls-ca', cluster.ca]);
  // Paced at 30 fps: 8 s of stream. The late player comes a second after
  // the early one shows its first frame.
  await early.waitForFunction(() => window.player.events.some((e) => e.type === 'frame'), null, { timeout: 20000, polling: 50 });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const late = await player(src);
  assert.match(await published, /published \d+ groups of \d+ objects/);

  execFileSync(path.join(binDir, 'asp-decode'), [file, '-o', reference, '--force'], { stdio: 'ignore' });
  const want = y4mChecksums(reference).checksums;
  assert.equal(want.length, FRAMES);
  const earlyStart = await check(early, want, 'the early player');
  const lateStart = await check(late, want, 'the late player');
  t.diagnostic(`early player from frame ${earlyStart}, late player from frame ${lateStart}, of ${FRAMES}`);
  assert.ok(lateStart >= KEYINT, `the late player joined at ${lateStart}, not at a later keyframe run`);
  assert.ok(earlyStart < lateStart, `the early player (from ${earlyStart}) has more of the stream than the late one (from ${lateStart})`);
});
