//! `asp-encode --serve`: encode live and serve the stream to browsers.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use asp_encoder::{EncoderConfig, FrameSource, SessionSettings};
use asp_server::live::{LiveOptions, LiveRun};
use asp_server::config::{TlsFiles, ViewTokens};
use asp_server::{AllowedOrigins, Hub, Server, ServerConfig, StreamFacts, StreamPolicy};

use crate::exit::Outcome;
use crate::interrupt::Interrupt;
use crate::output::Output;
use crate::publish::{publish_renditions, spawn_from_hub, BlockingPublisher, PublishTarget};
use asp_server::renditions::EncodedRendition;

/// What `--serve` needs besides the encoder settings.
pub struct ServeOptions {
    pub bind: SocketAddr,
    pub repeat: bool,
    pub www: Option<PathBuf>,
    pub web: Option<PathBuf>,
    pub webtransport: bool,
    /// Burn the capture time into the picture.
    pub stamp: bool,
    /// Regions of interest, palettes, C-packets: as the file path encodes.
    pub session: SessionSettings,
    /// Where to record the served packets (`-o`), each flushed as it is
    /// published so the file is valid to its last packet at any time.
    pub record: Option<Output>,
    pub guards: ServeGuards,
    /// Also publish the live packets to a Media over QUIC relay.
    pub publish: Option<PublishTarget>,
    /// With `publish`: more encoders on the same frames (`--rendition`),
    /// the settings of the renditions after the first (the served one).
    pub renditions: Vec<EncoderConfig>,
}

/// The server's caps and access control that an operator sets on the
/// command line (the rest of `asp_server::ViewerLimits` and
/// `TransportLimits` keep their defaults).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ServeGuards {
    /// With --serve: most viewers at once (default 4096).
    #[arg(long, value_name = "N", requires = "serve", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_viewers: Option<u32>,
    /// With --serve: most viewers at once from one IP address (IPv6: one /64) (default 64).
    #[arg(long, value_name = "N", requires = "serve", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_viewers_per_address: Option<u32>,
    /// With --serve: most open HTTP/WebSocket connections (default 8192, less if the open-file limit is lower).
    #[arg(long, value_name = "N", requires = "serve", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
    /// With --serve: most open HTTP/WebSocket connections from one IP address (default 256).
    #[arg(long, value_name = "N", requires = "serve", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_address: Option<u32>,
    /// With --serve: let pages of this origin (e.g. `https://example.com`) watch the
    /// stream and send it feedback; repeatable; `*` for any page. The server's own
    /// pages (same host and port, by IP address or localhost) always may.
    #[arg(long, value_name = "ORIGIN", requires = "serve")]
    pub allow_origin: Vec<String>,
    /// With --serve: serve HTTPS and WSS, and WebTransport, with this certificate chain
    /// (PEM, leaf first); needs --tls-key. Both files are read again on SIGHUP and when
    /// they change. Without it: plain HTTP/WS, and a self-signed WebTransport certificate
    /// that pages trust by its hash.
    #[arg(long, value_name = "FILE", requires_all = ["serve", "tls_key"])]
    pub tls_cert: Option<PathBuf>,
    /// With --serve: the private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires_all = ["serve", "tls_cert"])]
    pub tls_key: Option<PathBuf>,
    /// With --serve: viewers must present this token (`?token=SECRET` on the WebSocket,
    /// WebTransport and /asp/session URLs, or `Authorization: Bearer SECRET`); repeatable.
    #[arg(long, value_name = "SECRET", requires = "serve")]
    pub token: Vec<String>,
    /// With --serve: view tokens from a file, one per line (`#` comments).
    #[arg(long, value_name = "FILE", requires = "serve")]
    pub tokens_file: Option<PathBuf>,
    /// With --serve: also admit viewers with a token signed with this key (a file of at
    /// least 32 bytes, e.g. `head -c 48 /dev/urandom | base64 > key`) until it expires;
    /// `asp-encode token --token-key FILE --expires 1h` mints one.
    #[arg(long, value_name = "FILE", requires = "serve")]
    pub token_key: Option<PathBuf>,
}

