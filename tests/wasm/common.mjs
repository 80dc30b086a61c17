// Helpers shared by the Node tests and benchmark of the browser decoder.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the builds are: web/dist, or $ASP_WASM_DIST. */
export const distDir = process.env.ASP_WASM_DIST || path.join(root, 'web/dist');

/** Loads one build ("single" or "threads") of web/dist, initialised. */
export async function loadBuild(name, dist = distDir) {
  const dir = path.join(dist, name);
  const glue = await import(pathToFileURL(path.join(dir, 'asp_wasm.js')).href);
  // wasm-bindgen's --target web glue takes the module bytes instead of a URL.
  await glue.default({ module_or_path: fs.readFileSync(path.join(dir, 'asp_wasm_bg.wasm')) });
  return glue;
}

/** Splits a packet stream at the lengths its headers declare (clean streams only). */
export function splitPackets(bytes) {
  const packets = [];
  let at = 0;
  while (at + 16 <= bytes.length) {
    const payload = new DataView(bytes.buffer, bytes.byteOffset + at + 12, 4).getUint32(0);
    const len = 16 + payload + 4;
    packets.push(bytes.subarray(at, at + len));
    at += len;
  }
  if (at !== bytes.length) throw new Error(`stream does not end on a packet boundary (${at} of ${bytes.length})`);
  return packets;
}

/** The packet type letter (I, D, C, S) of a packet. */
export function packetType(packet) {
  return ' IDCS'[packet[5]] ?? '?';
}

/** Reads a y4m file: its size and the CRC-32 (hex) of each frame's payload. */
export function y4mChecksums(file) {
  const bytes = fs.readFileSync(file);
  let nl = bytes.indexOf(10);
  const header = bytes.subarray(0, nl).toString('latin1');
  if (!header.startsWith('YUV4MPEG2 ')) throw new Error(`${file}: not y4m`);
  const width = Number(/ W(\d+)/.exec(header)[1]);
  const height = Number(/ H(\d+)/.exec(header)[1]);
  const frameLen = width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
  const checksums = [];
  let at = nl + 1;
  while (at < bytes.length) {
    nl = bytes.indexOf(10, at);
    if (!bytes.subarray(at, at + 5).equals(Buffer.from('FRAME'))) throw new Error(`${file}: no FRAME at ${at}`);
    const payload = bytes.subarray(nl + 1, nl + 1 + frameLen);
    if (payload.length !== frameLen) throw new Error(`${file}: short frame at ${at}`);
    checksums.push(crc32hex(payload));
    at = nl + 1 + frameLen;
  }
  return { width, height, checksums };
}

export function crc32hex(bytes, crc = 0) {
  return (zlib.crc32(bytes, crc) >>> 0).toString(16).padStart(8, '0');
}

/**
 * CRC-32 of the decoder's current frame read through zero-copy views of wasm
 * memory (what a renderer uploads), cropped row by row.
 */
export function viewChecksum(glue, dec) {
  const buffer = glue.wasm_memory().buffer;
  const planes = [
    [dec.y_ptr, dec.y_stride, dec.width, dec.height],
    [dec.u_ptr, dec.uv_stride, dec.uv_width, dec.uv_height],
    [dec.v_ptr, dec.uv_stride, dec.uv_width, dec.uv_height],
  ];
  let crc = 0;
  for (const [ptr, stride, w, h] of planes) {
    const plane = new Uint8Array(buffer, ptr, stride * h);
    for (let y = 0; y < h; y++) crc = zlib.crc32(plane.subarray(y * stride, y * stride + w), crc);
  }
  return (crc >>> 0).toString(16).padStart(8, '0');
}

/** Decodes a whole stream pushed in `chunk`-byte pieces; returns per-frame info. */
export function decodePushed(glue, bytes, chunk) {
  const dec = new glue.Decoder();
  const frames = [];
  const errors = [];
  try {
    for (let at = 0; at < bytes.length; at += chunk) {
      dec.push(bytes.subarray(at, Math.min(at + chunk, bytes.length)));
      for (;;) {
        const fresh = dec.next_frame();
        const error = dec.last_error();
        if (error !== undefined && error !== null) errors.push(error);
        if (!fresh) break;
        frames.push({ sequence: dec.sequence, keyframe: dec.keyframe, checksum: dec.frame_checksum() });
      }
    }
    return { frames, errors, dropped: dec.frames_dropped, buffered: dec.buffered_bytes };
  } finally {
    dec.free();
  }
}
