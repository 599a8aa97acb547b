//! What the integration tests share: a type config, a tiny application state, entry builders.

#![allow(dead_code)]

pub mod mem_sm;

use std::io::Cursor;

use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId, Membership};
use serde::{Deserialize, Serialize};

openraft::declare_raft_types!(
    /// The tests' type config: requests are bytes, responses are nothing.
    pub TestConfig: D = Vec<u8>, R = (), SnapshotData = Cursor<Vec<u8>>
);

/// The tests' application state: how many requests and bytes were applied.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Counter {
    pub requests: u64,
    pub bytes: u64,
}

impl mem_sm::AppState<TestConfig> for Counter {
    fn apply(&mut self, data: &Vec<u8>) {
        self.requests += 1;
        self.bytes += data.len() as u64;
    }
}

pub type TestSm = mem_sm::MemStateMachine<TestConfig, Counter>;
pub type Store = walogs_openraft::WalogsLogStore<TestConfig>;

pub fn log_id(term: u64, node: u64, index: u64) -> LogId<u64> {
    LogId::new(CommittedLeaderId::new(term, node), index)
}

/// A normal entry whose payload is derived from its index and term (so a test can recompute
/// it): `len` bytes.
pub fn normal(term: u64, index: u64, len: usize) -> Entry<TestConfig> {
    Entry {
        log_id: log_id(term, term % 3, index),
        payload: EntryPayload::Normal(payload_of(term, index, len)),
    }
}

pub fn payload_of(term: u64, index: u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (index.wrapping_mul(31) ^ term.wrapping_mul(7) ^ i as u64) as u8)
        .collect()
}

pub fn blank(term: u64, index: u64) -> Entry<TestConfig> {
    Entry {
        log_id: log_id(term, 0, index),
        payload: EntryPayload::Blank,
    }
}

pub fn membership(term: u64, index: u64, voters: &[u64]) -> Entry<TestConfig> {
    Entry {
        log_id: log_id(term, 0, index),
        payload: EntryPayload::Membership(Membership::new(
            vec![voters.iter().copied().collect()],
            None,
        )),
    }
}

/// Append and wait for the flush callback (its outcome).
pub fn append_sync(store: &mut Store, entries: Vec<Entry<TestConfig>>) -> std::io::Result<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    match store.append_with(entries, move |r| {
        let _ = tx.send(r);
    }) {
        Ok(()) => rx.recv().expect("the flush callback runs"),
        Err(e) => {
            let from_callback = rx.recv().expect("the flush callback runs on refusal too");
            assert!(from_callback.is_err());
            Err(std::io::Error::other(e))
        }
    }
}
