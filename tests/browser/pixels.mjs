// What a renderer should draw, computed from asp-decode's output, and what
// it drew, read from a PNG screenshot (decoded in Node, so no browser's
// image pipeline sits between the canvas and the comparison).
import fs from 'node:fs';
import pngjs from '../../tools/web/node_modules/pngjs/lib/png.js';

/** Frame `index` of a y4m (4:2:0) as planes; negative counts from the end. */
export function y4mFrame(file, index) {
  const bytes = fs.readFileSync(file);
  const header = bytes.subarray(0, bytes.indexOf(10)).toString('latin1');
  const w = Number(/ W(\d+)/.exec(header)[1]);
  const h = Number(/ H(\d+)/.exec(header)[1]);
  const cw = Math.ceil(w / 2);
  const ch = Math.ceil(h / 2);
  const frameLen = w * h + 2 * cw * ch;
  const frames = [];
  for (let at = bytes.indexOf(10) + 1; at < bytes.length;) {
    const nl = bytes.indexOf(10, at);
    frames.push(nl + 1);
    at = nl + 1 + frameLen;
  }
  const start = frames.at(index);
  return {
    w, h, cw, ch,
    y: bytes.subarray(start, start + w * h),
    u: bytes.subarray(start + w * h, start + w * h + cw * ch),
    v: bytes.subarray(start + w * h + cw * ch, start + frameLen),
  };
}

/** The last frame of a y4m as planes. */
export function lastFrame(file) {
  return y4mFrame(file, -1);
}

/** Bilinear sample of a plane at texel coordinates (x, y), edges clamped. */
function bilinear(plane, pw, ph, x, y) {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx, yy) => plane[Math.min(ph - 1, Math.max(0, yy)) * pw + Math.min(pw - 1, Math.max(0, xx))];
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}

/**
 * The RGB a renderer should draw for pixel (x, y) of a frame shown 1:1:
 * chroma sampled bilinearly (the shaders) or nearest (the Canvas2D path).
 * `rows` is the player's YUV-to-RGB matrix (asp.yuvToRgb), 3 rows of 4.
 */
export function expectedRgb(f, rows, x, y, chroma = 'bilinear') {
  const Y = f.y[y * f.w + x] / 255;
  let U;
  let V;
  if (chroma === 'nearest') {
    U = f.u[(y >> 1) * f.cw + (x >> 1)] / 255;
    V = f.v[(y >> 1) * f.cw + (x >> 1)] / 255;
  } else {
    const cx = ((x + 0.5) * f.cw) / f.w - 0.5;
    const cy = ((y + 0.5) * f.ch) / f.h - 0.5;
    U = bilinear(f.u, f.cw, f.ch, cx, cy) / 255;
    V = bilinear(f.v, f.cw, f.ch, cx, cy) / 255;
  }
  return [0, 1, 2].map((i) => {
    const r = rows.slice(4 * i, 4 * i + 4);
    return Math.round(255 * Math.min(1, Math.max(0, r[0] * Y + r[1] * U + r[2] * V + r[3])));
  });
}

/** PNG bytes as { w, h, data: RGBA bytes }. */
export function decodePng(bytes) {
  const png = pngjs.PNG.sync.read(Buffer.from(bytes));
  return { w: png.width, h: png.height, data: png.data };
}

/** The RGBA pixel at (x, y) of a decoded PNG, as [r, g, b]. */
export const rgbAt = (img, x, y) => Array.from(img.data.subarray((y * img.w + x) * 4, (y * img.w + x) * 4 + 3));

/**
 * How far a screenshot `got` (decodePng) is from frame `f` drawn 1:1:
 * { max, mean, worst } over every channel of every pixel.
 */
export function pictureError(f, rows, got, chroma) {
  let max = 0;
  let sum = 0;
  let worst = null;
  for (let y = 0; y < f.h; y++) {
    for (let x = 0; x < f.w; x++) {
      const want = expectedRgb(f, rows, x, y, chroma);
      for (let c = 0; c < 3; c++) {
        const value = got.data[(y * got.w + x) * 4 + c];
        const d = Math.abs(value - want[c]);
        sum += d;
        if (d > max) {
          max = d;
          worst = { x, y, c, got: value, want: want[c] };
        }
      }
    }
  }
  return { max, mean: sum / (f.w * f.h * 3), worst };
}
