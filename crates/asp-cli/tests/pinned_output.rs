//! The bytes the tools write, pinned by CRC-32: a few encoded streams
//! (every preset, rate control, tiles, intra refresh, ROI with a C-packet
//! layer and a palette) and what `asp-decode` makes of them (whole, with
//! C-packets dropped, damaged, joined mid-stream).
//!
//! Restructuring must leave every one of these unchanged. A deliberate
//! change of the coded bits or of a decode rule updates the constants in
//! the same commit, and says why.

use std::path::{Path, PathBuf};
use std::process::Command;

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("asp-cli-pinned-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool(exe: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(exe).args(args).output().unwrap();
    assert!(out.status.success() || exe.ends_with("asp-decode"), "{exe} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn encode(dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let path = dir.join(format!("{name}.asp"));
    let path = path.to_str().unwrap();
    let mut all = vec!["testsrc", "--size", "208x144", "--fps", "25", "--frames", "14", "-o", path];
    all.extend_from_slice(args);
    tool(env!("CARGO_BIN_EXE_asp-encode"), &all);
    std::fs::read(path).unwrap()
}

fn decode(dir: &Path, name: &str, stream: &[u8], args: &[&str]) -> Vec<u8> {
    let path = dir.join(format!("{name}.in.asp"));
    std::fs::write(&path, stream).unwrap();
    let mut all = vec![path.to_str().unwrap(), "-o", "-"];
    all.extend_from_slice(args);
    tool(env!("CARGO_BIN_EXE_asp-decode"), &all)
}

/// Byte offsets where each packet starts (header: payload length, big-endian, at 12..16).
fn packet_starts(stream: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = 0;
    while at + 16 <= stream.len() {
        starts.push(at);
        let payload = u32::from_be_bytes(stream[at + 12..at + 16].try_into().unwrap()) as usize;
        at += 16 + payload + 4;
    }
    starts
}

fn crc(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

#[test]
fn encoded_streams_and_decoded_frames_are_pinned() {
    let dir = temp_dir();
    let mut seen = Vec::new();
    let mut check = |what: &str, bytes: &[u8]| seen.push((what.to_owned(), bytes.len(), crc(bytes)));

    let streams: [(&str, &[&str]); 5] = [
        ("realtime-qp30", &["--qp", "30", "--keyint", "6"]),
        ("ultrafast-cbr-tiles", &["--preset", "ultrafast", "--bitrate", "300k", "--tiles", "2x2"]),
        ("medium-refresh", &["--preset", "medium", "--qp", "24", "--intra-refresh", "--keyint", "5", "--side-data"]),
        ("roi-layer-palette", &["--qp", "32", "--roi", "face,text,motion", "--roi-layer", "--roi-layer-delta", "4", "--palette", "4"]),
        ("realtime-cbr", &["--bitrate", "150k", "--keyint", "0"]),
    ];
    for (name, args) in streams {
        let stream = encode(&dir, name, args);
        check(&format!("{name} stream"), &stream);
        check(&format!("{name} decoded"), &decode(&dir, name, &stream, &[]));
    }

    let roi = std::fs::read(dir.join("roi-layer-palette.asp")).unwrap();
    check("roi-layer-palette decoded --drop-c", &decode(&dir, "drop-c", &roi, &["--drop-c"]));

    // A damaged I/D stream: one flipped byte in the fourth packet.
    let mut damaged = std::fs::read(dir.join("realtime-qp30.asp")).unwrap();
    let starts = packet_starts(&damaged);
    damaged[starts[3] + 40] ^= 0x5a;
    check("realtime-qp30 damaged --keep-going", &decode(&dir, "damaged", &damaged, &["--keep-going"]));

    // Joining an intra-refresh stream mid-sweep: from the third packet on.
    let refresh = std::fs::read(dir.join("medium-refresh.asp")).unwrap();
    let starts = packet_starts(&refresh);
    check("medium-refresh joined --keep-going", &decode(&dir, "joined", &refresh[starts[2]..], &["--keep-going"]));

    let listing: String = seen.iter().map(|(what, len, crc)| format!("        (\"{what}\", {len}, 0x{crc:08x}),\n")).collect();
    let expected: &[(&str, usize, u32)] = &[
        ("realtime-qp30 stream", 8396, 0x5cc7aa26),
        ("realtime-qp30 decoded", 629111, 0xf56e1e6e),
        ("ultrafast-cbr-tiles stream", 21704, 0x2ab1b890),
        ("ultrafast-cbr-tiles decoded", 629111, 0x4fe3daa5),
        ("medium-refresh stream", 27496, 0x9fa6c25e),
        ("medium-refresh decoded", 629111, 0x6125fec3),
        ("roi-layer-palette stream", 7860, 0x06c6e5eb),
        ("roi-layer-palette decoded", 629111, 0xf4e5f434),
        ("realtime-cbr stream", 11052, 0x33ed384d),
        ("realtime-cbr decoded", 629111, 0x91872ea1),
        ("roi-layer-palette decoded --drop-c", 629111, 0x9aee18f5),
        ("realtime-qp30 damaged --keep-going", 494309, 0x2853cddd),
        ("medium-refresh joined --keep-going", 404441, 0x9c31241d),
    ];
    let got: Vec<(&str, usize, u32)> = seen.iter().map(|(w, l, c)| (w.as_str(), *l, *c)).collect();
    assert_eq!(got, expected, "pinned output changed; now:\n{listing}");
    std::fs::remove_dir_all(&dir).ok();
}
