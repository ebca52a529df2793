//! Starting and stopping the server: on the caller's runtime ([`serve`]) or on a thread
//! with its own runtime ([`start_in_background`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::DemoConfig;
use crate::db::pool::Pool;
use crate::db::seed::{SeedStats, seed_database};
use crate::error::DemoError;
use crate::metrics::Metrics;
use crate::routes::{AppState, router};

/// How long a stopping server waits for in-flight requests before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A directory removed (with the database in it) when dropped.
#[derive(Debug)]
struct TempDir(PathBuf);

impl TempDir {
    fn new(base: Option<&Path>) -> Result<Self, DemoError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let base = base.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir = base.join(format!("loadspec-demo-{}-{nanos}-{n}", std::process::id()));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(Self(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(DemoError::io(format!("creating {}", dir.display()), e));
                }
            }
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover temp dir is not worth a panic or an error path.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An insuree picked from the seeded data, for scenarios that need existing records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleInsuree {
    /// Insurance number (`GET /api/insurees/{chf_id}`).
    pub chf_id: String,
    /// Last name (searchable with `GET /api/insurees?q=`).
    pub last_name: String,
    /// Given names.
    pub other_names: String,
    /// Family id (`GET /api/families/{id}`).
    pub family_id: i64,
    /// Whether the insuree heads the family.
    pub head: bool,
    /// Number of claims of the insuree (for `claims(insuree: ...)`).
    pub claims: u32,
}

/// Where a running demo listens and what it was seeded with.
#[derive(Debug, Clone)]
pub struct DemoInfo {
    addr: SocketAddr,
    stats: SeedStats,
    db_path: PathBuf,
    users: u32,
}

impl DemoInfo {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How long seeding the database took.
    pub fn seeding_time(&self) -> Duration {
        self.stats.duration
    }

    /// Row counts of the seeded database.
    pub fn stats(&self) -> &SeedStats {
        &self.stats
    }

    /// Credentials of seeded user `i % users` (`("user7", "password7")`), or of `admin`
    /// when no `userN` accounts were seeded: lets each virtual user log in as its own
    /// account.
    pub fn credentials(&self, i: u32) -> (String, String) {
        match i.checked_rem(self.users) {
            Some(n) => (format!("user{n}"), format!("password{n}")),
            None => ("admin".to_owned(), "admin123".to_owned()),
        }
    }

