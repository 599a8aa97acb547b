//! Group commit: many threads append at once and share one write and one fdatasync.
//!
//! Each appender copies its entry into a shared queue (taking the next LSN and a ticket) and
//! waits. When no group is being written, one waiting appender becomes the leader: it takes
//! the writer lock, takes every queued entry (up to one batch frame, 64 MiB), writes them as
//! one frame, issues one fdatasync (under `EveryAppend`), marks the group's tickets done and
//! wakes the others. Each wakes, returns if its entry is done, and otherwise one of them
//! leads the next group. So N threads appending together cost about one write + one
//! fdatasync per group, and each caller still returns only once its own entry is durable.
//!
//! A group is one frame (one CRC), so a torn group write can never look like mid-log damage.
//! A failed group poisons the log: entries queued behind it already hold the LSNs after it,
//! so going on would hand an LSN to a second entry.
//!
//! Lock order: the writer lock before the queue lock. Appenders hold only the queue lock, and
//! never while doing I/O.
//!
//! The queue's mutex and condition variable are `parking_lot`'s: waking every waiter after a
//! group moves them onto the mutex and lets them run one at a time, instead of waking all of
//! them at once to fight over it. With 16 appenders on 2 cores that herd cost about a quarter
//! of the throughput (measured against the same loop on `std::sync`, see the README). Waking
//! the acknowledged callers directly instead (each parked on its own, returning on an atomic
//! done count without the queue lock) was measured too and lost 6–15 % at 4–16 threads:
//! woken all at once they meet again on the queue lock, and groups came out smaller.
//! While group N is written and synced, group N+1 accumulates in the queue; its leader writes
//! it with one `pwrite` as soon as N's fdatasync returns.
//!
//! The callers group N acknowledged are not in N+1: they are still waking up when N+1's
//! leader starts, so with a few threads appending in a loop the groups alternate between two
//! halves of them. Under `EveryAppend` a leader therefore lingers (see
//! [`GroupCommit::linger`]): it waits until as many callers started waiting since the last
//! write as that write acknowledged, for at most a fraction of the last fdatasync's duration.
//! Appenders that keep coming back then share one fdatasync, and an appender alone never
//! waits (it is the caller it would wait for). Callers, not entries, are counted: one caller
//! may queue several entries and wait for the last.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::error::WalError;
use crate::frame::{self, MAX_BATCH_SIZE};
use crate::watch::Watch;
use crate::writer::LogWriter;

/// A lingering leader waits at most the last fdatasync's duration divided by this.
const LINGER_SHARE: u32 = 2;

/// Entries waiting for a leader.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    /// LSN of the first queued entry (equals the writer's `next_lsn`).
    pub first_lsn: u64,
    /// LSN the next queued entry gets.
    pub next_lsn: u64,
    /// Lengths of the queued entries, in LSN order.
    lens: Vec<u32>,
    /// The queued payloads, back to back.
    data: Vec<u8>,
    /// Set when the writer failed or closed: no more LSNs are handed out.
    pub stopped: Option<Stop>,
    /// An appender has taken the lead and will write a group; others wait on `done`.
    leader_active: bool,
    /// Appenders sleeping on `done` (a lone appender skips the wake-up syscall).
    waiters: usize,
    /// Entries ever queued; an append's ticket is the value before it queued. Tickets,
    /// unlike LSNs, are never reused (a truncation hands LSNs out again).
    tickets: u64,
    /// Entries ever written: every ticket below this is done.
    tickets_done: u64,
    /// The tickets of the callers in [`GroupCommit::wait`] whose entry is not written yet.
    waiting: Vec<u64>,
    /// Callers the last write acknowledged (of a group, or one direct append).
    released: u64,
    /// Callers that started waiting since then.
    arrived: u64,
    /// A leader waits on `arrivals` for callers to arrive.
    lingering: bool,
}

/// An entry in the queue: its LSN and its ticket (see [`Queue`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Queued {
    pub lsn: u64,
    ticket: u64,
}

/// Why the queue takes no more entries.
#[derive(Debug, Clone)]
pub(crate) enum Stop {
    Closed,
    Poisoned(String),
    ReadOnly,
}

