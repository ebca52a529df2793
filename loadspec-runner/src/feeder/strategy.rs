//! Which row a call takes: the index arithmetic of each strategy, free of I/O.

/// How a feeder hands out its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Strategy {
    /// One cursor shared by every user: each call takes the next row.
    Sequential,
    /// A row drawn uniformly from the calling user's seeded random stream (reproducible with
    /// `--seed`).
    Random,
    /// User `i` of a step gets rows `i`, `i + users`, `i + 2 * users`... (one per iteration):
    /// no two users of a step share a row. `users` is the most users a step runs.
    UniquePerUser {
        /// The most users a step runs (the largest `threads` value).
        users: u64,
    },
}

/// What happens after the last row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnEnd {
    /// Start again from the first row (for unique rows: the user's own first row).
    Wrap,
    /// Fail with [`FeederError::Exhausted`](super::FeederError::Exhausted).
    Stop,
}

/// Why no row could be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Miss {
    /// Past the last row with [`OnEnd::Stop`].
    Exhausted,
    /// The user's index is not below the configured number of users.
    UserOutOfRange,
    /// Fewer rows than users: this user has none.
    NoRowForUser,
}

/// The row of the `n`-th call (from 0) of a shared cursor over `len` rows.
pub(crate) fn sequential(n: u64, len: u64, on_end: OnEnd) -> Result<u64, Miss> {
    match on_end {
        _ if len == 0 => Err(Miss::Exhausted),
        OnEnd::Wrap => Ok(n % len),
        OnEnd::Stop if n < len => Ok(n),
        OnEnd::Stop => Err(Miss::Exhausted),
    }
}

/// The row of user `index` at its `iteration` when `users` users share `len` rows.
pub(crate) fn unique(
    index: u64,
    iteration: u64,
    users: u64,
    len: u64,
    on_end: OnEnd,
) -> Result<u64, Miss> {
    if index >= users {
        return Err(Miss::UserOutOfRange);
    }
    if index >= len {
        return Err(Miss::NoRowForUser);
    }
    // Rows index, index + users, ... below len.
    let own = (len - index).div_ceil(users);
    let k = match on_end {
        OnEnd::Wrap => iteration % own,
        OnEnd::Stop if iteration < own => iteration,
        OnEnd::Stop => return Err(Miss::Exhausted),
    };
    Ok(index + k * users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_wraps_or_stops() {
        assert_eq!(sequential(4, 3, OnEnd::Wrap), Ok(1));
        assert_eq!(sequential(2, 3, OnEnd::Stop), Ok(2));
        assert_eq!(sequential(3, 3, OnEnd::Stop), Err(Miss::Exhausted));
    }

    #[test]
    fn unique_rows_are_disjoint_and_cover_the_file() {
        let (users, len) = (3, 10);
        let mut seen = vec![0; len as usize];
        for index in 0..users {
            for iteration in 0.. {
                match unique(index, iteration, users, len, OnEnd::Stop) {
                    Ok(row) => seen[row as usize] += 1,
                    Err(miss) => {
                        assert_eq!(miss, Miss::Exhausted);
                        break;
                    }
                }
            }
        }
        assert!(seen.iter().all(|n| *n == 1), "{seen:?}");
        // User 1 owns rows 1, 4, 7: the fourth iteration wraps to its first row.
        assert_eq!(unique(1, 3, users, len, OnEnd::Wrap), Ok(1));
        assert_eq!(
            unique(3, 0, users, len, OnEnd::Wrap),
            Err(Miss::UserOutOfRange)
        );
        assert_eq!(unique(2, 0, 3, 2, OnEnd::Wrap), Err(Miss::NoRowForUser));
    }
}
