//! `loadspec`: work with stored results — compare a run with a baseline (nightly CI).
//!
//! ```text
//! loadspec compare baseline/results.json current/results.json [--stat p95] [--tolerance 10%]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use loadspec_runner::compare::{CompareOptions, Comparison, compare};
use loadspec_runner::criteria::{Metric, Verdict};
use loadspec_runner::exit_code;
use loadspec_runner::results;

#[derive(Debug, Parser)]
#[command(
    name = "loadspec",
    version,
    about = "Works with loadspec results files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compares a run with a baseline: per transaction changes, regressions, re-judged criteria.
    /// Exits with 3 on a regression or a failed criterion.
    Compare {
        /// The baseline's results.json
        baseline: PathBuf,
        /// The current run's results.json
        current: PathBuf,
        /// Time statistic to compare: mean, p50, p90, p95, p99, p999 or max
        #[arg(long, default_value = "p95", value_parser = statistic)]
        stat: Metric,
        /// Slowdown or throughput drop that counts as a regression
        #[arg(long, default_value = "10%", value_parser = percent)]
        tolerance: f64,
        /// Rise of an error rate (in points) that counts as a regression
        #[arg(long, default_value = "0.5%", value_parser = percent)]
        error_tolerance: f64,
        /// Print the comparison as JSON instead of a table
        #[arg(long)]
        json: bool,
    },
}

fn statistic(text: &str) -> Result<Metric, String> {
    Metric::parse(text)
        .filter(|m| m.is_time())
        .ok_or_else(|| "expected mean, p50, p90, p95, p99, p999 or max".into())
}

fn percent(text: &str) -> Result<f64, String> {
    loadspec_units::percent(text).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(exit_code::CONFIG)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Compare {
            baseline,
            current,
            stat,
            tolerance,
            error_tolerance,
            json,
        } => {
            let load = |path: &PathBuf| results::load(path);
            let (baseline, current) = match (load(&baseline), load(&current)) {
                (Ok(b), Ok(c)) => (b, c),
                (Err(e), _) | (_, Err(e)) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(exit_code::CONFIG);
                }
            };
            let options = CompareOptions {
                statistic: stat,
                tolerance,
                error_tolerance,
            };
            let comparison = compare(&baseline, &current, &options);
            if json {
                match serde_json::to_string_pretty(&comparison) {
                    Ok(text) => println!("{text}"),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(exit_code::RUN_ERROR);
                    }
                }
            } else {
                print!("{}", render(&comparison, &options));
            }
            let failed =
                comparison.regressions > 0 || comparison.current_verdict == Some(Verdict::Fail);
            ExitCode::from(if failed {
                exit_code::FAILED
            } else {
                exit_code::SUCCESS
            })
        }
    }
}

fn render(c: &Comparison, options: &CompareOptions) -> String {
    let mut out = String::new();
    let pct = |b: f64, c: f64| {
        if b > 0.0 {
            format!("{:+.1}%", (c / b - 1.0) * 100.0)
        } else {
            "n/a".to_owned()
        }
    };
    out.push_str(&format!(
        "{:<28} {:>6}  {:>22}  {:>22}  {:>17}\n",
        "label",
        "users",
        format!("{} ms (base → now)", options.statistic),
        "req/s (base → now)",
        "errors"
    ));
    for l in &c.labels {
        out.push_str(&format!(
            "{:<28} {:>6}  {:>22}  {:>22}  {:>17}{}\n",
            format!("{} · {}", l.scenario, l.label),
            l.users,
            format!(
                "{:.1} → {:.1} {}",
                l.statistic_ms.0,
                l.statistic_ms.1,
                pct(l.statistic_ms.0, l.statistic_ms.1)
            ),
            format!(
                "{:.1} → {:.1} {}",
                l.throughput_per_s.0,
                l.throughput_per_s.1,
                pct(l.throughput_per_s.0, l.throughput_per_s.1)
            ),
            format!(
                "{:.2}% → {:.2}%",
                l.error_rate.0 * 100.0,
                l.error_rate.1 * 100.0
            ),
            if l.regressions.is_empty() {
                String::new()
            } else {
                format!("  REGRESSION: {}", l.regressions.join(", "))
            }
        ));
    }
    for u in &c.unmatched {
        out.push_str(&format!("not compared: {u}\n"));
    }
    for v in &c.verdict_changes {
        let was = v.baseline.map_or("—", Verdict::as_str);
        out.push_str(&format!(
            "criterion {} · {} @ {} threads: {was} → {}\n",
            v.scenario,
            v.criterion,
            v.users,
            v.current.as_str()
        ));
    }
    if let Some(verdict) = c.current_verdict {
        out.push_str(&format!(
            "criteria (re-judged from the stored histograms): {}\n",
            verdict.as_str()
        ));
    }
    out.push_str(&format!(
        "{} regression(s) beyond {:.0}% (times, throughput) / {:.1} points (errors)\n",
        c.regressions,
        options.tolerance * 100.0,
        options.error_tolerance * 100.0
    ));
    out
}
