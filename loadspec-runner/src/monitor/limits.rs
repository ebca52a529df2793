//! The process's own limits on this machine: how many files (so connections) it may open.
//! A run raises its soft limit to what its largest step needs, up to the hard limit, and says
//! before any load is sent when even the hard limit is too low, so a step's failures are never
//! read as the target's.

/// Descriptors a run needs besides one per user: the runtime, the monitor, log and result
/// files, the live outputs' listeners.
pub(crate) const OVERHEAD: u64 = 256;

/// What to do about the open-files limit: the soft limit to set (if it must rise) and a
/// warning when `needed` exceeds even the hard limit.
pub(crate) fn plan(soft: u64, hard: u64, needed: u64) -> (Option<u64>, Option<String>) {
    let raise = (soft < needed)
        .then(|| needed.min(hard))
        .filter(|&n| n > soft);
    let warning = (hard < needed).then(|| {
        format!(
            "the largest step needs about {needed} open files (a connection per user) but this process may open {hard} (ulimit -Hn): raise the hard limit (ulimit -n, LimitNOFILE=) or its users will fail with \"too many open files\""
        )
    });
    (raise, warning)
}

/// Raises the soft limit on open files towards `needed`; a warning when the limit cannot
/// reach it (or cannot be read).
#[cfg(target_os = "linux")]
pub(crate) fn raise_open_files(needed: u64) -> Option<String> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    // `None` is unlimited.
    let (soft, hard) = (
        limit.current.unwrap_or(u64::MAX),
        limit.maximum.unwrap_or(u64::MAX),
    );
    let (raise, warning) = plan(soft, hard, needed);
    if let Some(new_soft) = raise
        && let Err(e) = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(new_soft),
                maximum: limit.maximum,
            },
        )
    {
        return Some(format!(
            "could not raise the open-files limit from {soft} to {new_soft} ({e}): steps above about {} users may fail with \"too many open files\"",
            soft.saturating_sub(OVERHEAD)
        ));
    }
    warning
}

/// Other systems: nothing is raised or checked.
#[cfg(not(target_os = "linux"))]
pub(crate) fn raise_open_files(_needed: u64) -> Option<String> {
    None
}

/// Local ports one source address has for connections to one target address (the size of
/// `net.ipv4.ip_local_port_range`); `None` where it cannot be read.
pub(crate) fn local_ports() -> Option<u32> {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| port_range_size(&text))
}

fn port_range_size(text: &str) -> Option<u32> {
    let mut bounds = text.split_whitespace().map(str::parse::<u32>);
    let (Some(Ok(low)), Some(Ok(high))) = (bounds.next(), bounds.next()) else {
        return None;
    };
    (high >= low).then(|| high - low + 1)
}

/// A warning when a step's `connections` to one target need more local ports than `addresses`
/// source addresses (0: the system's one) of `ports` each have.
pub(crate) fn ports_warning(connections: u64, addresses: usize, ports: u32) -> Option<String> {
    let addresses = addresses.max(1) as u64;
    let capacity = addresses * u64::from(ports);
    (connections > capacity).then(|| {
        let wanted = connections.div_ceil(u64::from(ports).max(1));
        format!(
            "the largest step opens about {connections} connections, but {addresses} source address(es) give {capacity} local ports ({ports} each, net.ipv4.ip_local_port_range): give at least {wanted} with --source-addresses (e.g. 127.0.0.1-127.0.0.{}) or its users will fail with \"out of local ports\"",
            wanted.min(254)
        )
    })
}

/// The message of a connect that failed on this machine's side, not the target's: out of file
/// descriptors (EMFILE, ENFILE) or of local ports (EADDRNOTAVAIL).
pub(crate) fn local_exhaustion(error: &std::io::Error) -> Option<&'static str> {
    if error.kind() == std::io::ErrorKind::AddrNotAvailable {
        return Some(
            "loadspec ran out of local ports to this address (EADDRNOTAVAIL): fewer connections, or more source addresses",
        );
    }
    // EMFILE and ENFILE on Linux (and most Unix systems).
    match error.raw_os_error() {
        Some(24) => Some(
            "loadspec ran out of file descriptors (EMFILE): raise its open-files limit (ulimit -n)",
        ),
        Some(23) => Some(
            "the machine ran out of file descriptors (ENFILE): raise fs.file-max or run fewer users",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_rises_to_the_need_within_the_hard_limit() {
        assert_eq!(plan(1024, 524_288, 10_256), (Some(10_256), None));
        // Enough already: nothing to do.
        assert_eq!(plan(65_536, 65_536, 10_256), (None, None));
        // Too little even at the hard limit: raise to it, and say so.
        let (raise, warning) = plan(1024, 4096, 100_256);
        assert_eq!(raise, Some(4096));
        let warning = warning.unwrap();
        assert!(
            warning.contains("about 100256 open files") && warning.contains("may open 4096"),
            "{warning}"
        );
        // Soft already at the hard limit: nothing to raise, still the warning.
        assert_eq!(plan(4096, 4096, 100_256).0, None);
    }

    #[test]
    fn the_port_range_is_read_and_a_step_beyond_it_warned_about() {
        assert_eq!(port_range_size("32768\t60999\n"), Some(28_232));
        assert_eq!(port_range_size("60999 32768"), None);
        assert_eq!(port_range_size("garbage"), None);
        assert_eq!(ports_warning(28_000, 0, 28_232), None);
        let warning = ports_warning(100_000, 1, 28_232).unwrap();
        assert!(
            warning.contains("about 100000 connections") && warning.contains("at least 4"),
            "{warning}"
        );
        assert_eq!(ports_warning(100_000, 4, 28_232), None);
    }

    #[test]
    fn running_out_locally_is_told_apart_from_an_unreachable_target() {
        let emfile = std::io::Error::from_raw_os_error(24);
        assert!(local_exhaustion(&emfile).unwrap().contains("EMFILE"));
        let ports = std::io::Error::from(std::io::ErrorKind::AddrNotAvailable);
        assert!(local_exhaustion(&ports).unwrap().contains("local ports"));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(local_exhaustion(&refused), None);
    }
}
