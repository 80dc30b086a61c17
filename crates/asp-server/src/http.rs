//! The HTTP side: the WebSocket endpoint, the session description a page
//! reads first, stats, and static files (the demo page and the player
//! package) with the cross-origin isolation headers the threaded decoder
//! needs (`SharedArrayBuffer` only exists on a cross-origin isolated page).

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::certificate::CertificateStore;
use crate::config::{AllowedOrigins, ServerConfig, ViewTokens};
use crate::hub::Hub;
use crate::listen::PeerAddress;

/// The WebSocket endpoint's path.
pub const WS_PATH: &str = "/asp/ws";
/// The same WebSocket endpoint under the name the demo page uses by default.
pub const WS_ALIAS: &str = "/live";
/// The session description's path.
pub const SESSION_PATH: &str = "/asp/session";
/// The stats path.
pub const STATS_PATH: &str = "/asp/stats";

/// What a page needs to connect: `GET /asp/session` returns this as JSON.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// Path of the WebSocket endpoint on this host and port (`/asp/ws`).
    pub websocket: String,
    /// WebTransport: UDP port and path on this host, and the certificate
    /// hash for `serverCertificateHashes` (absent if WebTransport is off).
    /// With the operator's certificate (`--tls-cert`) there is no hash:
    /// browsers trust that certificate the usual way.
    pub webtransport: Option<WebTransportInfo>,
    pub width: u32,
    pub height: u32,
    pub fps_num: u32,
    pub fps_den: u32,
    /// The attribution the stream's first keyframe carries (the schema's
    /// `StreamInfo.attribution`), for viewers who joined later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebTransportInfo {
    pub port: u16,
    pub path: String,
    /// SHA-256 of the current self-signed certificate, lower-case hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_hash: Option<String>,
    /// The same 32 bytes as numbers: `new Uint8Array(certificateHashBytes)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_hash_bytes: Option<Vec<u8>>,
}

impl WebTransportInfo {
    /// Names `hash` as the certificate to trust.
    pub fn trust(&mut self, hash: &[u8; 32]) {
        self.certificate_hash = Some(hash.iter().map(|b| format!("{b:02x}")).collect());
        self.certificate_hash_bytes = Some(hash.to_vec());
    }
}

#[derive(Clone)]
struct AppState {
    hub: Arc<Hub>,
    session: Arc<SessionInfo>,
    origins: Arc<AllowedOrigins>,
    /// The port this router is served on: part of the server's own origin.
    http_port: u16,
    /// The self-signed WebTransport certificate, whose hash the session
    /// description publishes as it is renewed.
    self_signed: Option<Arc<CertificateStore>>,
    tokens: Arc<ViewTokens>,
}

impl AppState {
    /// The refusal (401) if the request lacks a view token that admits it.
    fn unauthorized(&self, query: Option<&str>, headers: &HeaderMap) -> Option<Response> {
        let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let presented = crate::token::presented(query, authorization);
        let refusal = self.tokens.check(presented.as_deref(), std::time::SystemTime::now()).err()?;
        tracing::info!(?refusal, "refused a request without a valid view token");
        let mut response = (StatusCode::UNAUTHORIZED, format!("{}\n", refusal.reason())).into_response();
        // RFC 6750 section 3: a presented token that does not do is "invalid_token".
        let challenge = match refusal {
            crate::token::Refusal::Missing => "Bearer",
            crate::token::Refusal::Invalid => "Bearer error=\"invalid_token\"",
            crate::token::Refusal::Expired => "Bearer error=\"invalid_token\", error_description=\"expired\"",
        };
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        Some(response)
    }

    /// The refusal (403) if the page that sent these headers may not use
    /// the stream.
    fn refusal(&self, headers: &HeaderMap) -> Option<Response> {
        let origin = headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("null"));
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        if self.origins.allows(origin, host, self.http_port) {
            return None;
        }
        let origin = origin.unwrap_or_default();
        tracing::info!(origin, "refused a page of another origin");
        let reason = format!(
            "pages of origin {} may not use this stream (asp-encode --serve --allow-origin ORIGIN allows one)\n",
            crate::sync::truncate(origin, 200)
        );
        Some((StatusCode::FORBIDDEN, reason).into_response())
    }
}

/// `GET /asp/session`: for the server's own pages and allowed origins
/// (CORS: the allowed origin is echoed, `*` only with `--allow-origin *`).
async fn session_description(State(state): State<AppState>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    if let Some(refusal) = state.refusal(&headers) {
        return refusal;
    }
    if let Some(refusal) = state.unauthorized(query.as_deref(), &headers) {
        return with_cors(refusal, &state, &headers);
    }
    let mut session = (*state.session).clone();
    if let (Some(wt), Some(store)) = (session.webtransport.as_mut(), &state.self_signed) {
        wt.trust(&store.current().hash);
    }
    with_cors(Json(session).into_response(), &state, &headers)
}

/// `response` readable by the (allowed) page that asked.
fn with_cors(mut response: Response, state: &AppState, headers: &HeaderMap) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        if let Ok(value) = HeaderValue::from_str(state.origins.allow_origin_header(origin)) {
            response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            response.headers_mut().insert(header::VARY, HeaderValue::from_static("origin"));
        }
    }
    response
}

