//! Binding the sockets and running the HTTP and WebTransport servers.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tracing::{info, warn};

use crate::certificate::{self, Certificate, CertificateError, CertificateStore};
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
    /// TLS of the HTTP listener (with the operator's certificate).
    https: Option<TlsAcceptor>,
    /// The operator's certificate, reloaded on SIGHUP.
    operator: Option<Arc<CertificateStore>>,
    /// The self-signed WebTransport certificate and the names it is for,
    /// renewed while serving.
    self_signed: Option<(Arc<CertificateStore>, Vec<String>)>,
    /// Where HTTP and WebSocket are served (TCP).
    pub http_addr: SocketAddr,
    /// Where WebTransport is served (UDP), if it is on.
    pub wt_addr: Option<SocketAddr>,
    /// SHA-256 of the WebTransport certificate when the server started.
    pub certificate_hash: Option<[u8; 32]>,
    /// The WebTransport certificate (the operator's, or the self-signed one
    /// as it is renewed), if WebTransport is on.
    pub certificates: Option<Arc<CertificateStore>>,
    /// The open TCP connections of the HTTP listener.
    pub connections: Arc<Connections>,
}

/// A certificate problem as the I/O error `bind` returns.
fn certificate_error(e: CertificateError) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
}

impl Server {
    /// Binds TCP at `config.bind`, and UDP for WebTransport at the same
    /// address and port when it is free (another port otherwise).
    /// Raises the open-file limit first, and caps the connections to it.
    /// With `config.tls`, reads the certificate first (an unreadable one is
    /// an error, `InvalidInput`).
    pub async fn bind(mut config: ServerConfig, hub: Arc<Hub>, facts: StreamFacts) -> std::io::Result<Server> {
        let operator = match &config.tls {
            Some(files) => Some(CertificateStore::new(Certificate::load(files).map_err(certificate_error)?)),
            None => None,
        };
        let https = match &operator {
            Some(store) => Some(TlsAcceptor::from(store.http_config().map_err(certificate_error)?)),
            None => None,
        };
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
        let mut names = vec!["localhost".to_string(), http_addr.ip().to_string()];
        if http_addr.ip().is_unspecified() {
            names.push("127.0.0.1".to_string());
        }
        let mut self_signed = None;
        let certificates = match (&operator, config.webtransport) {
            (_, false) => None,
            (Some(store), true) => Some(Arc::clone(store)),
            (None, true) => match Certificate::self_signed(&names, config.self_signed_validity) {
                Ok(certificate) => {
                    let store = CertificateStore::new(certificate);
                    self_signed = Some((Arc::clone(&store), names.clone()));
                    Some(store)
                }
                Err(e) => {
                    warn!(error = %e, "WebTransport is off");
                    None
                }
            },
        };
        let wt = match &certificates {
            Some(store) => {
                let idle = config.viewer.idle_timeout;
                let keep_alive = config.viewer.ping_interval;
                let quic = &config.transport.webtransport;
                let same_port = WtEndpoint::bind(http_addr, store, idle, keep_alive, quic);
                let endpoint = match same_port {
                    Ok(e) => Ok(e),
                    Err(_) => WtEndpoint::bind(SocketAddr::new(http_addr.ip(), 0), store, idle, keep_alive, quic),
                };
                match endpoint {
                    Ok(e) => Some(e),
                    Err(e) => {
                        warn!(error = %e, "WebTransport is off");
                        None
                    }
                }
            }
            None => None,
        };
        let certificates = certificates.filter(|_| wt.is_some());
        let self_signed = self_signed.filter(|_| wt.is_some());
        let wt_addr = wt.as_ref().map(|w| w.addr);
        let certificate_hash = certificates.as_ref().map(|c| c.current().hash);
        let session = SessionInfo {
            websocket: crate::http::WS_PATH.to_string(),
            webtransport: wt.as_ref().map(|w| WebTransportInfo {
                port: w.addr.port(),
                path: WT_PATH.to_string(),
                certificate_hash: None,
                certificate_hash_bytes: None,
            }),
            width: facts.width,
            height: facts.height,
            fps_num: facts.fps_num,
            fps_den: facts.fps_den,
            attribution: config.attribution.clone(),
        };
        let published = self_signed.as_ref().map(|(store, _)| Arc::clone(store));
        let app = router(&config, Arc::clone(&hub), session, http_addr.port(), published);
        Ok(Server {
            listener,
            wt,
            app,
            hub,
            config,
            https,
            operator,
            self_signed,
            http_addr,
            wt_addr,
            certificate_hash,
            certificates,
            connections,
        })
    }

    /// Whether HTTP and WebSocket are served over TLS (https, wss).
    pub fn is_https(&self) -> bool {
        self.https.is_some()
    }

    /// Serves until the future is dropped or a socket fails. With the
    /// operator's certificate, SIGHUP or a change of its files reloads it
    /// (SIGHUP no longer ends the process once this runs).
    pub async fn run(self) -> std::io::Result<()> {
        info!(http = %self.http_addr, webtransport = ?self.wt_addr, tls = self.https.is_some(), "serving");
        if let Some((store, names)) = self.self_signed {
            tokio::spawn(certificate::rotate_self_signed(store, names, self.config.self_signed_validity));
        }
        if let (Some(files), Some(store)) = (&self.config.tls, &self.operator) {
            tokio::spawn(certificate::reload_on_change(Arc::clone(store), files.clone(), self.config.tls_check_interval));
        }
        #[cfg(unix)]
        if let (Some(files), Some(store)) = (&self.config.tls, &self.operator) {
            match certificate::reload_on_hangup(Arc::clone(store), files.clone()) {
                Ok(reload) => {
                    tokio::spawn(reload);
                }
                Err(e) => warn!(error = %e, "cannot listen for SIGHUP; the certificate will not be reloaded"),
            }
        }
        if let Some(wt) = self.wt {
            let transport = &self.config.transport;
            let admission = crate::wt::Admission {
                origins: Arc::new(self.config.allowed_origins.clone()),
                http_port: self.http_addr.port(),
                // QUIC connections are counted apart from TCP ones, with the same caps.
                connections: Connections::new(transport.max_connections, transport.max_connections_per_address),
                session_request_timeout: transport.webtransport.session_request_timeout,
                tokens: Arc::new(self.config.view_tokens.clone()),
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
        listen::serve(self.listener, self.app, self.config.transport, self.connections, self.https, tune).await
    }
}
