//! The renderers' colour numbers (web/src/render/colour.js, which the
//! WebGPU and WebGL2 shaders take their matrix from) are asp-core's
//! (`asp_core::colour`): the same luma weights in the same order, and the
//! same limited-range levels.

use asp_core::colour::{LIMITED_BLACK, LIMITED_CHROMA_LEVELS, LIMITED_LUMA_LEVELS, LUMA_WEIGHTS};

fn colour_js() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../web/src/render/colour.js"
    );
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The numbers in the JS array literal that follows `declaration`.
fn js_array_numbers(source: &str, declaration: &str) -> Vec<f64> {
    let start = source
        .find(declaration)
        .unwrap_or_else(|| panic!("colour.js has no `{declaration}`"));
    let body = &source[start + declaration.len()..];
    let end = body.find("];").expect("the array literal ends with `];`");
    body[..end]
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap_or_else(|e| panic!("{s}: {e}")))
        .collect()
}

#[test]
fn luma_weights_are_the_rust_table() {
    let js = js_array_numbers(&colour_js(), "const LUMA_WEIGHTS = [");
    let rust: Vec<f64> = LUMA_WEIGHTS.iter().flat_map(|&(kr, kb)| [kr, kb]).collect();
    assert_eq!(
        js, rust,
        "web/src/render/colour.js LUMA_WEIGHTS vs asp_core::colour::LUMA_WEIGHTS"
    );
}

#[test]
fn limited_range_levels_are_the_rust_ones() {
    let js = colour_js();
    for expression in [
        format!("255 / {LIMITED_LUMA_LEVELS}"),
        format!("255 / {LIMITED_CHROMA_LEVELS}"),
        format!("{LIMITED_BLACK} / 255"),
    ] {
        assert!(
            js.contains(&expression),
            "colour.js does not compute `{expression}`"
        );
    }
}
