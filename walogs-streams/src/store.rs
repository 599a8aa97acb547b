//! The store shared by a [`crate::Streams`] handle, its consumers and its cleaner: the
//! underlying log, the store mutex and what it guards ([`State`]), the condition variable
//! consumers wait on, and the closed flag. Also the helpers every operation starts with.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};

use walogs_core::{Durability, ProcessOwner, QueuedAppend, SharedWal, WalError, WalOptions};

use crate::cleaner::Cleaner;
use crate::state::State;
use crate::{StreamsError, StreamsOptions};

/// The durable user data that marks a walogs directory as a streams store.
pub(crate) const MARKER: &[u8] = b"walogs-streams\0v1";

/// Everything a store's handles share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The directory, as the log resolved it.
    pub dir: PathBuf,
    /// The options it was opened with.
    pub opts: StreamsOptions,
    /// The log (replaced only by a read-only `refresh`).
    pub wal: RwLock<Arc<SharedWal>>,
    /// The store mutex and the index it guards.
    pub state: Mutex<State>,
    /// Signalled (with `state`) when records become visible and on close.
    pub cv: Condvar,
    /// Set (with `state` locked) by `close`.
    pub closed: AtomicBool,
    /// The background cleaner, if one runs.
    pub cleaner: Mutex<Option<Cleaner>>,
    /// The process that opened the store: a forked child must not stop (join) a cleaner
    /// thread it does not have, nor close the parent's log.
    pub owner: ProcessOwner,
}

impl Shared {
    /// The log options the store's settings stand for.
    pub fn wal_options(opts: &StreamsOptions) -> WalOptions {
        let mut w = WalOptions::new()
            .durability(opts.durability)
            .read_only(opts.read_only);
        if let Some(size) = opts.max_segment_size {
            w = w.max_segment_size(Some(size));
        }
        if let Some(mode) = opts.file_mode {
            w = w.file_mode(mode);
        }
        if let Some(fs) = &opts.file_system {
            w = w.file_system(fs.clone());
        }
        w
    }

    /// The current log handle.
    pub fn wal(&self) -> Arc<SharedWal> {
        self.wal.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Lock the store mutex.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Wal(Forked)` in a forked child: checked before the store mutex is taken (another
    /// thread of the parent may have held it at the fork; the child would wait forever).
    /// Two atomic loads (the log's own fork guard).
    pub fn check_fork(&self) -> Result<(), StreamsError> {
        Ok(self.owner.check()?)
    }

    /// `Wal(Forked)` in a forked child, `Wal(Closed)` after close.
    pub fn ensure_open(&self) -> Result<(), StreamsError> {
        self.check_fork()?;
        if self.closed.load(Ordering::Acquire) {
            return Err(WalError::Closed.into());
        }
        Ok(())
    }

    /// `Wal(Closed)` after close, `Wal(ReadOnly)` on a read-only store.
    pub fn ensure_writable(&self) -> Result<(), StreamsError> {
        self.ensure_open()?;
        if self.opts.read_only {
            return Err(WalError::ReadOnly.into());
        }
        Ok(())
    }

    /// Whether appends return before they are durable.
    pub fn relaxed(&self) -> bool {
        self.opts.durability != Durability::EveryAppend
    }

    /// The highest log LSN whose entry readers may see: written (durable under
    /// `EveryAppend`).
    pub fn visible(&self, st: &State, wal: &SharedWal) -> u64 {
        st.visible_log.max(wal.durable_lsn().0)
    }

    /// Entries up to `log_lsn` are written: make them visible and wake waiting consumers.
    pub fn publish(&self, st: &mut State, log_lsn: u64) {
        if log_lsn > st.visible_log {
            st.visible_log = log_lsn;
            if st.waiting > 0 {
                self.cv.notify_all();
            }
        }
    }

    /// Wait for a queued entry to be written, then publish it.
    pub fn settle(&self, queued: QueuedAppend<'_>) -> Result<u64, StreamsError> {
        let lsn = queued.wait()?.0;
        let mut st = self.lock();
        self.publish(&mut st, lsn);
        Ok(lsn)
    }

    /// Wait for a queued control entry and make it durable whatever the policy (one shared
    /// fdatasync under `EveryAppend`, plus a `sync` under the relaxed policies).
    pub fn settle_durably(
        &self,
        wal: &SharedWal,
        queued: QueuedAppend<'_>,
    ) -> Result<u64, StreamsError> {
        let lsn = self.settle(queued)?;
        if self.relaxed() {
            wal.sync()?;
        }
        Ok(lsn)
    }

    /// Whether `close` ran.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Whether this is a forked child of the process that opened the store, for close and
    /// drop (the strict check: it also compares the process id, one system call).
    pub fn forked(&self) -> bool {
        !self.owner.is_current_strict()
    }

    /// Stop the cleaner, wake waiting consumers, close the log. Idempotent. In a forked
    /// child: `Wal(Forked)`, and nothing is touched.
    pub fn close(&self) -> Result<(), StreamsError> {
        self.owner.check_strict()?;
        {
            let _st = self.lock();
            if self.closed.swap(true, Ordering::AcqRel) {
                return Ok(());
            }
            self.cv.notify_all();
        }
        self.stop_cleaner();
        self.wal().close()?;
        Ok(())
    }

    /// Stop the background cleaner, if any (joined unless called from the cleaner itself).
    pub fn stop_cleaner(&self) {
        let c = self
            .cleaner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(c) = c {
            c.stop();
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let cleaner = self
            .cleaner
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(c) = cleaner {
            if self.forked() {
                // The thread exists only in the parent: neither signal nor join it here.
                std::mem::forget(c);
            } else {
                c.stop();
            }
        }
    }
}