    /// The SQLite file (valid while the server runs), e.g. to inspect it or to hold a
    /// write lock from outside in tests.
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// Up to `n` seeded insurees spread evenly over the table, in id order (deterministic
    /// for a given seed and size). Reads the database file directly.
    pub fn sample_insurees(&self, n: usize) -> Result<Vec<SampleInsuree>, DemoError> {
        let conn = Connection::open_with_flags(&self.db_path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let step = (self.stats.insurees / (n.max(1) as u64)).max(1);
        let mut stmt = conn.prepare(
            "SELECT i.chf_id, i.last_name, i.other_names, i.family_id, i.head,
                    (SELECT COUNT(*) FROM claims c WHERE c.insuree_id = i.id)
             FROM insurees i WHERE (i.id - 1) % ?1 = 0 ORDER BY i.id LIMIT ?2",
        )?;
        let rows = stmt.query_map((step as i64, n as i64), |r| {
            Ok(SampleInsuree {
                chf_id: r.get(0)?,
                last_name: r.get(1)?,
                other_names: r.get(2)?,
                family_id: r.get(3)?,
                head: r.get(4)?,
                claims: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A demo server running on the caller's tokio runtime; dropping it asks it to stop
/// (use [`DemoServer::shutdown`] to wait for that).
#[derive(Debug)]
pub struct DemoServer {
    info: DemoInfo,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

fn check_config(config: &DemoConfig) -> Result<(), DemoError> {
    if !config.bind.ip().is_loopback() {
        return Err(DemoError::NonLoopbackBind(config.bind));
    }
    if config.pool_size == 0 {
        return Err(DemoError::InvalidConfig(
            "pool_size must be at least 1".into(),
        ));
    }
    if config.password_iterations == 0 {
        return Err(DemoError::InvalidConfig(
            "password_iterations must be at least 1".into(),
        ));
    }
    if config.request_timeout.is_zero() {
        return Err(DemoError::InvalidConfig(
            "request_timeout must not be zero".into(),
        ));
    }
    Ok(())
}

/// Seeds a fresh database in a temporary directory, binds `config.bind` and spawns the
/// server on the current tokio runtime (seeding runs on a blocking thread).
pub async fn serve(config: DemoConfig) -> Result<DemoServer, DemoError> {
    check_config(&config)?;
    // Bind first so that a taken port fails fast, before seconds of seeding; connections
    // arriving meanwhile wait in the backlog.
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| DemoError::io(format!("binding {}", config.bind), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| DemoError::io("reading the bound address", e))?;
    let dir = Arc::new(TempDir::new(config.data_dir.as_deref())?);
    let db_path = dir.0.join("openimis.sqlite3");
    let seed_path = db_path.clone();
    let seed_config = config.clone();
    let (stats, pool) = tokio::task::spawn_blocking(move || -> Result<_, DemoError> {
        let stats = seed_database(&seed_path, &seed_config)?;
        let pool = Pool::open(&seed_path, seed_config.pool_size, seed_config.busy_timeout)?;
        Ok((stats, pool))
    })
    .await
    .map_err(|e| DemoError::Server(format!("seeding task failed: {e}")))??;

    let users = config.users;
    let state = AppState {
        pool,
        metrics: Arc::new(Metrics::default()),
        config: Arc::new(config),
        schema: crate::graphql::schema(),
        jwt: crate::jwt::JwtKey::random(),
        rate_limiter: Arc::default(),
        login_failures: Arc::default(),
        started: std::time::Instant::now(),
        _dir: dir,
    };
    // Client addresses key the rate limit.
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                // A dropped sender also means stop.
                let _ = stopped.await;
            })
            .await
    });
    Ok(DemoServer {
        info: DemoInfo {
            addr,
            stats,
            db_path,
            users,
        },
        stop: Some(stop),
        task: Some(task),
    })
}

impl DemoServer {
    /// Address, seeding statistics and database path.
    pub fn info(&self) -> &DemoInfo {
        &self.info
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.info.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.info.base_url()
    }

    /// How long seeding took.
    pub fn seeding_time(&self) -> Duration {
        self.info.seeding_time()
    }

    /// Row counts of the seeded database.
    pub fn stats(&self) -> &SeedStats {
        self.info.stats()
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 s) and waits
    /// for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A demo server on its own thread and 2-worker tokio runtime, independent of the
/// caller's runtime; dropping it shuts the server down gracefully and joins the thread.
#[derive(Debug)]
pub struct BackgroundDemo {
    info: DemoInfo,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts the demo on a dedicated thread and returns once it is seeded and listening.
pub fn start_in_background(config: DemoConfig) -> Result<BackgroundDemo, DemoError> {
    check_config(&config)?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<DemoInfo, DemoError>>();
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("loadspec-demo".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("loadspec-demo-worker")
                .enable_all()
                .build();
            let runtime = match runtime {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ready_tx.send(Err(DemoError::io("building the tokio runtime", e)));
                    return;
                }
            };
            runtime.block_on(async move {
                match serve(config).await {
                    Ok(server) => {
                        if ready_tx.send(Ok(server.info().clone())).is_ok() {
                            let _ = stopped.await;
                        }
                        server.shutdown().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
            // Blocking DB work of abandoned (timed-out) requests gets a bounded wait.
            runtime.shutdown_timeout(SHUTDOWN_GRACE);
        })
        .map_err(|e| DemoError::io("spawning the server thread", e))?;
    match ready_rx.recv() {
        Ok(Ok(info)) => Ok(BackgroundDemo {
            info,
            stop: Some(stop),
            thread: Some(thread),
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => {
            let _ = thread.join();
            Err(DemoError::Server(
                "the server thread exited before it was ready".into(),
            ))
        }
    }
}

impl BackgroundDemo {
    /// Address, seeding statistics and database path.
    pub fn info(&self) -> &DemoInfo {
        &self.info
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.info.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.info.base_url()
    }

    /// How long seeding took.
    pub fn seeding_time(&self) -> Duration {
        self.info.seeding_time()
    }

    /// Row counts of the seeded database.
    pub fn stats(&self) -> &SeedStats {
        self.info.stats()
    }

    /// Shuts the server down and waits for its thread (same as dropping it).
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for BackgroundDemo {
    fn drop(&mut self) {
        self.stop_inner();
    }
}
