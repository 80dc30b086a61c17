// HTTPS, WSS and WebTransport with a real certificate: a test CA (made
// here with the openssl command) signs a certificate for localhost, and
// `asp-encode --serve --tls-cert --tls-key` serves the demo page over
// https://. Chromium trusts that certificate by its public key
// (--ignore-certificate-errors-spki-list, as a browser with the CA
// installed would trust it) and plays over WSS. Its WebTransport does not
// honour that flag (QUIC_TLS_CERTIFICATE_UNKNOWN): trusting the CA for
// WebTransport needs it in an NSS database, not done here. So the session
// description (no certificate hash with a real certificate) plays over
// WebTransport when the browser trusts the CA, and otherwise falls back to
// WSS and says why; here, the latter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, root } from './harness.mjs';

let dir;
let live;
let browser;
let base;

/** A CA and a localhost certificate it signed, as PEM files in `dir`. */
function makeCertificates(into) {
  const openssl = (...args) => execFileSync('openssl', args, { cwd: into, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=ASP browser test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost',
    '-keyout', 'server.key', '-out', 'server.csr');
  fs.writeFileSync(path.join(into, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-extfile', 'ext.cnf', '-out', 'server.pem');
  const spki = new crypto.X509Certificate(fs.readFileSync(path.join(into, 'server.pem'))).publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(spki).digest('base64');
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asp-tls-'));
  const spki = makeCertificates(dir);
  const bin = process.env.ASP_BIN_DIR;
  if (!bin) throw new Error('ASP_BIN_DIR (set by run.sh) is not set');
  const port = 20000 + Math.floor(Math.random() * 20000);
  live = spawn(path.join(bin, 'asp-encode'), ['testsrc', '--serve', `127.0.0.1:${port}`, '--size', '320x240', '--keyint', '15',
    '--tls-cert', path.join(dir, 'server.pem'), '--tls-key', path.join(dir, 'server.key')], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  base = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`asp-encode --serve did not start: ${text}`)), 30000);
    live.stderr.on('data', (chunk) => {
      text += chunk;
      const m = text.match(/serving \S+ at (https:\/\/[^/]+)\//);
      if (m) {
        clearTimeout(timer);
        // By IP address: Chromium resolves localhost to ::1 first, where
        // TCP falls back to 127.0.0.1 and QUIC does not.
        resolve(m[1]);
      }
    });
  });
  browser = await launch({ webgpu: false, args: [`--ignore-certificate-errors-spki-list=${spki}`] });
});
after(async () => {
  await browser?.close();
  live?.kill('SIGKILL');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

for (const [name, query, srcPattern] of [
  ['WSS', '', /^wss:\/\/127\.0\.0\.1:\d+\/asp\/ws$/],
  ['the session description', '?src=/asp/session', /\/asp\/session$/],
]) {
  test(`the demo page from https:// plays over ${name}`, async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/${query}`);
    await page.waitForFunction(() => document.getElementById('player')?.stats.frames > 20, null, { timeout: 30000, polling: 200 });
    const { src, stats, hash } = await page.evaluate(() => {
      const player = document.getElementById('player');
      return { src: player.src, stats: player.stats, hash: player.getAttribute('certificate-hash') };
    });
    assert.match(src, srcPattern);
    assert.equal(hash, null, 'a CA-signed certificate needs no hash');
    // The demo page logs the player's error and transportfallback events.
    const log = await page.evaluate(() => document.getElementById('log').textContent);
    if (stats.transport === 'websocket' && query) {
      assert.match(log, /WebTransport failed \(.+\); falling back to WebSocket/, log);
      assert.equal(typeof stats.transportFallback, 'string');
    } else {
      assert.equal(stats.transport, query ? 'webtransport' : 'websocket');
    }
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  });
}
