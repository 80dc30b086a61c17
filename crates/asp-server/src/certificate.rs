//! The server's TLS certificate, shared by HTTPS/WSS and WebTransport.
//!
//! One [`CertificateStore`] answers every TLS handshake of both listeners
//! (it is their rustls certificate resolver), so replacing its certificate
//! takes effect for the next handshake on both, while sessions already
//! open keep theirs. It holds either the operator's certificate (PEM files,
//! `asp-encode --serve --tls-cert FILE --tls-key FILE`), which browsers
//! trust the usual way, or a self-signed one for WebTransport alone, which
//! a page trusts by its SHA-256 (`serverCertificateHashes`): browsers accept
//! that only for a certificate valid at most 14 days, so the server makes a
//! new one before the old one expires ([`rotate_self_signed`]) and
//! `/asp/session` publishes the current hash. The operator's certificate is
//! read again on SIGHUP ([`reload_on_hangup`]) and when its files change
//! ([`reload_on_change`]).
//!
//! Cryptography is rustls with the `ring` provider.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tracing::{info, warn};
use wtransport::tls::self_signed::time::{Duration as TimeDuration, OffsetDateTime};
use wtransport::Identity;

pub use crate::config::TlsFiles;

/// Why a certificate could not be loaded or made.
#[derive(Debug)]
pub enum CertificateError {
    /// A PEM file could not be read or holds no certificate / key.
    Pem { file: PathBuf, reason: String },
    /// The key does not fit the certificate, or the provider cannot use it.
    Key(String),
    /// Making a self-signed certificate failed.
    SelfSigned(String),
    /// The TLS provider refused the configuration.
    Config(String),
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertificateError::Pem { file, reason } => write!(f, "{}: {reason}", file.display()),
            CertificateError::Key(e) => write!(f, "TLS key: {e}"),
            CertificateError::SelfSigned(e) => write!(f, "self-signed certificate: {e}"),
            CertificateError::Config(e) => write!(f, "TLS settings: {e}"),
        }
    }
}

impl std::error::Error for CertificateError {}

/// A certificate with its key, its SHA-256 and when it stops being valid.
#[derive(Clone, Debug)]
pub struct Certificate {
    key: Arc<CertifiedKey>,
    /// SHA-256 of the leaf certificate's DER.
    pub hash: [u8; 32],
    /// The end of the validity period of a self-signed certificate (None
    /// for the operator's, which the operator renews).
    pub self_signed_until: Option<SystemTime>,
}

/// The crypto provider of every TLS configuration here.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn sha256(der: &[u8]) -> [u8; 32] {
    *wtransport::tls::Certificate::from_der(der.to_vec())
        .map(|c| c.hash())
        .unwrap_or_else(|_| wtransport::tls::Sha256Digest::new([0; 32]))
        .as_ref()
}

impl Certificate {
    /// Reads the operator's PEM files.
    pub fn load(files: &TlsFiles) -> Result<Certificate, CertificateError> {
        let pem_error = |file: &Path, reason: String| CertificateError::Pem { file: file.to_path_buf(), reason };
        let chain = CertificateDer::pem_file_iter(&files.certificate_chain)
            .map_err(|e| pem_error(&files.certificate_chain, e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_error(&files.certificate_chain, e.to_string()))?;
        if chain.is_empty() {
            return Err(pem_error(&files.certificate_chain, "no CERTIFICATE section".into()));
        }
        let key = PrivateKeyDer::from_pem_file(&files.private_key)
            .map_err(|e| pem_error(&files.private_key, e.to_string()))?;
        let hash = sha256(&chain[0]);
        let key = CertifiedKey::from_der(chain, key, &provider()).map_err(|e| CertificateError::Key(e.to_string()))?;
        Ok(Certificate { key: Arc::new(key), hash, self_signed_until: None })
    }

    /// A new self-signed ECDSA P-256 certificate for `names` (host names and
    /// IP addresses), valid from now for `validity`.
    pub fn self_signed(names: &[String], validity: Duration) -> Result<Certificate, CertificateError> {
        let validity_seconds = i64::try_from(validity.as_secs()).unwrap_or(i64::MAX);
        let identity = Identity::self_signed_builder()
            .subject_alt_names(names)
            .from_now_utc()
            .offset_from_not_before(TimeDuration::seconds(validity_seconds))
            .build()
            .map_err(|e| CertificateError::SelfSigned(e.to_string()))?;
        let chain: Vec<CertificateDer<'static>> =
            identity.certificate_chain().as_slice().iter().map(|c| CertificateDer::from(c.der().to_vec())).collect();
        let Some(leaf) = chain.first() else {
            return Err(CertificateError::SelfSigned("no certificate made".into()));
        };
        let hash = sha256(leaf);
        // The builder makes PKCS#8 keys.
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.private_key().secret_der().to_vec()));
        let key = CertifiedKey::from_der(chain, key, &provider()).map_err(|e| CertificateError::Key(e.to_string()))?;
        // The builder counts the validity from the second it was called.
        let until = SystemTime::from(OffsetDateTime::now_utc()) + validity;
        Ok(Certificate { key: Arc::new(key), hash, self_signed_until: Some(until) })
    }
}

