// record() / stopRecording(): the source's bytes, cut into packets at the
// lengths their headers declare, kept from the first keyframe (I-packet)
// on, so the result is an .asp file that starts where a decoder can
// (asp-decode, or <asp-player> with the Blob's URL as src). Picture
// packets only (I, D, C): S-packets are the connection's talk (pings,
// keyframe requests), not part of a file.
//
// Packet header (asp-core packet/): "ASP1", version, type (1 I, 2 D, 3 C,
// 4 S) at byte 5, sequence u32 BE at 8, payload length u32 BE at 12; then
// the payload and a CRC-32. The decoder checks the CRCs; a recorder that
// loses the header chain (a damaged length) finds the next "ASP1".

const HEADER_BYTES = 16;
const CRC_BYTES = 4;
const MAGIC = [0x41, 0x53, 0x50, 0x31];
const TYPE_I = 1;
const TYPE_S = 4;
/** A length beyond this is a damaged header, not a packet (the decoder's own limit is lower). */
const MAX_PACKET_BYTES = 1 << 26;

export class Recorder {
  constructor() {
    /** Bytes not yet a whole packet. */
    this.pending = new Uint8Array(0);
    /** Whole packets kept, from the first keyframe. @type {Uint8Array[]} */
    this.packets = [];
    this.started = false;
  }

  /** Takes the next bytes of the stream, in any chunking. @param {ArrayBuffer | Uint8Array} bytes */
  push(bytes) {
    const chunk = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const all = new Uint8Array(this.pending.length + chunk.length);
    all.set(this.pending);
    all.set(chunk, this.pending.length);
    let at = 0;
    while (all.length - at >= HEADER_BYTES) {
      if (!MAGIC.every((b, i) => all[at + i] === b)) {
        at = nextMagic(all, at + 1);
        continue;
      }
      const view = new DataView(all.buffer, all.byteOffset + at, HEADER_BYTES);
      const size = HEADER_BYTES + view.getUint32(12) + CRC_BYTES;
      if (size > MAX_PACKET_BYTES) {
        at = nextMagic(all, at + 1);
        continue;
      }
      if (all.length - at < size) break;
      this.keep(all.subarray(at, at + size), all[at + 5]);
      at += size;
    }
    // A copy: the rest must not hold on to the whole chunk.
    this.pending = all.slice(at);
  }

  /** @param {Uint8Array} packet @param {number} type */
  keep(packet, type) {
    if (type === TYPE_S) return;
    if (!this.started && type !== TYPE_I) return;
    this.started = true;
    this.packets.push(packet.slice());
  }

  /** The recording as an .asp file (empty if no keyframe came). */
  finish() {
    return new Blob(/** @type {BlobPart[]} */ (this.packets), { type: 'video/x-asp' });
  }
}

/** The index of the next "ASP1" at or after `from`, or where a partial one may start. @param {Uint8Array} bytes @param {number} from */
function nextMagic(bytes, from) {
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] !== MAGIC[0]) continue;
    const left = Math.min(MAGIC.length, bytes.length - i);
    let match = true;
    for (let k = 1; k < left; k++) if (bytes[i + k] !== MAGIC[k]) match = false;
    if (match) return i;
  }
  return bytes.length;
}
