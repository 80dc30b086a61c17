//! The stream player's fixture streams (`crates/asp-core/tests/data/*.asp`)
//! and what `asp-decode` makes of them.
//!
//! The fixtures are small streams made by `asp-encode` and then cut,
//! spliced or damaged here, so that every front end (asp-core's player,
//! `asp-decode`, the wasm binding, Python) is tested on the same bytes
//! against the same expected pictures (`expected.txt`, written by
//! asp-core's player tests). Regenerate them with
//!
//! ```text
//! ASP_WRITE_FIXTURES=1 cargo test -p asp-cli --test player_fixtures
//! ASP_WRITE_FIXTURES=1 cargo test -p asp-core --lib player
//! ```
//!
//! Without the variable this test checks that `asp-encode` still makes
//! the committed bytes and that `asp-decode` writes the expected pictures.

use std::process::Command;

use asp_testkit::fixtures::{data_dir, expected};

fn encode(args: &[&str]) -> Vec<u8> {
    let path = std::env::temp_dir().join(format!("asp-player-fixture-{}.asp", std::process::id()));
    let mut all = vec!["testsrc", "--size", "96x64", "--fps", "25", "-o", path.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = Command::new(env!("CARGO_BIN_EXE_asp-encode")).args(&all).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    bytes
}

/// The packets of a stream (header: payload length, big-endian, at 12..16).
fn packets(stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 16 <= stream.len() {
        let len = 16 + u32::from_be_bytes(stream[at + 12..at + 16].try_into().unwrap()) as usize + 4;
        out.push(&stream[at..at + len]);
        at += len;
    }
    out
}

/// The fixtures, by name, as asp-encode and the splicing below make them.
fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    // ROI layer: C-packets follow frames 1, 4, 5 and 7 (packets 2, 6, 8, 11).
    let roi = encode(&["--frames", "8", "--qp", "32", "--roi", "face,text,motion", "--roi-layer", "--roi-layer-delta", "4"]);
    let p = packets(&roi);
    assert_eq!(p.iter().map(|p| p[5]).collect::<Vec<_>>(), [1, 2, 3, 2, 2, 2, 3, 2, 3, 2, 2, 3], "packet types");
    // Frame 4's C-packet twice (they stack), and frame 1's again after
    // frame 2 (it names a frame no longer on show: refused).
    let mut stacked = Vec::new();
    for (i, packet) in p.iter().enumerate() {
        stacked.extend_from_slice(packet);
        match i {
            3 => stacked.extend_from_slice(p[2]),
            6 => stacked.extend_from_slice(p[6]),
            _ => {}
        }
    }

    // A keyframe every 4: one flipped byte in the payload of packet 2.
    let plain = encode(&["--frames", "10", "--qp", "30", "--keyint", "4"]);
    let p = packets(&plain);
    let mut damaged = plain.clone();
    let at = p[0].len() + p[1].len() + 40;
    damaged[at] ^= 0x5a;

    // Starting at a delta frame: frames 1..4 wait for keyframe 4.
    let delta_first = plain[p[0].len()..].to_vec();

    // Intra refresh, no keyframe after the first: joined at packet 2, mid-sweep.
    let refresh = encode(&["--frames", "12", "--qp", "30", "--keyint", "4", "--intra-refresh"]);
    let p = packets(&refresh);
    let joined = refresh[p[0].len() + p[1].len()..].to_vec();

    vec![("c-stacked", stacked), ("damaged", damaged), ("delta-first", delta_first), ("refresh-joined", joined)]
}

#[test]
fn fixtures_are_what_asp_encode_makes() {
    let write = std::env::var_os("ASP_WRITE_FIXTURES").is_some();
    for (name, bytes) in fixtures() {
        let path = data_dir().join(format!("{name}.asp"));
        if write {
            std::fs::write(&path, &bytes).unwrap();
        } else {
            assert!(std::fs::read(&path).unwrap() == bytes, "{name}.asp differs from what asp-encode makes now");
        }
    }
}

#[test]
fn asp_decode_writes_the_expected_pictures() {
    let frame_len = 6 + 96 * 64 * 3 / 2;
    for (name, want) in expected() {
        let path = data_dir().join(format!("{name}.asp"));
        let out = Command::new(env!("CARGO_BIN_EXE_asp-decode"))
            .args([path.to_str().unwrap(), "-o", "-", "--keep-going"])
            .output()
            .unwrap();
        let header_end = out.stdout.iter().position(|&b| b == b'\n').unwrap() + 1;
        let got: Vec<u32> = out.stdout[header_end..].chunks(frame_len).map(|f| crc32fast::hash(&f[6..])).collect();
        let want: Vec<u32> = want.iter().map(|&(_, crc)| crc).collect();
        assert_eq!(got, want, "{name}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
