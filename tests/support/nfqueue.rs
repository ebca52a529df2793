//! Link faults where the kernel has no netem: iptables sends every TCP packet leaving a
//! namespace's `lo` to an NFQUEUE, and a thread of the test holds each one in the kernel's
//! queue until its verdict is due — after a delay (with jitter, so packets reorder as they do
//! under netem), dropped at random, or returned with one bit flipped in its TCP payload (the
//! kernel then checks the checksum and drops it, as it drops a segment netem corrupted). The
//! packets are the real ones of the test's connections, so TCP's timers, retransmissions and
//! reassembly all meet the fault.
//!
//! On `lo` every packet, the request's and the response's, crosses the `OUTPUT` hook once: a
//! delay of d adds about 2d to a request over an open connection, as `netem delay d` does.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::NetNs;

/// The queue number the tests' rule sends packets to (one namespace, one queue).
const QUEUE: u16 = 7;
/// The iptables arguments that add (`-A`) or delete (`-D`) the rule feeding [`QUEUE`].
fn rule(action: &str) -> Vec<String> {
    let queue = QUEUE.to_string();
    [
        action,
        "OUTPUT",
        "-o",
        "lo",
        "-p",
        "tcp",
        "-j",
        "NFQUEUE",
        "--queue-num",
        &queue,
        "--queue-bypass",
    ]
    .map(str::to_owned)
    .to_vec()
}
/// How long the thread sleeps when nothing is due and nothing arrived: the delay's grain.
const IDLE: Duration = Duration::from_micros(200);

/// What the queue does to each packet; [`QueueFault::delay`] and its modifiers build one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueFault {
    /// Each packet's delay: uniform in `delay ± jitter`.
    pub delay: Duration,
    /// The half-width of the delay's spread.
    pub jitter: Duration,
    /// The share of packets (0–1) sent at once instead of delayed: they overtake the ones held
    /// (netem's `reorder`).
    pub reorder: f64,
    /// The share of packets (0–1) dropped.
    pub loss: f64,
    /// The share of the segments carrying data (0–1) with one bit of their payload flipped.
    pub corrupt: f64,
}

impl QueueFault {
    /// Every packet held `delay`, nothing else.
    pub fn delay(delay: Duration) -> Self {
        Self {
            delay,
            jitter: Duration::ZERO,
            reorder: 0.0,
            loss: 0.0,
            corrupt: 0.0,
        }
    }

    /// The delay spread uniformly over `delay ± jitter`.
    pub fn jitter(self, jitter: Duration) -> Self {
        Self { jitter, ..self }
    }

    /// `share` of the packets sent at once, ahead of the delayed ones.
    pub fn reorder(self, share: f64) -> Self {
        Self {
            reorder: share,
            ..self
        }
    }

    /// `share` of the packets dropped.
    pub fn loss(self, share: f64) -> Self {
        Self {
            loss: share,
            ..self
        }
    }

    /// `share` of the segments carrying data corrupted, each by one bit flipped in its payload.
    pub fn corrupt(self, share: f64) -> Self {
        Self {
            corrupt: share,
            ..self
        }
    }

    /// How `tc`'s netem would say it, e.g. `delay 50ms 10ms loss 5%` (for the logs and docs).
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("delay {}ms", self.delay.as_millis())];
        if !self.jitter.is_zero() {
            parts.push(format!("{}ms", self.jitter.as_millis()));
        }
        for (name, share) in [
            ("reorder", self.reorder),
            ("loss", self.loss),
            ("corrupt", self.corrupt),
        ] {
            if share > 0.0 {
                parts.push(format!("{name} {}%", share * 100.0));
            }
        }
        format!("nfqueue {}", parts.join(" "))
    }
}

/// What the queue did, counted by its thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Packets that reached the queue.
    pub packets: u64,
    /// Packets dropped.
    pub dropped: u64,
    /// Segments sent on with a bit of their payload flipped.
    pub corrupted: u64,
    /// Packets released while one that reached the queue earlier was still held.
    pub reordered: u64,
}

/// A packet held until `due`; `seq` keeps the heap's order total and says which came first.
struct Held {
    due: Instant,
    seq: u64,
    message: nfq::Message,
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Held {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

/// The fault on a namespace's `lo` while it lives: the rule is deleted and every held packet
/// released when it is stopped or dropped.
#[derive(Debug)]
pub struct PacketQueue {
    ns: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<QueueStats, String>>>,
}

impl PacketQueue {
    /// Binds the queue in `ns` (on a thread that entered it), then adds the rule that feeds
    /// it; an error says which step failed. `seed` fixes the random choices.
    pub fn start(ns: &NetNs, fault: QueueFault, seed: u64) -> Result<Self, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let (bound_tx, bound_rx) = std::sync::mpsc::channel();
        let thread = {
            let stop = Arc::clone(&stop);
            ns.spawn("nfqueue", move || {
                let queue = open_queue();
                let ready = queue.as_ref().map(drop).map_err(Clone::clone);
                let _ = bound_tx.send(ready);
                serve(queue?, fault, seed, &stop)
            })?
        };
        let started = Self {
            ns: ns.name().to_owned(),
            stop,
            thread: Some(thread),
        };
        bound_rx
            .recv()
            .map_err(|_| "the queue's thread ended before binding".to_owned())??;
        let add = rule("-A");
        ns.iptables(&add.iter().map(String::as_str).collect::<Vec<_>>())?;
        Ok(started)
    }

    /// Deletes the rule, releases what is held, and returns what the queue did.
    pub fn stop(mut self) -> Result<QueueStats, String> {
        self.finish()
    }

    fn finish(&mut self) -> Result<QueueStats, String> {
        let delete = rule("-D");
        // The rule goes first: packets after it pass unqueued, none meets a queue no one
        // reads (and `--queue-bypass` lets them through should the thread be gone first).
        let deleted = crate::netns::iptables_in(
            &self.ns,
            &delete.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        self.stop.store(true, Ordering::SeqCst);
        let stats = match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| "the queue's thread panicked".to_owned())?,
            None => Ok(QueueStats::default()),
        };
        deleted?;
        stats
    }
}

