//! Where the users' connections come from. A connection to one target address needs a local
//! port of its own, and one source address has only as many as the machine's ephemeral range
//! (about 28,000 on Linux): spreading users over several source addresses of 127.0.0.0/8 lets
//! one machine hold 100,000 connections to a loopback target.

use std::net::{IpAddr, Ipv4Addr};

/// Most addresses a list may expand to: more than any machine has ports for.
const MOST_ADDRESSES: usize = 65_536;

/// Share of an address's local ports a run plans to use: the rest stays for the machine's
/// other connections, and for ports still in TIME_WAIT from the step before.
const PORT_SHARE: f64 = 0.9;

/// `--source-addresses` as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SourceAddresses {
    /// Spread over enough of 127.0.0.0/8 when the largest step needs more connections to a
    /// loopback target than one address has local ports; otherwise the system's choice.
    #[default]
    Auto,
    /// Always the system's choice.
    Off,
    /// These addresses, user `i` from address `i % n`.
    List(Vec<IpAddr>),
}

/// Parses `auto`, `off`, or a comma-separated list of addresses and inclusive IPv4 ranges
/// (`127.0.0.1-127.0.0.8,127.0.1.1`).
pub(crate) fn parse(text: &str) -> Result<SourceAddresses, String> {
    const EXPECTED: &str = "`auto`, `off`, or a comma-separated list of IP addresses and ranges such as 127.0.0.1-127.0.0.8";
    match text.trim() {
        "auto" => return Ok(SourceAddresses::Auto),
        "off" | "none" => return Ok(SourceAddresses::Off),
        _ => {}
    }
    let mut addresses = Vec::new();
    for item in text.split(',').map(str::trim) {
        if let Some((first, last)) = item.split_once('-') {
            let (Ok(first), Ok(last)) = (
                first.trim().parse::<Ipv4Addr>(),
                last.trim().parse::<Ipv4Addr>(),
            ) else {
                return Err(format!(
                    "{EXPECTED} (a range is two IPv4 addresses, not {item:?})"
                ));
            };
            let (first, last) = (u32::from(first), u32::from(last));
            if first > last {
                return Err(format!("{EXPECTED} (the range {item:?} runs backwards)"));
            }
            if (last - first) as usize >= MOST_ADDRESSES {
                return Err(format!(
                    "{EXPECTED} (the range {item:?} has more than {MOST_ADDRESSES} addresses)"
                ));
            }
            addresses.extend((first..=last).map(|n| IpAddr::V4(Ipv4Addr::from(n))));
        } else {
            let address = item
                .parse::<IpAddr>()
                .map_err(|_| format!("{EXPECTED} ({item:?} is not an IP address)"))?;
            addresses.push(address);
        }
        if addresses.len() > MOST_ADDRESSES {
            return Err(format!("{EXPECTED} (at most {MOST_ADDRESSES} addresses)"));
        }
    }
    if addresses.iter().any(IpAddr::is_unspecified) {
        return Err(format!(
            "{EXPECTED} (0.0.0.0 and :: are not source addresses)"
        ));
    }
    Ok(SourceAddresses::List(addresses))
}

/// The addresses a run binds its connections to (empty: the system chooses). `Auto` spreads a
/// step of `users` connections to an IPv4 loopback target over `127.0.0.1`, `127.0.0.2`, … when
/// one address's `ports_per_address` would not hold them.
pub(crate) fn resolve(
    choice: &SourceAddresses,
    target_is_loopback_v4: bool,
    users: u64,
    ports_per_address: Option<u32>,
) -> Vec<IpAddr> {
    match choice {
        SourceAddresses::Off => Vec::new(),
        SourceAddresses::List(addresses) => addresses.clone(),
        SourceAddresses::Auto => {
            let Some(ports) = ports_per_address.filter(|_| target_is_loopback_v4) else {
                return Vec::new();
            };
            let usable = ((f64::from(ports) * PORT_SHARE) as u64).max(1);
            if users <= usable {
                return Vec::new();
            }
            // 127.0.0.1 up to 127.255.255.254: all of the loopback network routes to `lo`.
            let count = users.div_ceil(usable).min(0x00FF_FFFE);
            (0..count as u32)
                .map(|i| IpAddr::V4(Ipv4Addr::from(u32::from(Ipv4Addr::LOCALHOST) + i)))
                .collect()
        }
    }
}