impl ServeGuards {
    /// The server's configuration with these caps and origins applied.
    pub fn apply(&self, config: &mut ServerConfig) -> Result<()> {
        config.allowed_origins = AllowedOrigins::parse(&self.allow_origin).map_err(|e| anyhow::anyhow!("--allow-origin: {e}"))?;
        let (viewer, transport) = (&mut config.viewer, &mut config.transport);
        let set = |target: &mut usize, value: Option<u32>| {
            if let Some(v) = value {
                *target = v as usize;
            }
        };
        set(&mut viewer.max_viewers, self.max_viewers);
        set(&mut viewer.max_viewers_per_address, self.max_viewers_per_address);
        set(&mut transport.max_connections, self.max_connections);
        set(&mut transport.max_connections_per_address, self.max_connections_per_address);
        config.view_tokens = ViewTokens::new(&self.token).map_err(|e| anyhow::anyhow!("--token: {e}"))?;
        if let Some(file) = &self.tokens_file {
            let text = std::fs::read_to_string(file).with_context(|| format!("--tokens-file {}", file.display()))?;
            let tokens = ViewTokens::parse_file(&text).map_err(|e| anyhow::anyhow!("--tokens-file {}: {e}", file.display()))?;
            if !tokens.required() {
                anyhow::bail!("--tokens-file {}: no token in it", file.display());
            }
            config.view_tokens.extend(tokens);
        }
        if let Some(file) = &self.token_key {
            config.view_tokens = std::mem::take(&mut config.view_tokens).with_key(crate::token::read_key(file)?);
        }
        if let (Some(certificate_chain), Some(private_key)) = (&self.tls_cert, &self.tls_key) {
            config.tls = Some(TlsFiles { certificate_chain: certificate_chain.clone(), private_key: private_key.clone() });
        }
        Ok(())
    }
}

/// `dir` if it exists, else `default` if that exists in the current directory.
pub fn existing_dir(dir: Option<PathBuf>, default: &str) -> Option<PathBuf> {
    dir.or_else(|| Some(PathBuf::from(default))).filter(|d| d.is_dir())
}

/// Writes one line of the server's addresses to stderr in a single write:
/// scripts read these lines as they come, and `eprintln!` writes a
/// formatted line piece by piece, so a reader could see half a hash.
fn announce(line: String) {
    let mut line = line;
    line.push('\n');
    // Nothing to do if stderr is gone: serving goes on.
    let _ = io::stderr().write_all(line.as_bytes());
}