/// The certificate every handshake gets; replaceable while serving.
#[derive(Debug)]
pub struct CertificateStore {
    current: RwLock<Certificate>,
}

impl CertificateStore {
    pub fn new(certificate: Certificate) -> Arc<CertificateStore> {
        Arc::new(CertificateStore { current: RwLock::new(certificate) })
    }

    /// The certificate new handshakes get.
    pub fn current(&self) -> Certificate {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// From now on, handshakes get `certificate`.
    pub fn replace(&self, certificate: Certificate) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = certificate;
    }

    /// The TLS configuration of the HTTPS + WSS listener (HTTP/1.1).
    pub fn http_config(self: &Arc<Self>) -> Result<Arc<rustls::ServerConfig>, CertificateError> {
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| CertificateError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(self) as Arc<dyn ResolvesServerCert>);
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// The TLS configuration of the WebTransport endpoint (TLS 1.3, HTTP/3).
    pub fn webtransport_config(self: &Arc<Self>) -> Result<rustls::ServerConfig, CertificateError> {
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| CertificateError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(self) as Arc<dyn ResolvesServerCert>);
        config.alpn_protocols = vec![wtransport::tls::WEBTRANSPORT_ALPN.to_vec()];
        Ok(config)
    }
}

impl ResolvesServerCert for CertificateStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()).key))
    }
}

/// Listens for SIGHUP now (from here on the signal no longer ends the
/// process), and returns the task that, on every SIGHUP, reads the
/// operator's certificate again (after renewing it, e.g. by certbot) and
/// hands it to new handshakes; a file that cannot be read is logged and the
/// current certificate kept. Must be called inside a tokio runtime.
#[cfg(unix)]
pub fn reload_on_hangup(
    store: Arc<CertificateStore>,
    files: TlsFiles,
) -> std::io::Result<impl std::future::Future<Output = ()> + Send> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangups = signal(SignalKind::hangup())?;
    Ok(async move {
        while hangups.recv().await.is_some() {
            match Certificate::load(&files) {
                Ok(certificate) => {
                    let hex: String = certificate.hash.iter().map(|b| format!("{b:02x}")).collect();
                    info!(sha256 = hex, "SIGHUP: certificate reloaded");
                    store.replace(certificate);
                }
                Err(e) => warn!(error = %e, "SIGHUP: cannot reload the certificate; keeping the current one"),
            }
        }
    })
}

/// What identifies a version of the certificate files without reading
/// them: each file's size and modification time (`None`: not readable).
type FilesVersion = [Option<(u64, SystemTime)>; 2];

fn files_version(files: &TlsFiles) -> FilesVersion {
    let version = |path: &Path| std::fs::metadata(path).ok().and_then(|m| Some((m.len(), m.modified().ok()?)));
    [version(&files.certificate_chain), version(&files.private_key)]
}

