//! A plain group commit over raw syscalls, the baseline for walogs' `SharedWal`.
//!
//! Each caller appends its bytes to a shared buffer under a mutex. If no thread is writing,
//! the caller becomes the leader: it takes the whole buffer, releases the mutex, issues one
//! `pwrite` and one `fdatasync`, then marks everything it took durable and wakes the
//! waiters. Callers whose bytes are not yet durable wait on a condition variable and become
//! the next leader when the writer is free. Every caller returns only once its own bytes are
//! durable. No other tricks (no spinning, no pipelining of write and sync).
//!
//! [`RawGroupCommit::pipelined`] runs the pipelined variant instead: the write of the next
//! group does not wait for the previous group's fdatasync. One thread at a time writes
//! everything queued (one `pwrite`), one thread at a time syncs everything written (one
//! `fdatasync`), and the two overlap; a caller still returns only once its own bytes are
//! durable. It is the measurement behind walogs' choice of not pipelining that way.
//!
//! The algorithm is written once over [`Primitives`]: `RawGroupCommit<StdSync>` runs it on
//! `std::sync::{Mutex, Condvar}`, `RawGroupCommit<ParkingLot>` on `parking_lot`'s (walogs-core's
//! group commit queue uses the latter), so the two rows differ only in the lock.

use std::fs::File;

use crate::error::{BenchError, Result};
use crate::rawio::{fdatasync, pwrite_all};
use crate::wait_lock::{Primitives, WaitLock};

#[derive(Debug, Default)]
struct State {
    /// Bytes queued for the next leader.
    buf: Vec<u8>,
    /// Number of commits queued so far (the last queued commit's ticket).
    queued: u64,
    /// Every ticket up to this one is durable.
    durable: u64,
    /// A leader is writing.
    writing: bool,
    /// Pipelined variant: every ticket up to this one is written (not yet synced).
    written: u64,
    /// Pipelined variant: a thread is in fdatasync.
    syncing: bool,
    /// Where the next group goes in the file.
    offset: u64,
    /// Set after a failed write or sync; every later commit fails.
    failed: Option<String>,
    /// Groups written (for reporting the average group size).
    groups: u64,
}

impl State {
    /// Queue `data`; returns its ticket.
    fn enqueue(&mut self, data: &[u8]) -> u64 {
        self.buf.extend_from_slice(data);
        self.queued += 1;
        self.queued
    }

    /// `Some` once the commit of `ticket` is durable or the appender failed.
    fn settled(&self, ticket: u64) -> Option<Result<u64>> {
        if let Some(why) = &self.failed {
            return Some(Err(BenchError::Check(format!(
                "raw group commit failed: {why}"
            ))));
        }
        (self.durable >= ticket).then_some(Ok(ticket))
    }

    /// Take everything queued as the next group: its bytes, the last ticket in it and its
    /// offset in the file.
    fn take_group(&mut self) -> (Vec<u8>, u64, u64) {
        let group = std::mem::take(&mut self.buf);
        let offset = self.offset;
        self.offset += group.len() as u64;
        (group, self.queued, offset)
    }
}

/// A group-committing appender to one file, its queue guarded by the mutex and condition
/// variable of `P`.
pub struct RawGroupCommit<P: Primitives> {
    file: File,
    /// The queue's state, and the condition variable waiters sleep on until their ticket is
    /// durable or the writer is free.
    state: P::Lock<State>,
    /// Write the next group while the previous one is being synced.
    pipelined: bool,
}

impl<P: Primitives> RawGroupCommit<P> {
    /// Append to `file` starting at offset `start`.
    pub fn new(file: File, start: u64) -> Self {
        RawGroupCommit {
            file,
            state: P::Lock::new(State {
                offset: start,
                ..State::default()
            }),
            pipelined: false,
        }
    }

    /// The pipelined variant (see the module documentation), appending to `file` from
    /// offset `start`.
    pub fn pipelined(file: File, start: u64) -> Self {
        RawGroupCommit {
            pipelined: true,
            ..Self::new(file, start)
        }
    }

    /// Append `data` and return once it is written and fdatasync'd. Returns the commit's
    /// ticket (1, 2, 3, ... in the order bytes were queued, which is their order in the file).
    pub fn commit(&self, data: &[u8]) -> Result<u64> {
        if self.pipelined {
            return self.commit_pipelined(data);
        }
        let mut st = self.state.lock();
        let ticket = st.enqueue(data);
        loop {
            if let Some(r) = st.settled(ticket) {
                return r;
            }
            if st.writing {
                st = self.state.wait(st);
                continue;
            }
            // Lead: take everything queued.
            st.writing = true;
            let (group, upto, offset) = st.take_group();
            drop(st);
            let r = pwrite_all(&self.file, &group, offset).and_then(|()| fdatasync(&self.file));
            st = self.state.lock();
            st.writing = false;
            match r {
                Ok(()) => {
                    st.durable = upto;
                    st.groups += 1;
                    if st.buf.is_empty() {
                        // Reuse the allocation for the next group.
                        let mut g = group;
                        g.clear();
                        st.buf = g;
                    }
                }
                Err(e) => st.failed = Some(e.to_string()),
            }
            self.state.notify_all();
        }
    }

