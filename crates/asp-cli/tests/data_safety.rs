//! The tools never lose the user's data: an output that is an input is
//! refused (same path, symlink, hard link), an existing file is replaced only
//! with `--force`, a failed run leaves the previous file as it was and no
//! partial file, write errors (`/dev/full`) exit 2 naming the output,
//! SIGINT/SIGTERM stop after the packet or frame in hand with exit 130 and a
//! valid output, and `--serve -o` records what is served.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const ENCODE: &str = env!("CARGO_BIN_EXE_asp-encode");
const DECODE: &str = env!("CARGO_BIN_EXE_asp-decode");
const INFO: &str = env!("CARGO_BIN_EXE_asp-info");

/// A fresh directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("asp-cli-safety-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(exe: &str, args: &[&str]) -> Output {
    Command::new(exe).args(args).stdin(Stdio::null()).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A small y4m file of `frames` moving frames.
fn write_y4m(path: &Path, frames: usize) -> Vec<u8> {
    let (w, h) = (48, 32);
    let mut out = format!("YUV4MPEG2 W{w} H{h} F25:1 Ip A1:1 C420jpeg\n").into_bytes();
    for t in 0..frames {
        out.extend_from_slice(b"FRAME\n");
        out.extend((0..w * h).map(|i| ((i % w) * 3 + (i / w) * 2 + t * 5) as u8));
        out.extend(std::iter::repeat_n(128u8, 2 * (w / 2) * (h / 2)));
    }
    std::fs::write(path, &out).unwrap();
    out
}

/// A small .asp stream of `frames` frames, written to `path`.
fn write_asp(path: &Path, frames: u32) -> Vec<u8> {
    let n = frames.to_string();
    let out = run(ENCODE, &["testsrc", "--size", "64x48", "--frames", &n, "--qp", "30", "-o", s(path)]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::read(path).unwrap()
}

/// Leftover staged files (`.NAME.*.part`) in `dir`.
fn partial_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect()
}

/// Packets and damaged spans asp-info finds in `path`; asserts it is clean.
fn clean_packets(path: &Path) -> u64 {
    let out = run(INFO, &["--json", s(path)]);
    assert_eq!(out.status.code(), Some(0), "{} is damaged: {}", path.display(), String::from_utf8_lossy(&out.stdout));
    let text = String::from_utf8_lossy(&out.stdout);
    let summary: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    summary["packets"].as_u64().unwrap()
}

fn refused(out: &Output, name: &Path, what: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
    let text = stderr(out);
    assert!(text.contains(s(name)) && text.contains(what), "expected '{what}' naming {}: {text}", name.display());
}

#[test]
fn an_output_that_is_an_input_is_refused() {
    let dir = temp_dir("same");
    let y4m = dir.join("a.y4m");
    let original = write_y4m(&y4m, 3);
    let link = dir.join("link.y4m");
    std::os::unix::fs::symlink(&y4m, &link).unwrap();
    let hard = dir.join("hard.y4m");
    std::fs::hard_link(&y4m, &hard).unwrap();
    // Even with --force: the input itself, through a symlink, through a hard link.
    for target in [&y4m, &link, &hard] {
        let out = run(ENCODE, &[s(&y4m), "-o", s(target), "--force"]);
        refused(&out, target, "same file");
        let out = run(ENCODE, &[s(&y4m), "-o", s(&dir.join("x.asp")), "--recon", s(target), "--force"]);
        refused(&out, target, "same file");
    }
    // The input named through its symlink, the output by its path.
    let out = run(ENCODE, &[s(&link), "-o", s(&y4m), "--force"]);
    refused(&out, &y4m, "same file");
    assert_eq!(std::fs::read(&y4m).unwrap(), original, "the input was touched");
    assert!(!dir.join("x.asp").exists());

    // -o and --recon naming one new file.
    let both = dir.join("both.out");
    let out = run(ENCODE, &[s(&y4m), "-o", s(&both), "--recon", s(&both)]);
    refused(&out, &both, "same file");
    let out = run(ENCODE, &[s(&y4m), "-o", "-", "--recon", "-"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("standard output is the same file"), "{}", stderr(&out));

    let asp = dir.join("a.asp");
    let stream = write_asp(&asp, 3);
    let out = run(DECODE, &[s(&asp), "-o", s(&asp), "--force"]);
    refused(&out, &asp, "same file");
    // Standard input redirected from the file that -o names.
    let out = Command::new(DECODE)
        .args(["-", "-o", s(&asp), "--force"])
        .stdin(std::fs::File::open(&asp).unwrap())
        .output()
        .unwrap();
    refused(&out, &asp, "same file");
    // Standard output appending to the input would never end.
    let appended = std::fs::OpenOptions::new().append(true).open(&asp).unwrap();
    let out = Command::new(INFO).arg(s(&asp)).stdout(appended).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("same file"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&asp).unwrap(), stream, "the input was touched");
    assert!(partial_files(&dir).is_empty(), "{:?}", partial_files(&dir));
}

