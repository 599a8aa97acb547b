//! [`SharedWal`]: a thread-safe handle whose concurrent appends share fdatasyncs (group
//! commit).
//!
//! How it works: an append takes the next LSN and copies its entry into the queue (a short
//! critical section). If no leader is at work, it becomes the leader: it takes the writer
//! lock, takes every queued entry (up to one batch frame, 64 MiB), writes them as one frame,
//! issues one fdatasync, publishes the new durable LSN, marks the group's tickets done and
//! wakes everyone waiting. Other appenders sleep on a condition variable meanwhile; each
//! wakes, returns if its entry is done, and otherwise one of them leads the next group. So N threads appending
//! together cost about one write + one fdatasync per group, and each caller still returns
//! only once its own entry is durable (under [`Durability::EveryAppend`]).
//!
//! Lock order: the writer lock before the queue lock. Appenders hold only the queue lock and
//! never while doing I/O; operations that need the whole log (sync, rotate, batches, ...)
//! take the writer lock, write what is queued, and keep the queue locked while they run so
//! no LSN can be handed out under them.

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
    /// Lengths of the queued entries, in LSN order.
    lens: Vec<u32>,
    /// The queued payloads, back to back.
    data: Vec<u8>,
    /// Set when the writer failed or closed: no more LSNs are handed out.
    stopped: Option<Stop>,
    /// An appender has taken the lead and will write a group; others wait on
    /// `SharedWal::done` instead of leading.
    leader_active: bool,
    /// Appenders sleeping on `SharedWal::done` (a lone appender skips the wake-up syscall).
    waiters: usize,
    /// Entries ever queued; an append's ticket is the value before it queued. Tickets,
    /// unlike LSNs, are never reused (a truncation hands LSNs out again).
    tickets: u64,
    /// Entries ever written: every ticket below this is done. Queued entries hold the
    /// tickets from here up to `tickets`, in order.
    tickets_done: u64,
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
    /// Signalled (with `queue`) when a group was written or a leader stepped down.
    done: Condvar,
    writer: Mutex<LogWriter>,
    /// Highest LSN durable (EveryAppend: also the highest acknowledged).
    durable: AtomicU64,
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
    /// Costs: one copy of `data` into the queue; per group, one write and one fdatasync.
    pub fn append(&self, data: &[u8]) -> Result<Lsn, WalError> {
        crate::writer::check_entry_size(data.len())?;
        let mut q = self.lock_queue();
        if let Some(s) = &q.stopped {
            return Err(s.error());
        }
        let lsn = q.next_lsn;
        q.next_lsn += 1;
        let ticket = q.tickets;
        q.tickets += 1;
        q.lens.push(data.len() as u32);
        q.data.extend_from_slice(data);
        loop {
            // Done means written (and synced, if the policy says so); a truncation that cut
            // the entry afterwards does not undo the append, which happened before it.
            if ticket < q.tickets_done {
                return Ok(Lsn(lsn));
            }
            if let Some(s) = &q.stopped {
                return Err(s.error());
            }
            if q.leader_active {
                q.waiters += 1;
                q = self.done.wait(q).unwrap_or_else(|p| p.into_inner());
                q.waiters -= 1;
                continue;
            }
            q.leader_active = true;
            drop(q);
            let led = self.lead();
            q = self.lock_queue();
            if ticket < q.tickets_done {
                return Ok(Lsn(lsn));
            }
            led?;
        }
    }

    /// Wake every appender sleeping on `done` (called with the queue locked).
    fn wake(&self, q: &Queue) {
        if q.waiters > 0 {
            self.done.notify_all();
        }
    }

    /// Write one group as the leader, then step down and wake the waiters.
    fn lead(&self) -> Result<(), WalError> {
        let mut w = self.lock_writer();
        let q = self.lock_queue();
        let (mut q, r) = self.write_group(&mut w, q);
        q.leader_active = false;
        drop(w);
        self.wake(&q);
        r
    }

    /// Append entries as one atomic batch frame (see [`crate::Wal::append_batch`]); it is
    /// written ahead of or after, never interleaved with, concurrent appends.
    pub fn append_batch<T: AsRef<[u8]>>(&self, entries: &[T]) -> Result<LsnRange, WalError> {
        check_frame(entries)?;
        self.exclusive(|w| w.append_entries(entries))
    }

    /// Append entries not atomically, any size (see [`crate::Wal::append_many`]).
    pub fn append_many<T: AsRef<[u8]>>(&self, entries: &[T]) -> Result<LsnRange, WalError> {
        self.exclusive(|w| w.append_many(entries))
    }

    /// Publish the writer's durable LSN after a write.
    fn publish(&self, w: &LogWriter) {
        self.durable.store(w.durable_lsn(), Ordering::Release);
    }

    /// Write the queued entries (up to one batch frame) as one frame. Called with the writer
    /// lock and the queue lock held; the queue lock is released during the I/O and held
    /// again on return. A failure poisons the handle: entries queued behind the group already
    /// hold the LSNs after it, so going on would hand an LSN to a second entry.
    fn write_group<'a>(
        &'a self,
        w: &mut LogWriter,
        mut q: MutexGuard<'a, Queue>,
    ) -> (MutexGuard<'a, Queue>, Result<(), WalError>) {
        if q.lens.is_empty() {
            return (q, Ok(()));
        }
        let mut body = 4usize;
        let mut bytes = 0usize;
        let mut n = 0usize;
        for &l in &q.lens {
            if n > 0 && body + 4 + l as usize > MAX_BATCH_SIZE {
                break;
            }
            body += 4 + l as usize;
            bytes += l as usize;
            n += 1;
        }
        let (lens, data) = if n == q.lens.len() {
            (std::mem::take(&mut q.lens), std::mem::take(&mut q.data))
        } else {
            let rest_lens = q.lens.split_off(n);
            let rest_data = q.data.split_off(bytes);
            (
                std::mem::replace(&mut q.lens, rest_lens),
                std::mem::replace(&mut q.data, rest_data),
            )
        };
        let first = q.first_lsn;
        q.first_lsn += n as u64;
        drop(q);
        let mut buf = Vec::with_capacity(frame::FRAME_HEADER_SIZE + body);
        frame::encode_packed(&mut buf, first, &lens, &data);
        let r = w.write_frame(&buf, first, n as u64);
        let mut q = self.lock_queue();
        match &r {
            Ok(()) => q.tickets_done += n as u64,
            Err(e) => {
                w.poison_with(format!("a group commit failed: {e}"));
                let reason = w.poisoned().unwrap_or_default().to_string();
                q.stopped = Some(Stop::Poisoned(reason));
            }
        }
        self.publish(w);
        (q, r)
    }

    /// Write everything queued. Called with both locks held; returns with the queue lock
    /// held and (on success) the queue empty.
    fn flush<'a>(
        &'a self,
        w: &mut LogWriter,
        mut q: MutexGuard<'a, Queue>,
    ) -> (MutexGuard<'a, Queue>, Result<(), WalError>) {
        while !q.lens.is_empty() {
            let (g, r) = self.write_group(w, q);
            q = g;
            if r.is_err() {
                self.wake(&q);
                return (q, r);
            }
        }
        self.wake(&q);
        (q, Ok(()))
    }

    /// Run `f` on the writer with the queue written out and locked meanwhile (so no append
    /// takes an LSN under it), then resync the queue's LSNs with the writer.
    fn exclusive<R>(
        &self,
        f: impl FnOnce(&mut LogWriter) -> Result<R, WalError>,
    ) -> Result<R, WalError> {
        let mut w = self.lock_writer();
        let q = self.lock_queue();
        let (mut q, flushed) = self.flush(&mut w, q);
        flushed?;
        if let Some(s) = &q.stopped {
            return Err(s.error());
        }
        let r = f(&mut w);
        if let Some(p) = w.poisoned() {
            q.stopped = Some(Stop::Poisoned(p.to_string()));
        } else {
            q.first_lsn = w.next_lsn();
            q.next_lsn = w.next_lsn();
        }
        self.publish(&w);
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

    /// See [`crate::Wal::truncate_after`]. Entries appended concurrently may share one frame
    /// (group commit writes each group as one batch frame, so that a torn group write can
    /// never look like mid-log damage); a cut inside such a frame is refused like one inside
    /// an atomic batch ([`WalError::InvalidArgument`], naming the frame's first and last
    /// LSN). Appends from one thread at a time are one frame each and can be cut anywhere.
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
        let mut q = self.lock_queue();
        let mut flushed = Ok(());
        if w.poisoned().is_none() && !w.is_read_only() {
            let (g, r) = self.flush(&mut w, q);
            q = g;
            flushed = r;
        }
        q.stopped = Some(Stop::Closed);
        let closed = w.close();
        self.publish(&w);
        self.wake(&q);
        flushed.and(closed)
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<SharedWal>();
    let _ = Durability::EveryAppend;
}
