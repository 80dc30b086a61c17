// The one shader, in the two languages the renderers speak: WGSL for
// WebGPU, GLSL ES 3.00 for WebGL2. Same inputs (three R8 planes, a 3x4
// colour matrix, a clip-space scale), same arithmetic: chroma is sampled
// bilinearly at the luma sample's position, then the matrix is applied.

export const WGSL = /* wgsl */ `
struct Params {
  rows: array<vec4f, 3>,   // R, G, B: [cY, cCb, cCr, offset]
  scale: vec2f,            // picture size in clip space (letterbox)
};
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var planeY: texture_2d<f32>;
@group(0) @binding(2) var planeU: texture_2d<f32>;
@group(0) @binding(3) var planeV: texture_2d<f32>;
@group(0) @binding(4) var bilinear: sampler;

struct Varyings {
  @builtin(position) position: vec4f,
  @location(0) uv: vec2f,
};

@vertex
fn vs(@builtin(vertex_index) i: u32) -> Varyings {
  // A quad as a 4-vertex triangle strip, (0,0) at the picture's top left.
  let corner = vec2f(f32(i & 1u), f32(i >> 1u));
  var out: Varyings;
  out.position = vec4f((corner * 2.0 - 1.0) * vec2f(1.0, -1.0) * params.scale, 0.0, 1.0);
  out.uv = corner;
  return out;
}

@fragment
fn fs(v: Varyings) -> @location(0) vec4f {
  let yuv = vec4f(
    textureSample(planeY, bilinear, v.uv).r,
    textureSample(planeU, bilinear, v.uv).r,
    textureSample(planeV, bilinear, v.uv).r,
    1.0);
  let rgb = vec3f(dot(params.rows[0], yuv), dot(params.rows[1], yuv), dot(params.rows[2], yuv));
  return vec4f(clamp(rgb, vec3f(0.0), vec3f(1.0)), 1.0);
}
`;

export const GLSL_VERTEX = /* glsl */ `#version 300 es
uniform vec2 scale;
out vec2 uv;
void main() {
  vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
  gl_Position = vec4((corner * 2.0 - 1.0) * vec2(1.0, -1.0) * scale, 0.0, 1.0);
  uv = corner;
}
`;

export const GLSL_FRAGMENT = /* glsl */ `#version 300 es
precision highp float;
uniform vec4 rows[3];
uniform sampler2D planeY;
uniform sampler2D planeU;
uniform sampler2D planeV;
in vec2 uv;
out vec4 colour;
void main() {
  vec4 yuv = vec4(texture(planeY, uv).r, texture(planeU, uv).r, texture(planeV, uv).r, 1.0);
  vec3 rgb = vec3(dot(rows[0], yuv), dot(rows[1], yuv), dot(rows[2], yuv));
  colour = vec4(clamp(rgb, 0.0, 1.0), 1.0);
}
`;
