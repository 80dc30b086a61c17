// Y'CbCr -> R'G'B' for the renderers: one 3x4 matrix (rows of
// [cY, cCb, cCr, offset]) per stream, from the matrix and range that the
// stream's keyframes carry (Alice.Asp.ColorMatrix / ColorRange). Every
// renderer applies the same numbers, so the WebGPU, WebGL2 and Canvas2D
// pictures agree.
//
// A JS copy of the Rust colour module, which is the reference:
// crates/asp-core/src/colour/mod.rs (asp_core::colour): the Kr, Kb luma
// weights of ITU-R BT.601 (0.299, 0.114), BT.709 (0.2126, 0.0722) and
// BT.2020 (0.2627, 0.0593), limited range Y 16..235, C 16..240, and the
// equations of its YuvToRgbQ14 (the Canvas2D path's fixed point, which must
// match these shaders). crates/asp-core/tests/colour_js.rs checks that the
// numbers here are the Rust ones; change them together.

/** Kr, Kb of Alice.Asp.ColorMatrix: 0 BT.601, 1 BT.709, 2 BT.2020. */
const LUMA_WEIGHTS = [
  [0.299, 0.114],
  [0.2126, 0.0722],
  [0.2627, 0.0593],
];

/**
 * The conversion as 12 floats, row-major rows R, G, B of
 * [cY, cCb, cCr, offset], for samples normalised to 0..1.
 * matrix: 0 BT.601, 1 BT.709 (default for unknown values), 2 BT.2020;
 * range: 0 limited (Y 16..235, C 16..240), 1 full.
 * @param {number} matrix
 * @param {number} range
 * @returns {Float32Array}
 */
export function yuvToRgb(matrix, range) {
  const [kr, kb] = LUMA_WEIGHTS[matrix] ?? LUMA_WEIGHTS[1];
  const kg = 1 - kr - kb;
  const full = range === 1;
  const ys = full ? 1 : 255 / 219;
  const cs = full ? 1 : 255 / 224;
  const y0 = full ? 0 : 16 / 255;
  const c0 = 128 / 255;
  // R = Y + 2(1-Kr) Cr;  B = Y + 2(1-Kb) Cb;  G = (Y - Kr R - Kb B) / Kg.
  const rCr = 2 * (1 - kr) * cs;
  const bCb = 2 * (1 - kb) * cs;
  const gCb = (-2 * kb * (1 - kb) / kg) * cs;
  const gCr = (-2 * kr * (1 - kr) / kg) * cs;
  const row = (/** @type {number} */ cy, /** @type {number} */ ccb, /** @type {number} */ ccr) => [cy, ccb, ccr, -(cy * y0 + ccb * c0 + ccr * c0)];
  return new Float32Array([...row(ys, 0, rCr), ...row(ys, gCb, gCr), ...row(ys, bCb, 0)]);
}

/**
 * Where the picture goes in a canvas of cw x ch: the largest rectangle of
 * the picture's aspect ratio, centred (letterbox), as the scale of a
 * full-canvas quad in clip space [sx, sy].
 * @param {number} width @param {number} height @param {number} cw @param {number} ch
 * @returns {[number, number]}
 */
export function fitScale(width, height, cw, ch) {
  if (!width || !height || !cw || !ch) return [1, 1];
  const picture = width / height;
  const canvas = cw / ch;
  return picture > canvas ? [1, canvas / picture] : [picture / canvas, 1];
}
