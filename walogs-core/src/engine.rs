//! The engine behind both handles: one implementation of every operation, so [`crate::Wal`]
//! (`&mut self`, one owner) and [`crate::SharedWal`] (`&self`, many threads) cannot drift.
//!
//! It holds the log writer behind a mutex, the group-commit queue, the durability watch (the
//! durable LSN and who waits for it), and the identity of the process that opened it (every
//! call from a forked child fails with [`WalError::Forked`] before touching anything).
//!
//! Threads: under [`Durability::Interval`] a flusher thread (`walogs-flusher`) syncs what is
//! not yet durable once per interval; the first `on_durable` starts a notifier thread
//! (`walogs-notifier`) that runs callbacks. `close` (and drop) stops and joins both.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, TryLockError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::config::WalOptions;
use crate::error::WalError;
use crate::files::ReadFiles;
use crate::fork::ProcessOwner;
use crate::frame::limits;
use crate::group_commit::{GroupCommit, Queued, Stop};
use crate::reader::{Live, WalCursor, WalIter, read_entry, read_range};
use crate::segments::View;
use crate::types::{Durability, Lsn, LsnRange, RecoveryReport, TailState};
use crate::user_data::MAX_USER_DATA;
use crate::vfs::Dir;
use crate::watch::{DurableCallback, Watch};
use crate::writer::LogWriter;

/// Everything the handle and its threads share.
#[derive(Debug)]
struct Inner {
    owner: ProcessOwner,
    gc: GroupCommit,
    writer: Mutex<LogWriter>,
    watch: Arc<Watch>,
    dir: Arc<dyn Dir>,
    /// The segments as readers see them (shared with the writer, never locked across I/O).
    view: Arc<RwLock<View>>,
    live: Arc<Live>,
    files: Arc<ReadFiles>,
    report: RecoveryReport,
    read_only: bool,
    durability: Durability,
}

/// The background flusher of `Durability::Interval`.
#[derive(Debug)]
struct Flusher {
    stop: Arc<(Mutex<bool>, Condvar)>,
    /// Ends with whether a sync of the flusher failed (and poisoned the log).
    handle: JoinHandle<bool>,
}

#[derive(Debug)]
pub(crate) struct Engine {
    inner: Arc<Inner>,
    flusher: Mutex<Option<Flusher>>,
}

impl Engine {
    pub fn open(path: &Path, options: WalOptions) -> Result<Engine, WalError> {
        let read_only = options.read_only;
        let durability = options.durability;
        let w = LogWriter::open(path, options)?;
        let watch = Arc::new(Watch::new(w.durable_lsn()));
        let inner = Arc::new(Inner {
            owner: w.owner,
            gc: GroupCommit::new(
                w.next_lsn(),
                watch.clone(),
                read_only.then_some(Stop::ReadOnly),
            ),
            watch,
            dir: w.dir.clone(),
            view: w.view.clone(),
            live: w.live.clone(),
            files: w.files.clone(),
            report: w.report().clone(),
            read_only,
            durability,
            writer: Mutex::new(w),
        });
        let flusher = match durability {
            Durability::Interval(every) if !read_only => Some(start_flusher(&inner, every)?),
            _ => None,
        };
        Ok(Engine {
            inner,
            flusher: Mutex::new(flusher),
        })
    }

    /// Fail at once in a process that did not open the handle (a forked child).
    #[inline]
    fn guard(&self) -> Result<(), WalError> {
        self.inner.guard()
    }

    // ---- appends ------------------------------------------------------------------------

    /// Append one entry. Alone (no group being written, nothing queued) it is written
    /// straight from `data`; otherwise it joins the group commit.
    pub fn append(&self, data: &[u8]) -> Result<Lsn, WalError> {
        self.guard()?;
        limits::check_entry_size(data.len())?;
        let inner = &*self.inner;
        let w = match inner.writer.try_lock() {
            Ok(w) => Some(w),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        };
        if let Some(mut w) = w {
            let mut q = inner.gc.lock();
            if let Some(s) = &q.stopped {
                return Err(s.error());
            }
            if q.is_idle() {
                // Holding the writer lock, no leader can run; the LSN is taken in the queue
                // so that appenders arriving meanwhile queue behind it.
                let lsn = q.next_lsn;
                q.next_lsn += 1;
                q.first_lsn += 1;
                q.note_direct_write();
                drop(q);
                let r = w.append_entries(&[data]);
                if let Err(e) = &r {
                    // Every failure after the LSN was taken poisons: an appender queued
                    // behind holds the next LSN already.
                    w.poison_with(format!("an append failed: {e}"));
                    let mut q = inner.gc.lock();
                    q.resync(&w);
                    inner.gc.wake(&q);
                }
                inner.gc.publish(&w);
                return r.map(|range| {
                    debug_assert_eq!(range.first.0, lsn);
                    range.first
                });
            }
        }
        inner.gc.append(data, || inner.lead_group()).map(Lsn)
    }

