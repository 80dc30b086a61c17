//! `asp-encode --serve`: encode live and serve the stream to browsers.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{Context, Result};
use asp_moq::Catalog;
use asp_encoder::{EncoderConfig, FrameSource, SessionSettings};
use asp_server::live::{self, LiveOptions};
use asp_server::{Hub, Server, ServerConfig, StreamFacts, StreamPolicy, ViewerLimits};

use crate::publish::{publish_from_hub, PublishTarget};

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
    /// Also publish the live packets to a Media over QUIC relay.
    pub publish: Option<PublishTarget>,
}

/// `dir` if it exists, else `default` if that exists in the current directory.
pub fn existing_dir(dir: Option<PathBuf>, default: &str) -> Option<PathBuf> {
    dir.or_else(|| Some(PathBuf::from(default))).filter(|d| d.is_dir())
}

/// Serves `source` live until Ctrl-C. The stream's end (input closed) is
/// announced to the viewers; the page stays up until Ctrl-C.
pub fn serve(source: Box<dyn FrameSource>, config: EncoderConfig, options: ServeOptions) -> Result<()> {
    let (width, height) = source.size();
    let (fps_num, fps_den) = source.fps();
    let bitrate = match config.rate {
        asp_encoder::RateMode::Bitrate { bits_per_second, .. } => bits_per_second,
        asp_encoder::RateMode::ConstantQp(_) => 0,
    };
    let hub = Arc::new(Hub::new(ViewerLimits::default(), StreamPolicy::for_bitrate(bitrate)));
    let mut server_config = ServerConfig::new(options.bind);
    server_config.www_dir = options.www;
    server_config.web_dir = options.web;
    server_config.webtransport = options.webtransport;
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
    eprintln!(
        "asp-encode: serving {width}x{height} at http://{url_host}:{}/ (WebSocket /asp/ws{})",
        server.http_addr.port(),
        match server.wt_addr {
            Some(a) => format!(", WebTransport udp {} /asp/wt", a.port()),
            None => String::new(),
        }
    );
    if let (Some(addr), Some(hash)) = (server.wt_addr, server.certificate_hash) {
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        eprintln!("asp-encode: WebTransport source for <asp-player>: https://{url_host}:{}/asp/wt#sha256={hex}", addr.port());
    }
    eprintln!(
        "asp-encode: or src=\"http://{url_host}:{}/asp/session\" (the player picks the transport and follows a restart)",
        server.http_addr.port()
    );
    runtime.spawn(async move {
        if let Err(e) = server.run().await {
            tracing::error!(error = %e, "the server stopped");
        }
    });
    if let Some(target) = options.publish {
        eprintln!("asp-encode: also publishing to {} as broadcast {}", target.url.connect, target.url.broadcast);
        let catalog = Catalog::new(width, height, fps_num, fps_den);
        let hub = Arc::clone(&hub);
        runtime.spawn(async move {
            if let Err(e) = publish_from_hub(hub, target, catalog).await {
                tracing::error!(error = %e, "publishing to the relay stopped");
            }
        });
    }
    let stop = AtomicBool::new(false);
    let live_options =
        LiveOptions { repeat: options.repeat, stamp: options.stamp, session: options.session, ..LiveOptions::default() };
    let frames = live::run(source, config, &hub, &live_options, &stop).map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("asp-encode: input ended after {frames} frames; still serving the page (Ctrl-C to stop)");
    runtime.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    Ok(())
}

/// Logs one line per event to standard error (`RUST_LOG` overrides the level).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = io::IsTerminal::is_terminal(&io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(io::stderr).try_init();
}
