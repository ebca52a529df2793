//! Worker threads: each runs a single-threaded tokio runtime with its own users, its own HTTP
//! connection pool and its own recorder, so the hot path takes no lock and crosses no thread.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::LocalSet;

use super::open::OpenOrder;
use super::vu::{self, StepTiming, UserOrder};
use crate::error::RunError;
use crate::metrics::recorder::{Interval, Recorder};
use crate::metrics::unreachable::UnreachableAlarm;
use crate::plan::RunPlan;
use crate::user::UserContext;

const THREAD_PREFIX: &str = crate::monitor::WORKER_THREAD_PREFIX;

/// What the coordinator asks of a worker.
pub(crate) enum Command {
    /// Start these users for a step; answer `done` with the last interval once all stopped.
    StartStep {
        timing: StepTiming,
        users: Vec<UserOrder>,
        /// Open-model scenarios: this worker's share of their arrivals.
        open: Vec<OpenOrder>,
        /// Each scenario's setup value.
        shared: Vec<Option<crate::user::SharedData>>,
        done: oneshot::Sender<Interval>,
    },
    /// Hand over the current interval.
    Flush(oneshot::Sender<Interval>),
    /// Stop the current step: no new iterations; in-flight ones get the interrupt grace.
    StopStep,
}

/// The coordinator's end of a worker.
pub(crate) struct Worker {
    commands: mpsc::UnboundedSender<Command>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts worker `id`; the runtime and HTTP client are built here so failures surface to
    /// the caller instead of dying on the thread.
    pub(crate) fn start(
        id: usize,
        plan: Arc<RunPlan>,
        alarm: Arc<UnreachableAlarm>,
    ) -> Result<Self, RunError> {
        quiet_scenario_panics();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| RunError::Start {
                what: "worker runtime",
                source,
            })?;
        let clients = plan
            .scenarios
            .iter()
            .map(|planned| {
                // reqwest's pooled connections are the worker's: they come from one address.
                let source = match plan.source_addresses.len() {
                    0 => None,
                    n => Some(plan.source_addresses[id % n]),
                };
                build_client(planned, &plan.tls_client, source)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (commands, receiver) = mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name(format!("{THREAD_PREFIX}{id}"))
            .spawn(move || {
                let local = LocalSet::new();
                local.block_on(&runtime, serve(receiver, plan, clients, alarm));
            })
            .map_err(|source| RunError::Start {
                what: "worker thread",
                source,
            })?;
        Ok(Self {
            commands,
            thread: Some(thread),
        })
    }

    pub(crate) fn send(&self, command: Command) -> Result<(), RunError> {
        self.commands
            .send(command)
            .map_err(|_| RunError::WorkerLost)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the channel ends the worker's loop; joining makes sure its users are gone.
        let (closed, _) = mpsc::unbounded_channel();
        drop(std::mem::replace(&mut self.commands, closed));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How often the lag probe's timer is due.
const LAG_PROBE: std::time::Duration = std::time::Duration::from_millis(100);

/// Measures scheduling lag: how late a timer due every [`LAG_PROBE`] fires. A worker busy with
/// users (or blocked by a scenario doing synchronous work) fires it late.
async fn probe_lag(recorder: Rc<RefCell<Recorder>>) {
    let mut due = tokio::time::Instant::now() + LAG_PROBE;
    loop {
        tokio::time::sleep_until(due).await;
        let now = tokio::time::Instant::now();
        recorder
            .borrow_mut()
            .record_lag(now.saturating_duration_since(due).as_micros() as u64);
        due = (due + LAG_PROBE).max(now + LAG_PROBE / 2);
    }
}

/// Prints the first panic on a worker thread and keeps the rest quiet: a scenario that panics
/// on every iteration would otherwise flood the console, and every panic is already counted,
/// with its message, in the results.
fn quiet_scenario_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        let printed = AtomicBool::new(false);
        std::panic::set_hook(Box::new(move |info| {
            let on_worker = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with(THREAD_PREFIX));
            if !on_worker {
                previous(info);
            } else if !printed.swap(true, Ordering::Relaxed) {
                previous(info);
                eprintln!(
                    "loadspec: further panics in scenarios are counted in the results, not printed"
                );
            }
        }));
    });
}

