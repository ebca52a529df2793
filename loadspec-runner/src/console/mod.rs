//! The console: a live progress bar per step (hidden when stderr is not a terminal) and an
//! end-of-step table on stdout.

pub use loadspec_report::text::criteria_matrix;

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::{Observer, Progress};
use crate::plan::{Mode, RunPlan, StepPlan};
use loadspec_report::text::Table;
use loadspec_results::model::{LabelSummary, RunResults, SaturationCause, StepResult};

/// Prints progress and per-step tables.
#[derive(Debug, Default)]
pub struct Console {
    bar: Option<ProgressBar>,
}

impl Console {
    /// A console observer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Observer for Console {
    fn step_started(&mut self, plan: &RunPlan, step: &StepPlan) {
        let users: Vec<String> = plan
            .scenarios
            .iter()
            .zip(&step.users)
            .map(|(p, n)| {
                if plan.scenarios.len() == 1 {
                    format!("{n} users")
                } else {
                    format!("{} × {n}", p.scenario.name())
                }
            })
            .collect();
        let shape = match (plan.mode, step.iterations) {
            (Mode::Smoke, _) => "smoke: 1 user, 1 iteration".to_owned(),
            (Mode::Full, Some(n)) => format!("{n} iterations per user"),
            (Mode::Full, None) => format!(
                "{}{}{}hold {}",
                plan.profile.as_str(),
                if step.ramp_up.is_zero() {
                    " · ".to_owned()
                } else {
                    format!(" · ramp-up {} · ", human(step.ramp_up))
                },
                if step.warmup.is_zero() {
                    String::new()
                } else {
                    format!("warm-up {} (not measured) · ", human(step.warmup))
                },
                human(step.hold)
            ),
        };
        println!(
            "{} · step {}/{} · {} · {}",
            plan.name,
            step.index + 1,
            plan.steps.len(),
            users.join(", "),
            shape
        );
        let bar = ProgressBar::new(step.stop_at.as_millis() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("  [{bar:30}] {msg}").map(|s| s.progress_chars("=> "))
        {
            bar.set_style(style);
        }
        self.bar = Some(bar);
    }

    fn tick(&mut self, progress: &Progress) {
        if let Some(bar) = &self.bar {
            bar.set_length(progress.planned.as_millis() as u64);
            bar.set_position(progress.elapsed.as_millis() as u64);
            bar.set_message(format!(
                "{}/{} · {} users · {:.0} req/s · {} requests · {} failed",
                human_secs(progress.elapsed),
                human_secs(progress.planned),
                progress.active_users,
                progress.requests_per_s,
                progress.requests,
                progress.failures,
            ));
        }
    }

    fn lifecycle(&mut self, report: &loadspec_results::model::LifecycleReport) {
        match &report.error {
            None => println!(
                "{} · {} · ok in {:.2} s",
                report.scenario, report.hook, report.duration_s
            ),
            Some(error) => println!(
                "{} · {} · FAILED after {:.2} s: {error}",
                report.scenario, report.hook, report.duration_s
            ),
        }
    }

    fn step_finished(&mut self, _plan: &RunPlan, step: &StepResult) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        print!("{}", step_table(step));
    }
}

