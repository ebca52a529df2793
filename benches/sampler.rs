//! What monitoring costs: the CPU time of one system sample (the sampler runs once a second on
//! the coordinator thread), as a share of one core at 1 Hz.
//!
//! Run with: `cargo bench --bench sampler`

use std::time::Instant;

use loadspec_runner::monitor::SystemSampler;

fn main() -> anyhow::Result<()> {
    let mut sampler = SystemSampler::new()?;
    let rounds = 2_000;
    // CPU time, not wall time: the machine is shared.
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    for i in 0..rounds {
        std::hint::black_box(sampler.sample(f64::from(i)));
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = process_cpu_seconds() - cpu_before;
    let per_sample_us = cpu / f64::from(rounds) * 1e6;
    println!(
        "{rounds} samples: {:.1} µs CPU each ({:.1} µs wall); at 1 Hz that is {:.4}% of one core",
        per_sample_us,
        wall / f64::from(rounds) * 1e6,
        per_sample_us / 1e6 * 100.0
    );
    Ok(())
}

fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    ticks / 100.0
}