    /// [`RawGroupCommit::commit`] of the pipelined variant.
    fn commit_pipelined(&self, data: &[u8]) -> Result<u64> {
        let mut st = self.state.lock();
        let ticket = st.enqueue(data);
        loop {
            if let Some(r) = st.settled(ticket) {
                return r;
            }
            if st.written < ticket {
                if st.writing {
                    st = self.state.wait(st);
                    continue;
                }
                // Write everything queued, whether or not a sync is in flight.
                st.writing = true;
                let (group, upto, offset) = st.take_group();
                drop(st);
                let r = pwrite_all(&self.file, &group, offset);
                st = self.state.lock();
                st.writing = false;
                match r {
                    Ok(()) => st.written = upto,
                    Err(e) => st.failed = Some(e.to_string()),
                }
                self.state.notify_all();
                continue;
            }
            if st.syncing {
                st = self.state.wait(st);
                continue;
            }
            // Sync everything written so far.
            st.syncing = true;
            let upto = st.written;
            drop(st);
            let r = fdatasync(&self.file);
            st = self.state.lock();
            st.syncing = false;
            match r {
                Ok(()) => {
                    st.durable = st.durable.max(upto);
                    st.groups += 1;
                }
                Err(e) => st.failed = Some(e.to_string()),
            }
            self.state.notify_all();
        }
    }

    /// Groups written so far (each one pwrite + one fdatasync; for the pipelined variant,
    /// the fdatasyncs).
    pub fn groups(&self) -> u64 {
        self.state.lock().groups
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::rawio::{Prealloc, create};
    use crate::wait_lock::{ParkingLot, StdSync};

    /// 8 threads commit 50 records each through `RawGroupCommit<P>`; every record lands once,
    /// at the position of its ticket, and the groups share fdatasyncs.
    fn every_commit_lands_once_in_ticket_order<P: Primitives>(name: &str, pipelined: bool) {
        let d =
            std::env::temp_dir().join(format!("walogs-bench-group-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let path = d.join("g");
        let threads = 8usize;
        let per = 50u64;
        let rec = 16usize;
        let file = create(&path, Prealloc::Fallocate, 1 << 20).unwrap();
        let g = if pipelined {
            RawGroupCommit::<P>::pipelined(file, 0)
        } else {
            RawGroupCommit::<P>::new(file, 0)
        };
        let tickets = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for t in 0..threads {
                let (g, tickets) = (&g, &tickets);
                s.spawn(move || {
                    for i in 0..per {
                        // Each record names its writer and sequence number.
                        let mut r = vec![0u8; rec];
                        r[..8].copy_from_slice(&(t as u64).to_le_bytes());
                        r[8..].copy_from_slice(&i.to_le_bytes());
                        let ticket = g.commit(&r).unwrap();
                        tickets.lock().unwrap().push((ticket, t as u64, i));
                    }
                });
            }
        });
        let total = threads as u64 * per;
        let data = std::fs::read(&path).unwrap();
        let mut tickets = tickets.into_inner().unwrap();
        tickets.sort();
        assert_eq!(tickets.len() as u64, total);
        for (k, &(ticket, t, i)) in tickets.iter().enumerate() {
            assert_eq!(ticket, k as u64 + 1, "tickets are dense");
            let at = k * rec;
            let r = &data[at..at + rec];
            assert_eq!(u64::from_le_bytes(r[..8].try_into().unwrap()), t);
            assert_eq!(u64::from_le_bytes(r[8..].try_into().unwrap()), i);
        }
        assert!(data[total as usize * rec..].iter().all(|&b| b == 0));
        let groups = g.groups();
        assert!(groups >= 1 && groups <= total, "{groups}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn std_every_commit_lands_once_in_ticket_order_and_groups_share_syncs() {
        every_commit_lands_once_in_ticket_order::<StdSync>("std", false);
    }

    #[test]
    fn parking_lot_every_commit_lands_once_in_ticket_order_and_groups_share_syncs() {
        every_commit_lands_once_in_ticket_order::<ParkingLot>("pl", false);
    }

    #[test]
    fn pipelined_every_commit_lands_once_in_ticket_order_and_groups_share_syncs() {
        every_commit_lands_once_in_ticket_order::<ParkingLot>("pipe", true);
    }
}
