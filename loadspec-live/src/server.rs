//! The live outputs' thread: the dashboard (page, server-sent events, stop, report), the
//! Prometheus endpoint and the OTLP pusher, all on one current-thread runtime.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use futures::Stream;
use tokio::sync::{broadcast, oneshot};

use crate::{Shared, otlp, prometheus};

/// The dashboard page: markup, the report's style sheet and the script, one file, no fetch
/// outside this server.
fn page() -> String {
    include_str!("dashboard.html")
        .replace("/*STYLE*/", loadspec_report::STYLE)
        .replace("/*SCRIPT*/", include_str!("dashboard.js"))
}

pub(crate) async fn serve(
    shared: Arc<Shared>,
    dashboard: Option<std::net::TcpListener>,
    metrics: Option<std::net::TcpListener>,
    otlp: Option<(reqwest::Client, String, Duration)>,
    stopped: oneshot::Receiver<()>,
) {
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(listener) = dashboard.and_then(|l| tokio::net::TcpListener::from_std(l).ok()) {
        let app = Router::new()
            .route("/", get(index))
            .route("/events", get(events))
            .route("/snapshot", get(snapshot))
            .route("/metrics", get(metrics_text))
            .route("/stop", post(stop))
            .route("/report", get(report))
            .with_state(Arc::clone(&shared));
        tasks.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }
    if let Some(listener) = metrics.and_then(|l| tokio::net::TcpListener::from_std(l).ok()) {
        let app = Router::new()
            .route("/metrics", get(metrics_text))
            .with_state(Arc::clone(&shared));
        tasks.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }
    if let Some((client, url, every)) = otlp {
        let shared = Arc::clone(&shared);
        tasks.spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let body = otlp::build(&shared.state());
                let outcome = otlp::push(&client, &url, &body).await;
                shared.tally(outcome);
            }
        });
    }
    // Dropping the tasks closes every connection, event streams included.
    let _ = stopped.await;
    tasks.abort_all();
}

async fn index(State(shared): State<Arc<Shared>>) -> Response {
    // After the run the page is the report.
    if let Some((_, Some(html))) = &shared.state().finished {
        return Html(html.clone()).into_response();
    }
    no_store(Html(page()).into_response())
}

async fn report(State(shared): State<Arc<Shared>>) -> Response {
    let html = match &shared.state().finished {
        Some((_, Some(html))) => Some(html.clone()),
        _ => None,
    };
    match html {
        Some(html) => {
            shared.report_fetches.fetch_add(1, Ordering::SeqCst);
            no_store(Html(html).into_response())
        }
        None => (
            StatusCode::NOT_FOUND,
            "the report is written when the run ends\n",
        )
            .into_response(),
    }
}

async fn snapshot(State(shared): State<Arc<Shared>>) -> Response {
    let body = shared.state().snapshot().to_string();
    no_store(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn metrics_text(State(shared): State<Arc<Shared>>) -> Response {
    let body = prometheus::render(&shared.state());
    ([(header::CONTENT_TYPE, prometheus::CONTENT_TYPE)], body).into_response()
}

#[derive(serde::Deserialize)]
struct StopQuery {
    token: Option<String>,
}

async fn stop(State(shared): State<Arc<Shared>>, Query(query): Query<StopQuery>) -> Response {
    match query.token {
        Some(token) if token == shared.token => {
            (shared.on_stop)();
            shared.send("stopping", &serde_json::json!({}));
            (
                StatusCode::ACCEPTED,
                "stopping: the step in flight ends now and the results are written\n",
            )
                .into_response()
        }
        Some(_) => (
            StatusCode::FORBIDDEN,
            "wrong token: it is printed on the console where the run started\n",
        )
            .into_response(),
        None => (
            StatusCode::BAD_REQUEST,
            "the stop token is missing (?token=…)\n",
        )
            .into_response(),
    }
}

/// Counts a connected dashboard for as long as its stream lives.
struct Viewer(Arc<Shared>);

impl Drop for Viewer {
    fn drop(&mut self) {
        self.0.viewers.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    shared.viewers.fetch_add(1, Ordering::SeqCst);
    let receiver = shared.events.subscribe();
    let first = shared.state().snapshot().to_string();
    let viewer = Viewer(Arc::clone(&shared));
    let stream = futures::stream::unfold(
        (Some(first), receiver, viewer),
        |(first, mut receiver, viewer)| async move {
            if let Some(snapshot) = first {
                let event = SseEvent::default().event("snapshot").data(snapshot);
                return Some((Ok(event), (None, receiver, viewer)));
            }
            let event = match receiver.recv().await {
                Ok(event) => SseEvent::default().event(event.0).data(event.1.clone()),
                // A page too slow to keep up gets the whole state again.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let snapshot = viewer.0.state().snapshot().to_string();
                    SseEvent::default().event("snapshot").data(snapshot)
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            Some((Ok(event), (None, receiver, viewer)))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(5)))
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}
