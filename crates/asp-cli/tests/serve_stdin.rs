//! `asp-encode - --serve`: a live y4m pipe on standard input, served to a
//! WebSocket viewer; the pipe stalls (viewers stay), then closes
//! (EndOfStream, normal close).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use asp_core::packet::Payload;
use asp_core::schema::SyncCommand;
use asp_core::Packet;
use tungstenite::Message;

const W: usize = 64;
const H: usize = 48;

fn frame(n: usize) -> Vec<u8> {
    let mut bytes = b"FRAME\n".to_vec();
    bytes.extend((0..W * H).map(|i| ((i % W) * 3 + n * 5) as u8));
    bytes.extend(std::iter::repeat_n(128u8, 2 * (W / 2) * (H / 2)));
    bytes
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_live_pipe_stalls_then_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(["-", "--serve", "127.0.0.1:0", "--no-webtransport", "--keyint", "4", "--qp", "30"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("asp-encode runs");
    let mut stdin = child.stdin.take().unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let server = Server(child);
    // The y4m header first: the server needs the size before it listens.
    stdin.write_all(format!("YUV4MPEG2 W{W} H{H} F30:1 C420jpeg\n").as_bytes()).unwrap();
    stdin.write_all(&frame(0)).unwrap();
    stdin.flush().unwrap();
    let mut lines = stderr.lines();
    let port = loop {
        let line = lines.next().expect("asp-encode said where it serves").unwrap();
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            break rest.split('/').next().unwrap().parse::<u16>().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {}); // keep draining the log
    let (mut ws, _) = tungstenite::connect(format!("ws://127.0.0.1:{port}/asp/ws")).expect("connect");
    if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    }
    let mut next = |limit: Duration| -> Option<Message> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            match ws.read() {
                Ok(Message::Binary(b)) => return Some(Message::Binary(b)),
                Ok(Message::Close(c)) => return Some(Message::Close(c)),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => panic!("viewer error: {e}"),
            }
        }
        None
    };
    for n in 1..6 {
        stdin.write_all(&frame(n)).unwrap();
    }
    stdin.flush().unwrap();
    let mut sequences = Vec::new();
    while sequences.len() < 6 {
        match next(Duration::from_secs(10)) {
            Some(Message::Binary(b)) => sequences.push(Packet::parse(&b).unwrap().sequence()),
            other => panic!("expected frames, got {other:?}"),
        }
    }
    assert_eq!(sequences, vec![0, 1, 2, 3, 4, 5], "the joiner got the keyframe run, then live frames");

    // The pipe stalls: nothing arrives, the connection stays up (this
    // client answers the server's pings while it reads).
    assert!(next(Duration::from_secs(3)).is_none(), "something arrived during the stall");

    // The pipe closes: EndOfStream, then a normal close.
    drop(stdin);
    let Some(Message::Binary(b)) = next(Duration::from_secs(10)) else { panic!("no end of stream") };
    let packet = Packet::parse(&b).unwrap();
    let Payload::S(s) = packet.payload() else { panic!("not an S-packet") };
    assert_eq!(s.command(), SyncCommand::EndOfStream);
    let Some(Message::Close(Some(close))) = next(Duration::from_secs(10)) else { panic!("no close") };
    assert_eq!(u16::from(close.code), 1000);
    drop(server);
}
