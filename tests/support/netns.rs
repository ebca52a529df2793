//! Network namespaces for the network fault tests: each test makes one of its own
//! (`ip netns add ls-<pid>-<n>`, removed when dropped, also when the test panics), brings its
//! `lo` up and puts its faults there — `tc qdisc` (netem where the kernel has it, a token
//! bucket for a slow link) and nftables rules (random drops, duplicates, `tcp reset`). The
//! target and the load both run on a thread that entered the namespace ([`NetNs::enter`]):
//! a socket belongs to the namespace of the thread that made it, and a thread starts in the
//! namespace of the thread that spawned it, so the server's runtime and the engine's
//! coordinator and workers, all spawned from there, talk over that namespace's `127.0.0.1`
//! and nothing of the load reaches the machine's own loopback.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// Set to `1` (as CI does), a machine where no namespace can be made fails the network fault
/// tests instead of skipping them.
pub const REQUIRE_NETNS: &str = "LOADSPEC_REQUIRE_NETNS";
/// Set to `1`, a kernel without netem fails the netem tests instead of skipping them.
pub const REQUIRE_NETEM: &str = "LOADSPEC_REQUIRE_NETEM";

/// A network namespace of this process's own; deleted when dropped.
#[derive(Debug)]
pub struct NetNs {
    name: String,
}

/// Whether `variable` is set to `1`.
fn required(variable: &str) -> bool {
    std::env::var(variable).is_ok_and(|v| v.trim() == "1")
}

/// Prints `SKIPPED netfaults: <test>: <reason>` on the process's stderr itself, past libtest's
/// capture (which takes only `eprintln!`'s output), so a skip shows in every test log.
fn skipped(test: &str, reason: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED netfaults: {test}: {reason}");
}

/// Runs `program` with `args`, `stdin` written to it, and returns its stdout, or an error
/// naming the command and what it printed.
fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Result<String, String> {
    let shown = || format!("{program} {}", args.join(" "));
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("`{}` did not start: {e}", shown()))?;
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        input
            .write_all(text.as_bytes())
            .map_err(|e| format!("`{}`: writing its input: {e}", shown()))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("`{}`: {e}", shown()))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "`{}` failed ({}): {}{}",
            shown(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim(),
            stdin.map(|s| format!("\n{s}")).unwrap_or_default()
        ))
    }
}

