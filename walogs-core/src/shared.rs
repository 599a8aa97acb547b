//! [`SharedWal`]: the thread-safe handle. Its methods are those of every handle (see
//! `handle.rs`), all taking `&self`; concurrent appends share fdatasyncs (group commit, see
//! `group_commit.rs`).

use std::path::Path;

use crate::config::WalOptions;
use crate::engine::Engine;
use crate::error::WalError;
use crate::group_commit::Queued;
use crate::handle::{handle_methods, impl_wal_handle};
use crate::types::{Durability, Lsn, LsnRange, RecoveryReport, TailState};

/// A write-ahead log shared by many threads (`Send + Sync`), with group commit.
///
/// It owns the directory exclusively (the same lock as [`crate::Wal`]) and behaves exactly
/// like it; every method takes `&self`. Appends from many threads proceed concurrently and
/// share fdatasyncs. `close` is idempotent; afterwards every call returns
/// [`WalError::Closed`].
///
/// Under [`Durability::EveryAppend`], after a write that acknowledged several appends, the
/// appender that writes the next group first waits for as many callers to start waiting (the
/// callers just acknowledged, appending again), for at most half the duration of the last
/// fdatasync: threads appending in a loop then share one fdatasync instead of alternating
/// between two groups. That wait is the cost — up to half an fdatasync of latency when the
/// acknowledged callers do not come back; an appender alone never waits.
///
/// # Examples
///
/// ```
/// use walogs_core::{Lsn, SharedWal};
/// # let scratch = tempfile::tempdir()?;
/// # let dir = scratch.path().join("wal");
///
/// let wal = SharedWal::open(&dir)?;
/// std::thread::scope(|s| {
///     for t in 0..4 {
///         let wal = &wal;
///         s.spawn(move || {
///             for i in 0..10 {
///                 // Durable on Ok; concurrent appends share one write and one fdatasync.
///                 wal.append(format!("thread {t} entry {i}").as_bytes()).unwrap();
///             }
///         });
///     }
/// });
/// assert_eq!(wal.next_lsn(), Lsn(41)); // dense: 1..=40, no gaps
/// assert_eq!(wal.durable_lsn(), Lsn(40));
/// wal.close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SharedWal {
    engine: Engine,
}

impl SharedWal {
    /// Open or create the WAL in `dir` with default settings (see [`crate::Wal::open`]).
    pub fn open(dir: &Path) -> Result<SharedWal, WalError> {
        Self::open_with_options(dir, WalOptions::new())
    }

    /// Open with every setting of [`WalOptions`] (same as [`WalOptions::open_shared`]).
    pub fn open_with_options(dir: &Path, options: WalOptions) -> Result<SharedWal, WalError> {
        Ok(SharedWal {
            engine: Engine::open(dir, options)?,
        })
    }

    handle_methods!(SharedWal);

    /// Queue one entry for the group commit and return at once, with its LSN, before it is
    /// written: entries queued later (by any thread) get later LSNs and are written after
    /// it, so a caller that queues under a lock of its own fixes the order of its entries
    /// without holding that lock across the I/O. [`QueuedAppend::wait`] returns once the
    /// entry is written (and fdatasync'd under the default durability), like `append`; an
    /// entry nobody waits for is written by the next group, a `sync`, or `close`.
    ///
    /// Refused at once: an entry over [`crate::MAX_ENTRY_SIZE`]
    /// ([`WalError::EntryTooLarge`]), and a closed, poisoned or read-only handle. Costs one
    /// copy of `data` into the queue; the write and the fdatasync are shared with the
    /// group. A failed group poisons the handle and fails every entry queued behind it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use walogs_core::{Lsn, SharedWal};
    /// # let scratch = tempfile::tempdir()?;
    /// # let dir = scratch.path().join("wal");
    ///
    /// let wal = SharedWal::open(&dir)?;
    /// let state = Mutex::new(Vec::new()); // the caller's own state, ordered like the log
    /// let queued = {
    ///     let mut state = state.lock().unwrap();
    ///     let queued = wal.append_queued(b"op 1")?; // LSN fixed now, no I/O under the lock
    ///     state.push(queued.lsn());
    ///     queued
    /// };
    /// assert_eq!(queued.wait()?, Lsn(1)); // durable once wait returns Ok
    /// assert_eq!(*state.lock().unwrap(), [Lsn(1)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use = "wait() for the entry, or it is written only with a later group"]
    pub fn append_queued(&self, data: &[u8]) -> Result<QueuedAppend<'_>, WalError> {
        Ok(QueuedAppend {
            wal: self,
            queued: self.engine.enqueue(data)?,
        })
    }

    /// Write what is queued, cut the preallocated tail, fdatasync and release the lock.
    /// Idempotent; afterwards every call returns [`WalError::Closed`] (iterators too, at
    /// their next call). In a forked child: [`WalError::Forked`], and nothing is written.
    pub fn close(&self) -> Result<(), WalError> {
        self.engine.close()
    }
}

impl_wal_handle!(SharedWal);

/// An entry queued by [`SharedWal::append_queued`]: its LSN is fixed, its write may still
/// be under way.
#[derive(Debug)]
pub struct QueuedAppend<'a> {
    wal: &'a SharedWal,
    queued: Queued,
}

impl QueuedAppend<'_> {
    /// The LSN the entry holds once written.
    #[must_use]
    pub fn lsn(&self) -> Lsn {
        Lsn(self.queued.lsn)
    }

    /// Return once the entry is written (and synced under the default durability), taking
    /// a leader's turn when no group is being written; the error that stopped the log
    /// otherwise (the failed write's poison, `Closed`).
    pub fn wait(self) -> Result<Lsn, WalError> {
        self.wal.engine.wait_queued(self.queued)
    }
}

impl WalOptions {
    /// Open a thread-safe [`SharedWal`] whose concurrent appends share fdatasyncs.
    pub fn open_shared(&self, dir: impl AsRef<Path>) -> Result<SharedWal, WalError> {
        SharedWal::open_with_options(dir.as_ref(), self.clone())
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<SharedWal>();
}
