//! Binding the sockets and running the HTTP and WebTransport servers.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tracing::{info, warn};

use crate::config::ServerConfig;
use crate::http::{router, SessionInfo, WebTransportInfo};
use crate::hub::Hub;
use crate::listen::{self, Connections};
use crate::wt::{WtEndpoint, PATH as WT_PATH};

/// The stream facts a page gets in the session description.
#[derive(Clone, Copy, Debug)]
pub struct StreamFacts {
    pub width: u32,
    pub height: u32,
    pub fps_num: u32,
    pub fps_den: u32,
}

/// Bound sockets, ready to run.
pub struct Server {
    listener: TcpListener,
    wt: Option<WtEndpoint>,
    app: axum::Router,
    hub: Arc<Hub>,
    config: ServerConfig,
    /// Where HTTP and WebSocket are served (TCP).
    pub http_addr: SocketAddr,
    /// Where WebTransport is served (UDP), if it is on.
    pub wt_addr: Option<SocketAddr>,
    /// SHA-256 of the WebTransport certificate.
    pub certificate_hash: Option<[u8; 32]>,
    /// The open TCP connections of the HTTP listener.
    pub connections: Arc<Connections>,
}

impl Server {
    /// Binds TCP at `config.bind`, and UDP for WebTransport at the same
    /// address and port when it is free (another port otherwise).
    /// Raises the open-file limit first, and caps the connections to it.
    pub async fn bind(mut config: ServerConfig, hub: Arc<Hub>, facts: StreamFacts) -> std::io::Result<Server> {
        config.transport.max_connections = listen::raise_open_file_limit(config.transport.max_connections);
        let connections =
            Connections::new(config.transport.max_connections, config.transport.max_connections_per_address);
        let listener = TcpListener::bind(config.bind).await?;
        let http_addr = listener.local_addr()?;
        if !http_addr.ip().is_loopback() {
            warn!(
                addr = %http_addr,
                "serving beyond this machine: anyone who can reach this address can watch the stream"
            );
        }
        let wt = if config.webtransport {
            let mut names = vec!["localhost".to_string(), http_addr.ip().to_string()];
            if http_addr.ip().is_unspecified() {
                names.push("127.0.0.1".to_string());
            }
            let idle = config.viewer.idle_timeout;
            let keep_alive = config.viewer.ping_interval;
            let quic = &config.transport.webtransport;
            let same_port = WtEndpoint::bind(http_addr, &names, idle, keep_alive, quic);
            let endpoint = match same_port {
                Ok(e) => Ok(e),
                Err(_) => WtEndpoint::bind(SocketAddr::new(http_addr.ip(), 0), &names, idle, keep_alive, quic),
            };
            match endpoint {
                Ok(e) => Some(e),
                Err(e) => {
                    warn!(error = %e, "WebTransport is off");
                    None
                }
            }
        } else {
            None
        };
        let wt_addr = wt.as_ref().map(|w| w.addr);
        let certificate_hash = wt.as_ref().map(|w| w.certificate_hash);
        let session = SessionInfo {
            websocket: crate::http::WS_PATH.to_string(),
            webtransport: wt.as_ref().map(|w| WebTransportInfo {
                port: w.addr.port(),
                path: WT_PATH.to_string(),
                certificate_hash: w.certificate_hash.iter().map(|b| format!("{b:02x}")).collect(),
                certificate_hash_bytes: w.certificate_hash.to_vec(),
            }),
            width: facts.width,
            height: facts.height,
            fps_num: facts.fps_num,
            fps_den: facts.fps_den,
            attribution: config.attribution.clone(),
        };
        let app = router(&config, Arc::clone(&hub), session, http_addr.port());
        Ok(Server { listener, wt, app, hub, config, http_addr, wt_addr, certificate_hash, connections })
    }

    /// Serves until the future is dropped or a socket fails.
    pub async fn run(self) -> std::io::Result<()> {
        info!(http = %self.http_addr, webtransport = ?self.wt_addr, "serving");
        if let Some(wt) = self.wt {
            let transport = &self.config.transport;
            let admission = crate::wt::Admission {
                origins: Arc::new(self.config.allowed_origins.clone()),
                http_port: self.http_addr.port(),
                // QUIC connections are counted apart from TCP ones, with the same caps.
                connections: Connections::new(transport.max_connections, transport.max_connections_per_address),
                session_request_timeout: transport.webtransport.session_request_timeout,
            };
            tokio::spawn(wt.serve(Arc::clone(&self.hub), admission));
        }
        let send_buffer = self.config.viewer.socket_send_buffer;
        let tune = move |tcp: &tokio::net::TcpStream| {
            // Latency: no Nagle delay on small packets.
            let _ = tcp.set_nodelay(true);
            if let Some(size) = send_buffer {
                let _ = socket2::SockRef::from(tcp).set_send_buffer_size(size);
            }
        };
        listen::serve(self.listener, self.app, self.config.transport, self.connections, tune).await
    }
}