impl Stop {
    pub fn error(&self) -> WalError {
        match self {
            Stop::Closed => WalError::Closed,
            Stop::Poisoned(r) => WalError::Poisoned { reason: r.clone() },
            Stop::ReadOnly => WalError::ReadOnly,
        }
    }
}

impl Queue {
    /// Point the queue at the writer's next LSN (after an operation that changed it), or
    /// stop it if the writer was poisoned.
    /// After a failure, the queued entries are refused with the poison error and the
    /// queue's LSNs fall back to the writer's (nothing failed consumed an LSN).
    pub fn resync(&mut self, w: &LogWriter) {
        if let Some(p) = w.poisoned() {
            self.stopped = Some(Stop::Poisoned(p.to_string()));
            self.lens.clear();
            self.data.clear();
        }
        self.first_lsn = w.next_lsn();
        self.next_lsn = w.next_lsn();
    }

    pub fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }

    /// Nothing queued, no leader at work, and the last write acknowledged a single caller (no
    /// sign of concurrent appenders, whom a leader would wait for): an appender may write
    /// directly.
    pub fn is_idle(&self) -> bool {
        self.lens.is_empty() && !self.leader_active && self.released <= 1
    }

    /// Record that a direct append (no queue, no waiting caller) takes its LSN: the write it
    /// makes acknowledges one caller. (If that write fails the log is poisoned and nobody
    /// lingers any more.)
    pub fn note_direct_write(&mut self) {
        self.released = 1;
        self.arrived = 0;
    }

    /// Record that every ticket below `tickets_done` is written: the callers waiting for one
    /// of them are released, and a leader lingers for as many to start waiting again.
    fn note_group_written(&mut self) {
        let done = self.tickets_done;
        let before = self.waiting.len();
        self.waiting.retain(|&t| t >= done);
        self.released = (before - self.waiting.len()) as u64;
        self.arrived = 0;
    }

    /// A caller stops waiting without its entry written (the log stopped or its leader
    /// failed).
    fn forget_waiting(&mut self, ticket: u64) {
        self.waiting.retain(|&t| t != ticket);
    }
}

/// The queue, the condition variable its appenders sleep on, and the durable LSN they
/// publish.
#[derive(Debug)]
pub(crate) struct GroupCommit {
    queue: Mutex<Queue>,
    /// Signalled (with `queue`) when a group was written or a leader stepped down.
    done: Condvar,
    /// Signalled (with `queue`) when a caller starts waiting while a leader lingers.
    arrivals: Condvar,
    /// The durable LSN (under `EveryAppend` also the highest acknowledged) and who waits
    /// for it. Published with the queue locked, before any ticket it covers is seen done.
    watch: Arc<Watch>,
}

impl GroupCommit {
    pub fn new(next_lsn: u64, watch: Arc<Watch>, stopped: Option<Stop>) -> GroupCommit {
        GroupCommit {
            queue: Mutex::new(Queue {
                first_lsn: next_lsn,
                next_lsn,
                stopped,
                ..Queue::default()
            }),
            done: Condvar::new(),
            arrivals: Condvar::new(),
            watch,
        }
    }

