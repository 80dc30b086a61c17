//! View tokens: shared secrets a viewer must present to watch
//! (`asp-encode --serve --token SECRET`, repeatable, or `--tokens-file
//! FILE`, one per line). Checked on the WebSocket upgrade, the WebTransport
//! session request and `GET /asp/session` (and `/asp/stats`), before a
//! viewer slot is taken; without tokens configured, anyone who may reach
//! the server (and passes the origin check) may watch.
//!
//! A viewer presents its token as the query parameter `token`
//! (`/asp/ws?token=SECRET`: the only way a browser's WebSocket can) or as
//! `Authorization: Bearer SECRET`. A missing or wrong token is answered
//! HTTP 401 (WebSocket upgrade, session description) or 403 (WebTransport,
//! whose session response has no 401 in the library). Comparison is in
//! constant time: both sides are hashed (SHA-256) and the digests compared
//! with `subtle`, against every configured token, so neither the content
//! nor the length of a token leaks through timing.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The name of the query parameter carrying the token.
pub const QUERY_PARAMETER: &str = "token";

/// The tokens that admit a viewer (none: no token needed).
#[derive(Clone, Debug, Default)]
pub struct ViewTokens {
    digests: Vec<[u8; 32]>,
}

/// Why a token list could not be made.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    /// An empty token would admit anyone presenting an empty one.
    Empty,
    /// Tokens travel in URLs and headers: printable ASCII without spaces.
    NotPrintable,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::Empty => write!(f, "a token may not be empty"),
            TokenError::NotPrintable => write!(f, "a token must be printable ASCII without spaces"),
        }
    }
}

impl std::error::Error for TokenError {}

fn digest(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}

impl ViewTokens {
    /// Tokens from the command line (or any list).
    pub fn new<S: AsRef<str>>(tokens: &[S]) -> Result<ViewTokens, TokenError> {
        let mut digests = Vec::with_capacity(tokens.len());
        for token in tokens {
            let token = token.as_ref();
            if token.is_empty() {
                return Err(TokenError::Empty);
            }
            if !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(TokenError::NotPrintable);
            }
            digests.push(digest(token.as_bytes()));
        }
        Ok(ViewTokens { digests })
    }

    /// Tokens from a file's text: one per line; blank lines and lines
    /// starting with `#` are skipped, surrounding spaces trimmed.
    pub fn parse_file(text: &str) -> Result<ViewTokens, TokenError> {
        let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
        ViewTokens::new(&lines)
    }

    /// Adds `other`'s tokens.
    pub fn extend(&mut self, other: ViewTokens) {
        self.digests.extend(other.digests);
    }

    /// Whether viewers need a token.
    pub fn required(&self) -> bool {
        !self.digests.is_empty()
    }

    /// Whether `presented` admits a viewer (any token, when none is needed).
    pub fn admits(&self, presented: Option<&str>) -> bool {
        if !self.required() {
            return true;
        }
        let Some(presented) = presented else {
            return false;
        };
        let presented = digest(presented.as_bytes());
        // Every token is compared, whichever matches.
        let matched = self.digests.iter().fold(subtle::Choice::from(0), |any, d| any | d.ct_eq(&presented));
        matched.into()
    }
}

/// The token a request presents: the `token` query parameter of `query`
/// (percent-decoded), else an `Authorization: Bearer` header value.
pub fn presented(query: Option<&str>, authorization: Option<&str>) -> Option<String> {
    let from_query = query.and_then(|q| {
        q.split('&').find_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name == QUERY_PARAMETER).then(|| percent_decode(value))
        })
    });
    from_query.or_else(|| {
        let value = authorization?.trim();
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
    })
}

/// `%XX` escapes and `+` (a space in a query) decoded; a malformed escape
/// is kept as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_tokens_anyone_may_and_with_them_only_a_listed_one() {
        assert!(ViewTokens::default().admits(None));
        let tokens = ViewTokens::new(&["s3cret", "other-Token_2"]).unwrap();
        assert!(tokens.required());
        assert!(tokens.admits(Some("s3cret")));
        assert!(tokens.admits(Some("other-Token_2")));
        for wrong in [None, Some(""), Some("s3cre"), Some("s3cret "), Some("S3CRET"), Some("s3crets")] {
            assert!(!tokens.admits(wrong), "{wrong:?}");
        }
        assert_eq!(ViewTokens::new(&[""]).unwrap_err(), TokenError::Empty);
        assert_eq!(ViewTokens::new(&["has space"]).unwrap_err(), TokenError::NotPrintable);
    }

    #[test]
    fn a_tokens_file_has_one_per_line() {
        let tokens = ViewTokens::parse_file("# viewers\n  alpha \n\nbeta\n").unwrap();
        assert!(tokens.admits(Some("alpha")) && tokens.admits(Some("beta")));
        assert!(!tokens.admits(Some("# viewers")));
    }

    #[test]
    fn the_token_comes_from_the_query_or_a_bearer_header() {
        assert_eq!(presented(Some("a=1&token=abc&b=2"), None).as_deref(), Some("abc"));
        assert_eq!(presented(Some("token=a%2Fb%3D"), None).as_deref(), Some("a/b="));
        assert_eq!(presented(Some("token=50%"), None).as_deref(), Some("50%"));
        assert_eq!(presented(None, Some("Bearer xyz")).as_deref(), Some("xyz"));
        assert_eq!(presented(None, Some("bearer  xyz ")).as_deref(), Some("xyz"));
        assert_eq!(presented(Some("tokens=no"), Some("Basic Zm9v")), None);
        assert_eq!(presented(Some("token=q"), Some("Bearer h")).as_deref(), Some("q"), "the query wins");
    }
}
