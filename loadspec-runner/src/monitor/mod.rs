//! Monitoring during runs: this machine's usage (the case study's dstat), the generator
//! saturation guard, and the target's Prometheus metrics.

pub mod guard;
pub(crate) mod limits;
pub mod prometheus;
pub mod system;

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use self::system::{MonitorUnavailable, SystemSampler};

/// Names of the engine's worker threads (`loadspec-worker-<n>`): the sampler tells their CPU
/// time from the rest of the process by it.
pub const WORKER_THREAD_PREFIX: &str = "loadspec-worker-";
use loadspec_results::model::{SystemSample, TargetSample};

/// What to monitor; part of the run plan.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorConfig {
    /// How often this machine is sampled during steps (`None`: not at all).
    pub interval: Option<Duration>,
    /// The target's Prometheus endpoint, if scraped.
    pub scrape: Option<ScrapeConfig>,
}

/// A Prometheus endpoint to scrape.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapeConfig {
    /// Its URL, e.g. `http://127.0.0.1:9100/metrics`.
    pub url: String,
    /// Series to keep (names, or prefixes of `name{labels}`); all (up to 200) when empty.
    pub series: Vec<String>,
    /// How often it is scraped.
    pub interval: Duration,
}

/// The coordinator's monitor: sampled at ticks, scrapes in the background.
pub(crate) struct Monitor {
    system: Option<SystemSampler>,
    interval: Duration,
    next_sample: Instant,
    scrape: Option<Scraper>,
}

/// A finished scrape: its time (seconds from the run's start) and its series.
type Scraped = (f64, BTreeMap<String, f64>);

struct Scraper {
    config: ScrapeConfig,
    client: reqwest::Client,
    next: Instant,
    pending: Vec<JoinHandle<Option<Scraped>>>,
    failures: u32,
}

impl Monitor {
    /// A monitor for `config`; the second value explains what is off and why.
    pub(crate) fn new(config: &MonitorConfig) -> (Self, Option<String>) {
        let (system, warning) = match config.interval {
            None => (None, None),
            Some(_) => match SystemSampler::new() {
                Ok(sampler) => (Some(sampler), None),
                Err(e) => (None, Some(e.to_string())),
            },
        };
        let scrape = config.scrape.clone().map(|config| Scraper {
            config,
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(2))
                .build()
                .unwrap_or_default(),
            next: Instant::now(),
            pending: Vec::new(),
            failures: 0,
        });
        let monitor = Self {
            system,
            interval: config.interval.unwrap_or(Duration::from_secs(1)),
            next_sample: Instant::now(),
            scrape,
        };
        (monitor, warning)
    }

    /// A system sample if one is due at `now` (`t_s`: seconds from the run's start); starts a
    /// scrape if one is due.
    pub(crate) fn tick(&mut self, now: Instant, t_s: f64) -> Option<SystemSample> {
        if let Some(scraper) = &mut self.scrape
            && now >= scraper.next
        {
            scraper.next = now + scraper.config.interval;
            let (client, url, series) = (
                scraper.client.clone(),
                scraper.config.url.clone(),
                scraper.config.series.clone(),
            );
            scraper.pending.push(tokio::spawn(async move {
                let text = client
                    .get(&url)
                    .send()
                    .await
                    .ok()?
                    .error_for_status()
                    .ok()?
                    .text()
                    .await
                    .ok()?;
                Some((t_s, prometheus::parse_exposition(&text, &series)))
            }));
        }
        if now < self.next_sample {
            return None;
        }
        self.next_sample = now + self.interval;
        self.system.as_mut()?.sample(t_s)
    }

    /// Scrapes that have finished, in order.
    pub(crate) fn scraped(&mut self) -> Vec<TargetSample> {
        let Some(scraper) = &mut self.scrape else {
            return Vec::new();
        };
        let mut samples = Vec::new();
        let mut still_pending = Vec::new();
        for handle in scraper.pending.drain(..) {
            if !handle.is_finished() {
                still_pending.push(handle);
                continue;
            }
            match futures::FutureExt::now_or_never(handle)
                .and_then(Result::ok)
                .flatten()
            {
                Some((t_s, series)) => samples.push(TargetSample { t_s, series }),
                None => scraper.failures += 1,
            }
        }
        scraper.pending = still_pending;
        samples
    }

    /// Scrapes that failed so far.
    pub(crate) fn scrape_failures(&self) -> u32 {
        self.scrape.as_ref().map_or(0, |s| s.failures)
    }
}
