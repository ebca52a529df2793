//! Configuration of the demo target.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::limits::{Lockout, RateLimit};

/// How big the seeded data set is and how the server behaves.
///
/// `Default` is the full case-study size (20,000 insurees, 100,000 claims, seed 42);
/// [`DemoConfig::small`] is a quick one for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Seed of the data generator: the same seed (and sizes) gives the same rows.
    pub seed: u64,
    /// Number of insurees, grouped in families of 1 to 7 members.
    pub insurees: u32,
    /// Number of claims, each with 1 to 5 items and 0 to 2 services.
    pub claims: u32,
    /// Number of `userN` accounts seeded besides `admin` (`user0` .. `user{users-1}`).
    pub users: u32,
    /// PBKDF2-HMAC-SHA256 iterations of the seeded password hashes; by default 10,000 in
    /// optimised builds and 1,000 in debug builds, where unoptimised SHA-256 is some 50x
    /// slower (this keeps a login at a few milliseconds of CPU either way, and seeding the
    /// hashes from blowing up debug start-up).
    pub password_iterations: u32,
    /// SQLite connections in the pool (the server's DB concurrency).
    pub pool_size: u32,
    /// How long SQLite waits for a write lock before answering `database is locked` (503).
    pub busy_timeout: Duration,
    /// Server-side deadline of a request; past it the server answers 504 like a gateway.
    pub request_timeout: Duration,
    /// Lifetime of the tokens issued by `/api/auth/login`.
    pub token_ttl: Duration,
    /// Address to listen on; only loopback addresses are accepted (port 0 = ephemeral).
    pub bind: SocketAddr,
    /// Directory in which the temporary database directory is created (system temp dir
    /// when `None`).
    pub data_dir: Option<PathBuf>,
    /// openIMIS' `MODE=PROD` rate limit on `/api/graphql` (`429` beyond it); off by default.
    pub rate_limit: Option<RateLimit>,
    /// openIMIS' `MODE=PROD` login lockout (django-axes); off by default.
    pub lockout: Option<Lockout>,
    /// When set, mutations run this long after they are received, as openIMIS runs them on
    /// a worker with `ASYNC=True`: their log shows status 0 until then. Off (synchronous,
    /// `ASYNC=False`) by default.
    pub mutation_delay: Option<Duration>,
}

/// See [`DemoConfig::password_iterations`].
const DEFAULT_PASSWORD_ITERATIONS: u32 = if cfg!(debug_assertions) {
    1_000
} else {
    10_000
};

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            insurees: 20_000,
            claims: 100_000,
            users: 100,
            password_iterations: DEFAULT_PASSWORD_ITERATIONS,
            pool_size: 4,
            busy_timeout: Duration::from_millis(200),
            request_timeout: Duration::from_secs(10),
            token_ttl: Duration::from_secs(3600),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            data_dir: None,
            rate_limit: None,
            lockout: None,
            mutation_delay: None,
        }
    }
}

impl DemoConfig {
    /// A small data set (500 insurees, 2,000 claims, 10 users, cheap hashes) for tests.
    pub fn small() -> Self {
        Self {
            insurees: 500,
            claims: 2_000,
            users: 10,
            password_iterations: 1_000,
            ..Self::default()
        }
    }

    /// What openIMIS' `MODE=PROD` adds: `/api/graphql` limited to 150 requests per minute
    /// per client address, and an account locked for 5 minutes after 5 failed logins.
    pub fn prod_mode(self) -> Self {
        Self {
            rate_limit: Some(RateLimit {
                requests: 150,
                window: Duration::from_secs(60),
            }),
            lockout: Some(Lockout {
                failures: 5,
                cool_off: Duration::from_secs(300),
            }),
            ..self
        }
    }
}
