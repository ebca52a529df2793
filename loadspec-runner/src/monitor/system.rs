//! This machine's usage, sampled while steps run: what the case study's team got from dstat.
//! Linux reads `/proc` through the `procfs` crate; other systems get no samples and one
//! message saying so.

use std::time::Instant;

use loadspec_results::model::SystemSample;

/// Why this machine cannot be sampled.
#[derive(Debug, Clone, thiserror::Error)]
#[error("system monitoring is off: {0}")]
pub struct MonitorUnavailable(pub String);

/// Counters read at one moment; samples are the differences between two readings.
#[derive(Debug, Clone, Default)]
struct Reading {
    at: Option<Instant>,
    cpu_total: [u64; 4],
    cpu_cores: Vec<(u64, u64)>,
    disk_sectors: (u64, u64),
    net: Vec<(String, u64, u64)>,
    process_ticks: u64,
    /// CPU ticks of the worker threads only: the generator's own work, without a target
    /// embedded in the same process.
    worker_ticks: u64,
}

/// Takes [`SystemSample`]s; each covers the time since the previous one.
#[derive(Debug)]
pub struct SystemSampler {
    last: Reading,
    ticks_per_second: f64,
}

impl SystemSampler {
    /// Starts sampling (the first sample covers the time from now).
    pub fn new() -> Result<Self, MonitorUnavailable> {
        let ticks_per_second = platform::ticks_per_second()?;
        let last = platform::read()?;
        Ok(Self {
            last,
            ticks_per_second,
        })
    }

    /// One sample; `t_s` is recorded as its time. `None` if the counters could not be read.
    pub fn sample(&mut self, t_s: f64) -> Option<SystemSample> {
        let now = platform::read().ok()?;
        let sample = self.between(&now, t_s);
        self.last = now;
        sample
    }

    fn between(&self, now: &Reading, t_s: f64) -> Option<SystemSample> {
        let (Some(before), Some(after)) = (self.last.at, now.at) else {
            return None;
        };
        let seconds = after.duration_since(before).as_secs_f64();
        if seconds <= 0.0 {
            return None;
        }
        let delta: Vec<f64> = now
            .cpu_total
            .iter()
            .zip(&self.last.cpu_total)
            .map(|(a, b)| a.saturating_sub(*b) as f64)
            .collect();
        let total: f64 = delta.iter().sum::<f64>().max(1.0);
        let percent = |v: f64| 100.0 * v / total;
        let cpu_per_core = now
            .cpu_cores
            .iter()
            .zip(&self.last.cpu_cores)
            .map(|((busy, all), (busy0, all0))| {
                let all = all.saturating_sub(*all0) as f64;
                if all > 0.0 {
                    100.0 * busy.saturating_sub(*busy0) as f64 / all
                } else {
                    0.0
                }
            })
            .collect();
        let per_second = |a: u64, b: u64| a.saturating_sub(b) as f64 / seconds;
        let net = now
            .net
            .iter()
            .filter_map(|(name, rx, tx)| {
                let (_, rx0, tx0) = self.last.net.iter().find(|(n, _, _)| n == name)?;
                Some(loadspec_results::model::NetSample {
                    interface: name.clone(),
                    rx_bps: per_second(*rx, *rx0),
                    tx_bps: per_second(*tx, *tx0),
                })
            })
            .collect();
        let (mem_used, mem_available, swap_used, load, rss) =
            platform::memory_and_load().unwrap_or_default();
        let process_seconds = now.process_ticks.saturating_sub(self.last.process_ticks) as f64
            / self.ticks_per_second;
        let worker_seconds =
            now.worker_ticks.saturating_sub(self.last.worker_ticks) as f64 / self.ticks_per_second;
        Some(SystemSample {
            t_s,
            cpu_user: percent(delta[0]),
            cpu_system: percent(delta[1]),
            cpu_iowait: percent(delta[2]),
            cpu_idle: percent(delta[3]),
            cpu_per_core,
            mem_used,
            mem_available,
            swap_used,
            disk_read_bps: per_second(now.disk_sectors.0, self.last.disk_sectors.0) * 512.0,
            disk_write_bps: per_second(now.disk_sectors.1, self.last.disk_sectors.1) * 512.0,
            net,
            load,
            process_cpu: 100.0 * process_seconds / seconds,
            generator_cpu: 100.0 * worker_seconds / seconds,
            process_rss: rss,
        })
    }
}

#[cfg(target_os = "linux")]
mod platform {
    use std::time::Instant;

    use procfs::{Current as _, CurrentSI as _};

    use super::{MonitorUnavailable, Reading};

    fn unavailable(what: &str, e: impl std::fmt::Display) -> MonitorUnavailable {
        MonitorUnavailable(format!("failed to read {what}: {e}"))
    }

    pub(super) fn ticks_per_second() -> Result<f64, MonitorUnavailable> {
        Ok(procfs::ticks_per_second() as f64)
    }

