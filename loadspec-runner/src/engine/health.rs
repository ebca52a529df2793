//! The health gate between steps: wait (with backoff) until the target answers 2xx on its
//! health path, run a recovery command once per outage, and report what happened.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt as _;
use tokio::time::Instant;

use super::StopHandle;
use crate::plan::HealthGate;
use loadspec_results::model::{HealthReport, RecoveryReport};

/// First wait between two failed checks; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// One check never waits longer than this for an answer.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of a recovery command's output is kept.
const OUTPUT_LIMIT: usize = 8 * 1024;

/// Polls `target + gate.path` until it answers 2xx or `gate.max_wait` passes.
pub(crate) async fn wait_until_healthy(
    client: &reqwest::Client,
    target: &str,
    gate: &HealthGate,
    stop: &StopHandle,
) -> HealthReport {
    let url = format!("{target}{}", gate.path);
    let started = Instant::now();
    let deadline = started + gate.max_wait;
    let mut backoff = FIRST_BACKOFF;
    let mut attempts = 0;
    let mut down_since: Option<Instant> = None;
    let mut first_error = None;
    let mut recovery = None;
    loop {
        attempts += 1;
        let timeout = CHECK_TIMEOUT
            .min(deadline.saturating_duration_since(Instant::now()))
            .max(Duration::from_millis(50));
        let answer = match client.get(&url).timeout(timeout).send().await {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => Some(format!("{} answered {}", gate.path, response.status())),
            Err(error) => Some(format!("{}: {}", gate.path, crate::user::describe(&error))),
        };
        let Some(problem) = answer else {
            return HealthReport {
                healthy: true,
                waited_s: started.elapsed().as_secs_f64(),
                attempts,
                down_s: down_since.map(|t| t.elapsed().as_secs_f64()),
                first_error,
                recovery,
            };
        };
        down_since.get_or_insert_with(Instant::now);
        first_error.get_or_insert(problem);
        if recovery.is_none()
            && let Some(command) = &gate.on_unhealthy
        {
            recovery = Some(run_recovery(command, gate.recovery_timeout).await);
            continue;
        }
        let now = Instant::now();
        if stop.is_stopped() || now + backoff >= deadline {
            return HealthReport {
                healthy: false,
                waited_s: started.elapsed().as_secs_f64(),
                attempts,
                down_s: down_since.map(|t| t.elapsed().as_secs_f64()),
                first_error,
                recovery,
            };
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Runs `command` with `sh -c`, killing it at `timeout`; keeps the end of its output.
pub(crate) async fn run_recovery(command: &str, timeout: Duration) -> RecoveryReport {
    let started = Instant::now();
    let spawned = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            return RecoveryReport {
                command: command.to_owned(),
                exit_code: None,
                timed_out: false,
                duration_s: started.elapsed().as_secs_f64(),
                output: format!("failed to start: {e}"),
            };
        }
    };
    let (mut stdout, mut stderr) = (child.stdout.take(), child.stderr.take());
    let collect = async {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        if let Some(stdout) = stdout.as_mut() {
            let _ = stdout.read_to_end(&mut out).await;
        }
        if let Some(stderr) = stderr.as_mut() {
            let _ = stderr.read_to_end(&mut err).await;
        }
        out.extend_from_slice(&err);
        out
    };
    let waited = tokio::time::timeout(timeout, async {
        let output = collect.await;
        (child.wait().await, output)
    })
    .await;
    let (exit_code, timed_out, output) = match waited {
        Ok((status, output)) => (status.ok().and_then(|s| s.code()), false, output),
        Err(_) => (None, true, Vec::new()),
    };
    let text = String::from_utf8_lossy(&output);
    let mut start = text.len().saturating_sub(OUTPUT_LIMIT);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    RecoveryReport {
        command: command.to_owned(),
        exit_code,
        timed_out,
        duration_s: started.elapsed().as_secs_f64(),
        output: text[start..].to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn recovery_commands_report_their_output_exit_code_and_timeout() {
        let ok = run_recovery(
            "echo restarting; echo oops >&2; exit 3",
            Duration::from_secs(5),
        )
        .await;
        assert_eq!(ok.exit_code, Some(3));
        assert!(!ok.timed_out);
        assert!(
            ok.output.contains("restarting") && ok.output.contains("oops"),
            "{}",
            ok.output
        );
        let slow = run_recovery("sleep 5", Duration::from_millis(200)).await;
        assert!(slow.timed_out);
        assert_eq!(slow.exit_code, None);
        assert!(slow.duration_s < 2.0);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_unreachable_target_is_reported_unhealthy_within_the_wait() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let gate = HealthGate {
            path: "/health".into(),
            max_wait: Duration::from_millis(800),
            on_unhealthy: Some("echo recovering".into()),
            recovery_timeout: Duration::from_secs(5),
        };
        let tls = crate::user::TlsClient::new(&crate::user::TlsOptions::default()).unwrap();
        let client = tls.configure(reqwest::Client::builder()).build().unwrap();
        let started = std::time::Instant::now();
        let report = wait_until_healthy(
            &client,
            &format!("http://127.0.0.1:{port}"),
            &gate,
            &StopHandle::new(),
        )
        .await;
        assert!(!report.healthy);
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(report.attempts >= 2);
        assert!(report.first_error.unwrap().contains("/health"));
        assert_eq!(report.recovery.unwrap().exit_code, Some(0));
    }
}