/// One client per worker and scenario: its pool holds one keep-alive connection per
/// concurrently busy user, with the scenario's connect, read and request timeouts.
///
/// The request timeout is the client's default rather than set on each request (which costs
/// reqwest an allocation per request); [`serve`] tells the recorder so, and
/// `RequestBuilder::timeout` still overrides it. Retries are off the way reqwest's own default
/// policy is without HTTP/2 (it retries only HTTP/2 and HTTP/3 refusals, which an HTTP/1
/// client never sees), but without copying every request in case it is retried.
fn build_client(
    planned: &crate::plan::PlannedScenario,
    tls: &crate::user::TlsClient,
    source: Option<std::net::IpAddr>,
) -> Result<reqwest::Client, RunError> {
    let mut builder = tls
        .configure(reqwest::Client::builder())
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(usize::MAX)
        .retry(reqwest::retry::never().max_retries_per_request(0))
        // Redirects are followed by `user::transport`, which keeps each hop's cookies.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(planned.request_timeout)
        .connect_timeout(planned.connect_timeout)
        .local_address(source);
    if let Some(read_timeout) = planned.read_timeout {
        builder = builder.read_timeout(read_timeout);
    }
    builder.build().map_err(RunError::HttpClient)
}

/// The direct client's timeouts and body limit for a scenario's users, unless the plan sends
/// everything through reqwest.
pub(super) fn direct_client(
    plan: &RunPlan,
    planned: &crate::plan::PlannedScenario,
) -> Option<crate::user::DirectSettings> {
    (plan.http_client == crate::plan::HttpClient::Direct).then_some(crate::user::DirectSettings {
        connect: planned.connect_timeout,
        read: planned.read_timeout,
        version: plan.http_version,
        max_body: plan.max_response_body,
    })
}

async fn serve(
    mut commands: mpsc::UnboundedReceiver<Command>,
    plan: Arc<RunPlan>,
    clients: Vec<reqwest::Client>,
    alarm: Arc<UnreachableAlarm>,
) {
    let recorder = Rc::new(RefCell::new(Recorder::new(
        plan.scenarios.len(),
        plan.sample_log.is_some(),
    )));
    recorder
        .borrow_mut()
        .set_expected_interval(plan.expected_interval.map(|i| i.as_micros() as u64));
    // Every client of this worker was built by `build_client`, with the request timeout.
    recorder
        .borrow_mut()
        .set_clients_apply_request_timeout(true);
    recorder.borrow_mut().arm_unreachable_alarm(
        plan.scenarios
            .iter()
            .map(|planned| planned.abort_after_consecutive_errors)
            .collect(),
        alarm,
    );
    let contexts: Vec<Rc<UserContext>> = plan
        .scenarios
        .iter()
        .enumerate()
        .map(|(scenario, planned)| {
            Rc::new(UserContext {
                scenario,
                scenario_name: Arc::from(planned.scenario.name()),
                client: clients[scenario].clone(),
                direct: direct_client(&plan, planned),
                tls: Arc::clone(&plan.tls_client),
                sources: Arc::clone(&plan.source_addresses),
                base_url: plan.target.clone().into_boxed_str(),
                recorder: Rc::clone(&recorder),
                hung_after: planned.hung_after,
                request_timeout: planned.request_timeout,
                max_response_body: plan.max_response_body,
                pauses: plan.mode == crate::plan::Mode::Full,
                redact: plan.redact,
                shared: RefCell::new(None),
                patterns: RefCell::default(),
            })
        })
        .collect();
    tokio::task::spawn_local(probe_lag(Rc::clone(&recorder)));
    // Each step has its own stop signal, so stopping one step never leaks into the next.
    let mut stop_step: Option<watch::Sender<bool>> = None;
    while let Some(command) = commands.recv().await {
        match command {
            Command::StartStep {
                timing,
                users,
                open,
                shared,
                done,
            } => {
                for (ctx, value) in contexts.iter().zip(shared) {
                    *ctx.shared.borrow_mut() = value;
                }
                let (stop, stopped) = watch::channel(false);
                stop_step = Some(stop);
                let handles: Vec<_> = users
                    .into_iter()
                    .map(|order| {
                        let ctx = Rc::clone(&contexts[order.scenario]);
                        let user =
                            vu::run_user(ctx, Arc::clone(&plan), order, timing, stopped.clone());
                        tokio::task::spawn_local(user)
                    })
                    .collect();
                let handles = handles.into_iter().chain(open.into_iter().map(|order| {
                    let ctx = Rc::clone(&contexts[order.scenario]);
                    tokio::task::spawn_local(super::open::dispatch(
                        ctx,
                        Arc::clone(&plan),
                        order,
                        timing,
                        stopped.clone(),
                    ))
                }));
                let handles: Vec<_> = handles.collect();
                let recorder = Rc::clone(&recorder);
                tokio::task::spawn_local(async move {
                    for handle in handles {
                        // A user task only ends in error if our own code panicked; the others go on.
                        let _ = handle.await;
                    }
                    let _ = done.send(recorder.borrow_mut().take_interval());
                });
            }
            Command::Flush(reply) => {
                let _ = reply.send(recorder.borrow_mut().take_interval());
            }
            Command::StopStep => {
                if let Some(stop) = &stop_step {
                    let _ = stop.send(true);
                }
            }
        }
    }
}
