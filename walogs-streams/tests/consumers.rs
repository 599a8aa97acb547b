//! Consumers: modes, positions across reopen, waiting, closing.

use std::sync::Arc;
use std::time::Duration;

use walogs_streams::{ConsumerMode, Streams, StreamsError, StreamsOptions, WalError};

const ALO3: ConsumerMode = ConsumerMode::AtLeastOnce { persist_every: 3 };

fn fill(s: &Streams, topic: &str, n: u64) {
    for i in 1..=n {
        s.append(topic, format!("r{i}").as_bytes()).unwrap();
    }
}

#[test]
fn strict_never_redelivers_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    fill(&s, "t", 10);
    let mut c = s.consumer("t", "c", ConsumerMode::Strict).unwrap();
    assert_eq!(c.position(), 1);
    assert_eq!(c.next(None).unwrap().unwrap().lsn, 1);
    let batch = c.next_batch(5, None).unwrap(); // two 2-byte records fit 5 bytes
    assert_eq!(batch.iter().map(|r| r.lsn).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(c.committed(), 4);
    // No close, no commit: a crash-like drop of everything.
    drop(c);
    drop(s);
    let s = Streams::open(dir.path()).unwrap();
    assert_eq!(s.consumers()[0].position, 4);
    let mut c = s.consumer("t", "c", ConsumerMode::Strict).unwrap();
    assert_eq!(c.next(None).unwrap().unwrap().lsn, 4);
    assert!(matches!(
        c.next_batch(0, None),
        Err(StreamsError::InvalidArgument { .. })
    ));
}

#[test]
fn at_least_once_resumes_at_most_n_back_and_never_skips() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    fill(&s, "t", 20);
    let mut c = s.consumer("t", "c", ALO3).unwrap();
    for want in 1..=7 {
        assert_eq!(c.next(None).unwrap().unwrap().lsn, want);
    }
    assert_eq!(c.position(), 8);
    assert_eq!(c.committed(), 7, "persisted after 3 and 6 records");
    drop(c);
    drop(s);
    let s = Streams::open(dir.path()).unwrap();
    let mut c = s.consumer("t", "c", ALO3).unwrap();
    assert_eq!(
        c.next(None).unwrap().unwrap().lsn,
        7,
        "one back, none skipped"
    );
    c.commit().unwrap();
    assert_eq!(c.committed(), 8);
    c.close().unwrap();
    let mut c = s
        .consumer("t", "c", ConsumerMode::AtLeastOnce { persist_every: 100 })
        .unwrap();
    assert_eq!(c.position(), 8, "persist_every may change");
    assert_eq!(c.next(None).unwrap().unwrap().lsn, 8);
    c.close().unwrap(); // commits
    let c = s.consumer("t", "c", ALO3).unwrap();
    assert_eq!(c.position(), 9);
}

#[test]
fn mode_mismatch_in_use_unknown_topic_and_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    assert!(matches!(
        s.consumer("t", "c", ConsumerMode::Strict),
        Err(StreamsError::UnknownTopic { .. })
    ));
    fill(&s, "t", 1);
    assert!(matches!(
        s.consumer("t", "c", ConsumerMode::AtLeastOnce { persist_every: 0 }),
        Err(StreamsError::InvalidArgument { .. })
    ));
    assert!(matches!(
        s.consumer("t", "", ConsumerMode::Strict),
        Err(StreamsError::InvalidName {
            what: "consumer",
            ..
        })
    ));
    let c = s.consumer("t", "c", ConsumerMode::Strict).unwrap();
    assert!(matches!(
        s.consumer("t", "c", ConsumerMode::Strict),
        Err(StreamsError::ConsumerInUse { .. })
    ));
    drop(c); // releases the mark
    assert!(matches!(
        s.consumer("t", "c", ALO3),
        Err(StreamsError::ConsumerModeMismatch {
            existing: ConsumerMode::Strict,
            ..
        })
    ));
    let c = s.consumer("t", "c", ConsumerMode::Strict).unwrap();
    assert_eq!(
        (c.topic(), c.name(), c.mode()),
        ("t", "c", ConsumerMode::Strict)
    );
    c.close().unwrap();
    s.consumer("t", "c", ConsumerMode::Strict).unwrap();
}

