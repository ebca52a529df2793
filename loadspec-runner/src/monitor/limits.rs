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
    fn running_out_locally_is_told_apart_from_an_unreachable_target() {
        let emfile = std::io::Error::from_raw_os_error(24);
        assert!(local_exhaustion(&emfile).unwrap().contains("EMFILE"));
        let ports = std::io::Error::from(std::io::ErrorKind::AddrNotAvailable);
        assert!(local_exhaustion(&ports).unwrap().contains("local ports"));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(local_exhaustion(&refused), None);
    }
}
