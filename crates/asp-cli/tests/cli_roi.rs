//! ROI coding from the command line: `asp-encode --roi ... --roi-layer`,
//! `asp-info --roi`, `asp-decode` with and without C-packets.

use std::path::PathBuf;
use std::process::{Command, Output};

fn run(exe: &str, args: &[&str]) -> Output {
    let out = Command::new(exe).args(args).output().unwrap();
    assert!(out.status.success(), "{exe} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("asp-cli-roi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn roi_stream_carries_regions_and_drops_c_packets_without_drift() {
    let (asp, recon, with_c, without_c) = (temp("roi.asp"), temp("recon.y4m"), temp("c.y4m"), temp("base.y4m"));
    let s = |p: &PathBuf| p.to_str().unwrap().to_owned();
    let encode = env!("CARGO_BIN_EXE_asp-encode");
    let out = run(
        encode,
        &["testsrc", "--size", "320x184", "--frames", "6", "--qp", "32", "--roi", "text,motion", "--roi-layer",
          "--palette", "4", "-o", &s(&asp), "--recon", &s(&recon)],
    );
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("C-packets"), "{summary}");

    let info = run(env!("CARGO_BIN_EXE_asp-info"), &[&s(&asp), "--roi", "--json"]);
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&info.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let roi_events: Vec<&serde_json::Value> = lines.iter().filter(|v| v["event"] == "roi").collect();
    let c_packets = lines.iter().filter(|v| v["event"] == "packet" && v["type"] == "C").count();
    assert!(c_packets > 0);
    // The test picture has a moving object. Only the regions the coding
    // favours go out as side data (its bars are texture, not text lines
    // with leading, and plain edges are not sent).
    let kinds: Vec<&str> = roi_events
        .iter()
        .flat_map(|v| v["regions"].as_array().unwrap().iter().map(|r| r["type"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&"motion"), "{kinds:?}");
    assert!(kinds.iter().all(|k| ["face", "text", "motion"].contains(k)), "{kinds:?}");
    // Every I/D frame has its palette, with weights summing to 1.
    let palettes: Vec<&serde_json::Value> = roi_events.iter().filter_map(|v| v.get("palette")).collect();
    assert_eq!(palettes.len(), 6);
    for p in palettes {
        let sum: f64 = p["weights"].as_array().unwrap().iter().map(|w| w.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-4, "{p}");
    }

    let decode = env!("CARGO_BIN_EXE_asp-decode");
    run(decode, &[&s(&asp), "-o", &s(&without_c), "--drop-c"]);
    run(decode, &[&s(&asp), "-o", &s(&with_c)]);
    let (recon, base, refined) =
        (std::fs::read(&recon).unwrap(), std::fs::read(&without_c).unwrap(), std::fs::read(&with_c).unwrap());
    assert_eq!(base, recon, "without C-packets: exactly the encoder's reconstruction");
    assert_eq!(refined.len(), base.len());
    assert_ne!(refined, base, "C-packets change the regions");
}

#[test]
fn bad_roi_options_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(["testsrc", "--frames", "1", "--roi", "face,nose", "-o", "/dev/null"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nose"));
    let out = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(["testsrc", "--frames", "1", "--roi-layer", "-o", "/dev/null"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "--roi-layer needs --roi");
}