    /// Queue one entry behind every entry queued before it and return its place at once
    /// (see [`crate::SharedWal::append_queued`]).
    pub fn enqueue(&self, data: &[u8]) -> Result<Queued, WalError> {
        self.guard()?;
        limits::check_entry_size(data.len())?;
        self.inner.gc.enqueue(data)
    }

    /// Wait for a queued entry (see [`Engine::enqueue`]).
    pub fn wait_queued(&self, queued: Queued) -> Result<Lsn, WalError> {
        let inner = &*self.inner;
        inner.gc.wait(queued, || inner.lead_group()).map(Lsn)
    }

    pub fn append_batch<T: AsRef<[u8]>>(&self, entries: &[T]) -> Result<LsnRange, WalError> {
        self.guard()?;
        limits::check_frame(entries)?;
        self.inner.exclusive(|w| w.append_entries(entries))
    }

    pub fn append_many<T: AsRef<[u8]>>(&self, entries: &[T]) -> Result<LsnRange, WalError> {
        self.inner.exclusive(|w| w.append_many(entries))
    }

    pub fn sync(&self) -> Result<Lsn, WalError> {
        self.inner.exclusive(|w| w.sync())
    }

    pub fn durable_lsn(&self) -> Lsn {
        Lsn(self.inner.watch.durable())
    }

    // ---- durability notifications -------------------------------------------------------

    /// `Err(LsnOutOfRange)` unless `lsn` was handed out (`Lsn(0)` counts as always durable).
    fn check_handed_out(&self, lsn: Lsn) -> Result<(), WalError> {
        let next = self.inner.gc.lock().next_lsn;
        if lsn.0 >= next {
            return Err(WalError::LsnOutOfRange {
                lsn: lsn.0,
                first: self.first_lsn().0,
                next,
            });
        }
        Ok(())
    }

    pub fn wait_durable(&self, lsn: Lsn, timeout: Option<Duration>) -> Result<(), WalError> {
        self.inner.live.check()?;
        if lsn.0 == 0 {
            return Ok(());
        }
        self.check_handed_out(lsn)?;
        self.inner.watch.wait(lsn.0, timeout)
    }

    pub fn on_durable(&self, lsn: Lsn, callback: DurableCallback) -> Result<(), WalError> {
        self.inner.live.check()?;
        if lsn.0 != 0 {
            self.check_handed_out(lsn)?;
        }
        self.inner.watch.on_durable(lsn.0, callback);
        Ok(())
    }

    // ---- maintenance --------------------------------------------------------------------

    pub fn rotate(&self) -> Result<(), WalError> {
        self.inner.exclusive(|w| w.rotate())
    }

    pub fn checkpoint(&self, applied_up_to: Lsn) -> Result<usize, WalError> {
        self.inner.exclusive(|w| w.checkpoint(applied_up_to))
    }

    pub fn truncate_after(&self, keep_up_to: Lsn) -> Result<u64, WalError> {
        let inner = &*self.inner;
        inner.exclusive(|w| {
            let removed = w.truncate_after(keep_up_to)?;
            if removed > 0 {
                inner
                    .watch
                    .truncated(keep_up_to.0 + 1, w.first_lsn().min(keep_up_to.0 + 1));
            }
            Ok(removed)
        })
    }

    pub fn purge_up_to(&self, up_to: Lsn) -> Result<usize, WalError> {
        self.inner.exclusive(|w| w.purge_up_to(up_to))
    }

    pub fn set_user_data(&self, data: &[u8]) -> Result<(), WalError> {
        self.guard()?;
        if data.len() > MAX_USER_DATA {
            return Err(WalError::EntryTooLarge {
                size: data.len(),
                max: MAX_USER_DATA,
            });
        }
        self.inner.exclusive(|w| w.set_user_data(data))
    }

    pub fn user_data(&self) -> Result<Vec<u8>, WalError> {
        Ok(self.inner.view()?.user_data.to_vec())
    }

