//! [`Wal`]: the single-owner handle, source-compatible with walogs 0.1, plus the additive
//! operations (batches, explicit sync, reads by LSN, suffix truncation).

use std::path::Path;

use crate::config::{WalConfig, WalOptions};
use crate::error::WalError;
use crate::reader::{WalCursor, WalIter, read_entry};
use crate::types::{Lsn, LsnRange, RecoveryReport, TailState};
use crate::writer::LogWriter;

/// A write-ahead log in one directory, owned by one handle.
///
/// Opening takes an exclusive lock on the directory (released on drop); `&mut self` on every
/// mutation makes the single writer a compile-time fact. For many threads, use
/// [`crate::SharedWal`].
#[derive(Debug)]
pub struct Wal {
    w: LogWriter,
}

impl Wal {
    /// Open or create the WAL in `dir` with default settings.
    ///
    /// Creates `dir` (and missing parents, each followed by an fsync of its parent), takes the
    /// write lock, migrates a v1 `wal.log`, verifies every frame of every segment, truncates a
    /// torn tail (and syncs), and fdatasyncs the active segment. Fails with
    /// [`WalError::Locked`] if another handle holds the directory, [`WalError::Corrupt`] for
    /// damage that is not a torn final write, [`WalError::Io`] for OS errors.
    pub fn open(dir: &Path) -> Result<Wal, WalError> {
        Self::open_with_options(dir, WalOptions::new())
    }

    /// Open with a 0.1 [`WalConfig`]; everything else at its default.
    pub fn open_with_config(dir: &Path, config: WalConfig) -> Result<Wal, WalError> {
        Self::open_with_options(dir, WalOptions::from(config))
    }

    /// Open with every setting of [`WalOptions`] (same as [`WalOptions::open`]).
    pub fn open_with_options(dir: &Path, options: WalOptions) -> Result<Wal, WalError> {
        Ok(Wal {
            w: LogWriter::open(dir, options)?,
        })
    }

    /// Append one entry; returns its LSN.
    ///
    /// Under the default durability the entry is written (`pwrite`) and fdatasync'd before
    /// `Ok` is returned: one write + one fdatasync, plus a rotation when the segment is full
    /// and an occasional `fallocate`. An entry over [`crate::MAX_ENTRY_SIZE`] is refused with
    /// [`WalError::EntryTooLarge`] and nothing is written. A failed write or sync poisons the
    /// handle.
    #[must_use = "check Ok/Err and use the returned Lsn"]
    pub fn append(&mut self, data: &[u8]) -> Result<Lsn, WalError> {
        self.w.append_entries(&[data]).map(|r| r.first)
    }

    /// Append several entries as one atomic batch frame: one write and one fdatasync; after a
    /// crash either all of them are in the log or none is. Their total size must fit
    /// [`crate::MAX_BATCH_SIZE`]. A batch of one entry is written as a plain frame.
    ///
    /// Batch frames are a format extension walogs 0.1 cannot read.
    pub fn append_batch<T: AsRef<[u8]>>(&mut self, entries: &[T]) -> Result<LsnRange, WalError> {
        self.w.append_entries(entries)
    }

    /// Append entries of any number and total size, not atomically: as few batch frames as
    /// possible, each one write and one fdatasync. After a crash a prefix of those frames may
    /// survive. Use [`Wal::append_batch`] when the batch must be all or nothing.
    pub fn append_many<T: AsRef<[u8]>>(&mut self, entries: &[T]) -> Result<LsnRange, WalError> {
        self.w.append_many(entries)
    }

    /// Make every appended entry durable (one fdatasync if anything is pending); returns the
    /// durable LSN. Needed only under the `Interval`, `Manual` and `None` policies.
    pub fn sync(&mut self) -> Result<Lsn, WalError> {
        self.w.sync()
    }

    /// The highest LSN known to be on disk (`Lsn(0)`: none). Costs nothing.
    pub fn durable_lsn(&self) -> Lsn {
        Lsn(self.w.durable_lsn())
    }

