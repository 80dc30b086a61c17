// What <asp-player> shows besides frames: the `poster` until the first
// frame is drawn (and again after stop()), and snapshot(): a PNG of the
// picture on show, decoded in the page and compared with the RGB that the
// native decode of that frame converts to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, finish, openPage, served, work } from './harness.mjs';
import { makeMediaPlayer, waitForCount, playAndSettle } from './media.mjs';
import { y4mFrame } from './pixels.mjs';

const env = serverAndBrowser();

/** The frame as RGB with the stream's matrix (`rows`, from yuvToRgb), chroma nearest. */
function expectedRgb(f, rows) {
  const out = new Uint8Array(f.w * f.h * 3);
  for (let y = 0; y < f.h; y++) {
    for (let x = 0; x < f.w; x++) {
      const Y = f.y[y * f.w + x] / 255;
      const U = f.u[(y >> 1) * f.cw + (x >> 1)] / 255;
      const V = f.v[(y >> 1) * f.cw + (x >> 1)] / 255;
      for (let c = 0; c < 3; c++) {
        const r = rows.slice(4 * c, 4 * c + 4);
        out[(y * f.w + x) * 3 + c] = Math.round(255 * Math.min(1, Math.max(0, r[0] * Y + r[1] * U + r[2] * V + r[3])));
      }
    }
  }
  return out;
}

/** Max and mean absolute difference of RGBA `got` against RGB `want`. */
function difference(got, want) {
  let max = 0;
  let sum = 0;
  for (let i = 0, j = 0; j < want.length; i += 4, j += 3) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(got[i + c] - want[j + c]);
      sum += d;
      max = Math.max(max, d);
    }
  }
  return { max, mean: sum / want.length };
}

for (const [prefix, build] of [['', 'threads'], ['/plain', 'single']]) {
  test(`snapshot() (${build} build) is a PNG of the picture on show, in the decoded size`, async () => {
    const page = await openPage(env.browser, env.server, { prefix });
    await makeMediaPlayer(page, { src: served(`${work}/small.asp`), checksums: '' });
    const early = await page.evaluate(() => window.player.snapshot().then(() => null, (e) => [e.name, e.type, e.code, e.fatal]));
    assert.deepEqual(early, ['AspPlayerError', 'renderer', 'snapshot-failed', false], 'no picture before the first frame');
    assert.equal((await playAndSettle(page)).ok, true);
    await waitForCount(page, 'ended');
    const shot = await page.evaluate(async () => {
      const blob = await window.player.snapshot();
      const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
      const c = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
      c.drawImage(bitmap, 0, 0);
      return {
        type: blob.type, w: bitmap.width, h: bitmap.height,
        rgba: Array.from(c.getImageData(0, 0, bitmap.width, bitmap.height).data),
        build: window.player.stats.build,
      };
    });
    assert.equal(shot.build, build);
    assert.deepEqual([shot.type, shot.w, shot.h], ['image/png', 320, 240]);
    const rows = await page.evaluate(() => Array.from(window.asp.yuvToRgb(1, 0)));
    const last = difference(shot.rgba, expectedRgb(y4mFrame(`${work}/small.y4m`, -1), rows));
    assert.ok(last.max <= 2 && last.mean < 0.5, `against the last frame: ${JSON.stringify(last)}`);
    // And it is that frame, not another one.
    const other = difference(shot.rgba, expectedRgb(y4mFrame(`${work}/small.y4m`, 0), rows));
    assert.ok(other.mean > 2, `the first frame differs: ${JSON.stringify(other)}`);
    await finish(page);
  });
}

test('poster: shown until the first frame is drawn, hidden while playing, shown again after stop()', async () => {
  const page = await openPage(env.browser, env.server);
  // A magenta 4:3 image as the poster.
  const poster = await page.evaluate(async () => {
    const c = new OffscreenCanvas(64, 48);
    const ctx = c.getContext('2d');
    ctx.fillStyle = '#ff00ff';
    ctx.fillRect(0, 0, 64, 48);
    const blob = await c.convertToBlob({ type: 'image/png' });
    return `data:image/png;base64,${btoa(String.fromCharCode(...new Uint8Array(await blob.arrayBuffer())))}`;
  });
  await makeMediaPlayer(page, { src: served(`${work}/paced.asp`), poster });
  await page.waitForFunction(() => window.player.shadowRoot.querySelector('img').complete);
  const centre = async () => {
    const png = await page.screenshot('asp-player');
    return page.evaluate(async (bytes) => {
      const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
      const c = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
      c.drawImage(bitmap, 0, 0);
      return Array.from(c.getImageData(bitmap.width >> 1, bitmap.height >> 1, 1, 1).data.slice(0, 3));
    }, [...png]);
  };
  const visible = () => page.evaluate(() => !window.player.shadowRoot.querySelector('img').hidden);
  assert.equal(await visible(), true);
  assert.deepEqual(await centre(), [255, 0, 255], 'the poster is on show');
  assert.equal(await page.evaluate(() => window.player.poster), poster);
  assert.equal((await playAndSettle(page)).ok, true);
  assert.equal(await visible(), false);
  await page.evaluate(() => window.player.pause());
  assert.notDeepEqual(await centre(), [255, 0, 255], 'the frame is on show');
  await page.evaluate(() => window.player.stop());
  assert.equal(await visible(), true);
  assert.deepEqual(await centre(), [255, 0, 255], 'the poster again after stop()');
  await finish(page);
});
