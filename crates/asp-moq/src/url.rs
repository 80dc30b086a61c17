//! Relay URLs: `https://relay:4443/NAME`, or `moq+https://...` as players spell it.

use crate::Error;

/// A broadcast on a relay: where to connect and what the broadcast is called.
///
/// The last segment of the path names the broadcast; what comes before it is
/// the scope the session is opened at (a relay's auth root, e.g. `anon`), as
/// moq's own tools separate `--url` from `--name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayUrl {
    /// The URL the session dials: scheme, host, port, scope, query (a token).
    pub connect: url::Url,
    /// The broadcast's path under that scope.
    pub broadcast: String,
}

impl RelayUrl {
    /// Parses `https://HOST:PORT/[SCOPE/]NAME` or the same with `moq+` in front.
    pub fn parse(text: &str) -> Result<RelayUrl, Error> {
        let plain = text.strip_prefix("moq+").unwrap_or(text);
        let mut url = url::Url::parse(plain).map_err(|e| Error::Url(format!("'{text}': {e}")))?;
        if url.scheme() != "https" {
            return Err(Error::Url(format!(
                "'{text}': the scheme must be https (QUIC/WebTransport with TLS)"
            )));
        }
        if url.host_str().is_none() {
            return Err(Error::Url(format!("'{text}' names no host")));
        }
        let path = url.path().trim_matches('/').to_string();
        let (scope, name) = match path.rsplit_once('/') {
            Some((scope, name)) => (scope.to_string(), name.to_string()),
            None => (String::new(), path),
        };
        if name.is_empty() {
            return Err(Error::Url(format!(
                "'{text}' names no broadcast (https://HOST:PORT/NAME)"
            )));
        }
        url.set_path(&format!("/{scope}"));
        url.set_fragment(None);
        Ok(RelayUrl {
            connect: url,
            broadcast: name,
        })
    }

    /// Whether `text` is a relay URL rather than a file name.
    pub fn is_relay_url(text: &str) -> bool {
        text.starts_with("moq+https://") || text.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_is_the_last_segment() {
        let u = RelayUrl::parse("moq+https://127.0.0.1:4443/live").unwrap();
        assert_eq!(u.connect.as_str(), "https://127.0.0.1:4443/");
        assert_eq!(u.broadcast, "live");
        let u = RelayUrl::parse("https://relay.example:443/anon/cam1?jwt=x").unwrap();
        assert_eq!(u.connect.as_str(), "https://relay.example/anon?jwt=x");
        assert_eq!(u.broadcast, "cam1");
    }

    #[test]
    fn refuses_what_is_not_a_broadcast() {
        assert!(RelayUrl::parse("https://127.0.0.1:4443/").is_err());
        assert!(RelayUrl::parse("http://127.0.0.1:4443/live").is_err());
        assert!(RelayUrl::parse("out.asp").is_err());
        assert!(!RelayUrl::is_relay_url("out.asp"));
        assert!(RelayUrl::is_relay_url("moq+https://h:1/x"));
    }
}