    /// Iterate every entry in LSN order, across all segments.
    pub fn iter(&self) -> WalIter {
        WalIter::new(self.w.plan(self.w.first_lsn()))
    }

    /// Iterate from `from` (inclusive), using the sparse index: no scan from the start.
    /// `from` may equal `next_lsn()` (an empty iterator); outside `first_lsn()..=next_lsn()`
    /// it is [`WalError::LsnOutOfRange`].
    pub fn iter_from(&self, from: Lsn) -> Result<WalIter, WalError> {
        Ok(WalIter::new(Ok(self.w.plan(from.0)?)))
    }

    /// A cursor from `from` that lends each entry instead of allocating it.
    pub fn cursor_from(&self, from: Lsn) -> Result<WalCursor, WalError> {
        Ok(WalCursor::new(self.w.plan(from.0)?))
    }

    /// Read one entry. [`WalError::LsnOutOfRange`] if `lsn` was checkpointed away or not
    /// written yet. Costs one open and reads of at most ~64 KiB plus the entry.
    pub fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError> {
        let seg = self.w.segment_of(lsn.0)?;
        read_entry(self.w.fs().clone(), seg, lsn.0)
    }

    /// Seal the active segment and start a new one; no-op when the active segment is empty.
    /// Costs one fdatasync, the metadata file update (write + fdatasync + rename), a create
    /// and one directory fsync.
    pub fn rotate(&mut self) -> Result<(), WalError> {
        self.w.rotate()
    }

    /// Delete, oldest first, every completed segment whose entries all have
    /// `lsn <= applied_up_to`; never the active segment. Returns how many were deleted.
    /// `Lsn(0)` deletes nothing. Costs one unlink and one directory fsync per segment.
    #[must_use = "check Ok/Err; segment deletion errors leave WAL in a partial state"]
    pub fn checkpoint(&mut self, applied_up_to: Lsn) -> Result<usize, WalError> {
        self.w.checkpoint(applied_up_to)
    }

    /// Remove every entry after `keep_up_to`, durably (truncate + fdatasync, and for each
    /// removed segment an unlink + directory fsync). The next append gets `keep_up_to + 1`.
    /// Returns how many entries were removed. Below the checkpointed floor it is
    /// [`WalError::LsnOutOfRange`]; inside an atomic batch, [`WalError::InvalidArgument`].
    pub fn truncate_after(&mut self, keep_up_to: Lsn) -> Result<u64, WalError> {
        self.w.truncate_after(keep_up_to)
    }

    /// What the most recent open found at the end of the last segment.
    pub fn tail_state(&self) -> TailState {
        self.w.tail_state()
    }

    /// What open found and did (tail, salvage, migration).
    pub fn recovery_report(&self) -> RecoveryReport {
        self.w.report().clone()
    }

    /// The LSN the next successful append will get.
    #[must_use]
    pub fn next_lsn(&self) -> Lsn {
        Lsn(self.w.next_lsn())
    }

    /// The oldest LSN still in the log (`next_lsn()` when it is empty).
    pub fn first_lsn(&self) -> Lsn {
        Lsn(self.w.first_lsn())
    }

    /// Segment files in use (completed + active).
    #[must_use]
    pub fn segment_count(&self) -> usize {
        self.w.segment_count()
    }

    /// The WAL directory.
    pub fn dir(&self) -> &Path {
        self.w.dir()
    }

    /// Whether an earlier failed write or sync poisoned this handle.
    pub fn is_poisoned(&self) -> bool {
        self.w.poisoned().is_some()
    }

    /// Whether the handle was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.w.is_read_only()
    }

    /// Close: cut the preallocated tail, fdatasync, release the lock, reporting any error
    /// (dropping the handle does the same but cannot report).
    pub fn close(mut self) -> Result<(), WalError> {
        self.w.close()
    }
}
