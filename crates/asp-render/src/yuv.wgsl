// The one YUV 4:2:0 -> RGB shader, for every target: asp-render (native
// wgpu, and wasm's WebGPU) and the player's JS WebGPU renderer, which
// fetches this file as web/dist/yuv.wgsl (tools/build-wasm.sh copies it
// there). The WebGL2 renderer's GLSL (web/src/render/shaders.js) does the
// same arithmetic. Three R8 planes, a 3x4 colour matrix (rows R, G, B
// of [cY, cCb, cCr, offset]), a clip-space scale for the letterbox; chroma
// sampled bilinearly at the luma sample's position.
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