#[test]
fn a_waiting_consumer_wakes_on_an_append_from_another_thread() {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(Streams::open(dir.path()).unwrap());
    fill(&s, "t", 1);
    let mut c = s.consumer("t", "c", ConsumerMode::Strict).unwrap();
    assert_eq!(c.next(None).unwrap().unwrap().lsn, 1);
    let waiter = std::thread::spawn(move || c.next(None).map(|r| r.map(|r| r.data)));
    // The waiter either waits already or finds the record at once: both must deliver it.
    s.append("t", b"late").unwrap();
    assert_eq!(waiter.join().unwrap().unwrap(), Some(b"late".to_vec()));
}

#[test]
fn a_waiting_consumer_wakes_on_a_relaxed_append() {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(
        StreamsOptions::new()
            .durability(walogs_core::Durability::None)
            .open(dir.path())
            .unwrap(),
    );
    fill(&s, "t", 1);
    let mut c = s.consumer("t", "c", ConsumerMode::Strict).unwrap();
    assert_eq!(c.next(None).unwrap().unwrap().lsn, 1);
    // A bounded wait: a record that never becomes visible fails the test instead of hanging it.
    let waiter = std::thread::spawn(move || {
        c.next(Some(Duration::from_secs(30)))
            .map(|r| r.map(|r| r.data))
    });
    s.append("t", b"late").unwrap();
    assert_eq!(waiter.join().unwrap().unwrap(), Some(b"late".to_vec()));
}

#[test]
fn timeout_returns_none() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    fill(&s, "t", 1);
    let mut c = s.consumer("t", "c", ALO3).unwrap();
    assert!(c.next(Some(Duration::ZERO)).unwrap().is_some());
    assert!(c.next(Some(Duration::ZERO)).unwrap().is_none());
    assert!(c.next(Some(Duration::from_millis(20))).unwrap().is_none());
    assert!(c.next_batch(10, Some(Duration::ZERO)).unwrap().is_empty());
}

#[test]
fn closing_the_store_wakes_waiters_with_closed() {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(Streams::open(dir.path()).unwrap());
    fill(&s, "t", 1);
    let mut c = s.consumer("t", "c", ConsumerMode::Strict).unwrap();
    c.next(None).unwrap();
    let waiter = std::thread::spawn(move || {
        let r = c.next(None);
        (r, c)
    });
    s.close().unwrap();
    let (r, mut c) = waiter.join().unwrap();
    assert!(matches!(r, Err(StreamsError::Wal(WalError::Closed))));
    assert!(matches!(
        c.commit(),
        Err(StreamsError::Wal(WalError::Closed))
    ));
    assert!(matches!(
        s.consumer("t", "d", ConsumerMode::Strict),
        Err(StreamsError::Wal(WalError::Closed))
    ));
    assert!(matches!(
        s.read("t", 1),
        Err(StreamsError::Wal(WalError::Closed))
    ));
    assert!(matches!(
        s.cleanup(),
        Err(StreamsError::Wal(WalError::Closed))
    ));
}

#[test]
fn a_consumer_of_a_topic_appended_later_sees_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    fill(&s, "t", 3);
    fill(&s, "u", 2);
    let mut c = s.consumer("u", "c", ConsumerMode::Strict).unwrap();
    let got: Vec<Vec<u8>> = c
        .next_batch(usize::MAX, None)
        .unwrap()
        .into_iter()
        .map(|r| r.data)
        .collect();
    assert_eq!(got, [b"r1".to_vec(), b"r2".to_vec()]);
    let listed = s.consumers();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].topic.as_str(), listed[0].position), ("u", 3));
}
