// Reads the capture timestamp that asp-server's testsrc burns into the top
// rows of the picture (crates/asp-server/src/stamp.rs): 56 square blocks,
// 48 data bits (the low 48 bits of the capture time in microseconds since
// the Unix epoch, most significant first) and 8 check bits (XOR of the six
// data bytes with 0xA5); white = 1, black = 0. Works on any player's canvas.

const BLOCKS = 56;
const CLOCK = 2 ** 48;

/** Block side in pixels for a picture `width` x `height` (null: no stamp). */
export function blockSize(width, height) {
  const fit = Math.floor(width / BLOCKS);
  const side = fit >= 8 ? Math.min(Math.floor(fit / 8) * 8, 16) : fit >= 4 ? 4 : 0;
  return side && height >= side ? side : null;
}

/**
 * The stamp's 48-bit clock value from RGBA pixels of the top `side` rows
 * (`rgba` is `getImageData(0, 0, width, side).data`), or null if absent.
 */
export function readStamp(rgba, width, height) {
  const side = blockSize(width, height);
  if (!side || rgba.length < width * side * 4) return null;
  const bits = [];
  for (let b = 0; b < BLOCKS; b++) {
    const x = b * side + side / 2, y = side / 2;
    let sum = 0;
    for (const [dx, dy] of [[-1, -1], [0, -1], [-1, 0], [0, 0]]) {
      const i = ((y + dy) * width + (x + dx)) * 4;
      sum += (rgba[i] + rgba[i + 1] + rgba[i + 2]) / 3;
    }
    bits.push(sum / 4 >= 128 ? 1 : 0);
  }
  let data = 0;
  for (let i = 0; i < 48; i++) data = data * 2 + bits[i];
  let check = 0;
  for (let i = 48; i < 56; i++) check = check * 2 + bits[i];
  let expect = 0xa5;
  for (let k = 5; k >= 0; k--) expect ^= Math.floor(data / 2 ** (8 * k)) % 256;
  return expect === check ? data : null;
}

/** Milliseconds from a stamp to now (the page's clock), modulo the 48-bit wrap. */
export function stampAgeMs(stamp) {
  const nowUs = Math.round((performance.timeOrigin + performance.now()) * 1000);
  return (((nowUs - stamp) % CLOCK) + CLOCK) % CLOCK / 1000;
}

/** Reads the stamp of a 2D canvas and returns its age in ms (null: no stamp). */
export function canvasStampAge(ctx, width, height) {
  const side = blockSize(width, height);
  if (!side) return null;
  const stamp = readStamp(ctx.getImageData(0, 0, width, side).data, width, height);
  return stamp === null ? null : stampAgeMs(stamp);
}

/** Milliseconds from a stamp to `atMs` (ms since the epoch), modulo the 48-bit wrap. */
export function stampLatencyMs(stamp, atMs) {
  const atUs = Math.round(atMs * 1000);
  return (((atUs - stamp) % CLOCK) + CLOCK) % CLOCK / 1000;
}
