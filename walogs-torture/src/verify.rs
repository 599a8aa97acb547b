//! Read back a WAL directory the way a user would after a crash, and check every byte.

use std::path::Path;

use walogs_core::{Lsn, TailState, WalError, WalOptions};

use crate::util::retry_locked;

/// What a directory holds after recovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// `first_lsn()` after open.
    pub first: u64,
    /// `next_lsn()` after open.
    pub next: u64,
    /// `purged_up_to()` after open.
    pub floor: u64,
    /// What open found at the tail.
    pub tail: TailState,
    /// Entries read.
    pub entries: u64,
    /// Bytes of payload read.
    pub bytes: u64,
    /// Smallest and largest entry read (`(0, 0)` when none).
    pub entry_sizes: (u64, u64),
    /// Places where the iteration skipped or repeated an LSN: `(expected, got)`.
    pub gaps: Vec<(u64, u64)>,
    /// LSNs whose bytes are not the payload the oracle expects there.
    pub mismatches: Vec<u64>,
    /// An error met while iterating (after a successful open).
    pub read_error: Option<String>,
    /// `user_data()` (its error's text if it failed).
    pub user: Result<Vec<u8>, String>,
}

impl Recovered {
    /// Last LSN held (`next - 1`; 0 when nothing was ever written).
    pub fn last(&self) -> u64 {
        self.next.saturating_sub(1)
    }

    /// A directory holding `first..next` with nothing wrong (for tests of the oracles).
    pub fn clean(first: u64, next: u64) -> Recovered {
        Recovered {
            first,
            next,
            floor: 0,
            tail: TailState::Clean,
            entries: next - first,
            bytes: 0,
            entry_sizes: (0, 0),
            gaps: vec![],
            mismatches: vec![],
            read_error: None,
            user: Ok(Vec::new()),
        }
    }
}

/// Open `dir` (read-only, so nothing on disk changes, or writable, which truncates a torn
/// tail as any user's open would), read every entry with a cursor and check it with
/// `expected(lsn, bytes)`; read the user data. Costs one pass over the log.
pub fn inspect(
    dir: &Path,
    writable: bool,
    expected: impl Fn(u64, &[u8]) -> bool,
) -> Result<Recovered, WalError> {
    let opts = WalOptions::new()
        .read_only(!writable)
        .max_segment_size(None);
    let wal = retry_locked(|| opts.open(dir))?;
    let first = wal.first_lsn().0;
    let next = wal.next_lsn().0;
    let mut rec = Recovered {
        first,
        next,
        floor: wal.purged_up_to().0,
        tail: wal.tail_state(),
        entries: 0,
        bytes: 0,
        entry_sizes: (0, 0),
        gaps: Vec::new(),
        mismatches: Vec::new(),
        read_error: None,
        user: wal.user_data().map_err(|e| e.to_string()),
    };
    let mut cursor = wal.cursor_from(Lsn(first))?;
    let mut expect = first;
    while let Some(item) = cursor.next_entry() {
        match item {
            Ok((lsn, data)) => {
                if lsn.0 != expect {
                    rec.gaps.push((expect, lsn.0));
                }
                if !expected(lsn.0, data) {
                    rec.mismatches.push(lsn.0);
                }
                let n = data.len() as u64;
                rec.entry_sizes = if rec.entries == 0 {
                    (n, n)
                } else {
                    (rec.entry_sizes.0.min(n), rec.entry_sizes.1.max(n))
                };
                rec.entries += 1;
                rec.bytes += n;
                expect = lsn.0 + 1;
            }
            Err(e) => {
                rec.read_error = Some(e.to_string());
                break;
            }
        }
    }
    if rec.read_error.is_none() && expect != next {
        rec.gaps.push((expect, next));
    }
    drop(cursor);
    if writable {
        wal.close()?;
    }
    Ok(rec)
}
