//! A prototype of the group commit proposed for `SharedWal`, built on the public API of
//! walogs-core (`Wal::append_batch` as the write path), for comparison only.
//!
//! Same protocol as [`crate::raw_group::RawGroupCommit`]: callers queue their entry under a
//! mutex; one leader at a time takes the whole queue and writes it as one atomic batch (one
//! `pwrite` + one `fdatasync`); callers wait on a condition variable and are all woken at
//! once when their entries are durable. `SharedWal` instead makes followers queue on the
//! writer mutex and find out one by one that their entry is durable (see the report).

use std::sync::{Condvar, Mutex, MutexGuard};

use walogs_core::Wal;

use crate::error::{BenchError, Context, Result};

#[derive(Debug, Default)]
struct State {
    queue: Vec<Vec<u8>>,
    queued: u64,
    durable: u64,
    writing: bool,
    failed: Option<String>,
    groups: u64,
}

/// A group-committing front end over one `Wal`.
#[derive(Debug)]
pub struct ProtoGroupCommit {
    state: Mutex<State>,
    done: Condvar,
    wal: Mutex<Wal>,
}

impl ProtoGroupCommit {
    /// Wrap `wal` (durable appends: default options).
    pub fn new(wal: Wal) -> Self {
        ProtoGroupCommit {
            state: Mutex::new(State::default()),
            done: Condvar::new(),
            wal: Mutex::new(wal),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Append `data`; returns once it is durable.
    pub fn commit(&self, data: &[u8]) -> Result<()> {
        let mut st = self.lock();
        st.queue.push(data.to_vec());
        st.queued += 1;
        let ticket = st.queued;
        loop {
            if let Some(why) = &st.failed {
                return Err(BenchError::Check(format!(
                    "prototype group commit failed: {why}"
                )));
            }
            if st.durable >= ticket {
                return Ok(());
            }
            if st.writing {
                st = self.done.wait(st).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            st.writing = true;
            let group = std::mem::take(&mut st.queue);
            let upto = st.queued;
            drop(st);
            let r = self
                .wal
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .append_batch(&group)
                .ctx("append_batch");
            st = self.lock();
            st.writing = false;
            match r {
                Ok(_) => {
                    st.durable = upto;
                    st.groups += 1;
                }
                Err(e) => st.failed = Some(e.to_string()),
            }
            self.done.notify_all();
        }
    }

    /// Groups written so far.
    pub fn groups(&self) -> u64 {
        self.lock().groups
    }

    /// Close the `Wal`, returning how many entries it holds.
    pub fn close(self) -> Result<u64> {
        let wal = self.wal.into_inner().unwrap_or_else(|p| p.into_inner());
        let n = wal.next_lsn().0 - 1;
        wal.close().ctx("close")?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_in_the_log_once() {
        let d = std::env::temp_dir().join(format!("walogs-bench-proto-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let g = ProtoGroupCommit::new(Wal::open(&d).unwrap());
        std::thread::scope(|s| {
            for t in 0..6u8 {
                let g = &g;
                s.spawn(move || {
                    for i in 0..40u8 {
                        g.commit(&[t, i]).unwrap();
                    }
                });
            }
        });
        assert!(g.groups() >= 1 && g.groups() <= 240);
        assert_eq!(g.close().unwrap(), 240);
        let wal = Wal::open(&d).unwrap();
        let mut seen: Vec<Vec<u8>> = wal.iter().map(|e| e.unwrap().1).collect();
        seen.sort();
        let mut want: Vec<Vec<u8>> = (0..6u8)
            .flat_map(|t| (0..40u8).map(move |i| vec![t, i]))
            .collect();
        want.sort();
        assert_eq!(seen, want);
        drop(wal);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
