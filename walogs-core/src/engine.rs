//! The engine behind both handles: one implementation of every operation, so [`crate::Wal`]
//! (`&mut self`, one owner) and [`crate::SharedWal`] (`&self`, many threads) cannot drift.
//!
//! It holds the log writer behind a mutex, the group-commit queue, a lock-free copy of the
//! durable LSN, and the identity of the process that opened it (every call from a forked
//! child fails with [`WalError::Forked`] before touching anything).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, TryLockError};

use crate::config::WalOptions;
use crate::error::WalError;
use crate::fork::Owner;
use crate::frame::limits;
use crate::group_commit::{GroupCommit, Stop};
use crate::reader::{Live, WalCursor, WalIter, read_entry};
use crate::segments::View;
use crate::types::{Durability, Lsn, LsnRange, RecoveryReport, TailState};
use crate::vfs::Dir;
use crate::writer::LogWriter;

#[derive(Debug)]
pub(crate) struct Engine {
    owner: Owner,
    gc: GroupCommit,
    writer: Mutex<LogWriter>,
    dir: Arc<dyn Dir>,
    /// The segments as readers see them (shared with the writer, never locked across I/O).
    view: Arc<RwLock<View>>,
    live: Arc<Live>,
    report: RecoveryReport,
    read_only: bool,
    durability: Durability,
}

impl Engine {
    pub fn open(path: &Path, options: WalOptions) -> Result<Engine, WalError> {
        let read_only = options.read_only;
        let durability = options.durability;
        let w = LogWriter::open(path, options)?;
        Ok(Engine {
            owner: w.owner,
            gc: GroupCommit::new(
                w.next_lsn(),
                w.durable_lsn(),
                read_only.then_some(Stop::ReadOnly),
            ),
            dir: w.dir.clone(),
            view: w.view.clone(),
            live: w.live.clone(),
            report: w.report().clone(),
            read_only,
            durability,
            writer: Mutex::new(w),
        })
    }

    /// Fail at once in a process that did not open the handle (a forked child).
    #[inline]
    fn guard(&self) -> Result<(), WalError> {
        if self.owner.is_current() {
            Ok(())
        } else {
            Err(WalError::Forked {
                opened_by: self.owner.pid(),
            })
        }
    }

