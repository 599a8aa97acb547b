//! [`SharedWal`]: a thread-safe handle whose concurrent appends share fdatasyncs (group
//! commit).
//!
//! How it works: an append takes the next LSN and queues its entry (a short critical
//! section), then waits for the writer lock. Whoever holds the writer lock is the leader: it
//! takes every queued entry (up to one batch frame, 64 MiB), writes them as one frame, issues
//! one fdatasync, and publishes the new durable LSN. An appender that gets the writer lock and
//! finds its entry already durable returns at once. So N threads appending together cost
//! about one write + one fdatasync per group, and each caller still returns only once its own
//! entry is durable (under [`Durability::EveryAppend`]).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::config::WalOptions;
use crate::error::WalError;
use crate::frame::{self, MAX_BATCH_SIZE};
use crate::reader::{WalCursor, WalIter, read_entry};
use crate::types::{Durability, Lsn, LsnRange, RecoveryReport, TailState};
use crate::writer::{LogWriter, check_frame};

/// Entries waiting for a leader.
#[derive(Debug, Default)]
struct Queue {
    /// LSN of the first queued entry (equals the writer's `next_lsn`).
    first_lsn: u64,
    /// LSN the next queued entry gets.
    next_lsn: u64,
    /// Queued payloads, in LSN order.
    entries: Vec<Vec<u8>>,
    bytes: usize,
    /// Set when the writer failed or closed: no more LSNs are handed out.
    stopped: Option<Stop>,
    /// A leader is writing a group now; followers wait on `SharedWal::done`.
    leader_active: bool,
    /// Bumped each time a leader finishes a group.
    generation: u64,
}

#[derive(Debug, Clone)]
enum Stop {
    Closed,
    Poisoned(String),
    ReadOnly,
}

impl Stop {
    fn error(&self) -> WalError {
        match self {
            Stop::Closed => WalError::Closed,
            Stop::Poisoned(r) => WalError::Poisoned { reason: r.clone() },
            Stop::ReadOnly => WalError::ReadOnly,
        }
    }
}

/// A write-ahead log shared by many threads (`Send + Sync`), with group commit.
///
/// It owns the directory exclusively (the same lock as [`crate::Wal`]). Every method takes
/// `&self`; appends from many threads proceed concurrently and share fdatasyncs. `close` is
/// idempotent; afterwards every call returns [`WalError::Closed`].
#[derive(Debug)]
pub struct SharedWal {
    queue: Mutex<Queue>,
    /// Signalled (with `queue`) when a leader finishes a group.
    done: Condvar,
    writer: Mutex<LogWriter>,
    /// Highest LSN durable (EveryAppend: also the highest acknowledged).
    durable: AtomicU64,
    /// Highest LSN written to the file.
    written: AtomicU64,
}

impl SharedWal {
    /// Open or create the WAL in `dir` with default settings (see [`crate::Wal::open`]).
    pub fn open(dir: &Path) -> Result<SharedWal, WalError> {
        Self::open_with_options(dir, WalOptions::new())
    }

    /// Open with every setting of [`WalOptions`] (same as [`WalOptions::open_shared`]).
    pub fn open_with_options(dir: &Path, options: WalOptions) -> Result<SharedWal, WalError> {
        let read_only = options.read_only;
        let w = LogWriter::open(dir, options)?;
        let next = w.next_lsn();
        Ok(SharedWal {
            queue: Mutex::new(Queue {
                first_lsn: next,
                next_lsn: next,
                stopped: read_only.then_some(Stop::ReadOnly),
                ..Queue::default()
            }),
            done: Condvar::new(),
            durable: AtomicU64::new(w.durable_lsn()),
            written: AtomicU64::new(next - 1),
            writer: Mutex::new(w),
        })
    }

    fn lock_queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_writer(&self) -> MutexGuard<'_, LogWriter> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Append one entry; returns its LSN once it is written and (under the default
    /// durability) fdatasync'd. Concurrent appends share one write and one fdatasync.
    pub fn append(&self, data: &[u8]) -> Result<Lsn, WalError> {
        crate::writer::check_entry_size(data.len())?;
        let lsn = {
            let mut q = self.lock_queue();
            if let Some(s) = &q.stopped {
                return Err(s.error());
            }
            let lsn = q.next_lsn;
            q.next_lsn += 1;
            q.bytes += data.len() + 4;
            q.entries.push(data.to_vec());
            lsn
        };
        self.commit_through(lsn)?;
        Ok(Lsn(lsn))
    }

