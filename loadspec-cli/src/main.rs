//! `loadspec`: work with stored results — compare a run with a baseline (nightly CI), render
//! or merge them — and turn browser recordings into scenarios.
//!
//! ```text
//! loadspec compare baseline/results.json current/results.json [--stat p95] [--tolerance 10%]
//! loadspec report results.json [-o report.html] [--note "target ran in debug mode"]
//! loadspec merge shard-*/results.json -o merged/ [--fail-on warn]
//! loadspec import-har recording.har [--name insuree_flow] [-o tests/load/insuree_flow.rs]
//! ```

use loadspec_runner::error::one_line;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use loadspec_cli::compare::{CompareOptions, Comparison, compare};
use loadspec_report::write_html;
use loadspec_results::criteria::{Metric, Verdict};
use loadspec_runner::exit_code;

#[derive(Debug, Parser)]
#[command(
    name = "loadspec",
    version,
    about = "Works with loadspec results files and turns browser recordings into scenarios"
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
    /// Renders a results file as a self-contained HTML report (charts, verdict, findings).
    /// Exits with 2 if the results cannot be read or the report cannot be written.
    Report {
        /// The run's results.json
        results: PathBuf,
        /// Where to write the report [default: report.html next to the results file]
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// A note or assumption to show in the report's overview (repeatable)
        #[arg(long = "note", value_name = "TEXT")]
        notes: Vec<String>,
    },
    /// Merges the results of a sharded run (`--shard i/n`) into one run and judges its criteria
    /// on the merged data; writes results.json, report.html, summary.md, junit.xml, stats.csv
    /// and stats_history.csv into the output directory. Exits with 3 on a failed criterion, 2
    /// on inputs that are not the complete set of shards of one plan.
    Merge {
        /// The shards' results.json files, or directories to search for them
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The output directory
        #[arg(short, long)]
        output: PathBuf,
        /// Fail (exit 3) on warnings too, not only on failed criteria
        #[arg(long, value_name = "LEVEL", value_parser = ["warn", "fail"], default_value = "fail")]
        fail_on: String,
        /// A note or assumption to show in the report's overview (repeatable)
        #[arg(long = "note", value_name = "TEXT")]
        notes: Vec<String>,
    },
    /// Turns a browser recording (HAR 1.2) into a scenario file: one transaction per page or
    /// burst, recorded think times, status checks, correlated tokens and ids. See
    /// `loadspec import-har --help` and docs/har-import.md.
    #[command(disable_help_flag = true)]
    ImportHar {
        /// The recording and options (see `loadspec import-har --help`)
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "ARGS"
        )]
        args: Vec<String>,
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
        Command::Report {
            results,
            output,
            notes,
        } => report(&results, output, &notes),
        Command::Merge {
            inputs,
            output,
            fail_on,
            notes,
        } => merge(&inputs, &output, fail_on == "warn", &notes),
        Command::ImportHar { args } => loadspec_cli::har::run_cli(args),
        Command::Compare {
            baseline,
            current,
            stat,
            tolerance,
            error_tolerance,
            json,
        } => {
            let load = |path: &PathBuf| loadspec_results::load(path);
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

fn report(path: &Path, output: Option<PathBuf>, notes: &[String]) -> ExitCode {
    let results = match loadspec_results::load(path) {
        Ok(results) => results,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            return ExitCode::from(exit_code::CONFIG);
        }
    };
    let output = output.unwrap_or_else(|| {
        path.parent()
            .unwrap_or_else(|| Path::new(""))
            .join("report.html")
    });
    match write_html(&results, &output, notes) {
        Ok(()) => {
            println!("report: {}", output.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(exit_code::CONFIG)
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

/// `loadspec merge`: loads and checks the shards, merges them, writes the outputs, prints the
/// steps and the criteria matrix.
fn merge(inputs: &[PathBuf], output: &Path, fail_on_warn: bool, notes: &[String]) -> ExitCode {
    use loadspec_cli::merge as m;
    let fail = |e: m::MergeError| {
        eprintln!("error: {}", one_line(&e));
        ExitCode::from(if e.is_input_error() {
            exit_code::CONFIG
        } else {
            exit_code::RUN_ERROR
        })
    };
    let shards = match m::collect_inputs(inputs, Some(output)).and_then(|p| m::load_shards(&p)) {
        Ok(shards) => shards,
        Err(e) => return fail(e),
    };
    let merged = match m::merge(&shards) {
        Ok(merged) => merged,
        Err(e) => return fail(e),
    };
    let mut notes = notes.to_vec();
    notes.push(format!(
        "merged from {} shards on {} load generators",
        merged.hosts.len(),
        merged.environment.hostname.split(", ").count()
    ));
    let written = match loadspec_report::write_outputs(&merged, output, &notes) {
        Ok(written) => written,
        Err(e) => return fail(e.into()),
    };
    println!(
        "merged {} shards of {} (seed {}):",
        merged.hosts.len(),
        merged.run.name,
        merged.run.seed
    );
    for host in &merged.hosts {
        let late = host.shard.late_by_s.map_or_else(String::new, |l| {
            format!(", load started {l:+.3} s after --start-at")
        });
        println!(
            "  shard {}/{} · {} · {:?}{late}",
            host.shard.index, host.shard.count, host.environment.hostname, host.status
        );
    }
    for warning in &merged.run.warnings {
        eprintln!("warning: {warning}");
    }
    for step in &merged.steps {
        let users: u32 = step.scenarios.iter().map(|s| s.users).sum();
        println!("step {} · {users} users", step.index + 1);
        print!("{}", loadspec_runner::console::step_table(step));
    }
    if let Some(report) = &merged.criteria {
        print!("{}", loadspec_report::text::criteria_matrix(report));
    }
    for path in &written.files {
        println!("wrote {}", path.display());
    }
    // The merged results.json is on disk: `loadspec report` can render it again.
    if let Some(e) = &written.report_error {
        eprintln!("warning: {}", one_line(e));
    }
    let failed = merged.criteria.as_ref().is_some_and(|r| {
        r.verdict == Verdict::Fail || (fail_on_warn && r.verdict == Verdict::Warn)
    });
    ExitCode::from(if failed {
        exit_code::FAILED
    } else {
        exit_code::SUCCESS
    })
}