impl NetNs {
    /// Makes a namespace and brings its `lo` up (MTU 1500); an error says why not (not root,
    /// no `ip`, `tc` or `nft`, namespaces refused).
    pub fn create() -> Result<Self, String> {
        if !rustix::process::geteuid().is_root() {
            return Err("not running as root (network namespaces need CAP_SYS_ADMIN)".into());
        }
        // The faults' tools (iproute2's `tc`, nftables' `nft`): missing, the tests cannot run.
        run("tc", &["-V"], None)?;
        run("nft", &["--version"], None)?;
        static MADE: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "ls-{}-{}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed)
        );
        run("ip", &["netns", "add", &name], None)?;
        // From here on, dropping it deletes the namespace.
        let ns = Self { name };
        // An Ethernet link's MTU rather than loopback's 64 KiB: a response of a few KiB is
        // then several segments, and a fault meets each of them.
        ns.ip(&["link", "set", "lo", "mtu", "1500", "up"])?;
        Ok(ns)
    }

    /// [`create`](Self::create), or `None` after printing `SKIPPED netfaults: <test>: <reason>`
    /// to stderr; panics instead when [`REQUIRE_NETNS`] is `1`.
    pub fn or_skip(test: &str) -> Option<Self> {
        match Self::create() {
            Ok(ns) => Some(ns),
            Err(reason) => {
                Self::unavailable(test, &reason);
                None
            }
        }
    }

    /// What a test does when something it needs for a fault is missing: panics when
    /// [`REQUIRE_NETNS`] is `1`, else prints `SKIPPED netfaults: <test>: <reason>`.
    pub fn unavailable(test: &str, reason: &str) {
        if required(REQUIRE_NETNS) {
            panic!("{REQUIRE_NETNS}=1 but {test} cannot run: {reason}");
        }
        skipped(test, reason);
    }

    /// [`or_skip`](Self::or_skip), and the kernel must have netem: where it has none
    /// (`CONFIG_NET_SCH_NETEM` unset), `SKIPPED netfaults: <test>: …` and `None`, or a panic
    /// when [`REQUIRE_NETEM`] is `1`.
    pub fn with_netem_or_skip(test: &str) -> Option<Self> {
        let ns = Self::or_skip(test)?;
        match ns.tc(&["qdisc", "add", "dev", "lo", "root", "netem", "delay", "0ms"]) {
            Ok(_) => {
                let _ = ns.tc(&["qdisc", "del", "dev", "lo", "root"]);
                Some(ns)
            }
            Err(reason) if required(REQUIRE_NETEM) => {
                panic!("{REQUIRE_NETEM}=1 but this kernel has no netem: {reason}")
            }
            Err(reason) => {
                skipped(
                    test,
                    &format!("this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM): {reason}"),
                );
                None
            }
        }
    }

    /// Its name (`ls-<pid>-<n>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `ip -n <name> <args>`.
    pub fn ip(&self, args: &[&str]) -> Result<String, String> {
        let mut all = vec!["-n", &self.name];
        all.extend_from_slice(args);
        run("ip", &all, None)
    }

    /// `tc -n <name> <args>`.
    pub fn tc(&self, args: &[&str]) -> Result<String, String> {
        let mut all = vec!["-n", &self.name];
        all.extend_from_slice(args);
        run("tc", &all, None)
    }

    /// Replaces the root qdisc of the namespace's `lo` with `qdisc` (e.g. `netem delay 50ms`).
    pub fn set_qdisc(&self, qdisc: &str) -> Result<(), String> {
        let mut args = vec!["qdisc", "replace", "dev", "lo", "root"];
        args.extend(qdisc.split_whitespace());
        self.tc(&args).map(drop)
    }

    /// Loads an nftables `script` (`nft -f -`) in the namespace.
    pub fn nft(&self, script: &str) -> Result<String, String> {
        run(
            "ip",
            &["netns", "exec", &self.name, "nft", "-f", "-"],
            Some(script),
        )
    }

    /// Runs `iptables <args>` in the namespace (e.g. `-A INPUT … -j REJECT`).
    pub fn iptables(&self, args: &[&str]) -> Result<String, String> {
        iptables_in(&self.name, args)
    }

    /// Runs `nft <args>` in the namespace (e.g. `list ruleset`).
    pub fn nft_cmd(&self, args: &[&str]) -> Result<String, String> {
        let mut all = vec!["netns", "exec", &self.name, "nft"];
        all.extend_from_slice(args);
        run("ip", &all, None)
    }

    /// The namespace's TCP counters, from its `/proc/net/snmp` and `/proc/net/netstat`,
    /// named `Tcp.RetransSegs`, `TcpExt.TCPDSACKOldSent` and so on.
    pub fn tcp_counters(&self) -> Result<BTreeMap<String, u64>, String> {
        let text = run(
            "ip",
            &[
                "netns",
                "exec",
                &self.name,
                "cat",
                "/proc/net/snmp",
                "/proc/net/netstat",
            ],
            None,
        )?;
        let mut counters = BTreeMap::new();
        let mut lines = text.lines();
        while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
            let (Some((group, names)), Some((_, values))) =
                (names.split_once(':'), values.split_once(':'))
            else {
                continue;
            };
            if !group.starts_with("Tcp") {
                continue;
            }
            for (name, value) in names.split_whitespace().zip(values.split_whitespace()) {
                if let Ok(value) = value.parse() {
                    counters.insert(format!("{group}.{name}"), value);
                }
            }
        }
        Ok(counters)
    }

    /// Runs `f` on a thread that entered the namespace, and returns what it returns; its
    /// panic, if it panics, goes on in the caller. Every thread `f` spawns, and every socket
    /// they make, is in the namespace.
    pub fn enter<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, String> {
        let path = self.path();
        std::thread::scope(|scope| {
            let thread = std::thread::Builder::new()
                .name(format!("netns-{}", self.name))
                .spawn_scoped(scope, move || {
                    join_namespace(&path)?;
                    Ok(f())
                })
                .map_err(|e| format!("no thread for {}: {e}", self.name))?;
            match thread.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    /// Starts `f` on a thread of its own (`<what>-<namespace>`) that entered the namespace,
    /// for a helper that outlives one call (a packet queue); joining it gives what `f`
    /// returned, or why the thread could not enter the namespace.
    pub fn spawn<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce() -> Result<T, String> + Send + 'static,
    ) -> Result<std::thread::JoinHandle<Result<T, String>>, String> {
        let path = self.path();
        std::thread::Builder::new()
            .name(format!("{what}-{}", self.name))
            .spawn(move || {
                join_namespace(&path)?;
                f()
            })
            .map_err(|e| format!("no thread for {what} in {}: {e}", self.name))
    }

    fn path(&self) -> String {
        format!("/run/netns/{}", self.name)
    }
}

/// Runs `iptables <args>` in the namespace called `name`, for a helper that outlives its
/// [`NetNs`] borrow (a packet queue deleting its rule).
pub(crate) fn iptables_in(name: &str, args: &[&str]) -> Result<String, String> {
    let mut all = vec!["netns", "exec", name, "iptables"];
    all.extend_from_slice(args);
    run("ip", &all, None)
}

/// Moves the calling thread into the network namespace at `path` (`/run/netns/<name>`).
fn join_namespace(path: &str) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    rustix::thread::move_into_link_name_space(
        file.as_fd(),
        Some(rustix::thread::LinkNameSpaceType::Network),
    )
    .map_err(|e| format!("setns({path}): {e}"))
}

impl Drop for NetNs {
    fn drop(&mut self) {
        if let Err(e) = run("ip", &["netns", "del", &self.name], None) {
            eprintln!("network namespace {} left behind: {e}", self.name);
        }
    }
}
