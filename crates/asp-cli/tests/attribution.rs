//! The attribution an asp-encode stream carries in its first keyframe's
//! stream facts, as asp-info shows it (text and JSON).

use std::path::PathBuf;
use std::process::Command;

/// asp-encode's stream for `flags`, and asp-info's text and JSON of it.
fn encode_and_inspect(name: &str, flags: &[&str]) -> (String, Vec<serde_json::Value>) {
    let dir = std::env::temp_dir().join(format!("asp-attribution-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join(format!("{name}.asp"));
    let path = path.to_str().unwrap();
    let mut args = vec!["testsrc", "--size", "64x48", "--frames", "7", "--keyint", "3", "-o", path];
    args.extend_from_slice(flags);
    let out = Command::new(env!("CARGO_BIN_EXE_asp-encode")).args(&args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let info = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_asp-info")).args(extra).arg(path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let text = info(&[]);
    let json = info(&["--json"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (text, json)
}

/// The attribution of each keyframe (JSON lines), and the summary's.
fn attributions(json: &[serde_json::Value]) -> (Vec<Option<&str>>, Option<&str>) {
    let keyframes = json.iter().filter(|v| v["type"] == "I").map(|v| v["attribution"].as_str()).collect();
    let summary = json.last().unwrap();
    assert_eq!(summary["event"], "summary");
    (keyframes, summary["attribution"].as_str())
}

#[test]
fn a_given_attribution_is_in_the_first_keyframe_and_the_summary() {
    let own = "Made by \"the test\"";
    let (text, json) = encode_and_inspect("own", &["--attribution", own]);
    assert_eq!(attributions(&json), (vec![Some(own), None, None], Some(own)));
    // Quoted and escaped in the text: the string comes from the stream.
    let quoted = format!("attribution {own:?}");
    assert_eq!(text.matches(&quoted).count(), 2, "first keyframe and summary: {text}");
}

/// The JSON of `GET /asp/session` from `asp-encode testsrc --serve` with `flags`.
fn served_session(flags: &[&str]) -> serde_json::Value {
    use std::io::{BufRead, BufReader, Read, Write};

    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut args = vec!["testsrc", "--size", "64x48", "--serve", "127.0.0.1:0", "--no-webtransport"];
    args.extend_from_slice(flags);
    let mut child = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(&args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let _server = Killed(child);
    let port = loop {
        let line = lines.next().expect("asp-encode said where it serves").unwrap();
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            break rest.split('/').next().unwrap().parse::<u16>().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let mut http = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    http.write_all(b"GET /asp/session HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    http.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_str(body).unwrap()
}

#[test]
fn the_session_description_gives_it_to_late_joiners() {
    let session = served_session(&["--attribution", "Made by the test"]);
    assert_eq!(session["attribution"], "Made by the test", "{session}");
    assert_eq!((session["width"].as_u64(), session["height"].as_u64()), (Some(64), Some(48)));
}

#[test]
fn a_default_stream_carries_the_licence_text_and_can_go_without() {
    let licence = asp_core::packet::ATTRIBUTION;
    assert_eq!(licence, "Streamed via ALICE Protocol (ASP)");
    let (text, json) = encode_and_inspect("default", &[]);
    assert_eq!(attributions(&json), (vec![Some(licence), None, None], Some(licence)));
    assert!(text.contains(&format!("attribution {licence:?}")), "{text}");
    let (text, json) = encode_and_inspect("none", &["--no-attribution"]);
    assert_eq!(attributions(&json), (vec![None, None, None], None));
    assert!(!text.contains("attribution"), "{text}");
    assert_eq!(served_session(&[])["attribution"], licence);
    assert!(served_session(&["--no-attribution"]).get("attribution").is_none());
}
