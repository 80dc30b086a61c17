//! Where the packets come from, as a user names it: a `.asp` file, `-`
//! (standard input), or a live stream of `asp-encode --serve`: `ws://`,
//! `wss://` (WebSocket) or `https://…/asp/wt#sha256=HEX` (WebTransport),
//! through asp-live's clients, the ones libasp's `open()` uses.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use asp_core::packet::{PacketWriter, Sync};
use asp_core::schema::SyncCommand;
use asp_core::Player;
use asp_live::{Live, Polled};

/// How long a live connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one read of a live stream waits before the decode loop looks
/// at the window's controls again.
const LIVE_POLL: Duration = Duration::from_millis(100);
/// The largest WebSocket message taken: asp-server's own cap on a packet.
const MAX_PACKET_BYTES: usize = 64 << 20;

/// An input as named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A `.asp` file (packets back to back).
    File(PathBuf),
    /// Packets back to back on standard input.
    Stdin,
    /// A live stream: `ws://`, `wss://` or `https://` (WebTransport).
    Live(String),
}

/// Why an input cannot be opened or read.
#[derive(Debug)]
pub enum InputError {
    /// A URL scheme asp-play does not speak.
    Scheme(String),
    /// Opening or reading a file or standard input.
    Io(io::Error),
    /// Connecting to or reading a live stream.
    Live(String),
    /// The stream player refused the input (it fell behind).
    Player(asp_core::PlayerError),
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputError::Scheme(s) => write!(
                f,
                "{s}: asp-play reads .asp files, - (stdin), ws://, wss:// and https:// (WebTransport) URLs"
            ),
            InputError::Io(e) => write!(f, "{e}"),
            InputError::Live(e) => f.write_str(e),
            InputError::Player(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for InputError {}

impl Input {
    /// What the user typed: `-`, a live URL, another URL (refused), or a
    /// path.
    pub fn parse(name: &str) -> Result<Input, InputError> {
        if name == "-" {
            return Ok(Input::Stdin);
        }
        if asp_live::is_live_url(name) {
            return Ok(Input::Live(name.to_owned()));
        }
        match name.split_once("://") {
            Some((scheme, _))
                if !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
            {
                Err(InputError::Scheme(name.to_owned()))
            }
            _ => Ok(Input::File(PathBuf::from(name))),
        }
    }

    /// The transport, for the stats: `file`, `stdin`, `ws`, `wss`,
    /// `webtransport`.
    pub fn transport(&self) -> &'static str {
        match self {
            Input::File(_) => "file",
            Input::Stdin => "stdin",
            Input::Live(url) => match url.split_once("://").map(|(s, _)| s.to_ascii_lowercase()) {
                Some(s) if s == "wss" => "wss",
                Some(s) if s == "https" => "webtransport",
                _ => "ws",
            },
        }
    }

    /// Whether frames are shown at the stream's frame rate (files and
    /// pipes hold no time of their own) rather than as they arrive (live).
    pub fn paced(&self) -> bool {
        !matches!(self, Input::Live(_))
    }

    /// Opens the input; `ca`: a PEM file of the authority that signed a
    /// live server's certificate, instead of the system's roots.
    pub fn open(&self, ca: Option<&Path>) -> Result<Source, InputError> {
        match self {
            Input::File(path) => Ok(Source::Bytes(Box::new(
                File::open(path).map_err(InputError::Io)?,
            ))),
            Input::Stdin => Ok(Source::Bytes(Box::new(io::stdin()))),
            Input::Live(url) => {
                let (live, _) = asp_live::connect(url, ca, Some(CONNECT_TIMEOUT), MAX_PACKET_BYTES)
                    .map_err(InputError::Live)?;
                Ok(Source::Live { live, asked_keyframe: false })
            }
        }
    }
}

/// An open input.
pub enum Source {
    /// A byte stream (file, pipe): chunks of any size.
    Bytes(Box<dyn Read + Send>),
    /// A live stream, which is asked for a keyframe once after a loss.
    Live { live: Box<dyn Live>, asked_keyframe: bool },
}

/// Bytes read from a file or pipe at a time.
const CHUNK_BYTES: usize = 64 << 10;

impl Source {
    /// Reads the next piece of input into `player`; `false` at the end. A
    /// live stream with nothing new within a short wait returns `true`
    /// having pushed nothing, so the caller can look at its controls.
    pub fn feed(&mut self, player: &mut Player) -> Result<bool, InputError> {
        match self {
            Source::Bytes(reader) => {
                let mut chunk = [0u8; CHUNK_BYTES];
                let n = loop {
                    match reader.read(&mut chunk) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other.map_err(InputError::Io)?,
                    }
                };
                if n == 0 {
                    return Ok(false);
                }
                player.push(&chunk[..n]).map_err(InputError::Player)?;
                Ok(true)
            }
            Source::Live { live, asked_keyframe } => {
                if !player.needs_keyframe() {
                    *asked_keyframe = false;
                } else if !*asked_keyframe {
                    // After a loss the server's next keyframe run may be
                    // seconds away: ask for one now (once per loss).
                    let request = PacketWriter::new()
                        .write_s(0, 0, &Sync::command(SyncCommand::RequestKeyframe))
                        .map(<[u8]>::to_vec)
                        .map_err(|e| InputError::Live(e.to_string()))?;
                    live.send(&request).map_err(InputError::Live)?;
                    *asked_keyframe = true;
                }
                match live.poll(LIVE_POLL).map_err(InputError::Live)? {
                    Polled::Bytes(bytes) => {
                        player.push(&bytes).map_err(InputError::Player)?;
                        Ok(true)
                    }
                    Polled::Idle => Ok(true),
                    Polled::Closed { normal: true, .. } => Ok(false),
                    Polled::Closed { normal: false, why } => Err(InputError::Live(why)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_inputs() {
        assert_eq!(Input::parse("-").unwrap(), Input::Stdin);
        assert_eq!(
            Input::parse("out.asp").unwrap(),
            Input::File("out.asp".into())
        );
        assert_eq!(
            Input::parse("C:/x.asp").unwrap(),
            Input::File("C:/x.asp".into())
        );
        let ws = Input::parse("ws://127.0.0.1:8080/asp/ws").unwrap();
        assert_eq!((ws.transport(), ws.paced()), ("ws", false));
        assert_eq!(
            Input::parse("wss://example.org/asp/ws")
                .unwrap()
                .transport(),
            "wss"
        );
        let wt = Input::parse("https://127.0.0.1:8080/asp/wt#sha256=00").unwrap();
        assert_eq!((wt.transport(), wt.paced()), ("webtransport", false));
        assert!(matches!(
            Input::parse("rtsp://example.org/cam"),
            Err(InputError::Scheme(_))
        ));
        let file = Input::parse("a.asp").unwrap();
        assert_eq!((file.transport(), file.paced()), ("file", true));
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let missing = Input::parse("/nonexistent/asp-play.asp").unwrap();
        assert!(matches!(missing.open(None), Err(InputError::Io(_))));
    }

    #[test]
    fn a_refused_connection_is_an_error() {
        // A port just bound and released: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let input = Input::parse(&format!("ws://127.0.0.1:{port}/asp/ws")).unwrap();
        assert!(matches!(input.open(None), Err(InputError::Live(_))));
    }

    #[test]
    fn a_webtransport_url_with_a_bad_hash_is_an_error() {
        let input = Input::parse("https://127.0.0.1:9/asp/wt#sha256=abc").unwrap();
        assert!(matches!(input.open(None), Err(InputError::Live(e)) if e.contains("64 hex digits")));
    }
}