    /// Append entries as one atomic batch frame (see [`crate::Wal::append_batch`]); it is
    /// written ahead of or after, never interleaved with, concurrent appends.
    pub fn append_batch<T: AsRef<[u8]>>(&self, entries: &[T]) -> Result<LsnRange, WalError> {
        check_frame(entries)?;
        let mut w = self.lock_writer();
        self.flush_queue(&mut w)?;
        let mut q = self.lock_queue();
        if let Some(s) = &q.stopped {
            return Err(s.error());
        }
        let r = w.append_entries(entries);
        self.after_write(&w, &mut q, r.is_err());
        r
    }

    /// Append entries not atomically, any size (see [`crate::Wal::append_many`]).
    pub fn append_many<T: AsRef<[u8]>>(&self, entries: &[T]) -> Result<LsnRange, WalError> {
        self.exclusive(|w| w.append_many(entries))
    }

    /// Publish the writer's state after a write; stop the queue if the writer failed.
    fn after_write(&self, w: &LogWriter, q: &mut Queue, failed: bool) {
        if failed {
            if let Some(p) = w.poisoned() {
                q.stopped = Some(Stop::Poisoned(p.to_string()));
            }
        } else {
            q.first_lsn = w.next_lsn();
            q.next_lsn = w.next_lsn();
        }
        self.written.store(w.next_lsn() - 1, Ordering::Release);
        self.durable.store(w.durable_lsn(), Ordering::Release);
    }

    /// Wait for, or lead, group commits until `lsn` is written (and durable if the policy
    /// says so). Followers sleep on a condition variable while a leader works, so one
    /// fdatasync releases the whole group at once.
    fn commit_through(&self, lsn: u64) -> Result<(), WalError> {
        loop {
            if self.written.load(Ordering::Acquire) >= lsn {
                return Ok(());
            }
            {
                let mut q = self.lock_queue();
                if q.leader_active {
                    let generation = q.generation;
                    while q.leader_active
                        && q.generation == generation
                        && self.written.load(Ordering::Acquire) < lsn
                    {
                        q = self.done.wait(q).unwrap_or_else(|p| p.into_inner());
                    }
                    continue;
                }
            }
            let mut w = self.lock_writer();
            if self.written.load(Ordering::Acquire) >= lsn {
                return Ok(());
            }
            if let Some(reason) = w.poisoned() {
                return Err(WalError::Poisoned {
                    reason: reason.to_string(),
                });
            }
            self.write_group(&mut w)?;
        }
    }

    /// Write the queued entries (up to one batch frame) as one frame. Writer lock held.
    fn write_group(&self, w: &mut LogWriter) -> Result<(), WalError> {
        let (first, group) = {
            let mut q = self.lock_queue();
            if q.entries.is_empty() {
                return Ok(());
            }
            let mut body = 4usize;
            let mut n = 0;
            for e in &q.entries {
                if n > 0 && body + 4 + e.len() > MAX_BATCH_SIZE {
                    break;
                }
                body += 4 + e.len();
                n += 1;
            }
            let group: Vec<Vec<u8>> = q.entries.drain(..n).collect();
            q.bytes -= body - 4;
            let first = q.first_lsn;
            q.first_lsn += n as u64;
            q.leader_active = true;
            (first, group)
        };
        let mut buf = Vec::new();
        frame::encode_entries(&mut buf, first, &group);
        let r = w.write_frame(&buf, first, group.len() as u64);
        let mut q = self.lock_queue();
        if let Err(e) = &r {
            // Nothing of this group is acknowledged, and entries queued behind it already hold
            // the LSNs after it: the handle cannot go on without reusing LSNs, so it is
            // poisoned (like a failed sync) and must be reopened.
            w.poison_with(format!("a group commit failed: {e}"));
            let reason = w.poisoned().unwrap_or_default().to_string();
            q.stopped = Some(Stop::Poisoned(reason));
        }
        self.written.store(w.next_lsn() - 1, Ordering::Release);
        self.durable.store(w.durable_lsn(), Ordering::Release);
        q.leader_active = false;
        q.generation += 1;
        self.done.notify_all();
        r
    }

    /// Write everything queued. Writer lock held.
    fn flush_queue(&self, w: &mut LogWriter) -> Result<(), WalError> {
        while !self.lock_queue().entries.is_empty() {
            self.write_group(w)?;
        }
        Ok(())
    }

