// The moq-lite wire format, subscriber side, as moq-relay 0.17 speaks it
// (moq-net 0.3, draft lite-03, picked by the WebTransport sub-protocol
// `moq-lite-03`: no SETUP exchange, no TRACK stream, frames without
// timestamps). Everything is QUIC varints, strings (varint length + UTF-8)
// and messages (varint body size + body):
//
//   subscribe (bidi stream, ours): varint 2 (SUBSCRIBE), message {
//     varint id, string broadcast, string track, u8 priority,
//     u8 group order (retired, 0), varint max age (ms),
//     varint start group (0: the newest; else group + 1),
//     varint end group (0: none) }
//   reply (same stream, the relay's): varint 0 + message SUBSCRIBE_OK, or
//     varint 1 + message SUBSCRIBE_DROP; the stream's end ends the track
//   announce request (bidi stream, ours): varint 1 (ANNOUNCE), message {
//     string prefix }; the relay answers on it with one message per change,
//     { u8 status (0 ended, 1 active), string suffix, varint hop count }
//   group (uni stream, the relay's): varint 0 (GROUP), message {
//     varint subscribe id, varint group sequence }, then until the stream's
//     end: frames, each varint size + that many bytes (one ASP packet)

/** The WebTransport sub-protocol (moq-net's ALPN name) this file speaks. */
export const MOQ_LITE_PROTOCOL = 'moq-lite-03';

const CONTROL_ANNOUNCE = 1;
const CONTROL_SUBSCRIBE = 2;
const DATA_GROUP = 0;
/** The largest message or frame accepted (moq-net's own ceiling). */
const MAX_SIZE = 64 * 1024 * 1024;

export class WireError extends Error {}

/**
 * A QUIC varint (RFC 9000 §16). Values above 2^53 are refused: nothing here
 * needs them and a JS number would round them.
 * @param {number} value
 * @returns {Uint8Array}
 */