/// The end-of-step table: per scenario, its transactions, request labels and total; then the
/// machine's usage and the generator's health.
pub fn step_table(step: &StepResult) -> String {
    let mut out = String::new();
    if let Some(reason) = &step.status_reason {
        out.push_str(&format!("  {:?}: {reason}\n", step.status));
    }
    for s in &step.scenarios {
        let it = &s.iterations;
        out.push_str(&format!(
            "  {} · {} users · {:.1} s measured · {} iterations ({} failed{}) · {} requests ({:.1}/s, {} failed)\n",
            s.scenario,
            s.users,
            step.measured_s,
            it.count,
            it.failures,
            if s.interrupted_iterations > 0 { format!(", {} cut off", s.interrupted_iterations) } else { String::new() },
            s.total_requests.count,
            s.total_requests.throughput_per_s,
            s.total_requests.failures,
        ));
        if let Some(lag) = &s.start_lag {
            out.push_str(&format!(
                "    open model: {:.1} iterations/s started · {} arrivals dropped (no free user) · start lag p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms\n",
                it.throughput_per_s, s.dropped_iterations, lag.p50_ms, lag.p99_ms, lag.max_ms,
            ));
        }
        let mut table = Table::new(&[
            "", "count", "fail%", "mean", "p50", "p90", "p95", "p99", "max", "/s", "req/tx",
        ]);
        for t in &s.transactions {
            table.row(row(&format!("tx {}", t.label), t));
        }
        for r in &s.requests {
            table.row(row(&r.label, r));
        }
        if s.requests.len() > 1 {
            table.row(row("Total", &s.total_requests));
        }
        out.push_str(&table.render("    "));
        for label in s
            .transactions
            .iter()
            .chain(&s.requests)
            .chain(std::iter::once(&s.iterations))
        {
            for e in &label.errors {
                out.push_str(&format!(
                    "    ! {} · {} × {}: {}\n",
                    label.label, e.count, e.kind, e.sample
                ));
            }
        }
        for label in s.transactions.iter().chain(&s.requests) {
            if let Some(lock) = &label.lockouts {
                out.push_str(&format!(
                    "    ! LOCKED OUT · {} · {} failures say an account was locked: {}\n",
                    label.label, lock.count, lock.sample
                ));
            }
        }
    }
    if let Some(line) = loadspec_report::html::step_rate_limit_line(step) {
        out.push_str(&format!("  ! {line}\n"));
    }
    out.push_str(&machine_line(step));
    out
}

/// One line on this machine and who used its CPU during the step, with a warning when the
/// step's numbers are unreliable saying whether loadspec itself or the rest of the machine was
/// the limit.
fn machine_line(step: &StepResult) -> String {
    let mut out = String::new();
    let samples = &step.system;
    if !samples.is_empty() {
        let mean = |f: fn(&loadspec_results::model::SystemSample) -> f64| {
            samples.iter().map(f).sum::<f64>() / samples.len() as f64
        };
        let used =
            samples.iter().map(|s| s.mem_used).max().unwrap_or(0) as f64 / (1u64 << 30) as f64;
        out.push_str(&format!(
            "  machine: cpu {:.0}% busy ({:.0}% iowait) · loadspec workers {:.0}% of a core",
            mean(|s| s.cpu_user + s.cpu_system),
            mean(|s| s.cpu_iowait),
            mean(|s| s.generator_cpu),
        ));
        // Results written before the split was recorded have only the process's figure.
        match step
            .generator
            .as_ref()
            .filter(|g| g.machine_busy_mean > 0.0)
        {
            Some(g) => out.push_str(&format!(
                " · rest of this process {:.0}% of a core · other processes {:.0}% of a core",
                g.process_rest_cpu_mean, g.other_processes_cpu_mean
            )),
            None => out.push_str(&format!(
                " · loadspec process {:.0}% of a core",
                mean(|s| s.process_cpu)
            )),
        }
        out.push_str(&format!(" · memory {used:.1} GiB used"));
        if let Some(g) = &step.generator {
            out.push_str(&format!(" · timer lag p99 {:.1} ms", g.lag_p99_ms));
        }
        out.push('\n');
    }
    if let Some(g) = &step.generator {
        let cause = g.saturation();
        let consequence = match cause {
            SaturationCause::None => None,
            SaturationCause::Generator => Some(
                "this step measured loadspec as much as the target, its verdicts are unreliable",
            ),
            SaturationCause::SameProcess | SaturationCause::OtherProcesses => Some(
                "loadspec's workers competed with them for the CPU, so this step's times may include waiting for it; its verdicts are unreliable",
            ),
        };
        if let Some(consequence) = consequence {
            out.push_str(&format!(
                "  ! {}{}: {}; {consequence}\n",
                cause.flag(),
                cause.mark(),
                g.describe()
            ));
        }
    }
    out
}

