//! `asp-decode --max-width/--max-height/--max-pixels`: a decoder's own caps
//! on what a stream may make it allocate, refused as damage naming the cap.

use std::path::PathBuf;
use std::process::{Command, Output};

fn stream() -> PathBuf {
    let path = std::env::temp_dir().join(format!("asp-cli-limits-{}.asp", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(["testsrc", "--size", "64x48", "--frames", "3", "--force", "-o", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

fn decode(stream: &PathBuf, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asp-decode")).arg(stream).args(["-o", "/dev/null"]).args(args).output().unwrap()
}

#[test]
fn frames_over_the_decoders_caps_are_refused() {
    let stream = stream();
    let ok = decode(&stream, &["--max-width", "64", "--max-height", "48", "--max-pixels", "3072"]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    for (args, says) in [
        (["--max-pixels", "3071"], "over the limit of 3071 pixels"),
        (["--max-width", "63"], "outside 1x1..=63x8192"),
        (["--max-height", "47"], "outside 1x1..=8192x47"),
    ] {
        let out = decode(&stream, &args);
        let text = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains(says), "{args:?}: {text}");
    }
    // Raising a cap past the default is refused by the option parser.
    let out = decode(&stream, &["--max-pixels", "67108865"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_file(stream);
}
