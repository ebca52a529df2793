//! Aligned starts of a sharded run (`--start-at`): waiting for a step's moment.

use std::time::{Duration, SystemTime};

use loadspec_results::rfc3339;

use super::StopHandle;
use crate::plan::shard::{LATE_WARNING, step_start_at};
use crate::plan::{RunPlan, StepPlan};

/// Waits until `step`'s aligned start ([`step_start_at`]), or until `stop` is triggered.
/// Returns a warning when the step starts more than [`LATE_WARNING`] late.
pub(crate) async fn wait_for_step(
    plan: &RunPlan,
    step: &StepPlan,
    stop: &StopHandle,
) -> Option<String> {
    let at = step_start_at(plan, step.index)?;
    loop {
        if stop.is_stopped() {
            return None;
        }
        match at.duration_since(SystemTime::now()) {
            Ok(left) if !left.is_zero() => {
                tokio::time::sleep(left.min(Duration::from_millis(100))).await;
            }
            Ok(_) => return None,
            Err(late) if late.duration() > LATE_WARNING => {
                let who = plan
                    .shard
                    .as_ref()
                    .map_or_else(|| "this run".to_owned(), |s| format!("shard {}", s.spec));
                let message = format!(
                    "{who} started step {} {:.1} s after its aligned time {} (--start-at): it lagged the other shards by as much",
                    step.index + 1,
                    late.duration().as_secs_f64(),
                    rfc3339(at)
                );
                eprintln!("warning: {message}");
                return Some(message);
            }
            Err(_) => return None,
        }
    }
}