    /// Run `f` on the writer with the queue drained and stopped meanwhile, then resync the
    /// queue's LSNs with the writer.
    fn exclusive<R>(
        &self,
        f: impl FnOnce(&mut LogWriter) -> Result<R, WalError>,
    ) -> Result<R, WalError> {
        let mut w = self.lock_writer();
        self.flush_queue(&mut w)?;
        let mut q = self.lock_queue();
        if let Some(s) = &q.stopped {
            return Err(s.error());
        }
        let r = f(&mut w);
        self.after_write(&w, &mut q, r.is_err());
        r
    }

    /// Make everything appended durable; returns the durable LSN.
    pub fn sync(&self) -> Result<Lsn, WalError> {
        self.exclusive(|w| w.sync())
    }

    /// The highest LSN known to be durable (`Lsn(0)`: none). Lock-free.
    pub fn durable_lsn(&self) -> Lsn {
        Lsn(self.durable.load(Ordering::Acquire))
    }

    /// See [`crate::Wal::rotate`].
    pub fn rotate(&self) -> Result<(), WalError> {
        self.exclusive(|w| w.rotate())
    }

    /// See [`crate::Wal::checkpoint`].
    pub fn checkpoint(&self, applied_up_to: Lsn) -> Result<usize, WalError> {
        self.exclusive(|w| w.checkpoint(applied_up_to))
    }

    /// See [`crate::Wal::truncate_after`].
    pub fn truncate_after(&self, keep_up_to: Lsn) -> Result<u64, WalError> {
        self.exclusive(|w| w.truncate_after(keep_up_to))
    }

    /// Iterate every entry (a snapshot taken now; see [`WalIter`]).
    pub fn iter(&self) -> WalIter {
        let w = self.lock_writer();
        WalIter::new(w.plan(w.first_lsn()))
    }

    /// Iterate from `from` (see [`crate::Wal::iter_from`]).
    pub fn iter_from(&self, from: Lsn) -> Result<WalIter, WalError> {
        Ok(WalIter::new(Ok(self.lock_writer().plan(from.0)?)))
    }

    /// A lending cursor from `from` (see [`crate::Wal::cursor_from`]).
    pub fn cursor_from(&self, from: Lsn) -> Result<WalCursor, WalError> {
        Ok(WalCursor::new(self.lock_writer().plan(from.0)?))
    }

    /// Read one entry (see [`crate::Wal::read`]). The lookup holds the writer lock briefly;
    /// the read itself does not.
    pub fn read(&self, lsn: Lsn) -> Result<Vec<u8>, WalError> {
        let (fs, seg) = {
            let w = self.lock_writer();
            (w.fs().clone(), w.segment_of(lsn.0)?)
        };
        read_entry(fs, seg, lsn.0)
    }

    /// What the most recent open found at the end of the last segment.
    pub fn tail_state(&self) -> TailState {
        self.lock_writer().tail_state()
    }

    /// What open found and did.
    pub fn recovery_report(&self) -> RecoveryReport {
        self.lock_writer().report().clone()
    }

    /// The LSN the next append will get (appends racing with this call may take it).
    pub fn next_lsn(&self) -> Lsn {
        Lsn(self.lock_queue().next_lsn)
    }

    /// The oldest LSN still in the log.
    pub fn first_lsn(&self) -> Lsn {
        Lsn(self.lock_writer().first_lsn())
    }

    /// Segment files in use (completed + active).
    pub fn segment_count(&self) -> usize {
        self.lock_writer().segment_count()
    }

    /// Whether an earlier failure poisoned the handle.
    pub fn is_poisoned(&self) -> bool {
        self.lock_writer().poisoned().is_some()
    }

    /// Whether the handle was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.lock_writer().is_read_only()
    }

    /// The durability policy in force.
    pub fn syncs_every_append(&self) -> bool {
        self.lock_writer().syncs_every_append()
    }

    /// Write what is queued, cut the preallocated tail, fdatasync and release the lock.
    /// Idempotent; afterwards every call returns [`WalError::Closed`].
    pub fn close(&self) -> Result<(), WalError> {
        let mut w = self.lock_writer();
        if w.is_closed() {
            return Ok(());
        }
        let flushed = if w.poisoned().is_none() && !w.is_read_only() {
            self.flush_queue(&mut w)
        } else {
            Ok(())
        };
        self.lock_queue().stopped = Some(Stop::Closed);
        let closed = w.close();
        self.durable.store(w.durable_lsn(), Ordering::Release);
        flushed.and(closed)
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<SharedWal>();
    let _ = Durability::EveryAppend;
}