/// Serves `source` live until SIGINT or SIGTERM. The stream's end (input
/// closed) is announced to the viewers; the page stays up until the signal.
pub fn serve(
    source: Box<dyn FrameSource>,
    config: EncoderConfig,
    mut options: ServeOptions,
    interrupt: &Interrupt,
) -> Result<Outcome> {
    let (width, height) = source.size();
    let (fps_num, fps_den) = source.fps();
    let bitrate = bitrate_of(&config);
    let mut server_config = ServerConfig::new(options.bind);
    options.guards.apply(&mut server_config)?;
    let hub = Arc::new(Hub::new(server_config.viewer.clone(), StreamPolicy::for_bitrate(bitrate)));
    server_config.www_dir = options.www;
    server_config.web_dir = options.web;
    server_config.webtransport = options.webtransport;
    server_config.attribution = config.attribution.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("asp-serve")
        .build()
        .context("starting the async runtime")?;
    let facts = StreamFacts { width, height, fps_num, fps_den };
    let server = runtime
        .block_on(Server::bind(server_config, Arc::clone(&hub), facts))
        .with_context(|| format!("cannot listen on {}", options.bind))?;
    let url_host = if server.http_addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { server.http_addr.ip().to_string() };
    let (http, ws) = if server.is_https() { ("https", "wss") } else { ("http", "ws") };
    announce(format!(
        "asp-encode: serving {width}x{height} at {http}://{url_host}:{}/ ({ws}: /asp/ws{})",
        server.http_addr.port(),
        match server.wt_addr {
            Some(a) => format!(", WebTransport udp {} /asp/wt", a.port()),
            None => String::new(),
        }
    ));
    if let (Some(addr), Some(hash), false) = (server.wt_addr, server.certificate_hash, server.is_https()) {
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        announce(format!(
            "asp-encode: WebTransport source for <asp-player>: https://{url_host}:{}/asp/wt#sha256={hex}",
            addr.port()
        ));
    }
    announce(format!(
        "asp-encode: or src=\"{http}://{url_host}:{}/asp/session\" (the player picks the transport and follows a restart)",
        server.http_addr.port()
    ));
    runtime.spawn(async move {
        if let Err(e) = server.run().await {
            tracing::error!(error = %e, "the server stopped");
        }
    });
    // With renditions the live loop hands every rendition's packets to the
    // relay itself (the hub carries the first only); without, the relay
    // publisher is one more viewer of the hub.
    let rates: Vec<u64> = if options.renditions.is_empty() {
        Vec::new()
    } else {
        std::iter::once(&config).chain(&options.renditions).map(bitrate_of).collect()
    };
    let mut relay = match options.publish {
        Some(target) if !rates.is_empty() => {
            eprintln!("asp-encode: also publishing {} renditions to {target}", rates.len());
            Some(BlockingPublisher::connect(&target, (width, height), (fps_num, fps_den), &rates)?)
        }
        Some(target) => {
            spawn_from_hub(&runtime, Arc::clone(&hub), target, (width, height), (fps_num, fps_den));
            None
        }
        None => None,
    };
    let live_options = LiveOptions {
        repeat: options.repeat,
        stamp: options.stamp,
        session: options.session,
        renditions: std::mem::take(&mut options.renditions),
        ..LiveOptions::default()
    };
    let mut published_frames = 0u64;
    let mut to_relay = |frame: &[EncodedRendition]| match relay.as_mut() {
        Some(relay) => {
            publish_renditions(relay, frame, published_frames).map_err(io::Error::other)?;
            published_frames += 1;
            Ok(())
        }
        None => Ok(()),
    };
    let mut record = |packet: &[u8]| match &mut options.record {
        Some(output) => output
            .write_all(packet)
            .and_then(|()| output.flush())
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", output.name()))),
        None => Ok(()),
    };
    let stop = interrupt.flag();
    let frames = LiveRun { source, config, hub: &hub, options: &live_options, stop }
        .run_into(&mut record, &mut to_relay)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(relay) = relay.take() {
        let published = relay.finish()?;
        eprintln!(
            "asp-encode: published {} groups of {} objects on {} rendition tracks",
            published.groups,
            published.objects,
            rates.len()
        );
    }
    if let Some(output) = options.record.take() {
        let name = output.name().to_string();
        output.finish()?;
        eprintln!("asp-encode: recorded {frames} frames to {name}");
    }
    if interrupt.raised() {
        return Ok(Outcome::Interrupted);
    }
    eprintln!("asp-encode: input ended after {frames} frames; still serving the page (Ctrl-C to stop)");
    while !interrupt.raised() {
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Outcome::Interrupted)
}

/// The target of a constant-bitrate encoder, bits per second (0: constant QP).
fn bitrate_of(config: &EncoderConfig) -> u64 {
    match config.rate {
        asp_encoder::RateMode::Bitrate { bits_per_second, .. } => bits_per_second,
        asp_encoder::RateMode::ConstantQp(_) => 0,
    }
}

/// Logs one line per event to standard error (`RUST_LOG` overrides the level).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = io::IsTerminal::is_terminal(&io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(io::stderr).try_init();
}
