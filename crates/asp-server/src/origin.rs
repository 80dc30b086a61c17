//! Which web pages may use the stream: the `Origin` check of WebSocket
//! upgrades, WebTransport session requests and `GET /asp/session`.
//!
//! A browser names the page's origin on every WebSocket handshake,
//! WebTransport session and cross-origin fetch, so a page of another site
//! cannot watch the stream or send it S-packets unless the operator allows
//! that origin (`asp-encode --serve --allow-origin ORIGIN`, repeatable, or
//! `*` for any). By default only the server's own pages may: an origin with
//! this server's port whose host is the host the request was sent to, when
//! that host is an IP address or `localhost`. A DNS name is not trusted by
//! default, because a page can rebind its own name to this server's address
//! (DNS rebinding) and would then look same-origin; list such names with
//! `--allow-origin`. Requests without an `Origin` (players outside a
//! browser, curl) are not pages, and are let through: they could claim any
//! origin anyway.

use std::net::IpAddr;

/// The origins allowed besides the server's own pages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedOrigins {
    /// `*`: any page may.
    pub any: bool,
    /// Normalized origins (`scheme://host[:port]`, lower case, no default port).
    pub origins: Vec<String>,
}

impl AllowedOrigins {
    /// Parses `--allow-origin` values: `*`, or origins such as
    /// `https://example.com` or `http://127.0.0.1:8000`.
    pub fn parse<S: AsRef<str>>(values: &[S]) -> Result<AllowedOrigins, String> {
        let mut allowed = AllowedOrigins::default();
        for value in values {
            let value = value.as_ref().trim();
            if value == "*" {
                allowed.any = true;
                continue;
            }
            let origin = Origin::parse(value.trim_end_matches('/'))
                .ok_or_else(|| format!("not an origin (scheme://host[:port]): {value:?}"))?;
            allowed.origins.push(origin.to_string());
        }
        Ok(allowed)
    }

    /// Whether a request with `origin` (its `Origin` header), sent to
    /// `request_host` (its `Host` header or WebTransport authority), may
    /// use the stream of the server listening for HTTP on `own_port`.
    pub fn allows(&self, origin: Option<&str>, request_host: Option<&str>, own_port: u16) -> bool {
        let Some(origin) = origin else {
            return true;
        };
        if self.any {
            return true;
        }
        let Some(origin) = Origin::parse(origin.trim()) else {
            // `null` (sandboxed frames, file: pages) and anything unparsable.
            return false;
        };
        if self.origins.iter().any(|o| *o == origin.to_string()) {
            return true;
        }
        let request_host = request_host.map(|h| host_of_authority(h).to_ascii_lowercase());
        origin.port == own_port && request_host.as_deref() == Some(origin.host.as_str()) && is_literal_or_localhost(&origin.host)
    }

    /// The `Access-Control-Allow-Origin` value for an allowed request with
    /// `origin`: `*` when any page may, else the origin itself.
    pub fn allow_origin_header<'a>(&self, origin: &'a str) -> &'a str {
        if self.any {
            "*"
        } else {
            origin
        }
    }
}

/// A parsed origin: scheme, lower-case host (IPv6 in brackets), port.
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    fn parse(text: &str) -> Option<Origin> {
        let (scheme, authority) = text.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
            return None;
        }
        let host = host_of_authority(authority).to_ascii_lowercase();
        let port = match &authority[host.len()..] {
            "" => default_port,
            rest => rest.strip_prefix(':')?.parse().ok()?,
        };
        if host.is_empty() {
            return None;
        }
        Some(Origin { scheme, host, port })
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let default = if self.scheme == "https" { 443 } else { 80 };
        if self.port == default {
            write!(f, "{}://{}", self.scheme, self.host)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

/// The host part of `host[:port]` (an IPv6 address keeps its brackets).
fn host_of_authority(authority: &str) -> &str {
    if authority.starts_with('[') {
        match authority.find(']') {
            Some(end) => &authority[..=end],
            None => authority,
        }
    } else {
        authority.split(':').next().unwrap_or(authority)
    }
}

/// Whether `host` cannot be rebound by DNS: an IP address or `localhost`.
fn is_literal_or_localhost(host: &str) -> bool {
    host == "localhost" || host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::AllowedOrigins;

    #[test]
    fn by_default_only_the_servers_own_pages_may() {
        let own = AllowedOrigins::default();
        assert!(own.allows(None, Some("127.0.0.1:8080"), 8080), "not a browser");
        assert!(own.allows(Some("http://127.0.0.1:8080"), Some("127.0.0.1:8080"), 8080));
        assert!(own.allows(Some("http://localhost:8080"), Some("localhost:8080"), 8080));
        assert!(own.allows(Some("http://[::1]:8080"), Some("[::1]:8080"), 8080));
        assert!(!own.allows(Some("http://127.0.0.1:9000"), Some("127.0.0.1:8080"), 8080), "another port");
        assert!(!own.allows(Some("https://evil.example"), Some("127.0.0.1:8080"), 8080));
        assert!(!own.allows(Some("http://evil.example:8080"), Some("evil.example:8080"), 8080), "DNS rebinding");
        assert!(!own.allows(Some("null"), Some("127.0.0.1:8080"), 8080));
    }

    #[test]
    fn listed_origins_and_the_wildcard() {
        let listed = AllowedOrigins::parse(&["https://Example.com:443/", "http://127.0.0.1:9000"]).unwrap();
        assert_eq!(listed.origins, vec!["https://example.com", "http://127.0.0.1:9000"]);
        assert!(listed.allows(Some("https://example.com"), Some("stream.example:8080"), 8080));
        assert!(listed.allows(Some("http://127.0.0.1:9000"), Some("127.0.0.1:8080"), 8080));
        assert!(!listed.allows(Some("http://example.com"), Some("127.0.0.1:8080"), 8080), "scheme counts");
        assert_eq!(listed.allow_origin_header("https://example.com"), "https://example.com");
        let any = AllowedOrigins::parse(&["*"]).unwrap();
        assert!(any.allows(Some("https://evil.example"), None, 8080));
        assert_eq!(any.allow_origin_header("https://evil.example"), "*");
        assert!(AllowedOrigins::parse(&["example.com"]).is_err());
        assert!(AllowedOrigins::parse(&["ftp://example.com"]).is_err());
        assert!(AllowedOrigins::parse(&["http://example.com/path"]).is_err());
    }
}