    // ---- reads --------------------------------------------------------------------------

    /// From the oldest entry, decided under the same view lock as the plan (so a concurrent
    /// checkpoint or purge cannot make the start fall out of range).
    pub fn iter(&self) -> WalIter {
        let inner = &*self.inner;
        match inner.view() {
            Ok(v) => WalIter::new(
                v.plan(&inner.files, &inner.live, v.first_lsn())
                    .map(|p| p.starting_at_oldest()),
            ),
            Err(e) => WalIter::new(Err(e)),
        }
    }

    pub fn iter_from(&self, from: Lsn) -> Result<WalIter, WalError> {
        let inner = &*self.inner;
        Ok(WalIter::new(Ok(inner.view()?.plan(
            &inner.files,
            &inner.live,
            from.0,
        )?)))
    }

    pub fn cursor_from(&self, from: Lsn) -> Result<WalCursor, WalError> {
        let inner = &*self.inner;
        Ok(WalCursor::new(inner.view()?.plan(
            &inner.files,
            &inner.live,
            from.0,
        )?))
    }

    /// A lending cursor from the oldest entry (purge-tolerant, like [`Engine::iter`]).
    pub fn cursor(&self) -> Result<WalCursor, WalError> {
        let inner = &*self.inner;
        let v = inner.view()?;
        Ok(WalCursor::new(
            v.plan(&inner.files, &inner.live, v.first_lsn())?
                .starting_at_oldest(),
        ))
    }

    /// The lookup holds the view lock briefly; the read itself holds nothing. The cut
    /// generation is taken under the same lock as the lookup (a truncation changes both
    /// together, see `publish_cut`).
    pub fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError> {
        let inner = &*self.inner;
        let (cuts, (seg, span_end)) = {
            let v = inner.view()?;
            (inner.live.cut_generation(), v.locate(lsn.0)?)
        };
        match read_entry(&inner.files, &inner.live, cuts, seg, span_end, lsn.0) {
            // The segment went after the lookup: the writer drops a segment from the view
            // before it deletes the file, so the view now says why (`LsnOutOfRange`).
            Err(WalError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                inner.view()?.locate(lsn.0)?;
                Err(WalError::Io(e))
            }
            r => r,
        }
    }

    pub fn read_range(
        &self,
        from: Lsn,
        max_entries: usize,
        max_bytes: usize,
    ) -> Result<Vec<(Lsn, Vec<u8>)>, WalError> {
        if max_entries == 0 {
            return Err(WalError::invalid(
                "read_range needs max_entries of at least 1",
            ));
        }
        let inner = &*self.inner;
        let plan = inner.view()?.plan(&inner.files, &inner.live, from.0)?;
        read_range(plan, max_entries, max_bytes)
    }

    // ---- state --------------------------------------------------------------------------

    pub fn tail_state(&self) -> TailState {
        self.inner.report.tail
    }

    pub fn recovery_report(&self) -> RecoveryReport {
        self.inner.report.clone()
    }

    /// The LSN the next append gets (appends in flight already took theirs).
    pub fn next_lsn(&self) -> Lsn {
        Lsn(self.inner.gc.lock().next_lsn)
    }

    pub fn first_lsn(&self) -> Lsn {
        Lsn(self.inner.view_unchecked().first_lsn())
    }

    pub fn purged_up_to(&self) -> Lsn {
        Lsn(self.inner.live.floor())
    }

    pub fn segment_count(&self) -> usize {
        self.inner.view_unchecked().segs.count()
    }

    pub fn is_poisoned(&self) -> bool {
        self.inner.live.is_poisoned()
    }

    pub fn is_read_only(&self) -> bool {
        self.inner.read_only
    }

    pub fn durability(&self) -> Durability {
        self.inner.durability
    }

    pub fn dir(&self) -> &Path {
        self.inner.dir.path()
    }

    /// `Err(Forked)` in a forked child, `Err(Closed)` after close.
    pub fn ensure_usable(&self) -> Result<(), WalError> {
        self.inner.live.check()
    }

