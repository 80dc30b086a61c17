//! One WGSL source: the player's JS WebGPU renderer (web/src/render/shaders.js)
//! carries the same shader text as asp-render's `src/yuv.wgsl` (past the
//! file's leading comment), so the browser and the native renderer draw
//! the same arithmetic. Change them together.

fn js_wgsl() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../web/src/render/shaders.js"
    );
    let source = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let start = "export const WGSL = /* wgsl */ `";
    let at = source
        .find(start)
        .expect("shaders.js exports WGSL as a template literal")
        + start.len();
    let end = source[at..].find('`').expect("the WGSL literal ends");
    source[at..at + end].trim().to_owned()
}

fn rust_wgsl() -> String {
    asp_render::WGSL
        .lines()
        .skip_while(|line| line.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

#[test]
fn the_js_renderer_draws_with_the_same_wgsl() {
    let (js, rust) = (js_wgsl(), rust_wgsl());
    assert!(
        rust.contains("fn fs(") && rust.contains("fn vs("),
        "yuv.wgsl lost its entry points"
    );
    assert_eq!(
        js, rust,
        "web/src/render/shaders.js WGSL vs crates/asp-render/src/yuv.wgsl"
    );
}
