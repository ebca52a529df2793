//! TLS for the direct client (and the reqwest client, which is handed the same configuration):
//! rustls on *ring*, which builds with a C compiler alone (aws-lc-rs needs cmake).
//!
//! Servers are verified against the system's roots (webpki-roots' copy of Mozilla's when the
//! system has none) plus `--ca-cert`; `--insecure` verifies nothing, and says so in the results
//! and on the console. One configuration serves the whole run, so its session cache lets a
//! user that reconnects resume its TLS session (an abbreviated handshake, as browsers do).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::http2::HttpVersion;

/// TLS sessions remembered for resumption: one per user that reconnects, for the largest runs.
const SESSION_CACHE: usize = 65_536;

/// How servers' certificates are checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM file of extra trusted certificates (a private CA, a self-signed server).
    pub ca_cert: Option<PathBuf>,
    /// Accept any certificate: no chain, name or expiry check.
    pub insecure: bool,
}

/// Why the TLS configuration could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The `--ca-cert` file could not be read or holds no PEM certificate.
    #[error("--ca-cert {path}: {reason} (expected a PEM file of CA certificates)")]
    CaCert {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("cannot configure TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// The run's TLS client configurations, one per ALPN offer; they share one session cache.
#[derive(Debug, Clone)]
pub(crate) struct TlsClient {
    /// Offers `http/1.1` only.
    pub(crate) http1: Arc<ClientConfig>,
    /// Offers `h2`, then `http/1.1`.
    h2_or_http1: Arc<ClientConfig>,
    /// Offers `h2` only.
    h2: Arc<ClientConfig>,
}

impl TlsClient {
    /// The configuration whose ALPN offer fits `version`.
    pub(crate) fn config(&self, version: HttpVersion) -> &Arc<ClientConfig> {
        match version {
            HttpVersion::Auto => &self.h2_or_http1,
            HttpVersion::Http1 => &self.http1,
            HttpVersion::Http2 => &self.h2,
        }
    }

    /// A reqwest client builder that verifies servers as the direct client does.
    pub(crate) fn configure(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        builder.tls_backend_preconfigured((*self.http1).clone())
    }
}

impl TlsClient {
    pub(crate) fn new(options: &TlsOptions) -> Result<Self, TlsSetupError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        // Also the process's default, unless the program chose one: reqwest clients built
        // without loadspec's configuration (the monitor's scraper, a scenario's own) take it,
        // and reqwest without a provider of its own would panic.
        let _already_chosen = CryptoProvider::install_default((*provider).clone());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()?;
        let mut config = if options.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
                .with_no_client_auth()
        } else {
            let mut store = system_roots();
            if let Some(path) = &options.ca_cert {
                add_ca_file(&mut store, path)?;
            }
            builder.with_root_certificates(store).with_no_client_auth()
        };
        config.resumption = rustls::client::Resumption::in_memory_sessions(SESSION_CACHE);
        let offering = |protocols: &[&[u8]]| {
            let mut offer = config.clone();
            offer.alpn_protocols = protocols.iter().map(|p| p.to_vec()).collect();
            Arc::new(offer)
        };
        Ok(Self {
            http1: offering(&[b"http/1.1"]),
            h2_or_http1: offering(&[b"h2", b"http/1.1"]),
            h2: offering(&[b"h2"]),
        })
    }
}

/// The system's roots, or the bundled ones where the system has none (a minimal container).
fn system_roots() -> RootCertStore {
    let mut store = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    let (added, _ignored) = store.add_parsable_certificates(found.certs);
    if added == 0 {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    store
}

fn add_ca_file(store: &mut RootCertStore, path: &Path) -> Result<(), TlsSetupError> {
    let invalid = |reason: String| TlsSetupError::CaCert {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| invalid(e.to_string()))?;
    let mut added = 0;
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        let cert = cert.map_err(|e| invalid(format!("not PEM: {e}")))?;
        store
            .add(cert)
            .map_err(|e| invalid(format!("not a usable certificate: {e}")))?;
        added += 1;
    }
    if added == 0 {
        return Err(invalid("no certificate in it".to_owned()));
    }
    Ok(())
}

/// `--insecure`: every certificate is accepted, but handshake signatures are still checked
/// (so the connection is still a working TLS connection, merely unauthenticated).
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_that_is_missing_or_not_pem_is_named_with_what_was_expected() {
        let missing = TlsClient::new(&TlsOptions {
            ca_cert: Some("/nonexistent/ca.pem".into()),
            insecure: false,
        })
        .unwrap_err()
        .to_string();
        assert!(
            missing.starts_with("--ca-cert /nonexistent/ca.pem: "),
            "{missing}"
        );
        assert!(missing.ends_with("(expected a PEM file of CA certificates)"));

        let dir = std::env::temp_dir().join(format!("loadspec-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "hello\n").unwrap();
        let error = TlsClient::new(&TlsOptions {
            ca_cert: Some(empty.clone()),
            insecure: false,
        })
        .unwrap_err()
        .to_string();
        assert!(error.contains("no certificate in it"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_configuration_offers_http1_and_remembers_sessions() {
        let client = TlsClient::new(&TlsOptions::default()).unwrap();
        assert_eq!(client.http1.alpn_protocols, vec![b"http/1.1".to_vec()]);
        assert_eq!(
            format!("{:?}", client.http1.resumption),
            format!(
                "{:?}",
                rustls::client::Resumption::in_memory_sessions(SESSION_CACHE)
            )
        );
    }
}
