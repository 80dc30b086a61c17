// The flatc TypeScript reader in Chromium: tests/browser/flatc-reader.html
// loads the generated reader (build/interop/ts, tests/interop/build-ts-reader.sh)
// and the npm `flatbuffers` runtime as ES modules, and reads the first
// packet of an asp-encode stream; asp-info reads the same packet natively.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { launch, startServer, served, work, root } from './harness.mjs';

let server;
let browser;
before(async () => {
  execFileSync(path.join(root, 'tests/interop/build-ts-reader.sh'), { stdio: 'inherit' });
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('the flatc TypeScript reader reads an asp-encode keyframe in the browser as asp-info does', async () => {
  const stream = path.join(work, 'small.asp');
  const info = execFileSync(path.join(process.env.ASP_BIN_DIR, 'asp-info'), ['--json', stream]).toString();
  const first = JSON.parse(info.split('\n')[0]);
  assert.equal(first.type, 'I');

  const page = await browser.newPage();
  await page.goto(`${server.url}/tests/browser/flatc-reader.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
  const read = await page.evaluate((url) => window.readFirstKeyframe(url), served(stream));
  assert.deepEqual(read, {
    sequence: first.sequence,
    width: first.width,
    height: first.height,
    fps: first.fps,
    qp: first.qp,
    tiles: first.tiles,
    attribution: first.attribution,
  });
  // A default asp-encode stream carries the licence's attribution.
  assert.equal(read.attribution, 'Streamed via ALICE Protocol (ASP)');
  await page.close();
});
