//! `loadspec import-har recording.har [--name insuree_flow] [--host-filter ...] [-o file.rs]`.

use loadspec_runner::error::one_line;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use super::{
    DEFAULT_MAX_ENTRIES, GeneratedScenario, Grouping, ImportOptions, dropped_summary, import_file,
};
use loadspec_runner::exit_code;

/// Turns a browser recording (HAR 1.2) into a `#[scenario]` file.
#[derive(Debug, Parser)]
#[command(
    name = "loadspec import-har",
    about = "Turns a browser recording (HAR 1.2) into a loadspec scenario file",
    after_help = "Exit codes: 0 written, 2 bad arguments or an unusable recording, 4 the output \
                  could not be written. See docs/har-import.md."
)]
struct Args {
    /// The recording (Chrome, Firefox or Safari "Save all as HAR")
    har: PathBuf,
    /// Name of the scenario function [default: the file's name in snake_case]
    #[arg(long)]
    name: Option<String>,
    /// The recorded host that stands for the target [default: the host with the most requests]
    #[arg(long, value_name = "HOST[:PORT]")]
    host: Option<String>,
    /// Also keep requests to these hosts, with their absolute URLs (repeatable or
    /// comma-separated; `*.example.org` matches subdomains)
    #[arg(long = "host-filter", value_name = "HOST", value_delimiter = ',')]
    host_filter: Vec<String>,
    /// Keep images, fonts, stylesheets, scripts, source maps and favicons
    #[arg(long)]
    keep_static: bool,
    /// One transaction per HAR page, per burst between idle gaps, or pages when there are any
    #[arg(long, value_enum, default_value_t = GroupArg::Auto)]
    group: GroupArg,
    /// Without pages, a pause longer than this starts a new transaction
    #[arg(long, default_value = "1s", value_parser = duration)]
    idle_gap: Duration,
    /// Where to write the scenario [default: standard output]
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Add `fn main() { loadspec::main() }` (a `harness = false` test target of its own)
    #[arg(long)]
    main: bool,
    /// Largest recording accepted, e.g. 200MB or 1GiB
    #[arg(long, default_value = "200MiB", value_parser = size)]
    max_size: u64,
    /// Most entries accepted
    #[arg(long, default_value_t = DEFAULT_MAX_ENTRIES)]
    max_entries: usize,
    /// List the dropped requests and the correlations
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GroupArg {
    Auto,
    Pages,
    Idle,
}

fn duration(text: &str) -> Result<Duration, String> {
    loadspec_units::duration(text).map_err(|e| e.to_string())
}

/// `200MB`, `1GiB`, `4096`: a size in bytes.
fn size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("expected a size like 200MB, got {text:?}"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit {other:?} (use B, KB, MB, GB, KiB, MiB, GiB)"
            ));
        }
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// Runs `loadspec import-har` with the arguments that follow `import-har` on the command line
/// (not the program name). Prints one-line errors; returns 0 when the scenario was written, 2
/// for bad arguments or an unusable recording, 4 when the output cannot be written.
pub fn run_cli(args: impl IntoIterator<Item = String>) -> ExitCode {
    let argv = std::iter::once("loadspec import-har".to_owned()).chain(args);
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(exit_code::CONFIG);
        }
    };
    let name = args.name.clone().unwrap_or_else(|| {
        let stem = args
            .har
            .file_stem()
            .map(|s| super::group::slug(&s.to_string_lossy()))
            .unwrap_or_default();
        match stem.chars().next() {
            Some(c) if c.is_ascii_lowercase() => stem,
            Some(_) => format!("flow_{stem}"),
            None => "recorded_flow".to_owned(),
        }
    });
    let mut options = ImportOptions::default()
        .name(name)
        .host_filter(args.host_filter.iter().cloned())
        .keep_static(args.keep_static)
        .grouping(match args.group {
            GroupArg::Auto => Grouping::Auto,
            GroupArg::Pages => Grouping::Pages,
            GroupArg::Idle => Grouping::IdleGaps,
        })
        .idle_gap(args.idle_gap)
        .max_bytes(args.max_size)
        .max_entries(args.max_entries)
        .with_main(args.main);
    if let Some(host) = &args.host {
        options = options.host(host.clone());
    }
    let generated = match import_file(&args.har, &options) {
        Ok(generated) => generated,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            return ExitCode::from(exit_code::CONFIG);
        }
    };
    let written = match &args.output {
        Some(path) => write_file(path, generated.code.as_bytes()),
        None => std::io::stdout()
            .lock()
            .write_all(generated.code.as_bytes()),
    };
    if let Err(e) = written {
        let target = args
            .output
            .as_ref()
            .map_or_else(|| "standard output".to_owned(), |p| p.display().to_string());
        eprintln!("error: cannot write {target}: {e}");
        return ExitCode::from(exit_code::RUN_ERROR);
    }
    eprint!(
        "{}",
        summary(&generated, args.output.as_ref(), args.verbose)
    );
    ExitCode::SUCCESS
}

/// Writes through a temporary file, so a failed write leaves no half file behind.
fn write_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    let temp = PathBuf::from(temp);
    std::fs::write(&temp, bytes)?;
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

fn summary(generated: &GeneratedScenario, output: Option<&PathBuf>, verbose: bool) -> String {
    let mut out = format!(
        "imported `{}`: {} transactions, {} requests to {}",
        generated.name,
        generated.transactions.len(),
        generated.requests,
        generated.target_host
    );
    if !generated.dropped.is_empty() {
        out.push_str(&format!(
            "; dropped {}",
            dropped_summary(&generated.dropped).join(", ")
        ));
    }
    out.push_str(&format!(
        "; {} correlations, {} TODO checks",
        generated.correlations.len(),
        generated.todos.len()
    ));
    if let Some(path) = output {
        out.push_str(&format!(" -> {}", path.display()));
    }
    out.push('\n');
    if verbose {
        for d in &generated.dropped {
            out.push_str(&format!(
                "  dropped #{} {} ({})\n",
                d.entry, d.request, d.reason
            ));
        }
        for c in &generated.correlations {
            out.push_str(&format!(
                "  {} = {} at {} (replaces {} recorded values)\n",
                c.variable, c.source, c.pointer, c.uses
            ));
        }
    }
    for todo in &generated.todos {
        out.push_str(&format!("  TODO check: {todo}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(size("200MiB"), Ok(200 << 20));
        assert_eq!(size("1GB"), Ok(1_000_000_000));
        assert_eq!(size("4096"), Ok(4096));
        assert!(size("lots").is_err());
        assert!(size("5 parsecs").is_err());
    }
}
