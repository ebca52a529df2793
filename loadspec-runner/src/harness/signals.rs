//! Ctrl-C and SIGTERM while a suite runs: the first stops the current run gracefully (in-flight
//! requests get a short grace, every file is written, the run is marked interrupted); a second
//! exits at once, leaving the last checkpoint of `results.json` (written after every step).

use std::sync::{Arc, Mutex, OnceLock};

use crate::engine::StopHandle;
use crate::error::exit_code;

/// The run the signals stop, if one is in progress.
#[derive(Debug, Clone, Default)]
pub(crate) struct SignalGuard {
    current: Arc<Mutex<Option<StopHandle>>>,
}

static GUARD: OnceLock<SignalGuard> = OnceLock::new();

impl SignalGuard {
    /// The process's guard; the listener thread starts on first use.
    pub(crate) fn install() -> &'static SignalGuard {
        GUARD.get_or_init(|| {
            let guard = SignalGuard::default();
            let listener = guard.clone();
            let started = std::thread::Builder::new().name("loadspec-signals".into()).spawn(move || listener.listen());
            if let Err(e) = started {
                eprintln!("warning: Ctrl-C will not stop runs gracefully: failed to start the signal thread: {e}");
            }
            guard
        })
    }

    /// Makes `stop` the run that the next signal stops.
    pub(crate) fn watch(&self, stop: &StopHandle) {
        if let Ok(mut current) = self.current.lock() {
            *current = Some(stop.clone());
        }
    }

    /// No run in progress: a signal exits at once.
    pub(crate) fn clear(&self) {
        if let Ok(mut current) = self.current.lock() {
            *current = None;
        }
    }

    fn listen(self) {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            eprintln!(
                "warning: Ctrl-C will not stop runs gracefully: no runtime for the signal thread"
            );
            return;
        };
        runtime.block_on(async move {
            #[cfg(unix)]
            let mut terminate =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            loop {
                #[cfg(unix)]
                let terminated = async {
                    match terminate.as_mut() {
                        Some(signal) => {
                            signal.recv().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                #[cfg(not(unix))]
                let terminated = std::future::pending::<()>();
                tokio::select! {
                    result = tokio::signal::ctrl_c() => {
                        if result.is_err() {
                            return;
                        }
                    }
                    () = terminated => {}
                }
                self.on_signal();
            }
        });
    }

    fn on_signal(&self) {
        let current = self.current.lock().ok().and_then(|c| c.clone());
        match current {
            Some(stop) if !stop.is_stopped() => {
                eprintln!(
                    "\nloadspec: stopping — requests in flight get {} s, then the results are written; press Ctrl-C again to exit now",
                    crate::plan::defaults::INTERRUPT_GRACE.as_secs()
                );
                stop.stop();
            }
            _ => {
                eprintln!("\nloadspec: exiting now; results.json holds the last completed step");
                std::process::exit(i32::from(exit_code::INTERRUPTED));
            }
        }
    }
}
