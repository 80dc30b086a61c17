// The WebGL2 renderer's shader, GLSL ES 3.00: the arithmetic of the one
// WGSL source (crates/asp-render/src/yuv.wgsl, which the WebGPU renderers
// draw with) in the language WebGL2 speaks. Same inputs (three R8 planes, a
// 3x4 colour matrix, a clip-space scale): chroma is sampled bilinearly at
// the luma sample's position, then the matrix is applied.

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
