//! asp-info as a user runs it: a file or stdin in, a line per packet, damage
//! reported with offset and reason, exit status 1 on damage.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use asp_core::packet::{DFrame, IFrame, PacketWriter, StreamInfo, Sync};
use asp_core::schema::{MotionVector, SyncCommand};

fn stream() -> (Vec<u8>, Vec<usize>) {
    let mut writer = PacketWriter::new();
    let mut bytes = Vec::new();
    let mut starts = Vec::new();
    starts.push(bytes.len());
    bytes.extend_from_slice(writer.write_i(0, 0, &IFrame::new(StreamInfo::new(64, 48, 30))).unwrap());
    let mvs = [MotionVector::new(0, 0, 1, 2, 3)];
    for seq in 1..4 {
        starts.push(bytes.len());
        let d = DFrame { ref_sequence: seq - 1, motion_vectors: &mvs, ..DFrame::default() };
        bytes.extend_from_slice(writer.write_d(seq, 0, &d).unwrap());
    }
    starts.push(bytes.len());
    bytes.extend_from_slice(writer.write_s(4, 0, &Sync::command(SyncCommand::EndOfStream)).unwrap());
    (bytes, starts)
}

fn asp_info(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_asp-info"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn write_temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("asp-info-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn clean_stream_from_a_file() {
    let (bytes, _) = stream();
    let path = write_temp("clean.asp", &bytes);
    let out = asp_info(&[path.to_str().unwrap()], &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert_eq!(text.lines().count(), 1 + 5 + 1, "{text}");
    assert!(text.contains("64x48 @ 30/1 fps"), "{text}");
    assert!(text.contains("mvs 1"), "{text}");
    assert!(text.contains("EndOfStream"), "{text}");
    assert!(text.contains("5 packets (I 1, D 3, C 0, S 1)"), "{text}");
}

#[test]
fn damage_is_reported_with_offset_and_reason_and_exit_1() {
    let (mut bytes, starts) = stream();
    bytes[starts[2] + 30] ^= 0xff; // inside the second D-packet
    let cut = bytes.len() - 5;
    bytes.truncate(cut); // the last packet loses its tail
    let out = asp_info(&["--json", "-"], &bytes);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let damaged: Vec<_> = lines.iter().filter(|v| v["event"] == "damaged").collect();
    assert_eq!(damaged.len(), 2);
    assert_eq!(damaged[0]["offset"], starts[2] as u64);
    assert_eq!(damaged[0]["len"], (starts[3] - starts[2]) as u64);
    assert_eq!(damaged[0]["error"], "crc_mismatch");
    assert_eq!(damaged[1]["offset"], starts[4] as u64);
    assert_eq!(damaged[1]["error"], "truncated");
    let summary = lines.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["packets"], 3);
    assert_eq!(summary["damaged_spans"], 2);
    // The packets after the damage were still read.
    let sequences: Vec<_> = lines.iter().filter(|v| v["event"] == "packet").map(|v| v["sequence"].as_u64().unwrap()).collect();
    assert_eq!(sequences, vec![0, 1, 3]);
}

#[test]
fn empty_input_is_an_empty_stream() {
    let out = asp_info(&["-"], &[]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().contains("0 packets"));
}

#[test]
fn garbage_only_is_one_damaged_span() {
    let out = asp_info(&["--json", "-"], &[0x42; 1000]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(r#""len":1000"#), "{text}");
    assert!(text.contains("bad_magic"), "{text}");
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = asp_info(&["/nonexistent/x.asp"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("cannot open /nonexistent/x.asp"));
}

#[test]
fn json_counts_the_coded_tile_bytes_apart_from_the_framing() {
    let dir = std::env::temp_dir().join(format!("asp-info-tiles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let asp = dir.join("tiles.asp");
    let enc = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(["testsrc", "--size", "320x240", "--frames", "4", "--tiles", "2x1", "--force", "-o"])
        .arg(&asp)
        .output()
        .unwrap();
    assert!(enc.status.success(), "{}", String::from_utf8_lossy(&enc.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_asp-info")).arg("--json").arg(&asp).output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let packets: Vec<_> = lines.iter().filter(|v| v["event"] == "packet").collect();
    assert_eq!(packets.len(), 4);
    let mut sum = 0;
    for p in &packets {
        let (tiles, whole) = (p["tile_bytes"].as_u64().unwrap(), p["packet_bytes"].as_u64().unwrap());
        // Header (16) and CRC (4) at least; a D packet's tables are small
        // (the framing test pins them), an I packet's carry the stream facts
        // and attribution.
        assert!(tiles > 0 && whole - tiles >= 20, "{p}");
        if p["type"] == "D" {
            assert!(whole - tiles <= 100, "{p}");
        }
        sum += tiles;
    }
    assert_eq!(lines.last().unwrap()["tile_bytes"], sum);
    std::fs::remove_dir_all(&dir).ok();
}