impl Drop for PacketQueue {
    fn drop(&mut self) {
        if self.thread.is_some()
            && let Err(e) = self.finish()
        {
            eprintln!("nfqueue in {}: {e}", self.ns);
        }
    }
}

fn open_queue() -> Result<nfq::Queue, String> {
    let mut queue = nfq::Queue::open().map_err(|e| format!("NFQUEUE socket: {e}"))?;
    queue
        .bind(QUEUE)
        .map_err(|e| format!("binding NFQUEUE {QUEUE}: {e}"))?;
    // Deep enough that the kernel never drops for want of room: every drop is the fault's.
    queue
        .set_queue_max_len(QUEUE, 65_536)
        .map_err(|e| format!("NFQUEUE {QUEUE} length: {e}"))?;
    queue.set_nonblocking(true);
    Ok(queue)
}

/// The queue's loop: takes each packet as it arrives, decides its fate, sends the verdicts
/// that are due; when stopped, releases everything held and returns the counts.
fn serve(
    mut queue: nfq::Queue,
    fault: QueueFault,
    seed: u64,
    stop: &AtomicBool,
) -> Result<QueueStats, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut held: BinaryHeap<Reverse<Held>> = BinaryHeap::new();
    let mut stats = QueueStats::default();
    let mut seq = 0_u64;
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        let mut arrived = false;
        loop {
            match queue.recv() {
                Ok(mut message) => {
                    arrived = true;
                    stats.packets += 1;
                    seq += 1;
                    let now = Instant::now();
                    if rng.random::<f64>() < fault.loss {
                        stats.dropped += 1;
                        message.set_verdict(nfq::Verdict::Drop);
                        queue
                            .verdict(message)
                            .map_err(|e| format!("verdict: {e}"))?;
                        continue;
                    }
                    if rng.random::<f64>() < fault.corrupt && flip_a_tcp_bit(&mut message, &mut rng)
                    {
                        stats.corrupted += 1;
                    }
                    message.set_verdict(nfq::Verdict::Accept);
                    let due = if rng.random::<f64>() < fault.reorder {
                        now
                    } else {
                        now + spread(fault, &mut rng)
                    };
                    held.push(Reverse(Held { due, seq, message }));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("NFQUEUE receive: {e}")),
            }
        }
        let now = Instant::now();
        while let Some(Reverse(next)) = held.peek() {
            if next.due > now && !stopping {
                break;
            }
            let Some(Reverse(next)) = held.pop() else {
                break;
            };
            if held.iter().any(|Reverse(other)| other.seq < next.seq) {
                stats.reordered += 1;
            }
            queue
                .verdict(next.message)
                .map_err(|e| format!("verdict: {e}"))?;
        }
        if stopping && held.is_empty() {
            return Ok(stats);
        }
        if !arrived {
            let wait = held
                .peek()
                .map_or(IDLE, |Reverse(next)| {
                    next.due.saturating_duration_since(now)
                })
                .min(IDLE);
            std::thread::sleep(wait);
        }
    }
}

/// One packet's delay: uniform over `delay ± jitter`, never below zero.
fn spread(fault: QueueFault, rng: &mut ChaCha8Rng) -> Duration {
    if fault.jitter.is_zero() {
        return fault.delay;
    }
    let low = fault.delay.saturating_sub(fault.jitter);
    let high = fault.delay + fault.jitter;
    rng.random_range(low..=high)
}

/// Flips one bit of a TCP segment's payload; false when the packet is not a whole IPv4 TCP
/// one carrying data. The kernel takes a packet a queue changed as unchecked and checks its
/// TCP checksum on the way in, so the segment is dropped as corrupt and counted in
/// `Tcp.InCsumErrors`. The TCP header is left alone because the kernel discards some broken
/// headers (no ACK flag, a short data offset) before it looks at the checksum, uncounted there.
fn flip_a_tcp_bit(message: &mut nfq::Message, rng: &mut ChaCha8Rng) -> bool {
    const TCP: u8 = 6;
    if message.get_original_len() != message.get_payload().len() {
        return false;
    }
    let packet = message.get_payload_mut();
    let (Some(&first), Some(&protocol)) = (packet.first(), packet.get(9)) else {
        return false;
    };
    let ip_header = usize::from(first & 0x0f) * 4;
    if first >> 4 != 4 || protocol != TCP {
        return false;
    }
    let Some(&offset) = packet.get(ip_header + 12) else {
        return false;
    };
    let payload = ip_header + usize::from(offset >> 4) * 4;
    if payload >= packet.len() {
        return false;
    }
    let at = rng.random_range(payload..packet.len());
    let bit = rng.random_range(0..8_u8);
    if let Some(byte) = packet.get_mut(at) {
        *byte ^= 1 << bit;
    }
    true
}
