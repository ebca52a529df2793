//! What the modules of this binary share.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Held for its whole run by every test that measures time — rates, latencies, timeouts,
/// per-second series, start alignment — and by the few that keep the CPU busy for seconds
/// (compiling, spinning, big renders). libtest runs this binary's tests on one thread per core
/// and a loopback load test shares the machine with its own target: beside another run or a
/// compile on 2 cores its numbers would measure the neighbour. Tests that only count run
/// beside them. A test that failed while holding it must not fail every later one, hence the
/// poison is ignored.
pub(crate) fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}
