//! The saturation guard: a step during which loadspec's workers ran out of CPU or could not
//! wake up on time measured the generator as much as the target. It also says who took the
//! CPU: the workers themselves, the rest of this process (a target embedded in it), or other
//! processes on the machine — on a small machine running its own target, the target's threads
//! make the workers' timers late while the workers use little.

use loadspec_results::histogram::LatencyHistogram;
use loadspec_results::model::{GeneratorHealth, SaturationCause, SystemSample};

/// Above this share of the cores the workers may use, the generator is saturated.
pub const CPU_SHARE_LIMIT: f64 = 0.90;
/// Above this 99th percentile of timer lateness (ms), the workers are too busy to keep time.
pub const LAG_P99_LIMIT_MS: f64 = 5.0;
/// From this share of the machine's CPU busy (user and system, percent), the machine is
/// saturated: every thread of it, loadspec's workers too, waits for a core.
pub const MACHINE_BUSY_LIMIT: f64 = 90.0;
/// Below this (percent of one core), a consumer is not worth naming beside the main one.
const NOTABLE_CPU: f64 = 10.0;

/// Judges a step from its system samples and the workers' timer lateness (µs histogram).
/// `cores` is the number of cores the workers may use.
pub fn judge(samples: &[SystemSample], lag: &LatencyHistogram, cores: usize) -> GeneratorHealth {
    let cores = cores.max(1);
    let capacity = 100.0 * cores as f64;
    let mean = |f: &dyn Fn(&SystemSample) -> f64| {
        if samples.is_empty() {
            0.0
        } else {
            samples.iter().map(f).sum::<f64>() / samples.len() as f64
        }
    };
    let cpu_share_mean = mean(&|s| s.generator_cpu / capacity);
    let cpu_share_max = samples
        .iter()
        .map(|s| s.generator_cpu / capacity)
        .fold(0.0, f64::max);
    // The machine's busy share is of all its cores; times its cores it is in the unit of the
    // process's figures, percent of one core.
    let machine_cores = samples
        .iter()
        .map(|s| s.cpu_per_core.len())
        .max()
        .filter(|&n| n > 0)
        .unwrap_or(cores) as f64;
    let busy = |s: &SystemSample| (s.cpu_user + s.cpu_system).clamp(0.0, 100.0);
    let machine_busy_mean = mean(&busy);
    let generator_cpu_mean = mean(&|s| s.generator_cpu);
    let process_rest_cpu_mean = mean(&|s| (s.process_cpu - s.generator_cpu).max(0.0));
    let other_processes_cpu_mean = mean(&|s| (busy(s) * machine_cores - s.process_cpu).max(0.0));
    let (lag_p99_ms, lag_max_ms) = if lag.is_empty() {
        (0.0, 0.0)
    } else {
        (
            lag.value_at_quantile(0.99) as f64 / 1000.0,
            lag.max() as f64 / 1000.0,
        )
    };

    let workers_busy = cpu_share_mean > CPU_SHARE_LIMIT;
    let late = lag_p99_ms > LAG_P99_LIMIT_MS;
    let machine_full = machine_busy_mean >= MACHINE_BUSY_LIMIT;
    let others = process_rest_cpu_mean + other_processes_cpu_mean;
    let cause = if workers_busy {
        SaturationCause::Generator
    } else if (late || machine_full) && others > generator_cpu_mean {
        if process_rest_cpu_mean >= other_processes_cpu_mean {
            SaturationCause::SameProcess
        } else {
            SaturationCause::OtherProcesses
        }
    } else if late || machine_full {
        // Late timers on a machine the workers had mostly to themselves: the workers blocked
        // themselves (synchronous work in a scenario, too many users per worker).
        SaturationCause::Generator
    } else {
        SaturationCause::None
    };

    let lag_reason = format!(
        "the workers' timers fired {lag_p99_ms:.1} ms late at p99 (limit {LAG_P99_LIMIT_MS} ms): think times and request starts were delayed"
    );
    let mut reasons = Vec::new();
    match cause {
        SaturationCause::None => {}
        SaturationCause::Generator => {
            if workers_busy {
                reasons.push(format!(
                    "the workers used {:.0}% of the {} core(s) they may use (limit {:.0}%)",
                    cpu_share_mean * 100.0,
                    cores,
                    CPU_SHARE_LIMIT * 100.0
                ));
            } else if machine_full {
                reasons.push(format!(
                    "the machine's CPU was {machine_busy_mean:.0}% busy (limit {MACHINE_BUSY_LIMIT:.0}%), most of it loadspec's workers ({generator_cpu_mean:.0}% of a core)"
                ));
            }
            if late {
                reasons.push(lag_reason);
            }
        }
        SaturationCause::SameProcess | SaturationCause::OtherProcesses => {
            let (main, second, second_cpu) = if cause == SaturationCause::SameProcess {
                (
                    format!(
                        "the rest of this process ({process_rest_cpu_mean:.0}% of a core: threads besides loadspec's workers, e.g. an embedded target)"
                    ),
                    "other processes on the machine",
                    other_processes_cpu_mean,
                )
            } else {
                (
                    format!(
                        "other processes on the machine ({other_processes_cpu_mean:.0}% of a core)"
                    ),
                    "the rest of this process",
                    process_rest_cpu_mean,
                )
            };
            let also = if second_cpu >= NOTABLE_CPU {
                format!(" and {second} ({second_cpu:.0}% of a core)")
            } else {
                String::new()
            };
            let state = if machine_full {
                format!("the machine was saturated (CPU {machine_busy_mean:.0}% busy) by")
            } else {
                format!("the CPU ({machine_busy_mean:.0}% busy) went mostly to")
            };
            reasons.push(format!(
                "{state} {main}{also} — loadspec's workers used {generator_cpu_mean:.0}% of a core"
            ));
            if late {
                reasons.push(format!(
                    "timers fired {lag_p99_ms:.1} ms late at p99 (limit {LAG_P99_LIMIT_MS} ms)"
                ));
            }
        }
    }
    GeneratorHealth {
        cpu_share_mean,
        cpu_share_max,
        lag_p99_ms,
        lag_max_ms,
        bound: cause != SaturationCause::None,
        reasons,
        cause,
        generator_cpu_mean,
        process_rest_cpu_mean,
        other_processes_cpu_mean,
        machine_busy_mean,
    }
}