    fn lock_writer(&self) -> MutexGuard<'_, LogWriter> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The readers' view, after the fork and closed checks.
    fn view(&self) -> Result<RwLockReadGuard<'_, View>, WalError> {
        self.ensure_usable()?;
        Ok(self.view.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// `Err(Forked)` in a forked child, `Err(Closed)` after close.
    pub fn ensure_usable(&self) -> Result<(), WalError> {
        self.live.check()
    }

    /// Publish the writer's durable LSN after a write.
    fn publish(&self, w: &LogWriter) {
        self.gc.publish(w);
    }

    // ---- appends ------------------------------------------------------------------------

    /// Append one entry. Alone (no group being written, nothing queued) it is written
    /// straight from `data`; otherwise it joins the group commit.
    pub fn append(&self, data: &[u8]) -> Result<Lsn, WalError> {
        self.guard()?;
        limits::check_entry_size(data.len())?;
        let w = match self.writer.try_lock() {
            Ok(w) => Some(w),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        };
        if let Some(mut w) = w {
            let mut q = self.gc.lock();
            if let Some(s) = &q.stopped {
                return Err(s.error());
            }
            if q.is_idle() {
                // Holding the writer lock, no leader can run; the LSN is taken in the queue
                // so that appenders arriving meanwhile queue behind it.
                let lsn = q.next_lsn;
                q.next_lsn += 1;
                q.first_lsn += 1;
                drop(q);
                let r = w.append_entries(&[data]);
                if let Err(e) = &r {
                    // Every failure after the LSN was taken poisons: an appender queued
                    // behind holds the next LSN already.
                    w.poison_with(format!("an append failed: {e}"));
                    let mut q = self.gc.lock();
                    q.resync(&w);
                    self.gc.wake(&q);
                }
                self.publish(&w);
                return r.map(|range| {
                    debug_assert_eq!(range.first.0, lsn);
                    range.first
                });
            }
        }
        self.gc
            .append(data, || {
                let mut w = self.lock_writer();
                let q = self.gc.lock();
                let (q, r) = self.gc.write_group(&mut w, q);
                drop(q);
                r
            })
            .map(Lsn)
    }

    /// Run `f` on the writer with the queue written out and locked meanwhile (so no append
    /// takes an LSN under it), then resync the queue's LSNs with the writer.
    fn exclusive<R>(
        &self,
        f: impl FnOnce(&mut LogWriter) -> Result<R, WalError>,
    ) -> Result<R, WalError> {
        self.guard()?;
        let mut w = self.lock_writer();
        let q = self.gc.lock();
        let (mut q, flushed) = self.gc.flush(&mut w, q);
        self.publish(&w);
        flushed?;
        if let Some(s) = &q.stopped {
            return Err(s.error());
        }
        let r = f(&mut w);
        q.resync(&w);
        self.publish(&w);
        r
    }

    pub fn append_batch<T: AsRef<[u8]>>(&self, entries: &[T]) -> Result<LsnRange, WalError> {
        self.guard()?;
        limits::check_frame(entries)?;
        self.exclusive(|w| w.append_entries(entries))
    }

    pub fn append_many<T: AsRef<[u8]>>(&self, entries: &[T]) -> Result<LsnRange, WalError> {
        self.exclusive(|w| w.append_many(entries))
    }

    pub fn sync(&self) -> Result<Lsn, WalError> {
        self.exclusive(|w| w.sync())
    }

    pub fn durable_lsn(&self) -> Lsn {
        Lsn(self.gc.durable_lsn())
    }

    // ---- maintenance --------------------------------------------------------------------

    pub fn rotate(&self) -> Result<(), WalError> {
        self.exclusive(|w| w.rotate())
    }

    pub fn checkpoint(&self, applied_up_to: Lsn) -> Result<usize, WalError> {
        self.exclusive(|w| w.checkpoint(applied_up_to))
    }

    pub fn truncate_after(&self, keep_up_to: Lsn) -> Result<u64, WalError> {
        self.exclusive(|w| w.truncate_after(keep_up_to))
    }

    // ---- reads --------------------------------------------------------------------------

    /// From the oldest entry, decided under the same view lock as the plan (so a concurrent
    /// checkpoint cannot make the start fall out of range).
    pub fn iter(&self) -> WalIter {
        match self.view() {
            Ok(v) => WalIter::new(v.plan(&self.dir, &self.live, v.first_lsn())),
            Err(e) => WalIter::new(Err(e)),
        }
    }

    pub fn iter_from(&self, from: Lsn) -> Result<WalIter, WalError> {
        Ok(WalIter::new(Ok(self
            .view()?
            .plan(&self.dir, &self.live, from.0)?)))
    }

    pub fn cursor_from(&self, from: Lsn) -> Result<WalCursor, WalError> {
        Ok(WalCursor::new(
            self.view()?.plan(&self.dir, &self.live, from.0)?,
        ))
    }

    /// The lookup holds the view lock briefly; the read itself holds nothing.
    pub fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError> {
        let seg = self.view()?.locate(lsn.0)?;
        read_entry(self.dir.clone(), self.live.clone(), seg, lsn.0)
    }

    fn view_unchecked(&self) -> RwLockReadGuard<'_, View> {
        self.view.read().unwrap_or_else(|p| p.into_inner())
    }

    // ---- state --------------------------------------------------------------------------

    pub fn tail_state(&self) -> TailState {
        self.report.tail
    }

    pub fn recovery_report(&self) -> RecoveryReport {
        self.report.clone()
    }

    /// The LSN the next append gets (appends in flight already took theirs).
    pub fn next_lsn(&self) -> Lsn {
        Lsn(self.gc.lock().next_lsn)
    }

    pub fn first_lsn(&self) -> Lsn {
        Lsn(self.view_unchecked().first_lsn())
    }

    pub fn segment_count(&self) -> usize {
        self.view_unchecked().segs.count()
    }

    pub fn is_poisoned(&self) -> bool {
        self.live.is_poisoned()
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub fn durability(&self) -> Durability {
        self.durability
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Write what is queued, cut the preallocated tail, fdatasync and release the lock.
    /// Idempotent. In a forked child: `Err(Forked)` and nothing done.
    pub fn close(&self) -> Result<(), WalError> {
        self.guard()?;
        let mut w = self.lock_writer();
        if w.is_closed() {
            return Ok(());
        }
        let mut q = self.gc.lock();
        let mut flushed = Ok(());
        if w.poisoned().is_none() && !w.is_read_only() {
            let (g, r) = self.gc.flush(&mut w, q);
            q = g;
            flushed = r;
        }
        q.stopped = Some(Stop::Closed);
        let closed = w.close();
        self.publish(&w);
        self.gc.wake(&q);
        flushed.and(closed)
    }
}
