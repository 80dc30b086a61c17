//! Where the packets come from, as a user names it: a `.asp` file, `-`
//! (standard input), or a live `ws://` / `wss://` URL of `asp-encode
//! --serve` (each binary message one whole packet, see asp-server's ws.rs).

use std::fs::File;
use std::io::{self, Read};
use std::net::TcpStream;
use std::path::PathBuf;

use asp_core::Player;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// An input as named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A `.asp` file (packets back to back).
    File(PathBuf),
    /// Packets back to back on standard input.
    Stdin,
    /// A live WebSocket stream (`ws://` or `wss://`).
    WebSocket(String),
}

/// Why an input cannot be opened or read.
#[derive(Debug)]
pub enum InputError {
    /// A URL scheme asp-play does not speak (yet).
    Scheme(String),
    /// Opening or reading a file or standard input.
    Io(io::Error),
    /// Connecting to or reading a WebSocket.
    WebSocket(tungstenite::Error),
    /// The server sent a message that is not one packet (text).
    NotAPacket,
    /// The stream player refused the input (it fell behind).
    Player(asp_core::PlayerError),
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputError::Scheme(s) => write!(
                f,
                "{s}: asp-play reads .asp files, - (stdin), ws:// and wss:// URLs"
            ),
            InputError::Io(e) => write!(f, "{e}"),
            InputError::WebSocket(e) => write!(f, "WebSocket: {e}"),
            InputError::NotAPacket => {
                f.write_str("WebSocket: a text message where packets are binary")
            }
            InputError::Player(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for InputError {}

impl Input {
    /// What the user typed: `-`, a `ws://` / `wss://` URL, another URL
    /// (refused), or a path.
    pub fn parse(name: &str) -> Result<Input, InputError> {
        if name == "-" {
            return Ok(Input::Stdin);
        }
        match name.split_once("://") {
            Some(("ws" | "wss", _)) => Ok(Input::WebSocket(name.to_owned())),
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

    /// The transport, for the stats: `file`, `stdin`, `ws`, `wss`.
    pub fn transport(&self) -> &'static str {
        match self {
            Input::File(_) => "file",
            Input::Stdin => "stdin",
            Input::WebSocket(url) if url.starts_with("wss://") => "wss",
            Input::WebSocket(_) => "ws",
        }
    }

    /// Whether frames are shown at the stream's frame rate (files and
    /// pipes hold no time of their own) rather than as they arrive (live).
    pub fn paced(&self) -> bool {
        !matches!(self, Input::WebSocket(_))
    }

    /// Opens the input.
    pub fn open(&self) -> Result<Source, InputError> {
        match self {
            Input::File(path) => Ok(Source::Bytes(Box::new(
                File::open(path).map_err(InputError::Io)?,
            ))),
            Input::Stdin => Ok(Source::Bytes(Box::new(io::stdin()))),
            Input::WebSocket(url) => {
                // rustls needs one process-wide crypto provider; a second
                // install (another connection) is refused harmlessly.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let (socket, _response) =
                    tungstenite::connect(url.as_str()).map_err(InputError::WebSocket)?;
                Ok(Source::WebSocket(Box::new(socket)))
            }
        }
    }
}

/// An open input.
pub enum Source {
    /// A byte stream (file, pipe): chunks of any size.
    Bytes(Box<dyn Read + Send>),
    /// Whole packets, one a message.
    WebSocket(Box<WebSocket<MaybeTlsStream<TcpStream>>>),
}

/// Bytes read from a file or pipe at a time.
const CHUNK_BYTES: usize = 64 << 10;

impl Source {
    /// Reads the next piece of input into `player`; `false` at the end.
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
            Source::WebSocket(socket) => loop {
                match socket.read() {
                    Ok(Message::Binary(packet)) => {
                        player.push_packet(&packet).map_err(InputError::Player)?;
                        return Ok(true);
                    }
                    Ok(Message::Text(_)) => return Err(InputError::NotAPacket),
                    Ok(Message::Close(_)) => return Ok(false),
                    Ok(_) => {}
                    Err(
                        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed,
                    ) => return Ok(false),
                    Err(e) => return Err(InputError::WebSocket(e)),
                }
            },
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
        assert!(matches!(
            Input::parse("https://example.org/asp"),
            Err(InputError::Scheme(_))
        ));
        let file = Input::parse("a.asp").unwrap();
        assert_eq!((file.transport(), file.paced()), ("file", true));
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let missing = Input::parse("/nonexistent/asp-play.asp").unwrap();
        assert!(matches!(missing.open(), Err(InputError::Io(_))));
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
        assert!(matches!(input.open(), Err(InputError::WebSocket(_))));
    }
}
