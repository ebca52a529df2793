//! The generator-saturation guard: a step during which loadspec itself ran out of CPU, or whose
//! workers could not wake up on time, measured the generator as much as the target.

use crate::metrics::histogram::LatencyHistogram;
use crate::results::model::{GeneratorHealth, SystemSample};

/// Above this share of the cores the workers may use, the generator is saturated.
pub const CPU_SHARE_LIMIT: f64 = 0.90;
/// Above this 99th percentile of timer lateness (ms), the workers are too busy to keep time.
pub const LAG_P99_LIMIT_MS: f64 = 5.0;

/// Judges a step from its system samples and the workers' timer lateness (µs histogram).
/// `cores` is the number of cores the workers may use.
pub fn judge(samples: &[SystemSample], lag: &LatencyHistogram, cores: usize) -> GeneratorHealth {
    let capacity = 100.0 * cores.max(1) as f64;
    let shares: Vec<f64> = samples.iter().map(|s| s.generator_cpu / capacity).collect();
    let cpu_share_mean = if shares.is_empty() {
        0.0
    } else {
        shares.iter().sum::<f64>() / shares.len() as f64
    };
    let cpu_share_max = shares.iter().copied().fold(0.0, f64::max);
    let (lag_p99_ms, lag_max_ms) = if lag.is_empty() {
        (0.0, 0.0)
    } else {
        (
            lag.value_at_quantile(0.99) as f64 / 1000.0,
            lag.max() as f64 / 1000.0,
        )
    };
    let mut reasons = Vec::new();
    if cpu_share_mean > CPU_SHARE_LIMIT {
        reasons.push(format!(
            "the workers used {:.0}% of the {} core(s) they may use (limit {:.0}%)",
            cpu_share_mean * 100.0,
            cores,
            CPU_SHARE_LIMIT * 100.0
        ));
    }
    if lag_p99_ms > LAG_P99_LIMIT_MS {
        reasons.push(format!(
            "the workers' timers fired {lag_p99_ms:.1} ms late at p99 (limit {LAG_P99_LIMIT_MS} ms): think times and request starts were delayed"
        ));
    }
    GeneratorHealth {
        cpu_share_mean,
        cpu_share_max,
        lag_p99_ms,
        lag_max_ms,
        bound: !reasons.is_empty(),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::histogram::{new_histogram, record};

    fn sample(generator_cpu: f64) -> SystemSample {
        SystemSample {
            t_s: 0.0,
            cpu_user: 0.0,
            cpu_system: 0.0,
            cpu_iowait: 0.0,
            cpu_idle: 100.0,
            cpu_per_core: vec![],
            mem_used: 0,
            mem_available: 0,
            swap_used: 0,
            disk_read_bps: 0.0,
            disk_write_bps: 0.0,
            net: vec![],
            load: [0.0; 3],
            process_cpu: generator_cpu,
            generator_cpu,
            process_rss: 0,
        }
    }

    #[test]
    fn busy_workers_or_late_timers_mark_the_step() {
        let calm = new_histogram();
        let healthy = judge(&[sample(50.0), sample(70.0)], &calm, 2);
        assert!(!healthy.bound, "{healthy:?}");
        assert!((healthy.cpu_share_mean - 0.3).abs() < 1e-9);
        let busy = judge(&[sample(190.0), sample(195.0)], &calm, 2);
        assert!(
            busy.bound && busy.reasons[0].contains("of the 2 core"),
            "{busy:?}"
        );
        let mut late = new_histogram();
        for _ in 0..100 {
            record(&mut late, 20_000);
        }
        let lagging = judge(&[sample(10.0)], &late, 2);
        assert!(
            lagging.bound && lagging.reasons[0].contains("late"),
            "{lagging:?}"
        );
        assert!(!judge(&[], &calm, 1).bound);
    }
}