/// How `addresses` read in a message: `127.0.0.1–127.0.0.4` when consecutive.
pub(crate) fn describe(addresses: &[IpAddr]) -> String {
    let consecutive = addresses.windows(2).all(|pair| match pair {
        [IpAddr::V4(a), IpAddr::V4(b)] => u32::from(*a).checked_add(1) == Some(u32::from(*b)),
        _ => false,
    });
    match addresses {
        [] => "the system's choice".to_owned(),
        [one] => one.to_string(),
        [first, .., last] if consecutive => format!("{first}–{last}"),
        many => many
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> IpAddr {
        IpAddr::V4(text.parse().unwrap())
    }

    #[test]
    fn lists_and_ranges_expand_in_order() {
        assert_eq!(parse("auto"), Ok(SourceAddresses::Auto));
        assert_eq!(parse("off"), Ok(SourceAddresses::Off));
        assert_eq!(
            parse("127.0.0.1-127.0.0.3, 127.0.1.1,::1"),
            Ok(SourceAddresses::List(vec![
                v4("127.0.0.1"),
                v4("127.0.0.2"),
                v4("127.0.0.3"),
                v4("127.0.1.1"),
                "::1".parse().unwrap(),
            ]))
        );
        // A range crossing an octet boundary.
        let SourceAddresses::List(crossing) = parse("127.0.0.255-127.0.1.0").unwrap() else {
            panic!("a list")
        };
        assert_eq!(crossing, vec![v4("127.0.0.255"), v4("127.0.1.0")]);
    }

    #[test]
    fn a_wrong_list_says_what_was_expected_and_which_item() {
        for (text, names) in [
            ("127.0.0.1,nope", "\"nope\" is not an IP address"),
            ("127.0.0.9-127.0.0.1", "runs backwards"),
            ("127.0.0.1-::1", "two IPv4 addresses"),
            ("127.0.0.0-127.1.0.0", "more than 65536"),
            ("0.0.0.0", "not source addresses"),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.starts_with("`auto`, `off`"), "{error}");
            assert!(error.contains(names), "{text}: {error}");
        }
    }

    #[test]
    fn auto_spreads_only_a_loopback_step_too_large_for_one_address() {
        let auto = SourceAddresses::Auto;
        // 28,232 ports (Linux's default range), 90 % of them used: 25,408 per address.
        assert_eq!(
            resolve(&auto, true, 25_000, Some(28_232)),
            Vec::<IpAddr>::new()
        );
        let spread = resolve(&auto, true, 100_000, Some(28_232));
        assert_eq!(spread.len(), 4);
        assert_eq!(spread[0], v4("127.0.0.1"));
        assert_eq!(spread[3], v4("127.0.0.4"));
        // Not loopback, or the range unknown: the system chooses.
        assert!(resolve(&auto, false, 100_000, Some(28_232)).is_empty());
        assert!(resolve(&auto, true, 100_000, None).is_empty());
        assert!(resolve(&SourceAddresses::Off, true, 100_000, Some(28_232)).is_empty());
        let given = SourceAddresses::List(vec![v4("127.0.0.9")]);
        assert_eq!(resolve(&given, false, 1, None), vec![v4("127.0.0.9")]);
    }

    #[test]
    fn consecutive_addresses_read_as_a_range() {
        assert_eq!(describe(&[]), "the system's choice");
        assert_eq!(describe(&[v4("127.0.0.1")]), "127.0.0.1");
        assert_eq!(
            describe(&[v4("127.0.0.1"), v4("127.0.0.2"), v4("127.0.0.3")]),
            "127.0.0.1–127.0.0.3"
        );
        assert_eq!(
            describe(&[v4("127.0.0.1"), v4("127.0.0.5")]),
            "127.0.0.1, 127.0.0.5"
        );
    }
}
