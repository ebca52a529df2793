//! HTTPS test targets: a certificate authority made at test time, the server certificates it
//! signs (valid, expired, or for another host), and a listener that serves an axum router over
//! rustls while counting the handshakes it completed, resumed and refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A certificate authority for one test.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// How long a server certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From 2020 to 2100.
    Current,
    /// From 2000 to 2001.
    Expired,
}

/// A server's certificate chain and private key.
pub struct ServerCert {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl ServerCert {
    /// A TLS acceptor serving this certificate, offering `alpn` (none: no ALPN).
    pub(crate) fn acceptor(self, alpn: &[&[u8]]) -> std::io::Result<TlsAcceptor> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                b.with_no_client_auth()
                    .with_single_cert(self.chain, self.key)
            })
            .map_err(std::io::Error::other)?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

impl TestCa {
    /// A new CA with its own key.
    pub fn new() -> Result<Self, rcgen::Error> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "loadspec test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        Ok(Self {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate()?)?,
        })
    }

    /// The CA's certificate, PEM (what `--ca-cert` reads).
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `names` (host names or IP addresses), signed by this CA.
    pub fn issue(&self, names: &[&str], validity: Validity) -> Result<ServerCert, rcgen::Error> {
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
        let (from, to) = match validity {
            Validity::Current => (2020, 2100),
            Validity::Expired => (2000, 2001),
        };
        params.not_before = rcgen::date_time_ymd(from, 1, 1);
        params.not_after = rcgen::date_time_ymd(to, 1, 1);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(ServerCert {
            chain: vec![cert.der().clone(), self.issuer.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    }
}

/// What a TLS listener saw.
#[derive(Debug, Default)]
pub struct TlsCounters {
    /// Handshakes completed (full and resumed).
    pub handshakes: AtomicU64,
    /// Of those, the ones that resumed an earlier session.
    pub resumed: AtomicU64,
    /// Handshakes the client broke off or that failed.
    pub refused: AtomicU64,
}

impl TlsCounters {
    /// `(handshakes, resumed, refused)`.
    pub fn get(&self) -> (u64, u64, u64) {
        (
            self.handshakes.load(Ordering::Relaxed),
            self.resumed.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
        )
    }
}

/// A TCP listener whose connections are served over TLS, counted in [`TlsCounters`].
pub(crate) struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    counters: Arc<TlsCounters>,
}

impl TlsListener {
    pub(crate) fn new(
        tcp: TcpListener,
        cert: ServerCert,
        alpn: &[&[u8]],
        counters: Arc<TlsCounters>,
    ) -> std::io::Result<Self> {
        Ok(Self {
            tcp,
            acceptor: cert.acceptor(alpn)?,
            counters,
        })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            };
            // As axum does for its own TCP listener: without it, an answer written in two TLS
            // records waits for the client's delayed ACK (about 40 ms).
            let _ = tcp.set_nodelay(true);
            match self.acceptor.accept(tcp).await {
                Ok(tls) => {
                    self.counters.handshakes.fetch_add(1, Ordering::Relaxed);
                    if tls.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
                        self.counters.resumed.fetch_add(1, Ordering::Relaxed);
                    }
                    return (tls, addr);
                }
                Err(_) => {
                    self.counters.refused.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
