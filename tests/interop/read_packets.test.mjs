// The flatc TypeScript reader (tests/interop/build-ts-reader.sh: flatc --ts,
// tsc, the npm `flatbuffers` runtime) reads the packets Rust and Python
// write: every packet type, every field, against
// crates/asp-core/examples/synthetic_stream.rs (values are a pure function
// of the frame index; tests/interop/aspio.py has the same for Python).
//   node --test tests/interop/read_packets.test.mjs   (after run.sh made build/interop)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, 'build/interop');
const reader = path.join(out, 'ts/js/alice/asp.js');
const FRAMES = Number(process.env.ASP_INTEROP_FRAMES || 10);

// The runtime the generated code imports (the same module instance).
const flatbuffers = createRequire(reader)('flatbuffers');
const asp = await import(pathToFileURL(reader).href);

const [I, D, C, S] = [1, 2, 3, 4];
const DISCARDABLE = 1;
const WIDTH = 320, HEIGHT = 240, BLOCK = 16;
const COLS = WIDTH / BLOCK, ROWS = HEIGHT / BLOCK;
const KEY_TILE = Array.from({ length: 64 }, (_, i) => (i * 7) % 251);
const captureTimeUs = (seq) => 1_000_000n + BigInt(seq) * 40_000n;

/** [type, flags, sequence, payload bytes] of each packet; throws at damage. */
function split(data) {
  const packets = [];
  let pos = 0;
  while (pos < data.length) {
    const view = new DataView(data.buffer, data.byteOffset + pos);
    if (data.length - pos < 20) throw new Error(`offset ${pos}: too short for a packet`);
    const magic = String.fromCharCode(...data.subarray(pos, pos + 4));
    const [version, type] = [data[pos + 4], data[pos + 5]];
    if (magic !== 'ASP1' || version < 2 || version > 3 || type < 1 || type > 4) throw new Error(`offset ${pos}: bad header`);
    const flags = view.getUint16(6), sequence = view.getUint32(8), len = view.getUint32(12);
    const end = pos + 16 + len;
    if (end + 4 > data.length) throw new Error(`offset ${pos}: truncated`);
    const stored = new DataView(data.buffer, data.byteOffset + end).getUint32(0);
    if (stored !== zlib.crc32(data.subarray(pos, end)) >>> 0) throw new Error(`offset ${pos}: CRC mismatch`);
    packets.push([type, flags, sequence, data.subarray(pos + 16, end)]);
    pos = end + 4;
  }
  return packets;
}

function motionVectors(seq) {
  const mvs = [];
  for (let by = 0; by < ROWS; by++) {
    for (let bx = 0; bx < COLS; bx++) {
      mvs.push([bx, by, ((bx + seq) % 9) - 4, ((by * 3 + seq) % 7) - 3, bx * 100 + by + seq]);
    }
  }
  return mvs;
}

function checkKeyframe(p) {
  const s = p.stream();
  assert.deepEqual([s.width(), s.height(), s.fpsNum(), s.fpsDen()], [WIDTH, HEIGHT, 25, 1]);
  assert.deepEqual([s.colorRange(), s.colorMatrix()], [asp.ColorRange.Limited, asp.ColorMatrix.Bt709]);
  assert.equal(s.attribution(), 'Streamed via ALICE Protocol (ASP)');
  assert.equal(p.captureTimeUs(), captureTimeUs(0));
  assert.deepEqual([p.qp(), p.tileColumns(), p.tileRows(), p.tileSizesLength()], [26, 1, 1, 0]);
  assert.deepEqual(Array.from(p.tileDataArray()), KEY_TILE);
}

function checkDelta(p, seq) {
  // The usual reference (the frame before) is implicit; the capture time a
  // delta from the keyframe's.
  assert.equal(p.refSequence(), null);
  assert.equal(p.captureTimeUs(), null);
  assert.equal(BigInt(p.captureDeltaUs()), captureTimeUs(seq) - captureTimeUs(0));
  assert.deepEqual([p.qp(), p.motionBlockSize(), p.motionVectorPrecision()], [28, 16, 1]);
  assert.deepEqual([p.tileSizesLength(), p.tileDataLength()], [0, 0]);
  const got = [];
  for (let i = 0; i < p.motionVectorsLength(); i++) {
    const mv = p.motionVectors(i);
    got.push([mv.blockX(), mv.blockY(), mv.dx(), mv.dy(), mv.sad()]);
  }
  assert.deepEqual(got, motionVectors(seq));
}

function checkCorrection(p, frames) {
  assert.equal(p.refSequence(), frames - 1);
  assert.equal(p.captureTimeUs(), captureTimeUs(frames - 1));
  assert.equal(p.qp(), 20);
  assert.equal(p.regionsLength(), 1);
  const r = p.regions(0);
  const b = r.bounds();
  assert.deepEqual([b.x(), b.y(), b.width(), b.height()], [96, 64, 48, 48]);
  assert.equal(r.confidence(), Math.fround(0.9));
  assert.deepEqual([r.roiType(), r.priority()], [asp.RoiType.Face, 3]);
  assert.deepEqual(Array.from(p.tileDataArray()), [1, 2, 3]);
}

/** Reads `data` as synthetic_stream.rs writes `frames` frames; the packet count. */
function checkStream(data, frames) {
  const packets = split(data);
  const layout = [[I, 0, 0]];
  for (let s = 1; s < frames; s++) layout.push([D, 0, s]);
  layout.push([C, DISCARDABLE, frames], [S, 0, frames + 1], [S, 0, frames + 2]);
  assert.deepEqual(packets.map(([t, f, s]) => [t, f, s]), layout);
  for (const [type, , seq, payload] of packets) {
    const root = asp.AspPacketPayload.getRootAsAspPacketPayload(new flatbuffers.ByteBuffer(payload));
    assert.equal(root.payloadType(), type, 'the payload type is the header type');
    if (type === I) checkKeyframe(root.payload(new asp.IPacketPayload()));
    else if (type === D) checkDelta(root.payload(new asp.DPacketPayload()), seq);
    else if (type === C) checkCorrection(root.payload(new asp.CPacketPayload()), frames);
    else {
      const p = root.payload(new asp.SPacketPayload());
      if (seq === frames + 1) assert.deepEqual([p.command(), p.timestampUs(), p.reason()], [asp.SyncCommand.Ping, 123_456_789n, null]);
      else assert.deepEqual([p.command(), p.reason()], [asp.SyncCommand.EndOfStream, 'end of input']);
    }
  }
  return packets.length;
}

for (const name of ['rust.asp', 'python.asp']) {
  test(`the TypeScript reader reads ${name} (I, D, C and S packets)`, () => {
    const file = path.join(out, name);
    assert.ok(fs.existsSync(file), `${file} is missing: run tests/interop/run.sh`);
    assert.equal(checkStream(new Uint8Array(fs.readFileSync(file)), FRAMES), FRAMES + 3);
  });
}

test('the TypeScript reader reads the committed Python-written fixture', () => {
  const fixture = new Uint8Array(fs.readFileSync(path.join(root, 'tests/interop/fixtures/python_written.asp')));
  assert.equal(checkStream(fixture, 3), 6);
});

test('the checks catch damage and wrong values', () => {
  const fixture = new Uint8Array(fs.readFileSync(path.join(root, 'tests/interop/fixtures/python_written.asp')));
  const damaged = fixture.slice();
  damaged[100] ^= 1;
  assert.throws(() => split(damaged), /CRC mismatch/);
  assert.throws(() => checkStream(fixture, 2));
});
