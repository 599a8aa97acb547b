//! The one error type of walogs.

use std::io;
use std::path::PathBuf;

/// Errors returned by every walogs operation.
///
/// The first three variants are those of the published `walogs` 0.1 crate and keep their
/// `Display` text; the others are failure kinds 0.1 did not detect.
#[derive(Debug, thiserror::Error)]
pub enum WalError {
    /// An operating-system I/O error (disk full, permission denied, hardware fault, ...).
    ///
    /// A failed write or sync also poisons the handle: later mutating calls return
    /// [`WalError::Poisoned`].
    #[error("io error: {0}")]
    Io(#[from] io::Error),

    /// An entry (or an atomic batch) is larger than the format allows. Nothing was written.
    #[error("entry too large: {size} bytes, max is {max}")]
    EntryTooLarge {
        /// Size of the rejected entry or batch, in bytes.
        size: usize,
        /// The limit it exceeded ([`crate::MAX_ENTRY_SIZE`] or [`crate::MAX_BATCH_SIZE`]).
        max: usize,
    },

    /// The directory holds damage walogs will not repair silently: a bad frame in a completed
    /// segment, a bad frame followed by valid ones, an LSN discontinuity, a gap in segment
    /// numbers, a damaged metadata file. `reason` names the file and byte offset.
    #[error("wal corrupt: {reason}")]
    Corrupt {
        /// Human-readable description naming the file and byte offset.
        reason: String,
    },

    /// Another handle (in this process or another one) holds the directory's write lock.
    #[error("wal locked: {} is already open for writing by another handle", path.display())]
    Locked {
        /// The WAL directory.
        path: PathBuf,
    },

    /// An earlier write or sync failed, so what is on disk is unknown. Every mutating call
    /// fails with this error until the WAL is reopened (which re-reads what is really on disk).
    #[error("wal poisoned by an earlier failure ({reason}); reopen the WAL")]
    Poisoned {
        /// What failed first.
        reason: String,
    },

    /// A mutating call was made on a handle opened read-only.
    #[error("wal is open read-only")]
    ReadOnly,

    /// The handle was closed.
    #[error("wal is closed")]
    Closed,

    /// A read or truncate named an LSN outside the entries the WAL holds.
    #[error(
        "lsn {lsn} out of range: the wal holds lsn {first} up to but not including {next} (the next append gets {next})"
    )]
    LsnOutOfRange {
        /// The LSN asked for.
        lsn: u64,
        /// The oldest LSN still kept (equal to `next` when the WAL is empty).
        first: u64,
        /// The LSN the next append will get.
        next: u64,
    },

    /// An argument the operation cannot accept (an empty batch, a truncation point inside an
    /// atomic batch, ...). Nothing was changed.
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What was wrong.
        reason: String,
    },
}

impl WalError {
    pub(crate) fn corrupt(reason: impl Into<String>) -> Self {
        WalError::Corrupt {
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        WalError::InvalidArgument {
            reason: reason.into(),
        }
    }
}
