//! Relay URLs: `https://relay:4443/NAME`, or `moq+https://...` as players
//! spell it; `?track=video-600k` picks one rendition's track.

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
    /// The video track to subscribe to (`?track=NAME`, taken out of the
    /// query the session dials with): one rendition of a broadcast
    /// published at several bitrates. `None`: the catalog's `track`.
    pub track: Option<String>,
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
        let mut track = None;
        let mut rest = Vec::new();
        for (key, value) in url.query_pairs() {
            if key == "track" {
                if value.is_empty() || track.is_some() {
                    return Err(Error::Url(format!(
                        "'{text}': give one non-empty track=NAME"
                    )));
                }
                track = Some(value.into_owned());
            } else {
                rest.push((key.into_owned(), value.into_owned()));
            }
        }
        if track.is_some() {
            if rest.is_empty() {
                url.set_query(None);
            } else {
                url.query_pairs_mut().clear().extend_pairs(rest);
            }
        }
        Ok(RelayUrl {
            connect: url,
            broadcast: name,
            track,
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
        assert_eq!(u.track, None);
    }

    #[test]
    fn track_names_a_rendition_and_leaves_the_query() {
        let u = RelayUrl::parse("moq+https://h:4443/anon/cam1?jwt=x&track=video-600k").unwrap();
        assert_eq!(u.connect.as_str(), "https://h:4443/anon?jwt=x");
        assert_eq!(u.broadcast, "cam1");
        assert_eq!(u.track.as_deref(), Some("video-600k"));
        let u = RelayUrl::parse("https://h:4443/cam1?track=video").unwrap();
        assert_eq!(u.connect.as_str(), "https://h:4443/");
        assert_eq!(u.track.as_deref(), Some("video"));
        assert!(RelayUrl::parse("https://h:4443/cam1?track=").is_err());
        assert!(RelayUrl::parse("https://h:4443/cam1?track=a&track=b").is_err());
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
