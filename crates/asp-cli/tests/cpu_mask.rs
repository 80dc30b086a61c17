//! The whole codec on every twin: `asp-encode` and `asp-decode` run under
//! `ASP_CPU_MASK` at each level of this CPU's features (e.g. AVX2, then
//! SSE2 only, then scalar) write the same bytes as with every feature.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use asp_core::CpuFeatures;

fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("asp-cli-cpu-mask-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(exe: &str, mask: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(exe);
    command.args(args).env_remove("ASP_CPU_MASK");
    if let Some(mask) = mask {
        command.env("ASP_CPU_MASK", mask);
    }
    command.output().unwrap()
}

/// The stream `asp-encode` writes for `args` under `mask`, and what
/// `asp-decode` makes of it under the same mask.
fn encode_decode(dir: &Path, name: &str, mask: Option<&str>, args: &[&str]) -> (Vec<u8>, Vec<u8>) {
    let path = dir.join(format!("{name}-{}.asp", mask.unwrap_or("default")));
    let path = path.to_str().unwrap();
    let mut all = vec!["testsrc", "--size", "208x144", "--fps", "25", "--frames", "10", "-o", path];
    all.extend_from_slice(args);
    let out = run(env!("CARGO_BIN_EXE_asp-encode"), mask, &all);
    assert!(out.status.success(), "asp-encode {mask:?} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let stream = std::fs::read(path).unwrap();
    let out = run(env!("CARGO_BIN_EXE_asp-decode"), mask, &[path, "-o", "-"]);
    assert!(out.status.success(), "asp-decode {mask:?}: {}", String::from_utf8_lossy(&out.stderr));
    (stream, out.stdout)
}

#[test]
fn every_level_encodes_and_decodes_the_same_bytes() {
    let dir = temp_dir("levels");
    let levels: Vec<String> = CpuFeatures::host().levels().map(|l| l.to_string()).collect();
    assert_eq!(levels.last().map(String::as_str), Some("scalar"));
    #[cfg(target_arch = "x86_64")]
    assert!(levels.len() >= 2, "SSE2 and scalar at least: {levels:?}");
    // Sub-pel search, RDOQ, 8x8 transforms, deblocking, tiles, and a
    // k-means palette with ROI analysis.
    let cases: [(&str, &[&str]); 2] = [
        ("medium", &["--preset", "medium", "--qp", "24", "--tiles", "2x1", "--keyint", "5"]),
        ("roi-palette", &["--qp", "32", "--roi", "face,text,motion", "--roi-layer", "--palette", "4"]),
    ];
    for (name, args) in cases {
        let (stream, frames) = encode_decode(&dir, name, None, args);
        assert!(!stream.is_empty() && !frames.is_empty());
        for level in &levels {
            let (masked_stream, masked_frames) = encode_decode(&dir, name, Some(level), args);
            assert!(masked_stream == stream, "{name}: the stream differs under ASP_CPU_MASK={level}");
            assert!(masked_frames == frames, "{name}: the decoded frames differ under ASP_CPU_MASK={level}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_mask_is_refused() {
    let dir = temp_dir("refused");
    let path = dir.join("refused.asp");
    let args = ["testsrc", "--frames", "1", "-o", path.to_str().unwrap()];
    let out = run(env!("CARGO_BIN_EXE_asp-encode"), Some("sse2+sve"), &args);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sve"), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).ok();
}
