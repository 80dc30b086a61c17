// Chromium with a WebGPU adapter (SwiftShader): the WebGPU renderer on wgpu
// (asp-render inside the decoder's module, asp-wasm's WebGpuRenderer, the
// `wgpu` build of tools/build-wasm.sh) draws the decoded picture with the
// crate's yuv.wgsl and colour rows: its canvas, read back, against the RGB
// expected from asp-decode's output, with the tolerance the player's
// renderers are held to (decode.test.mjs). BENCHMARKS.md compares it with
// the player's JS WebGPU renderer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, openPage, finish, served, work } from './harness.mjs';
import { lastFrame, pictureError } from './pixels.mjs';

const env = serverAndBrowser({ webgpu: true });

/**
 * Decodes `src` with the wgpu build and draws its last picture on a w x h
 * OffscreenCanvas (then clears it, with `clear`); returns the canvas's RGBA.
 */
function drawLastPicture(page, src, w, h, clear = false) {
  return page.evaluate(async ([file, width, height, clearAfter]) => {
    const { loadDecoder } = await import('/web/src/load.js');
    const asp = await loadDecoder({ threads: false, base: new URL('/web/dist/wgpu/', location.href) });
    const renderer = await asp.WebGpuRenderer.create(new OffscreenCanvas(width, height), true);
    if (!renderer) return { error: 'no WebGPU adapter' };
    const dec = new asp.Decoder();
    dec.push(new Uint8Array(await (await fetch(file)).arrayBuffer()));
    let frames = 0;
    while (dec.next_frame()) {
      frames += 1;
      renderer.draw(dec);
    }
    if (clearAfter) renderer.clear();
    const pixels = await renderer.read_top(height);
    await renderer.when_drawn();
    renderer.release();
    renderer.free();
    return { frames, errors: dec.errors, data: Array.from(pixels) };
  }, [src, w, h, clear]);
}

test('the wgpu WebGPU renderer draws the decoded picture (its pixels vs expected RGB)', async () => {
  const page = await openPage(env.browser, env.server);
  const frame = lastFrame(`${work}/small.y4m`);
  const got = await drawLastPicture(page, served(`${work}/small.asp`), frame.w, frame.h);
  assert.equal(got.error, undefined);
  assert.equal(got.errors, 0);
  assert.equal(got.frames, 60);
  const rows = await page.evaluate(() => Array.from(window.asp.yuvToRgb(1, 0)));
  const { max, mean, worst } = pictureError(frame, rows, { w: frame.w, h: frame.h, data: Uint8Array.from(got.data) }, 'bilinear');
  assert.ok(max <= 4 && mean < 0.5, `max error ${max} at ${JSON.stringify(worst)}, mean ${mean.toFixed(3)}`);
  await finish(page);
});

test('the wgpu WebGPU renderer letterboxes: a 320x240 picture on a 320x320 canvas has black bars', async () => {
  const page = await openPage(env.browser, env.server);
  const got = await drawLastPicture(page, served(`${work}/small.asp`), 320, 320);
  assert.equal(got.error, undefined);
  const rgb = (x, y) => got.data.slice((y * 320 + x) * 4, (y * 320 + x) * 4 + 3);
  // 240 rows of picture centred in 320: 40 rows of black above and below.
  for (const y of [0, 39, 280, 319]) assert.deepEqual(rgb(160, y), [0, 0, 0], `row ${y} is a bar`);
  const frame = lastFrame(`${work}/small.y4m`);
  const rows = await page.evaluate(() => Array.from(window.asp.yuvToRgb(1, 0)));
  const inner = { w: 320, h: 240, data: Uint8Array.from(got.data.slice(40 * 320 * 4, 280 * 320 * 4)) };
  const { max, mean, worst } = pictureError(frame, rows, inner, 'bilinear');
  assert.ok(max <= 4 && mean < 0.5, `max error ${max} at ${JSON.stringify(worst)}, mean ${mean.toFixed(3)}`);
  await finish(page);
});

test('the wgpu WebGPU renderer clears the canvas to black', async () => {
  const page = await openPage(env.browser, env.server);
  const got = await drawLastPicture(page, served(`${work}/small.asp`), 320, 240, true);
  assert.equal(got.error, undefined);
  assert.equal(got.data.length, 320 * 240 * 4);
  const lit = got.data.findIndex((v, i) => v !== (i % 4 === 3 ? 255 : 0));
  assert.equal(lit, -1, `sample ${lit} is ${got.data[lit]}, not black`);
  await finish(page);
});
