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
//!
//! Signed tokens (`--token-key FILE`) expire: `view.EXPIRES.MAC`, where
//! EXPIRES is the Unix time (seconds) after which it no longer admits, and
//! MAC the HMAC-SHA256 (RFC 2104) under the key of `view.EXPIRES`, in
//! unpadded base64url. Whoever holds the key mints them (`asp-encode token
//! --token-key FILE --expires 1h`, or [`TokenKey::mint`] in a web
//! service), so the server keeps no list and a leaked token stops working
//! by itself. The MAC is checked in constant time (`hmac`'s
//! `verify_slice`). The scope word leaves room for publish tokens; the
//! server has no publish path, so only `view` admits. Plain tokens keep
//! working next to a key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The name of the query parameter carrying the token.
pub const QUERY_PARAMETER: &str = "token";

/// The tokens that admit a viewer (none: no token needed).
#[derive(Clone, Debug, Default)]
pub struct ViewTokens {
    digests: Vec<[u8; 32]>,
    key: Option<TokenKey>,
}

/// The scope word of a signed view token.
pub const VIEW_SCOPE: &str = "view";

/// Shortest signing key, in bytes: HMAC-SHA256's output length (RFC 2104
/// section 3 advises no less).
pub const MIN_KEY_BYTES: usize = 32;

/// The secret that signs and checks expiring tokens.
#[derive(Clone)]
pub struct TokenKey {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

/// Why a request was not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No token presented.
    Missing,
    /// A token that no configured one matches and whose signature (if it
    /// has the signed form) does not hold: wrong, forged or mangled.
    Invalid,
    /// A correctly signed token past its expiry.
    Expired,
}

impl Refusal {
    /// What to tell the client (nothing about the secrets).
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Missing => "a view token is needed (?token=... or Authorization: Bearer ...)",
            Refusal::Invalid => "the view token is not valid",
            Refusal::Expired => "the view token has expired",
        }
    }
}

type HmacSha256 = Hmac<Sha256>;

impl TokenKey {
    /// A key from a key file's content: surrounding whitespace trimmed, at
    /// least [`MIN_KEY_BYTES`] bytes (e.g. `head -c 48 /dev/urandom |
    /// base64 > key`).
    pub fn from_file_content(content: &[u8]) -> Result<TokenKey, TokenError> {
        let bytes = content.trim_ascii();
        if bytes.len() < MIN_KEY_BYTES {
            return Err(TokenError::ShortKey { len: bytes.len() });
        }
        Ok(TokenKey { bytes: bytes.to_vec() })
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes a key of any length.
        HmacSha256::new_from_slice(&self.bytes).unwrap_or_else(|_| unreachable!("HMAC accepts every key length"))
    }

    /// A view token that admits until `expires` (rounded down to the second).
    pub fn mint(&self, expires: SystemTime) -> String {
        let expires = expires.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs();
        let signed = format!("{VIEW_SCOPE}.{expires}");
        let mut mac = self.mac();
        mac.update(signed.as_bytes());
        let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signed}.{tag}")
    }

    /// Checks a signed token at time `now`: `None` if it does not have the
    /// signed form at all, else whether it admits.
    fn check(&self, token: &str, now: SystemTime) -> Option<Result<(), Refusal>> {
        let (signed, tag) = token.rsplit_once('.')?;
        let (scope, expires) = signed.split_once('.')?;
        let mut mac = self.mac();
        mac.update(signed.as_bytes());
        let valid = URL_SAFE_NO_PAD.decode(tag).is_ok_and(|tag| mac.verify_slice(&tag).is_ok());
        if !valid || scope != VIEW_SCOPE {
            return Some(Err(Refusal::Invalid));
        }
        let Ok(expires) = expires.parse::<u64>() else { return Some(Err(Refusal::Invalid)) };
        let now = now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs();
        Some(if now < expires { Ok(()) } else { Err(Refusal::Expired) })
    }
}

/// Why a token list could not be made.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    /// An empty token would admit anyone presenting an empty one.
    Empty,
    /// Tokens travel in URLs and headers: printable ASCII without spaces.
    NotPrintable,
    /// A signing key shorter than [`MIN_KEY_BYTES`].
    ShortKey { len: usize },
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::Empty => write!(f, "a token may not be empty"),
            TokenError::NotPrintable => write!(f, "a token must be printable ASCII without spaces"),
            TokenError::ShortKey { len } => {
                write!(f, "a token key needs at least {MIN_KEY_BYTES} bytes (this one has {len})")
            }
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
        Ok(ViewTokens { digests, key: None })
    }

    /// Also admits tokens signed with `key` until they expire.
    pub fn with_key(mut self, key: TokenKey) -> ViewTokens {
        self.key = Some(key);
        self
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
        !self.digests.is_empty() || self.key.is_some()
    }

    /// Whether `presented` admits a viewer now (any token, when none is needed).
    pub fn admits(&self, presented: Option<&str>) -> bool {
        self.check(presented, SystemTime::now()).is_ok()
    }

    /// Whether `presented` admits a viewer at time `now`, and if not, why.
    pub fn check(&self, presented: Option<&str>, now: SystemTime) -> Result<(), Refusal> {
        if !self.required() {
            return Ok(());
        }
        let presented = presented.ok_or(Refusal::Missing)?;
        let digest = digest(presented.as_bytes());
        // Every plain token is compared, whichever matches.
        let matched = self.digests.iter().fold(subtle::Choice::from(0), |any, d| any | d.ct_eq(&digest));
        if bool::from(matched) {
            return Ok(());
        }
        match self.key.as_ref().and_then(|key| key.check(presented, now)) {
            Some(outcome) => outcome,
            None => Err(Refusal::Invalid),
        }
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
    fn signed_tokens_admit_until_they_expire_and_not_when_forged() {
        let key = TokenKey::from_file_content(b"0123456789abcdef0123456789abcdef\n").unwrap();
        let tokens = ViewTokens::new(&["plain"]).unwrap().with_key(key.clone());
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let token = key.mint(now + Duration::from_secs(3600));
        assert_eq!(token.split('.').take(2).collect::<Vec<_>>(), ["view", "1800003600"]);
        assert_eq!(tokens.check(Some(&token), now), Ok(()));
        assert_eq!(tokens.check(Some(&token), now + Duration::from_secs(3599)), Ok(()));
        assert_eq!(tokens.check(Some(&token), now + Duration::from_secs(3600)), Err(Refusal::Expired));
        assert_eq!(tokens.check(Some("plain"), now), Ok(()), "plain tokens still admit");
        assert_eq!(tokens.check(None, now), Err(Refusal::Missing));
        // A later expiry with the old signature, another key's token, a
        // flipped MAC character, another scope, junk: all refused.
        let (_, tag) = token.rsplit_once('.').unwrap();
        let other = TokenKey::from_file_content(&[7u8; 32]).unwrap().mint(now + Duration::from_secs(3600));
        let mut flipped = token.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        let publish = {
            let mut mac = key.mac();
            mac.update(b"publish.1800003600");
            format!("publish.1800003600.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
        };
        for forged in [format!("view.1900000000.{tag}"), other, flipped, publish, "view.x.y".into(), "view..".into(), "a.b".into()] {
            assert_eq!(tokens.check(Some(&forged), now), Err(Refusal::Invalid), "{forged}");
        }
        assert_eq!(TokenKey::from_file_content(b"  short  ").unwrap_err(), TokenError::ShortKey { len: 5 });
        assert!(ViewTokens::default().with_key(key).required());
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
