// The browser decoder in Node (V8): frames bit-identical to native asp-decode,
// errors as values, recovery at the next keyframe.
//
//   ASP_STREAM=x.asp ASP_Y4M=x.y4m [ASP_TILED_STREAM=t.asp ASP_TILED_Y4M=t.y4m] \
//   [ASP_BUILDS=single,threads] node --test tests/wasm/decode.test.mjs
//
// The threaded build runs too, its pool of 2 Web Workers emulated on
// node:worker_threads (node-workers.mjs).
//
// tests/wasm/run.sh builds everything and sets these. x.y4m is `asp-decode
// x.asp -o x.y4m`; each frame's checksum is zlib's CRC-32 of its payload.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';

import { distDir, loadBuild, splitPackets, packetType, y4mChecksums, viewChecksum, decodePushed, crc32hex } from './common.mjs';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests/wasm/run.sh`);
  return value;
};

const streams = [{ name: '320x240', asp: env('ASP_STREAM'), y4m: env('ASP_Y4M') }];
if (process.env.ASP_TILED_STREAM) {
  streams.push({ name: 'tiled', asp: process.env.ASP_TILED_STREAM, y4m: process.env.ASP_TILED_Y4M });
}
if (process.env.ASP_ROWS_STREAM) {
  streams.push({ name: 'row tiles', asp: process.env.ASP_ROWS_STREAM, y4m: process.env.ASP_ROWS_Y4M });
}
for (const s of streams) {
  s.bytes = new Uint8Array(fs.readFileSync(s.asp));
  s.packets = splitPackets(s.bytes);
  s.ref = y4mChecksums(s.y4m);
}
const builds = (process.env.ASP_BUILDS || 'single').split(',');
// The threaded build starts its rayon pool as Web Workers: emulate them.
if (builds.includes('threads')) await import('./node-workers.mjs');

for (const build of builds) {
  const glue = await loadBuild(build);
  if (build === 'threads') await glue.initThreadPool(2);

  test(`${build}: build_info`, () => {
    const info = glue.build_info();
    assert.equal(info.build, build);
    assert.equal(info.simd128, true);
  });

  test(`${build}: the package (wasm + js) is under 1 MB gzip`, () => {
    const dir = path.join(distDir, build);
    const files = fs.readdirSync(dir, { recursive: true }).filter((f) => /\.(wasm|js)$/.test(f));
    assert.ok(files.length >= 2, `${files}`);
    const gzip = files.reduce((n, f) => n + zlib.gzipSync(fs.readFileSync(path.join(dir, f)), { level: 9 }).length, 0);
    assert.ok(gzip <= 1 << 20, `${gzip} bytes gzip`);
  });

  for (const s of streams) {
    test(`${build} ${s.name}: whole packets decode to the native frames`, () => {
      const dec = new glue.Decoder();
      assert.equal(dec.needs_keyframe, true);
      assert.equal(dec.has_frame, false);
      assert.equal(dec.frame_checksum(), '');
      const got = [];
      for (const p of s.packets) {
        const fresh = dec.decode(p);
        assert.equal(dec.last_error(), null);
        if (!fresh) continue;
        assert.equal(dec.width, s.ref.width);
        assert.equal(dec.height, s.ref.height);
        assert.equal(dec.keyframe, packetType(p) === 'I');
        assert.ok(dec.capture_time_us === undefined || dec.capture_time_us > 0);
        const sum = dec.frame_checksum();
        // The zero-copy plane views a renderer would upload hold the same picture.
        assert.equal(viewChecksum(glue, dec), sum);
        got.push(sum);
      }
      assert.equal(got.length, s.ref.checksums.length);
      assert.deepEqual(got, s.ref.checksums);
      assert.equal(dec.needs_keyframe, false);
      assert.equal(dec.frames_decoded, s.ref.checksums.length);
      dec.free();
    });

    test(`${build} ${s.name}: pushed in chunks of any size, same frames`, () => {
      for (const chunk of [1, 333, 4096, 65536, s.bytes.length]) {
        const { frames, errors, buffered } = decodePushed(glue, s.bytes, chunk);
        assert.deepEqual(errors, [], `chunk ${chunk}`);
        assert.deepEqual(frames.map((f) => f.checksum), s.ref.checksums, `chunk ${chunk}`);
        assert.deepEqual(frames.map((f) => f.sequence), s.packets.map((_, i) => i), `chunk ${chunk}`);
        assert.equal(buffered, 0);
      }
    });

    test(`${build} ${s.name}: next_frame in two halves, the RGBA on show kept meanwhile, same frames`, () => {
      const dec = new glue.Decoder();
      dec.push(s.bytes);
      const got = [];
      let fresh = dec.next_frame();
      while (fresh) {
        got.push(dec.frame_checksum());
        assert.equal(dec.refined, false);
        const ptr = dec.rgba();
        const size = dec.width * dec.height * 4;
        const before = crc32hex(new Uint8Array(glue.wasm_memory().buffer, ptr, size));
        dec.start_next_frame();
        // The threaded build decodes on its pool now; the picture is away with it.
        if (build === 'threads') assert.equal(dec.has_frame, false);
        // What a renderer draws meanwhile: the RGBA of the frame before.
        assert.equal(crc32hex(new Uint8Array(glue.wasm_memory().buffer, ptr, size)), before);
        fresh = dec.finish_next_frame();
        assert.equal(dec.last_error(), null);
        assert.equal(crc32hex(new Uint8Array(glue.wasm_memory().buffer, ptr, size)), before);
      }
      assert.deepEqual(got, s.ref.checksums);
      dec.free();
    });

    test(`${build} ${s.name}: ArrayBuffer input and the stream's facts`, () => {
      const dec = new glue.Decoder();
      dec.push(s.bytes.slice().buffer);
      assert.equal(dec.next_frame(), true);
      assert.equal(dec.frame_checksum(), s.ref.checksums[0]);
      // asp-encode's defaults: limited range, BT.709, testsrc at 30 fps.
      assert.deepEqual([dec.color_range, dec.color_matrix, dec.fps], [0, 1, 30]);
      assert.equal(dec.decode(s.packets[1].slice().buffer), true);
      dec.free();
    });
  }

  test(`${build}: rgba() is the planes through the renderers' matrix`, async () => {
    const { yuvToRgb } = await import('../../web/src/render/colour.js');
    const dec = new glue.Decoder();
    assert.equal(dec.rgba(), 0);
    for (const s of streams) {
      for (const p of s.packets.slice(0, 3)) assert.equal(dec.decode(p), true);
      const ptr = dec.rgba();
      assert.ok(ptr > 0);
      const { width: w, height: h } = dec;
      const memory = new Uint8Array(glue.wasm_memory().buffer);
      const rgba = memory.subarray(ptr, ptr + w * h * 4);
      const m = yuvToRgb(dec.color_matrix, dec.color_range);
      let worst = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const Y = memory[dec.y_ptr + y * dec.y_stride + x] / 255;
          const U = memory[dec.u_ptr + (y >> 1) * dec.uv_stride + (x >> 1)] / 255;
          const V = memory[dec.v_ptr + (y >> 1) * dec.uv_stride + (x >> 1)] / 255;
          for (let c = 0; c < 3; c++) {
            const want = Math.min(255, Math.max(0, 255 * (m[4 * c] * Y + m[4 * c + 1] * U + m[4 * c + 2] * V + m[4 * c + 3])));
            worst = Math.max(worst, Math.abs(rgba[(y * w + x) * 4 + c] - want));
          }
          assert.equal(rgba[(y * w + x) * 4 + 3], 255);
        }
      }
      assert.ok(worst <= 0.6, `${s.name}: off by ${worst}`);
    }
    dec.free();
  });

  const s = streams[0];
  // The stream has keyframes at 0, 10, 20: damage packet 3 (a delta frame).
  const keyframes = s.packets.map((p, i) => (packetType(p) === 'I' ? i : -1)).filter((i) => i >= 0);
  const damagedIndex = 3;
  const nextKey = keyframes.find((k) => k > damagedIndex);

  test(`${build}: a damaged packet is an error, then recovery at the next keyframe`, () => {
    assert.ok(nextKey !== undefined && packetType(s.packets[damagedIndex]) === 'D');
    const dec = new glue.Decoder();
    for (let i = 0; i < s.packets.length; i++) {
      const p = s.packets[i].slice();
      if (i === damagedIndex) p[p.length >> 1] ^= 0x20;
      const fresh = dec.decode(p);
      if (i < damagedIndex || i >= nextKey) {
        assert.equal(fresh, true, `packet ${i}: ${dec.last_error()}`);
        assert.equal(dec.frame_checksum(), s.ref.checksums[i], `packet ${i}`);
        assert.equal(dec.needs_keyframe, false);
      } else if (i === damagedIndex) {
        assert.equal(fresh, false);
        assert.match(dec.last_error(), /damaged packet: CRC/);
        assert.equal(dec.needs_keyframe, true);
        // The last good frame stays readable.
        assert.equal(dec.frame_checksum(), s.ref.checksums[i - 1]);
      } else {
        assert.equal(fresh, false, `packet ${i}`);
        assert.equal(dec.last_error(), null);
        assert.equal(dec.needs_keyframe, true);
      }
    }
    assert.equal(dec.frames_dropped, nextKey - damagedIndex - 1);
    assert.equal(dec.errors, 1);
    dec.free();
  });

  test(`${build}: damage inside a pushed stream is reported and skipped`, () => {
    const bytes = s.bytes.slice();
    const start = s.packets.slice(0, damagedIndex).reduce((n, p) => n + p.length, 0);
    bytes[start + 40] ^= 0xff;
    for (const chunk of [1000, bytes.length]) {
      const { frames, errors } = decodePushed(glue, bytes, chunk);
      assert.equal(errors.length, 1, `chunk ${chunk}: ${errors}`);
      assert.match(errors[0], new RegExp(`^damaged data at byte ${start} `));
      const want = s.ref.checksums.map((checksum, sequence) => ({ sequence, checksum }))
        .filter(({ sequence }) => sequence < damagedIndex || sequence >= nextKey);
      assert.deepEqual(frames.map(({ sequence, checksum }) => ({ sequence, checksum })), want);
    }
  });

  test(`${build}: a cut stream, garbage and wrong arguments are errors, not exceptions`, () => {
    const dec = new glue.Decoder();
    assert.equal(dec.decode(s.packets[0].subarray(0, 100)), false);
    assert.match(dec.last_error(), /damaged packet/);
    assert.equal(dec.decode(42), false);
    assert.match(dec.last_error(), /Uint8Array or an ArrayBuffer/);
    dec.push('text');
    assert.match(dec.last_error(), /Uint8Array or an ArrayBuffer/);
    assert.equal(dec.decode(new Uint8Array(0)), false);
    const garbage = new Uint8Array(100000).map((_, i) => (i * 2654435761) >>> 24);
    dec.push(garbage);
    assert.equal(dec.next_frame(), false);
    assert.ok(dec.buffered_bytes < 4);
    // The damaged span is reported where the next packet starts.
    dec.push(s.packets[0]);
    assert.equal(dec.next_frame(), true);
    assert.match(dec.last_error(), /^damaged data at byte 0 /);
    assert.equal(dec.frame_checksum(), s.ref.checksums[0]);
    dec.reset();
    // A delta frame before any keyframe is dropped, a keyframe decodes.
    assert.equal(dec.decode(s.packets[1]), false);
    assert.equal(dec.decode(s.packets[0]), true);
    assert.equal(dec.frame_checksum(), s.ref.checksums[0]);
    dec.reset();
    assert.equal(dec.needs_keyframe, true);
    assert.equal(dec.frame_checksum(), s.ref.checksums[0]);
    dec.free();
  });
}

test('web/src/load.js picks the single build off a crossOriginIsolated page', async () => {
  const { loadDecoder, simdSupported, threadsSupported } = await import('../../web/src/load.js');
  assert.equal(simdSupported(), true);
  assert.equal(threadsSupported(), false);
  const base = pathToFileURL(distDir + '/');
  const asp = await loadDecoder({ base, module: fs.readFileSync(new URL('single/asp_wasm_bg.wasm', base)) });
  assert.equal(asp.build, 'single');
  assert.equal(asp.build_info().build, 'single');
  const dec = new asp.Decoder();
  assert.equal(dec.decode(streams[0].packets[0]), true);
  assert.equal(dec.frame_checksum(), streams[0].ref.checksums[0]);
  dec.free();
  await assert.rejects(loadDecoder({ threads: true }), /crossOriginIsolated/);
});
