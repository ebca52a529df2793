//! A fixed-size SQLite connection pool whose work runs on tokio's blocking threads.
//!
//! A semaphore hands out the connections asynchronously, so waiting for one never blocks
//! a runtime worker and a timed-out request simply stops waiting. The checked-out
//! connection travels into `spawn_blocking` inside a guard that puts it back when the
//! query ends, even if the request that asked for it was dropped meanwhile: like a
//! Django worker behind a gateway, the database work of a timed-out request still runs
//! to completion and keeps its connection busy.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{DbError, open_connection};
use crate::metrics::RequestTiming;

/// The pool; cheap to clone.
#[derive(Clone)]
pub(crate) struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    size: u32,
    waiting: AtomicU64,
    db_micros_total: AtomicU64,
    busy_errors: AtomicU64,
}

/// A point-in-time view of the pool for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolStats {
    pub(crate) size: u32,
    pub(crate) in_use: u32,
    pub(crate) idle: u32,
    pub(crate) waiting: u64,
    pub(crate) db_seconds_total: f64,
    pub(crate) busy_errors: u64,
}

impl Pool {
    /// Opens `size` connections on the database at `path`.
    pub(crate) fn open(
        path: &Path,
        size: u32,
        busy_timeout: Duration,
    ) -> Result<Self, rusqlite::Error> {
        let conns = (0..size)
            .map(|_| open_connection(path, busy_timeout))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            inner: Arc::new(Inner {
                idle: Mutex::new(conns),
                permits: Arc::new(Semaphore::new(size as usize)),
                size,
                waiting: AtomicU64::new(0),
                db_micros_total: AtomicU64::new(0),
                busy_errors: AtomicU64::new(0),
            }),
        })
    }

    /// Runs `work` on a pooled connection on a blocking thread and adds the time it took
    /// to the current request's `Server-Timing` `db` entry.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let mut checkout = self.checkout().await?;
        let handle = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let result = match checkout.conn.as_mut() {
                Some(conn) => work(conn),
                None => Err(DbError::Task("connection missing from checkout".into())),
            };
            (result, started.elapsed())
        });
        let (result, elapsed) = handle.await.map_err(|e| DbError::Task(e.to_string()))?;
        self.account(elapsed, u64::from(matches!(result, Err(DbError::Busy))));
        result
    }

    /// Runs a whole request's database work on one pooled connection on a blocking
    /// thread, as a Django worker holds one connection per request: `work` gets a
    /// [`RequestDb`] whose every call is timed into `Server-Timing` and the pool's totals.
    pub(crate) async fn run_request<T, F>(&self, work: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(RequestDb) -> T + Send + 'static,
    {
        let checkout = self.checkout().await?;
        let handle = tokio::task::spawn_blocking(move || {
            let db = RequestDb {
                inner: Arc::new(RequestInner {
                    checkout: Mutex::new(checkout),
                    micros: AtomicU64::new(0),
                    busy: AtomicU64::new(0),
                }),
            };
            let result = work(db.clone());
            let micros = db.inner.micros.load(Ordering::Relaxed);
            let busy = db.inner.busy.load(Ordering::Relaxed);
            (result, Duration::from_micros(micros), busy)
        });
        let (result, elapsed, busy) = handle.await.map_err(|e| DbError::Task(e.to_string()))?;
        self.account(elapsed, busy);
        Ok(result)
    }

    /// Waits for a permit, then takes an idle connection.
    async fn checkout(&self) -> Result<Checkout, DbError> {
        let permit = {
            self.inner.waiting.fetch_add(1, Ordering::Relaxed);
            let _waiting = Decrement(&self.inner.waiting);
            Arc::clone(&self.inner.permits)
                .acquire_owned()
                .await
                .map_err(|_| DbError::Task("connection pool closed".into()))?
        };
        let conn = lock(&self.inner.idle).pop();
        let Some(conn) = conn else {
            // Unreachable while permits == connections; answer an error rather than panic.
            return Err(DbError::Task("no idle connection despite a permit".into()));
        };
        Ok(Checkout {
            conn: Some(conn),
            inner: Arc::clone(&self.inner),
            _permit: permit,
        })
    }

    fn account(&self, elapsed: Duration, busy_errors: u64) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.inner
            .db_micros_total
            .fetch_add(micros, Ordering::Relaxed);
        RequestTiming::add_db(elapsed);
        self.inner
            .busy_errors
            .fetch_add(busy_errors, Ordering::Relaxed);
    }

    /// Current gauges.
    pub(crate) fn stats(&self) -> PoolStats {
        let idle = u32::try_from(lock(&self.inner.idle).len()).unwrap_or(u32::MAX);
        PoolStats {
            size: self.inner.size,
            in_use: self.inner.size.saturating_sub(idle),
            idle,
            waiting: self.inner.waiting.load(Ordering::Relaxed),
            db_seconds_total: self.inner.db_micros_total.load(Ordering::Relaxed) as f64 / 1e6,
            busy_errors: self.inner.busy_errors.load(Ordering::Relaxed),
        }
    }
}

/// Returns the connection to the pool before the permit is released (fields drop after
/// `drop` runs), so a new permit holder always finds an idle connection.
struct Checkout {
    conn: Option<Connection>,
    inner: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Checkout {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            lock(&self.inner.idle).push(conn);
        }
    }
}

/// One request's pooled connection, shared by the resolvers of that request (they run one
/// after the other on the request's blocking thread; the mutex is never contended). The
/// connection goes back to the pool when the last clone is dropped.
#[derive(Clone)]
pub(crate) struct RequestDb {
    inner: Arc<RequestInner>,
}

struct RequestInner {
    checkout: Mutex<Checkout>,
    micros: AtomicU64,
    busy: AtomicU64,
}

impl RequestDb {
    /// Runs one database call on the request's connection, timing it.
    pub(crate) fn with<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut checkout = lock(&self.inner.checkout);
        let started = Instant::now();
        let result = match checkout.conn.as_mut() {
            Some(conn) => work(conn),
            None => Err(DbError::Task("connection missing from checkout".into())),
        };
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.inner.micros.fetch_add(micros, Ordering::Relaxed);
        if matches!(result, Err(DbError::Busy)) {
            self.inner.busy.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
}

struct Decrement<'a>(&'a AtomicU64);

impl Drop for Decrement<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Locks a mutex, recovering from poisoning: the guarded data (a list of connections)
/// stays consistent even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
