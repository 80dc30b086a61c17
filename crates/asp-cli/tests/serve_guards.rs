//! `asp-encode --serve` with the operator's caps and origins from the
//! command line: `--max-viewers` refuses the viewer over it,
//! `--allow-origin` lets a page of another origin in (and only it), a bad
//! origin is an error at start.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tungstenite::client::IntoClientRequest;
use tungstenite::Message;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `asp-encode testsrc --serve` with `extra` arguments; its port.
fn serve(extra: &[&str]) -> (Server, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(["testsrc", "--size", "64x48", "--serve", "127.0.0.1:0", "--no-webtransport", "--keyint", "4", "--qp", "30"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .expect("asp-encode runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let server = Server(child);
    let port = loop {
        let line = lines.next().expect("asp-encode said where it serves").unwrap();
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            break rest.split('/').next().unwrap().parse::<u16>().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {}); // keep draining the log
    (server, port)
}

type Viewer = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>;

/// A viewer with an `Origin` header, or the HTTP status it was refused with.
fn viewer(port: u16, origin: Option<&str>) -> Result<Viewer, u16> {
    let mut request = format!("ws://127.0.0.1:{port}/asp/ws").into_client_request().unwrap();
    if let Some(origin) = origin {
        request.headers_mut().insert("origin", origin.parse().unwrap());
    }
    match tungstenite::connect(request) {
        Ok((ws, _)) => {
            if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_ref() {
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            }
            Ok(ws)
        }
        Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("handshake failed: {e}"),
    }
}

/// The first message a viewer gets: a packet (true) or a close with its code.
fn first(ws: &mut Viewer) -> Result<(), Option<u16>> {
    loop {
        match ws.read() {
            Ok(Message::Binary(_)) => return Ok(()),
            Ok(Message::Close(close)) => return Err(close.map(|c| u16::from(c.code))),
            Ok(_) => {}
            Err(e) => panic!("viewer error: {e}"),
        }
    }
}

#[test]
fn max_viewers_from_the_command_line() {
    let (_server, port) = serve(&["--max-viewers", "1"]);
    let mut one = viewer(port, None).unwrap();
    assert_eq!(first(&mut one), Ok(()));
    let mut two = viewer(port, None).map_err(|status| format!("refused with HTTP {status}"));
    match &mut two {
        Ok(ws) => assert_eq!(first(ws), Err(Some(1013)), "the viewer over --max-viewers is refused"),
        Err(refusal) => assert!(refusal.contains("503"), "{refusal}"),
    }
}

#[test]
fn allow_origin_from_the_command_line() {
    let (_server, port) = serve(&["--allow-origin", "https://player.example"]);
    assert!(viewer(port, Some("https://player.example")).is_ok());
    assert_eq!(viewer(port, Some("https://other.example")).err(), Some(403));
    let own = format!("http://127.0.0.1:{port}");
    assert!(viewer(port, Some(&own)).is_ok(), "the server's own pages always may");
}

#[test]
fn a_malformed_origin_is_an_error_at_start() {
    let output = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(["testsrc", "--serve", "127.0.0.1:0", "--allow-origin", "example.com"])
        .output()
        .expect("asp-encode runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-origin"), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn a_tls_certificate_needs_its_key_and_an_unreadable_one_is_an_error_at_start() {
    let without_key = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(["testsrc", "--serve", "127.0.0.1:0", "--tls-cert", "server.pem"])
        .output()
        .expect("asp-encode runs");
    assert_eq!(without_key.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&without_key.stderr).contains("--tls-key"), "{}", String::from_utf8_lossy(&without_key.stderr));
    let missing = std::env::temp_dir().join(format!("asp-no-such-cert-{}.pem", std::process::id()));
    let missing = missing.to_str().unwrap();
    let unreadable = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(["testsrc", "--serve", "127.0.0.1:0", "--tls-cert", missing, "--tls-key", missing])
        .output()
        .expect("asp-encode runs");
    assert_eq!(unreadable.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unreadable.stderr);
    assert!(stderr.contains("asp-no-such-cert"), "the error names the file: {stderr}");
}

#[test]
fn view_tokens_from_the_command_line_and_a_file() {
    let file = std::env::temp_dir().join(format!("asp-tokens-{}.txt", std::process::id()));
    std::fs::write(&file, "# viewers\nfrom-file\n").unwrap();
    let (_server, port) = serve(&["--token", "from-cli", "--tokens-file", file.to_str().unwrap()]);
    let connect = |query: &str| match tungstenite::connect(format!("ws://127.0.0.1:{port}/asp/ws{query}")) {
        Ok(_) => Ok(()),
        Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("handshake failed: {e}"),
    };
    assert_eq!(connect(""), Err(401));
    assert_eq!(connect("?token=wrong"), Err(401));
    assert_eq!(connect("?token=from-cli"), Ok(()));
    assert_eq!(connect("?token=from-file"), Ok(()));
    let _ = std::fs::remove_file(&file);
}

/// `asp-encode token` with `args`: its exit code, standard output and error.
fn mint(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_asp-encode")).arg("token").args(args).output().expect("asp-encode runs");
    (output.status.code(), String::from_utf8_lossy(&output.stdout).trim().to_string(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_signed_token_minted_by_asp_encode_token_admits_until_it_expires() {
    let key = std::env::temp_dir().join(format!("asp-token-key-{}", std::process::id()));
    std::fs::write(&key, "k3y-0f-at-least-thirty-two-bytes-for-tests\n").unwrap();
    let key = key.to_str().unwrap();
    let (code, long, stderr) = mint(&["--token-key", key, "--expires", "1h"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (_, short, _) = mint(&["--token-key", key, "--expires", "1s"]);
    let expires: u64 = long.split('.').nth(1).unwrap().parse().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!((now + 3590..=now + 3600).contains(&expires), "{long} at {now}");

    let (_server, port) = serve(&["--token-key", key, "--token", "plain"]);
    let connect = |query: &str| match tungstenite::connect(format!("ws://127.0.0.1:{port}/asp/ws{query}")) {
        Ok(_) => Ok(()),
        Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("handshake failed: {e}"),
    };
    assert_eq!(connect(&format!("?token={long}")), Ok(()));
    assert_eq!(connect("?token=plain"), Ok(()), "plain tokens keep working next to a key");
    assert_eq!(connect(""), Err(401));
    let forged = format!("{}.{}", long.rsplit_once('.').unwrap().0, "A".repeat(43));
    assert_eq!(connect(&format!("?token={forged}")), Err(401));
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(connect(&format!("?token={short}")), Err(401), "expired");
    let _ = std::fs::remove_file(key);
}

#[test]
fn a_short_or_missing_token_key_is_an_error() {
    let key = std::env::temp_dir().join(format!("asp-short-key-{}", std::process::id()));
    std::fs::write(&key, "too short").unwrap();
    let (code, stdout, stderr) = mint(&["--token-key", key.to_str().unwrap()]);
    assert_eq!((code, stdout.as_str()), (Some(2), ""));
    assert!(stderr.contains("at least 32 bytes"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(["testsrc", "--serve", "127.0.0.1:0", "--token-key", key.to_str().unwrap()])
        .output()
        .expect("asp-encode runs");
    assert_eq!(output.status.code(), Some(2));
    let (code, _, stderr) = mint(&["--token-key", "/nonexistent/asp-key"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("/nonexistent/asp-key"), "{stderr}");
    let _ = std::fs::remove_file(key);
}