export function encodeVarint(value) {
  if (!Number.isSafeInteger(value) || value < 0) throw new WireError(`varint out of range: ${value}`);
  if (value < 0x40) return Uint8Array.of(value);
  if (value < 0x4000) return Uint8Array.of(0x40 | (value >> 8), value & 0xff);
  if (value < 0x40000000) {
    return Uint8Array.of(0x80 | (value >>> 24), (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  }
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, Math.floor(value / 2 ** 32));
  view.setUint32(4, value >>> 0);
  bytes[0] |= 0xc0;
  return bytes;
}

/** @param {Uint8Array[]} parts */
function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** @param {string} text */
function encodeString(text) {
  const bytes = new TextEncoder().encode(text);
  return concat([encodeVarint(bytes.byteLength), bytes]);
}

/**
 * The bytes that open a subscription: the control type and the SUBSCRIBE
 * message. Starts at the newest group the relay has.
 * @param {{ id: number, broadcast: string, track: string, priority: number, maxAgeMs: number }} s
 */
export function encodeSubscribe(s) {
  const body = concat([
    encodeVarint(s.id),
    encodeString(s.broadcast),
    encodeString(s.track),
    Uint8Array.of(s.priority & 0xff, 0),
    encodeVarint(s.maxAgeMs),
    encodeVarint(0),
    encodeVarint(0),
  ]);
  return concat([encodeVarint(CONTROL_SUBSCRIBE), encodeVarint(body.byteLength), body]);
}

/**
 * The bytes that ask for the announcements of the broadcasts under `prefix`
 * (the broadcast itself included: its suffix is empty).
 * @param {string} prefix
 */
export function encodeAnnounceRequest(prefix) {
  const body = encodeString(prefix);
  return concat([encodeVarint(CONTROL_ANNOUNCE), encodeVarint(body.byteLength), body]);
}

/** Reads varints, messages and frames from one incoming stream. */
export class StreamReader {
  /** @param {ReadableStream<Uint8Array>} stream */
  constructor(stream) {
    this.reader = stream.getReader();
    /** @type {Uint8Array} */
    this.buffer = new Uint8Array(0);
    this.done = false;
  }

  /** Buffers at least `n` bytes; false if the stream ended first. */
  async fill(/** @type {number} */ n) {
    while (this.buffer.byteLength < n) {
      if (this.done) return false;
      const { done, value } = await this.reader.read();
      if (done) {
        this.done = true;
        return this.buffer.byteLength >= n;
      }
      this.buffer = this.buffer.byteLength ? concat([this.buffer, value]) : value;
    }
    return true;
  }

  /** @param {number} n */
  take(n) {
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** The next varint, or null at a clean end of the stream. */
  async varint() {
    if (!(await this.fill(1))) {
      if (this.buffer.byteLength === 0) return null;
      throw new WireError('stream ended inside a varint');
    }
    const length = 1 << (this.buffer[0] >> 6);
    if (!(await this.fill(length))) throw new WireError('stream ended inside a varint');
    const bytes = this.take(length);
    let value = bytes[0] & 0x3f;
    for (let i = 1; i < length; i++) value = value * 256 + bytes[i];
    return value;
  }

  /** `n` bytes (a copy the caller may keep), or throws at the stream's end. */
  async bytes(/** @type {number} */ n) {
    if (n > MAX_SIZE) throw new WireError(`${n} bytes is more than ${MAX_SIZE}`);
    if (!(await this.fill(n))) throw new WireError(`stream ended ${n - this.buffer.byteLength} bytes short`);
    return this.take(n).slice();
  }

  /** A size-prefixed message body, or null at a clean end of the stream. */
  async message() {
    const size = await this.varint();
    if (size === null) return null;
    return new MessageReader(await this.bytes(size));
  }

  cancel() {
    this.reader.cancel().catch(() => {});
  }
}

/** Reads the fields of one message body. */
class MessageReader {
  /** @param {Uint8Array} bytes */
  constructor(bytes) {
    this.bytes = bytes;
    this.at = 0;
  }

  byte() {
    if (this.at >= this.bytes.byteLength) throw new WireError('message too short');
    return this.bytes[this.at++];
  }

  string() {
    const length = this.varint();
    if (this.at + length > this.bytes.byteLength) throw new WireError('message too short');
    const text = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + length));
    this.at += length;
    return text;
  }

  varint() {
    if (this.at >= this.bytes.byteLength) throw new WireError('message too short');
    const length = 1 << (this.bytes[this.at] >> 6);
    if (this.at + length > this.bytes.byteLength) throw new WireError('message too short');
    let value = this.bytes[this.at] & 0x3f;
    for (let i = 1; i < length; i++) value = value * 256 + this.bytes[this.at + i];
    this.at += length;
    return value;
  }
}

/**
 * The relay's reply on the subscribe stream: 'ok', 'drop' (the track is
 * gone: the publisher left or never came), or null when the stream ended.
 * @param {StreamReader} reader
 * @returns {Promise<'ok' | 'drop' | null>}
 */
export async function readSubscribeReply(reader) {
  const type = await reader.varint();
  if (type === null) return null;
  const body = await reader.message();
  if (body === null) throw new WireError('subscribe reply without a body');
  if (type === 0) return 'ok';
  if (type === 1) return 'drop';
  throw new WireError(`unknown subscribe reply type ${type}`);
}

/**
 * The next announcement on an announce stream: a broadcast (its path
 * after the requested prefix) became available or went away; null when the
 * stream ended.
 * @param {StreamReader} reader
 * @returns {Promise<{ active: boolean, suffix: string } | null>}
 */
export async function readAnnounce(reader) {
  const body = await reader.message();
  if (body === null) return null;
  const status = body.byte();
  if (status !== 0 && status !== 1) throw new WireError(`unknown announce status ${status}`);
  return { active: status === 1, suffix: body.string() };
}

/**
 * The header of a group stream: its subscription id and group sequence.
 * @param {StreamReader} reader
 * @returns {Promise<{ subscribe: number, sequence: number }>}
 */
export async function readGroupHeader(reader) {
  const type = await reader.varint();
  if (type !== DATA_GROUP) throw new WireError(`not a group stream (type ${type})`);
  const body = await reader.message();
  if (body === null) throw new WireError('group stream without a header');
  return { subscribe: body.varint(), sequence: body.varint() };
}

/**
 * The next frame of a group stream, or null at the group's end.
 * @param {StreamReader} reader
 */
export async function readFrame(reader) {
  const size = await reader.varint();
  if (size === null) return null;
  return reader.bytes(size);
}