    /// Stop the flusher, write what is queued, cut the preallocated tail, fdatasync, release
    /// the lock, run the remaining callbacks and stop the notifier. Idempotent. In a forked
    /// child: `Err(Forked)` and nothing done.
    pub fn close(&self) -> Result<(), WalError> {
        self.guard()?;
        // A sync of the flusher that failed poisoned the log; when no call came after it,
        // close is the one that reports it.
        let flusher_failed = self.stop_flusher();
        let inner = &*self.inner;
        let r = {
            let mut w = inner.lock_writer();
            if w.is_closed() {
                // Closed before (maybe from a callback, or by a close running beside this
                // one): still wait for every callback to have run before returning.
                drop(w);
                inner.watch.join_notifier();
                return Ok(());
            }
            let mut q = inner.gc.lock();
            let mut flushed = match w.poisoned() {
                Some(reason) if flusher_failed => Err(WalError::Poisoned {
                    reason: reason.to_string(),
                }),
                _ => Ok(()),
            };
            if w.poisoned().is_none() && !w.is_read_only() {
                let (g, r) = inner.gc.flush(&mut w, q);
                q = g;
                flushed = r;
            }
            q.stopped = Some(Stop::Closed);
            let closed = w.close();
            inner.gc.publish(&w);
            inner.gc.wake(&q);
            flushed.and(closed)
        };
        inner.watch.stop(None);
        inner.watch.join_notifier();
        r
    }

    /// Stop the flusher (if any); whether one of its syncs failed.
    fn stop_flusher(&self) -> bool {
        let f = self
            .flusher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        match f {
            Some(f) => {
                *f.stop.0.lock().unwrap_or_else(|p| p.into_inner()) = true;
                f.stop.1.notify_all();
                f.handle.join().unwrap_or(false)
            }
            None => false,
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // In a forked child the threads do not exist and nothing may be written: the
        // writer's own drop releases the descriptors only.
        if self.inner.owner.is_current_strict() {
            let _ = self.close();
        }
    }
}

impl Inner {
    fn guard(&self) -> Result<(), WalError> {
        self.owner.check()
    }

    fn lock_writer(&self) -> MutexGuard<'_, LogWriter> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The readers' view, after the fork and closed checks.
    fn view(&self) -> Result<RwLockReadGuard<'_, View>, WalError> {
        self.live.check()?;
        Ok(self.view_unchecked())
    }

    fn view_unchecked(&self) -> RwLockReadGuard<'_, View> {
        self.view.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` on the writer with the queue written out and locked meanwhile (so no append
    /// takes an LSN under it), then resync the queue's LSNs with the writer.
    /// Write one group of the queue (the leader's turn).
    fn lead_group(&self) -> Result<(), WalError> {
        let mut w = self.lock_writer();
        let q = self.gc.lock();
        let q = self.gc.linger(q, w.append_sync_cost());
        let (q, r) = self.gc.write_group(&mut w, q);
        drop(q);
        r
    }

    fn exclusive<R>(
        &self,
        f: impl FnOnce(&mut LogWriter) -> Result<R, WalError>,
    ) -> Result<R, WalError> {
        self.guard()?;
        let mut w = self.lock_writer();
        let q = self.gc.lock();
        let (mut q, flushed) = self.gc.flush(&mut w, q);
        self.gc.publish(&w);
        flushed?;
        if let Some(s) = &q.stopped {
            return Err(s.error());
        }
        let r = f(&mut w);
        q.resync(&w);
        self.gc.publish(&w);
        r
    }
}

/// Start the flusher of `Durability::Interval(every)`: once per interval it syncs whatever
/// was appended and is not yet durable, so entries become durable within about `every`
/// without a further append. A failed sync poisons the log (and ends the flusher).
fn start_flusher(inner: &Arc<Inner>, every: Duration) -> Result<Flusher, WalError> {
    let stop = Arc::new((Mutex::new(false), Condvar::new()));
    let weak = Arc::downgrade(inner);
    let s = stop.clone();
    let handle = std::thread::Builder::new()
        .name("walogs-flusher".into())
        .spawn(move || {
            let (flag, cond) = &*s;
            let mut stopped = flag.lock().unwrap_or_else(|p| p.into_inner());
            // The stop flag is checked before every wait: a close that came before this
            // thread first waited must not wait out a whole interval.
            while !*stopped {
                stopped = cond
                    .wait_timeout(stopped, every)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
                if *stopped {
                    return false;
                }
                let Some(inner) = weak.upgrade() else {
                    return false;
                };
                let pending = inner.gc.lock().next_lsn > inner.watch.durable() + 1;
                if pending && inner.exclusive(|w| w.sync()).is_err() {
                    return true;
                }
            }
            false
        })
        .map_err(WalError::Io)?;
    Ok(Flusher { stop, handle })
}