    pub(super) fn read() -> Result<Reading, MonitorUnavailable> {
        let stats = procfs::KernelStats::current().map_err(|e| unavailable("/proc/stat", e))?;
        let t = &stats.total;
        let irq = t.irq.unwrap_or(0) + t.softirq.unwrap_or(0) + t.steal.unwrap_or(0);
        let cpu_total = [
            t.user + t.nice,
            t.system + irq,
            t.iowait.unwrap_or(0),
            t.idle,
        ];
        let cpu_cores = stats
            .cpu_time
            .iter()
            .map(|c| {
                let idle = c.idle + c.iowait.unwrap_or(0);
                let all = c.user
                    + c.nice
                    + c.system
                    + c.irq.unwrap_or(0)
                    + c.softirq.unwrap_or(0)
                    + c.steal.unwrap_or(0)
                    + idle;
                (all - idle, all)
            })
            .collect();
        // Whole disks only: partitions would count the same sectors twice.
        let disk_sectors = procfs::diskstats()
            .map(|disks| {
                disks
                    .iter()
                    .filter(|d| {
                        !d.name.starts_with("loop")
                            && !d.name.starts_with("ram")
                            && !ends_with_partition_number(&d.name)
                    })
                    .fold((0, 0), |(r, w), d| {
                        (r + d.sectors_read, w + d.sectors_written)
                    })
            })
            .unwrap_or_default();
        let net = procfs::net::dev_status()
            .map(|devices| {
                devices
                    .into_values()
                    .map(|d| (d.name, d.recv_bytes, d.sent_bytes))
                    .collect()
            })
            .unwrap_or_default();
        let myself =
            procfs::process::Process::myself().map_err(|e| unavailable("/proc/self", e))?;
        let process_ticks = myself
            .stat()
            .map(|s| s.utime + s.stime)
            .map_err(|e| unavailable("/proc/self/stat", e))?;
        // Thread names are cut to 15 bytes in /proc: "loadspec-worker-3" reads "loadspec-worke".
        let prefix = &crate::monitor::WORKER_THREAD_PREFIX[..14];
        let worker_ticks = myself
            .tasks()
            .map(|tasks| {
                tasks
                    .flatten()
                    .filter_map(|task| task.stat().ok())
                    .filter(|stat| stat.comm.starts_with(prefix))
                    .map(|stat| stat.utime + stat.stime)
                    .sum()
            })
            .unwrap_or(0);
        Ok(Reading {
            at: Some(Instant::now()),
            cpu_total,
            cpu_cores,
            disk_sectors,
            net,
            process_ticks,
            worker_ticks,
        })
    }

    /// `sda1`, `nvme0n1p2`, `vda1` are partitions; `sda`, `nvme0n1`, `vda` are disks.
    fn ends_with_partition_number(name: &str) -> bool {
        if let Some(rest) = name
            .strip_prefix("nvme")
            .or_else(|| name.strip_prefix("mmcblk"))
        {
            return rest.contains('p');
        }
        name.ends_with(|c: char| c.is_ascii_digit())
    }

    pub(super) fn memory_and_load() -> Option<(u64, u64, u64, [f64; 3], u64)> {
        let memory = procfs::Meminfo::current().ok()?;
        let available = memory.mem_available.unwrap_or(memory.mem_free);
        let load = procfs::LoadAverage::current().ok()?;
        let rss = procfs::process::Process::myself()
            .and_then(|p| p.status())
            .ok()
            .and_then(|s| s.vmrss)
            .map_or(0, |kib| kib * 1024);
        Some((
            memory.mem_total.saturating_sub(available),
            available,
            memory.swap_total.saturating_sub(memory.swap_free),
            [
                f64::from(load.one),
                f64::from(load.five),
                f64::from(load.fifteen),
            ],
            rss,
        ))
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use super::{MonitorUnavailable, Reading};

    pub(super) fn ticks_per_second() -> Result<f64, MonitorUnavailable> {
        Err(MonitorUnavailable(format!(
            "only Linux is supported, not {}",
            std::env::consts::OS
        )))
    }

    pub(super) fn read() -> Result<Reading, MonitorUnavailable> {
        Err(MonitorUnavailable("only Linux is supported".into()))
    }

    pub(super) fn memory_and_load() -> Option<(u64, u64, u64, [f64; 3], u64)> {
        None
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn samples_are_plausible() {
        let mut sampler = SystemSampler::new().unwrap();
        let busy_until = Instant::now() + std::time::Duration::from_millis(300);
        let mut spin = 0u64;
        while Instant::now() < busy_until {
            spin = spin.wrapping_add(1);
        }
        let sample = sampler.sample(1.0).unwrap();
        let shares = sample.cpu_user + sample.cpu_system + sample.cpu_iowait + sample.cpu_idle;
        assert!((shares - 100.0).abs() < 1.0, "{shares}");
        // A spinning thread gets well under a full core on a loaded 2-core machine; an idle
        // process reads ~0, so any clear share proves the process counters are read.
        assert!(
            sample.process_cpu > 10.0,
            "this test spun a core: {}",
            sample.process_cpu
        );
        assert!(sample.process_cpu < 250.0);
        assert!(sample.process_rss > 1_000_000);
        assert!(sample.mem_available > 0 && sample.mem_used > 0);
        assert!(!sample.cpu_per_core.is_empty());
        assert!(sample.net.iter().any(|n| n.interface == "lo"));
        assert!(spin > 0);
    }
}