/// `GET /asp/stats`, for holders of a view token when tokens are needed.
async fn stats(State(state): State<AppState>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    if let Some(refusal) = state.unauthorized(query.as_deref(), &headers) {
        return refusal;
    }
    Json(state.hub.stats()).into_response()
}

/// The router: endpoints, then the player package at `/web/`, then the
/// demo page at `/` (a built-in page when there is no `www/`).
/// `self_signed` is the store of a self-signed WebTransport certificate,
/// whose current hash goes into every session description.
pub fn router(
    config: &ServerConfig,
    hub: Arc<Hub>,
    session: SessionInfo,
    http_port: u16,
    self_signed: Option<Arc<CertificateStore>>,
) -> Router {
    let origins = Arc::new(config.allowed_origins.clone());
    let tokens = Arc::new(config.view_tokens.clone());
    let state = AppState { hub, session: Arc::new(session), origins, http_port, self_signed, tokens };
    let mut app = Router::new()
        .route(WS_PATH, get(websocket))
        // The demo page's default source (`ws://HOST/live`, as in the
        // player package's own dev server).
        .route(WS_ALIAS, get(websocket))
        // A player on an allowed site may take its src from here
        // (`<asp-player src=".../asp/session">`).
        .route(SESSION_PATH, get(session_description))
        .route(STATS_PATH, get(stats))
        .with_state(state);
    if let Some(web) = &config.web_dir {
        app = app.nest_service("/web", ServeDir::new(web));
    }
    app = match &config.www_dir {
        Some(www) => app.fallback_service(ServeDir::new(www)),
        None => app.route("/", get(|| async { Html(BUILTIN_PAGE) })),
    };
    let headers: [(HeaderName, &'static str); 4] = [
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (HeaderName::from_static("cross-origin-embedder-policy"), "require-corp"),
        (HeaderName::from_static("cross-origin-resource-policy"), "same-origin"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value)));
    }
    app.layer(axum::middleware::from_fn(refuse_hidden_paths))
}

/// Answers 404 for any path with a segment that starts with a dot: a
/// served directory's `.git/`, `.env` or editor files are never content,
/// and `..` never climbs out of it.
async fn refuse_hidden_paths(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if is_hidden_path(request.uri().path()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    next.run(request).await
}

/// Whether a segment of `path` starts with a dot, written plainly or
/// percent-encoded (`%2e`), which the file service would decode.
fn is_hidden_path(path: &str) -> bool {
    path.split('/').any(|segment| {
        let bytes = segment.as_bytes();
        bytes.first() == Some(&b'.') || (bytes.len() >= 3 && bytes[0] == b'%' && bytes[1] == b'2' && bytes[2].eq_ignore_ascii_case(&b'e'))
    })
}

/// Read buffer of a viewer's WebSocket: room for a few S-packets.
const WS_READ_BUFFER: usize = 8 << 10;

async fn websocket(
    State(state): State<AppState>,
    PeerAddress(peer): PeerAddress,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(refusal) = state.refusal(&headers) {
        return refusal;
    }
    // Before the upgrade, so before a viewer slot is taken.
    if let Some(refusal) = state.unauthorized(query.as_deref(), &headers) {
        return refusal;
    }
    let limits = state.hub.limits();
    if state.hub.stats().viewers >= limits.max_viewers {
        let refusal = crate::hub::JoinError::Full { max: limits.max_viewers };
        return (StatusCode::SERVICE_UNAVAILABLE, refusal.to_string()).into_response();
    }
    let max = limits.max_client_message;
    let hub = Arc::clone(&state.hub);
    upgrade
        .max_message_size(max)
        .max_frame_size(max)
        // tungstenite keeps 128 KiB read and 128 KiB write buffers per
        // connection by default: at a thousand viewers that is most of the
        // server's memory. A viewer only sends tiny S-packets, and every
        // packet to it is flushed at once (latency), so neither buffer
        // needs to batch anything.
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(0)
        .on_upgrade(move |socket| crate::ws::join_and_serve(socket, hub, peer.map(|p| p.ip())))
}

/// Served at `/` when there is no `www/` directory: says where things are.
const BUILTIN_PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>asp-encode --serve</title>
<h1>ASP live stream</h1>
<p>This server has no <code>www/</code> directory to serve (run from the
repository root, or pass <code>--www DIR</code>).</p>
<ul>
<li>WebSocket: <code>/asp/ws</code> (one binary message = one ASP packet)</li>
<li>Session description: <a href="/asp/session">/asp/session</a></li>
<li>Stats: <a href="/asp/stats">/asp/stats</a></li>
</ul>
"#;

#[cfg(test)]
mod tests {
    use super::is_hidden_path;

    #[test]
    fn dot_segments_are_hidden_however_written() {
        for path in ["/.git/config", "/web/.env", "/%2egit/HEAD", "/%2Essh/id", "/a/../b", "/."] {
            assert!(is_hidden_path(path), "{path}");
        }
        for path in ["/", "/index.html", "/web/dist/asp.js", "/asp/session", "/a.b/c.d", "/%2f"] {
            assert!(!is_hidden_path(path), "{path}");
        }
    }
}
