//! [`StoreError`]: every way the store refuses or fails, and how it reaches openraft (as a
//! [`StorageError`], which makes openraft stop the node).

use std::path::PathBuf;

use openraft::{AnyError, ErrorSubject, ErrorVerb, NodeId, StorageError, StorageIOError};
use walogs_core::WalError;

use crate::codec::CodecError;
use crate::state_codec::StateCodecError;

/// An error of the walogs log store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// walogs failed (I/O, damage, a poisoned or locked log, ...).
    #[error(transparent)]
    Wal(#[from] WalError),

    /// The directory holds a walogs log written by another application: an entry without this
    /// crate's record magic (or of a codec version it does not read). Found at open; nothing
    /// was changed.
    #[error(
        "{}: LSN {lsn} is not a walogs-openraft log record ({reason}); the directory holds another application's log",
        dir.display()
    )]
    ForeignLog {
        /// The log directory.
        dir: PathBuf,
        /// The entry checked.
        lsn: u64,
        /// What is wrong with it.
        reason: CodecError,
    },

    /// The walogs user data is not this crate's state (another application's, or a version
    /// this build does not read). Found at open; nothing was changed.
    #[error("{}: the walogs user data is not walogs-openraft state ({reason})", dir.display())]
    ForeignState {
        /// The log directory.
        dir: PathBuf,
        /// What is wrong with it.
        reason: StateCodecError,
    },

    /// An append that goes backwards or overlaps the log (openraft must truncate first).
    #[error(
        "append of index {got} refused: the log's next index is {expected}; an append that overlaps or goes back must follow a truncate"
    )]
    Overlap {
        /// The index the log expects next.
        expected: u64,
        /// The index of the entry offered.
        got: u64,
    },

    /// An append that skips more indexes than [`crate::MAX_GAP`] (each skipped index costs a
    /// gap record).
    #[error(
        "append of index {got} refused: the log's next index is {expected}, a jump of more than {max} indexes"
    )]
    JumpTooLarge {
        /// The index the log expects next.
        expected: u64,
        /// The index of the entry offered.
        got: u64,
        /// The largest jump accepted.
        max: u64,
    },

    /// A truncation at or below the purged floor (the entries are gone already).
    #[error("truncate at index {index} refused: every index up to {purged} is purged")]
    TruncatePurged {
        /// The first index to remove.
        index: u64,
        /// The last purged index.
        purged: u64,
    },

    /// A stored record does not decode, or records another index than its LSN says.
    #[error("LSN {lsn} (index {index}): {reason}")]
    BadRecord {
        /// The walogs LSN.
        lsn: u64,
        /// The Raft index it must hold (`lsn - 1`).
        index: u64,
        /// What is wrong.
        reason: String,
    },

    /// An entry or the state could not be encoded.
    #[error("encoding failed: {0}")]
    Encode(String),
}

impl StoreError {
    /// This error as openraft's [`StorageError`] about `subject`, while doing `verb`.
    pub fn into_storage<NID: NodeId>(
        self,
        subject: ErrorSubject<NID>,
        verb: ErrorVerb,
    ) -> StorageError<NID> {
        StorageIOError::new(subject, verb, AnyError::new(&self)).into()
    }

    /// This error as an [`std::io::Error`] (how a failed flush reaches openraft's
    /// `LogFlushed` callback); a walogs I/O error keeps its OS error.
    pub fn into_io(self) -> std::io::Error {
        match self {
            StoreError::Wal(WalError::Io(e)) => e,
            other => std::io::Error::other(other),
        }
    }
}