fn row(label: &str, s: &LabelSummary) -> Vec<String> {
    let ms = |v: f64| format!("{v:.1}");
    vec![
        label.to_owned(),
        s.count.to_string(),
        format!("{:.2}%", s.error_rate * 100.0),
        ms(s.mean_ms),
        ms(s.p50_ms),
        ms(s.p90_ms),
        ms(s.p95_ms),
        ms(s.p99_ms),
        ms(s.max_ms),
        format!("{:.1}", s.throughput_per_s),
        s.requests_per_transaction
            .map_or_else(String::new, |r| format!("{r:.1}")),
    ]
}

/// One line per run: where the results are.
pub fn run_summary(results: &RunResults, path: &std::path::Path) -> String {
    let requests: u64 = results
        .steps
        .iter()
        .flat_map(|s| &s.scenarios)
        .map(|s| s.total_requests.count)
        .sum();
    let failures: u64 = results
        .steps
        .iter()
        .flat_map(|s| &s.scenarios)
        .map(|s| s.total_requests.failures)
        .sum();
    format!(
        "{} · {:?} · {} steps · {requests} requests, {failures} failed · {:.1} s · results: {}",
        results.run.name,
        results.run.status,
        results.steps.len(),
        results.run.duration_s,
        path.display()
    )
}

fn human(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

fn human_secs(d: Duration) -> String {
    format!("{:.0}s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use loadspec_results::histogram::{new_histogram, record};

    /// A step on a 2-core machine `busy` percent busy, the process at `process_cpu` and its
    /// workers at `generator_cpu` (percent of one core), the timers `lag_ms` late.
    fn step(busy: f64, process_cpu: f64, generator_cpu: f64, lag_ms: u64) -> StepResult {
        let mut step: StepResult = serde_json::from_value(serde_json::json!({
            "index": 0, "started_at": "2026-11-27T12:00:00Z", "offset_s": 0.0,
            "duration_s": 1.0, "measured_from_s": 0.0, "measured_s": 1.0,
            "status": "completed", "scenarios": [],
            "system": [{"t_s": 1.0, "cpu_user": busy, "cpu_system": 0.0, "cpu_iowait": 0.0,
                "cpu_idle": 100.0 - busy, "cpu_per_core": [busy, busy], "mem_used": 0,
                "mem_available": 0, "swap_used": 0, "disk_read_bps": 0.0,
                "disk_write_bps": 0.0, "net": [], "load": [0.0, 0.0, 0.0],
                "process_cpu": process_cpu, "generator_cpu": generator_cpu,
                "process_rss": 0}]
        }))
        .unwrap_or_else(|e| panic!("synthetic step: {e}"));
        let mut lag = new_histogram();
        record(&mut lag, lag_ms * 1000);
        step.generator = Some(crate::monitor::guard::judge(&step.system, &lag, 2));
        step
    }

    #[test]
    fn the_flag_says_who_took_the_cpu() {
        let embedded = step_table(&step(97.0, 172.0, 31.0, 12));
        assert!(
            embedded.contains(
                "  machine: cpu 97% busy (0% iowait) · loadspec workers 31% of a core · rest of this process 141% of a core · other processes 22% of a core"
            ),
            "{embedded}"
        );
        assert!(
            embedded.contains(
                "  ! MACHINE-SATURATED†: the machine was saturated (CPU 97% busy) by the rest of this process"
            ) && !embedded.contains("GENERATOR-BOUND"),
            "{embedded}"
        );
        let others = step_table(&step(95.0, 35.0, 30.0, 1));
        assert!(others.contains("  ! MACHINE-SATURATED‡: "), "{others}");
        let busy = step_table(&step(97.0, 190.0, 188.0, 1));
        assert!(
            busy.contains(
                "  ! GENERATOR-BOUND*: loadspec itself was the limit: the workers used 94%"
            ),
            "{busy}"
        );
        let calm = step_table(&step(30.0, 40.0, 35.0, 1));
        assert!(!calm.contains("  ! "), "{calm}");
    }
}