/// Checks the operator's certificate files every `interval` and, when
/// either changed, reads them again and hands the certificate to new
/// handshakes (a renewal by certbot or an ACME client needs no signal). A
/// pair that does not load (the chain written, the key not yet) keeps the
/// current certificate; it is tried again at the next change, and its
/// error is logged once.
pub async fn reload_on_change(store: Arc<CertificateStore>, files: TlsFiles, interval: Duration) {
    let mut seen = files_version(&files);
    let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(10)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = files_version(&files);
        if now == seen {
            continue;
        }
        seen = now;
        match Certificate::load(&files) {
            Ok(certificate) if certificate.hash == store.current().hash => {}
            Ok(certificate) => {
                let hex: String = certificate.hash.iter().map(|b| format!("{b:02x}")).collect();
                info!(sha256 = hex, "certificate files changed: reloaded");
                store.replace(certificate);
            }
            Err(e) => warn!(error = %e, "certificate files changed but do not load; keeping the current certificate"),
        }
    }
}

/// How long before a self-signed certificate expires a new one replaces
/// it: a fifth of its validity (a day or so at the usual 13 days, so that a
/// viewer whose clock runs somewhat ahead still accepts it, and a page that
/// read the hash just before the swap has a whole day to use it).
pub fn renewal_margin(validity: Duration) -> Duration {
    validity / 5
}

/// Replaces the store's self-signed certificate with a new one for `names`
/// every `validity - renewal_margin(validity)`, forever. A failure to make
/// one is retried a minute later (the old one is still valid then).
pub async fn rotate_self_signed(store: Arc<CertificateStore>, names: Vec<String>, validity: Duration) {
    let mut wait = validity.saturating_sub(renewal_margin(validity));
    loop {
        tokio::time::sleep(wait).await;
        match Certificate::self_signed(&names, validity) {
            Ok(certificate) => {
                let hex: String = certificate.hash.iter().map(|b| format!("{b:02x}")).collect();
                info!(sha256 = hex, "new self-signed WebTransport certificate");
                store.replace(certificate);
                wait = validity.saturating_sub(renewal_margin(validity));
            }
            Err(e) => {
                warn!(error = %e, "cannot renew the WebTransport certificate; trying again in a minute");
                wait = Duration::from_secs(60).min(renewal_margin(validity)).max(Duration::from_millis(1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["localhost".to_string(), "127.0.0.1".to_string()]
    }

    /// The leaf certificate a handshake would get now.
    fn served(store: &CertificateStore) -> Vec<u8> {
        store.current.read().unwrap().key.cert[0].to_vec()
    }

    #[test]
    fn a_self_signed_certificate_is_valid_for_what_was_asked() {
        let validity = Duration::from_secs(13 * 24 * 3600);
        let before = SystemTime::now();
        let certificate = Certificate::self_signed(&names(), validity).unwrap();
        let until = certificate.self_signed_until.unwrap();
        assert!(until >= before + validity - Duration::from_secs(2) && until <= SystemTime::now() + validity);
        assert_eq!(certificate.hash, sha256(&certificate.key.cert[0]));
    }

    #[tokio::test(start_paused = true)]
    async fn the_self_signed_certificate_is_replaced_before_it_expires() {
        let validity = Duration::from_secs(10);
        let store = CertificateStore::new(Certificate::self_signed(&names(), validity).unwrap());
        let first = store.current();
        let rotation = tokio::spawn(rotate_self_signed(Arc::clone(&store), names(), validity));
        // Renewal is due at 8 s (validity less a fifth).
        tokio::time::sleep(Duration::from_millis(7900)).await;
        assert_eq!(store.current().hash, first.hash, "not renewed early");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let second = store.current();
        assert_ne!(second.hash, first.hash, "renewed before expiry");
        assert_eq!(sha256(&served(&store)), second.hash, "handshakes get the new certificate");
        assert!(second.self_signed_until.unwrap() > first.self_signed_until.unwrap());
        tokio::time::sleep(Duration::from_secs(8)).await;
        assert_ne!(store.current().hash, second.hash, "and again, every validity less the margin");
        rotation.abort();
    }
}