/// What to do about a step with this cause.
pub fn remedy(cause: SaturationCause) -> &'static str {
    match cause {
        SaturationCause::None => "",
        SaturationCause::Generator => {
            "more --workers, fewer users per machine (--shard) or more machines"
        }
        SaturationCause::SameProcess => {
            "run the target in a process of its own, better on another machine"
        }
        SaturationCause::OtherProcesses => "a quieter machine, or the load from another one",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loadspec_results::histogram::{new_histogram, record};

    /// A 2-core machine: `busy` percent of it in user time, the process at `process_cpu`, its
    /// workers at `generator_cpu` (percent of one core).
    fn sample(busy: f64, process_cpu: f64, generator_cpu: f64) -> SystemSample {
        SystemSample {
            t_s: 0.0,
            cpu_user: busy,
            cpu_system: 0.0,
            cpu_iowait: 0.0,
            cpu_idle: 100.0 - busy,
            cpu_per_core: vec![busy, busy],
            mem_used: 0,
            mem_available: 0,
            swap_used: 0,
            disk_read_bps: 0.0,
            disk_write_bps: 0.0,
            net: vec![],
            load: [0.0; 3],
            process_cpu,
            generator_cpu,
            process_rss: 0,
        }
    }

    fn late(ms: u64) -> LatencyHistogram {
        let mut lag = new_histogram();
        for _ in 0..100 {
            record(&mut lag, ms * 1000);
        }
        lag
    }

    #[test]
    fn a_light_step_is_not_marked() {
        let healthy = judge(
            &[sample(30.0, 60.0, 50.0), sample(40.0, 80.0, 70.0)],
            &late(1),
            2,
        );
        assert!(!healthy.bound, "{healthy:?}");
        assert_eq!(healthy.cause, SaturationCause::None);
        assert!((healthy.cpu_share_mean - 0.3).abs() < 1e-9);
        assert!(healthy.describe().is_empty());
        assert!(!judge(&[], &new_histogram(), 1).bound);
    }

    #[test]
    fn busy_workers_are_the_generator_s_own_limit() {
        let busy = judge(
            &[sample(97.0, 190.0, 190.0), sample(98.0, 195.0, 195.0)],
            &late(1),
            2,
        );
        assert!(busy.bound, "{busy:?}");
        assert_eq!(busy.cause, SaturationCause::Generator);
        assert!(busy.reasons[0].contains("of the 2 core"), "{busy:?}");
        assert!(
            busy.describe()
                .starts_with("loadspec itself was the limit: ")
        );
        // Late timers while nothing else ran: the workers blocked themselves.
        let blocked = judge(&[sample(20.0, 40.0, 38.0)], &late(20), 2);
        assert_eq!(blocked.cause, SaturationCause::Generator, "{blocked:?}");
        assert!(
            blocked.reasons[0].contains("timers fired 20.0 ms late"),
            "{blocked:?}"
        );
    }

    #[test]
    fn a_target_in_this_process_saturating_the_machine_is_told_apart() {
        // The example's case: a 2-core machine 97% busy, the process at 172% of a core of
        // which its workers 31%: the embedded target took the CPU and the timers ran late.
        let health = judge(&[sample(97.0, 172.0, 31.0)], &late(12), 2);
        assert!(health.bound, "unreliable either way: {health:?}");
        assert_eq!(health.cause, SaturationCause::SameProcess);
        assert!((health.process_rest_cpu_mean - 141.0).abs() < 1e-9);
        assert!((health.other_processes_cpu_mean - 22.0).abs() < 1e-9);
        assert!((health.generator_cpu_mean - 31.0).abs() < 1e-9);
        let text = health.describe();
        assert!(
            text.starts_with(
                "the machine was saturated (CPU 97% busy) by the rest of this process"
            ) && text.contains("(141% of a core: threads besides loadspec's workers")
                && text.contains("and other processes on the machine (22% of a core)")
                && text.contains("loadspec's workers used 31% of a core")
                && text.contains("timers fired 12.0 ms late at p99"),
            "{text}"
        );
        assert!(!text.contains("loadspec itself"), "{text}");
        // Late timers alone, the machine not full, the rest of the process the biggest user.
        let lagging = judge(&[sample(70.0, 120.0, 20.0)], &late(9), 2);
        assert_eq!(lagging.cause, SaturationCause::SameProcess, "{lagging:?}");
        assert!(
            lagging
                .describe()
                .starts_with("the CPU (70% busy) went mostly to the rest")
        );
    }

    #[test]
    fn other_processes_saturating_the_machine_are_told_apart() {
        let health = judge(&[sample(95.0, 35.0, 30.0)], &late(2), 2);
        assert!(
            health.bound,
            "a saturated machine alone marks the step: {health:?}"
        );
        assert_eq!(health.cause, SaturationCause::OtherProcesses);
        assert!((health.other_processes_cpu_mean - 155.0).abs() < 1e-9);
        let text = health.describe();
        assert!(
            text.starts_with(
                "the machine was saturated (CPU 95% busy) by other processes on the machine (155% of a core)"
            ) && !text.contains("timers fired"),
            "{text}"
        );
        assert!(!remedy(health.cause).is_empty());
    }
}