    /// Publish the writer's durable LSN (and its poisoning) to the watch. Callers hold the
    /// writer lock.
    pub fn publish(&self, w: &LogWriter) {
        self.watch.publish(w.durable_lsn());
        if let Some(reason) = w.poisoned() {
            self.watch.stop(Some(reason));
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock()
    }

    /// Wake every appender sleeping on `done` (called with the queue locked).
    pub fn wake(&self, q: &Queue) {
        if q.waiters > 0 {
            self.done.notify_all();
        }
    }

    /// Queue `data` and return once it is written (and synced, if the policy says so), or
    /// once the log stopped. `lead` writes one group: it is called without the queue lock,
    /// by at most one appender at a time. Returns the entry's LSN.
    pub fn append(
        &self,
        data: &[u8],
        lead: impl Fn() -> Result<(), WalError>,
    ) -> Result<u64, WalError> {
        let queued = self.enqueue(data)?;
        self.wait(queued, lead)
    }

    /// Queue `data` and return at once with its LSN and ticket: entries queued later get
    /// later LSNs and are written after it. [`GroupCommit::wait`] then returns once it is
    /// written (a later leader or a flush writes it even if nobody waits).
    pub fn enqueue(&self, data: &[u8]) -> Result<Queued, WalError> {
        let mut q = self.lock();
        if let Some(s) = &q.stopped {
            return Err(s.error());
        }
        let lsn = q.next_lsn;
        q.next_lsn += 1;
        let ticket = q.tickets;
        q.tickets += 1;
        q.lens.push(data.len() as u32);
        q.data.extend_from_slice(data);
        Ok(Queued { lsn, ticket })
    }

    /// The leader's wait before it takes its group: until as many callers started waiting
    /// since the last write as that write acknowledged (the callers it released, appending
    /// again), or the log stopped, or `sync_cost` (the last fdatasync's duration) divided by
    /// `LINGER_SHARE` passed. `None` (a policy that does not sync each append) returns at
    /// once. Called with the writer lock and the queue lock held; the queue lock is released
    /// while waiting. Costs at most that share of an fdatasync in latency, and only when the
    /// last write acknowledged more than one caller.
    pub fn linger<'a>(
        &'a self,
        mut q: MutexGuard<'a, Queue>,
        sync_cost: Option<Duration>,
    ) -> MutexGuard<'a, Queue> {
        let Some(cost) = sync_cost else {
            return q;
        };
        if q.arrived >= q.released || cost.is_zero() {
            return q;
        }
        let deadline = Instant::now() + cost / LINGER_SHARE;
        q.lingering = true;
        while q.arrived < q.released && q.stopped.is_none() {
            if self.arrivals.wait_until(&mut q, deadline).timed_out() {
                break;
            }
        }
        q.lingering = false;
        q
    }

    /// Wait until the entry of `queued` is written (and synced, if the policy says so),
    /// leading groups while no one else does; or until the log stopped. Returns its LSN.
    pub fn wait(
        &self,
        queued: Queued,
        lead: impl Fn() -> Result<(), WalError>,
    ) -> Result<u64, WalError> {
        let Queued { lsn, ticket } = queued;
        let mut q = self.lock();
        if ticket < q.tickets_done {
            return Ok(lsn);
        }
        q.waiting.push(ticket);
        q.arrived += 1;
        if q.lingering {
            self.arrivals.notify_one();
        }
        loop {
            // Done means written (and synced, if the policy says so); a truncation that cut
            // the entry afterwards does not undo the append, which happened before it.
            if ticket < q.tickets_done {
                return Ok(lsn);
            }
            if let Some(s) = &q.stopped {
                let e = s.error();
                q.forget_waiting(ticket);
                return Err(e);
            }
            if q.leader_active {
                q.waiters += 1;
                self.done.wait(&mut q);
                q.waiters -= 1;
                continue;
            }
            q.leader_active = true;
            drop(q);
            let led = lead();
            q = self.lock();
            q.leader_active = false;
            self.wake(&q);
            if ticket < q.tickets_done {
                return Ok(lsn);
            }
            if let Err(e) = led {
                q.forget_waiting(ticket);
                return Err(e);
            }
        }
    }

    /// Write the queued entries (up to one batch frame) as one frame. Called with the writer
    /// lock and the queue lock held; the queue lock is released during the I/O and held
    /// again on return. A failure poisons the writer and stops the queue.
    pub fn write_group<'a>(
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
        let mut q = self.lock();
        self.publish(w);
        match &r {
            Ok(()) => {
                q.tickets_done += n as u64;
                q.note_group_written();
            }
            Err(e) => {
                w.poison_with(format!("a group commit failed: {e}"));
                q.resync(w);
            }
        }
        (q, r)
    }

    /// Write everything queued. Called with both locks held; returns with the queue lock
    /// held and (on success) the queue empty. Wakes the waiters either way.
    pub fn flush<'a>(
        &'a self,
        w: &mut LogWriter,
        mut q: MutexGuard<'a, Queue>,
    ) -> (MutexGuard<'a, Queue>, Result<(), WalError>) {
        while !q.is_empty() {
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
}
