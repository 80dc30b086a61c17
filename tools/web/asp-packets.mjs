// Just enough of the ASP wire format for the Node tooling: split a stream
// into packets, check a packet's CRC, read an S-packet's command. (The
// real reader is asp-core's; this serves test files and reads feedback.)
import zlib from 'node:zlib';

export const TYPES = { 1: 'I', 2: 'D', 3: 'C', 4: 'S' };
export const SYNC_COMMANDS = {
  1: 'RequestKeyframe', 2: 'Ack', 3: 'Nack', 4: 'Ping', 5: 'Pong', 6: 'BitrateAdjust', 7: 'QualityChange', 8: 'EndOfStream',
};

/** Splits a clean stream at the lengths its headers declare. */
export function splitPackets(bytes) {
  const packets = [];
  let at = 0;
  while (at + 20 <= bytes.length) {
    const len = 16 + bytes.readUInt32BE(at + 12) + 4;
    if (bytes.toString('latin1', at, at + 4) !== 'ASP1' || at + len > bytes.length) break;
    packets.push(bytes.subarray(at, at + len));
    at += len;
  }
  if (at !== bytes.length) throw new Error(`not a clean packet stream (stops at byte ${at} of ${bytes.length})`);
  return packets;
}

export function packetType(packet) {
  return TYPES[packet[5]] ?? '?';
}

/** Header, CRC and, for S-packets, the command and sequence fields. */
export function describePacket(bytes) {
  if (bytes.length < 20 || bytes.toString('latin1', 0, 4) !== 'ASP1') return { valid: false, why: 'no magic' };
  const len = 16 + bytes.readUInt32BE(12) + 4;
  if (len !== bytes.length) return { valid: false, why: `length ${bytes.length}, header says ${len}` };
  const crc = zlib.crc32(bytes.subarray(0, len - 4)) >>> 0;
  if (crc !== bytes.readUInt32BE(len - 4)) return { valid: false, why: 'CRC mismatch' };
  const out = { valid: true, type: packetType(bytes), sequence: bytes.readUInt32BE(8) };
  if (out.type === 'S') Object.assign(out, readSync(bytes.subarray(16, len - 4)));
  return out;
}

/** FlatBuffers: field `index` of the table at `table`, as its position or -1. */
function field(buf, table, index) {
  const vtable = table - buf.readInt32LE(table);
  const vsize = buf.readUInt16LE(vtable);
  const slot = 4 + 2 * index;
  if (slot >= vsize) return -1;
  const off = buf.readUInt16LE(vtable + slot);
  return off === 0 ? -1 : table + off;
}

/** SPacketPayload.command (default RequestKeyframe) and .sequence. */
function readSync(payload) {
  const root = payload.readUInt32LE(0);
  const typePos = field(payload, root, 0);
  const unionPos = field(payload, root, 1);
  if (typePos < 0 || payload[typePos] !== 4 || unionPos < 0) return { command: null };
  const s = unionPos + payload.readUInt32LE(unionPos);
  const commandPos = field(payload, s, 0);
  const sequencePos = field(payload, s, 1);
  const command = commandPos < 0 ? 1 : payload[commandPos];
  return { command: SYNC_COMMANDS[command] ?? command, syncSequence: sequencePos < 0 ? 0 : payload.readUInt32LE(sequencePos) };
}