#[test]
fn an_existing_output_is_replaced_only_with_force() {
    let dir = temp_dir("force");
    let y4m = dir.join("a.y4m");
    write_y4m(&y4m, 3);
    let asp = dir.join("a.asp");
    std::fs::write(&asp, b"keep me").unwrap();
    let out = run(ENCODE, &[s(&y4m), "-o", s(&asp)]);
    refused(&out, &asp, "already exists (use --force");
    assert_eq!(std::fs::read(&asp).unwrap(), b"keep me");

    let out = run(ENCODE, &[s(&y4m), "-o", s(&asp), "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(clean_packets(&asp), 3);

    let decoded = dir.join("a.out.y4m");
    std::fs::write(&decoded, b"keep me").unwrap();
    let out = run(DECODE, &[s(&asp), "-o", s(&decoded)]);
    refused(&out, &decoded, "already exists (use --force");
    assert_eq!(std::fs::read(&decoded).unwrap(), b"keep me");
    let out = run(DECODE, &[s(&asp), "-o", s(&decoded), "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read(&decoded).unwrap().starts_with(b"YUV4MPEG2 W48 H32"));

    // Not a regular file: written in place, no --force needed.
    let out = run(ENCODE, &[s(&y4m), "-o", "/dev/null"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(partial_files(&dir).is_empty(), "{:?}", partial_files(&dir));
}

#[test]
fn a_failed_run_leaves_the_previous_file_and_no_partial_one() {
    let dir = temp_dir("failed");
    let asp = dir.join("a.asp");
    let mut stream = write_asp(&asp, 6);
    // Damage the third packet's payload: without --keep-going the decode fails part way.
    let third = {
        let mut at = 0;
        for _ in 0..2 {
            at += 16 + u32::from_be_bytes(stream[at + 12..at + 16].try_into().unwrap()) as usize + 4;
        }
        at
    };
    stream[third + 20] ^= 0xff;
    let damaged = dir.join("damaged.asp");
    std::fs::write(&damaged, &stream).unwrap();
    let decoded = dir.join("out.y4m");
    std::fs::write(&decoded, b"previous").unwrap();
    let out = run(DECODE, &[s(&damaged), "-o", s(&decoded), "--force"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(std::fs::read(&decoded).unwrap(), b"previous");
    assert!(partial_files(&dir).is_empty(), "{:?}", partial_files(&dir));

    // With --keep-going the damage is handled: exit 1 and the output in place.
    let out = run(DECODE, &[s(&damaged), "-o", s(&decoded), "--force", "--keep-going"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(std::fs::read(&decoded).unwrap().starts_with(b"YUV4MPEG2"));

    // An encode whose input is not y4m.
    let bad = dir.join("bad.y4m");
    std::fs::write(&bad, b"not a y4m file\n").unwrap();
    let out = run(ENCODE, &[s(&bad), "-o", s(&asp), "--force"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(clean_packets(&asp), 6, "the previous stream must stay");
    assert!(partial_files(&dir).is_empty(), "{:?}", partial_files(&dir));
}

#[test]
fn write_errors_exit_2_naming_the_output() {
    let dir = temp_dir("full");
    let y4m = dir.join("a.y4m");
    write_y4m(&y4m, 3);
    let asp = dir.join("a.asp");
    write_asp(&asp, 3);
    let full = Path::new("/dev/full");
    let check = |out: Output, name: &str| {
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let text = stderr(&out);
        assert!(text.contains(name) && text.contains("No space left"), "expected a write error naming {name}: {text}");
    };
    check(run(ENCODE, &[s(&y4m), "-o", s(full)]), "/dev/full");
    check(run(ENCODE, &[s(&y4m), "-o", "/dev/null", "--recon", s(full)]), "/dev/full");
    check(run(DECODE, &[s(&asp), "-o", s(full)]), "/dev/full");
    // Standard output on a full disk: the final flush is where it fails.
    let stdout_full = || std::fs::OpenOptions::new().write(true).open(full).unwrap();
    let out = Command::new(ENCODE).args([s(&y4m), "-o", "-"]).stdout(stdout_full()).output().unwrap();
    check(out, "standard output");
    let out = Command::new(DECODE).args([s(&asp), "-o", "-"]).stdout(stdout_full()).output().unwrap();
    check(out, "standard output");
    let out = Command::new(INFO).arg(s(&asp)).stdout(stdout_full()).output().unwrap();
    check(out, "standard output");
}

/// Sends `signal` (e.g. "-INT") to the child.
fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
}

/// Waits until a staged file in `dir` holds at least `bytes` bytes.
fn wait_for_partial(dir: &Path, bytes: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let grown = std::fs::read_dir(dir).unwrap().any(|e| {
            let e = e.unwrap();
            e.file_name().to_string_lossy().ends_with(".part") && e.metadata().is_ok_and(|m| m.len() >= bytes)
        });
        if grown {
            return;
        }
        assert!(Instant::now() < deadline, "no output appeared in {}", dir.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_with_timeout(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the tool did not stop after the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_signal_stops_the_encoder_after_a_whole_packet_with_exit_130() {
    for sig in ["-INT", "-TERM"] {
        let dir = temp_dir(&format!("encode{sig}"));
        let asp = dir.join("long.asp");
        let mut child = Command::new(ENCODE)
            .args(["testsrc", "--size", "320x240", "--frames", "1000000", "--qp", "20", "-o", s(&asp)])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_partial(&dir, 64 * 1024);
        signal(&child, sig);
        let status = wait_with_timeout(&mut child);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut text).unwrap();
        assert_eq!(status.code(), Some(130), "{sig}: {text}");
        assert!(text.contains("interrupted"), "{text}");
        // Every packet whole: asp-info finds no damage.
        let packets = clean_packets(&asp);
        assert!(packets > 0 && packets < 1_000_000, "{packets} packets");
        assert!(partial_files(&dir).is_empty(), "{:?}", partial_files(&dir));
    }
}

#[test]
fn a_signal_stops_the_decoder_after_a_whole_frame_with_exit_130() {
    let dir = temp_dir("decode-int");
    let asp = dir.join("a.asp");
    let stream = write_asp(&asp, 40);
    let y4m = dir.join("a.y4m");
    let mut child = Command::new(DECODE)
        .args(["-", "-o", s(&y4m), "--threads", "1"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let half = stream.len() / 2;
    stdin.write_all(&stream[..half]).unwrap();
    stdin.flush().unwrap();
    wait_for_partial(&dir, 1);
    signal(&child, "-INT");
    // The decoder notices when its read returns: give it the rest.
    let _ = stdin.write_all(&stream[half..]);
    drop(stdin);
    let status = wait_with_timeout(&mut child);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut text).unwrap();
    assert_eq!(status.code(), Some(130), "{text}");
    let bytes = std::fs::read(&y4m).unwrap();
    let header = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let frame_len = 6 + 64 * 48 * 3 / 2;
    let body = bytes.len() - header;
    assert_eq!(body % frame_len, 0, "a frame was cut");
    assert!((1..=40).contains(&(body / frame_len)), "{} frames", body / frame_len);
    assert!(partial_files(&dir).is_empty(), "{:?}", partial_files(&dir));
}

#[test]
fn serve_with_output_records_what_is_served() {
    let dir = temp_dir("serve");
    let asp = dir.join("live.asp");
    std::fs::write(&asp, b"old").unwrap();
    let args = ["testsrc", "--serve", "127.0.0.1:0", "--no-webtransport", "--size", "64x48", "--frames", "20"];
    let out = run(ENCODE, &[&args[..], &["-o", s(&asp)]].concat());
    refused(&out, &asp, "already exists (use --force");

    let mut child = Command::new(ENCODE)
        .args([&args[..], &["-o", s(&asp), "--force", "--qp", "30"]].concat())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    loop {
        let line = lines.next().expect("asp-encode --serve stopped early").unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("still serving the page") {
            break;
        }
    }
    assert!(seen.contains("recorded 20 frames"), "{seen}");
    // Recorded and complete while the page is still served.
    assert_eq!(clean_packets(&asp), 20);
    signal(&child, "-INT");
    let status = wait_with_timeout(&mut child);
    assert_eq!(status.code(), Some(130));
    assert_eq!(clean_packets(&asp), 20);
}
