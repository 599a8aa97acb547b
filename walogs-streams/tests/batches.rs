//! `RecordBatch` reads (`Consumer::next_batch_into`, `Streams::read_range_into`): the same
//! records, positions and errors as the `Vec` forms, the batch reused from call to call, and
//! a failed call leaving the batch empty and the position where it was.

use std::time::Duration;

use walogs_streams::{ConsumerMode, NewRecord, RecordBatch, Streams, StreamsError, WalError};

const NOW: Option<Duration> = Some(Duration::ZERO);

/// Records 1..=n of `topic`: data "d{i}", header "h{i}" on odd LSNs, timestamp 1000 + i.
fn fill(s: &Streams, topic: &str, n: u64) {
    for i in 1..=n {
        let header = if i % 2 == 1 {
            format!("h{i}")
        } else {
            String::new()
        };
        s.append_record(
            topic,
            NewRecord {
                data: format!("d{i}").as_bytes(),
                header: header.as_bytes(),
                timestamp_ms: Some(1000 + i),
            },
        )
        .unwrap();
    }
}

#[test]
fn next_batch_into_delivers_what_next_batch_delivers() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    fill(&s, "t", 40);
    let mode = ConsumerMode::AtLeastOnce { persist_every: 7 };
    let mut owned = s.consumer("t", "owned", mode).unwrap();
    let mut lent = s.consumer("t", "lent", mode).unwrap();
    let mut batch = RecordBatch::new();
    for budget in [1, 9, 20, 1 << 20, 1 << 20] {
        let want = owned.next_batch(budget, NOW).unwrap();
        let n = lent.next_batch_into(&mut batch, budget, NOW).unwrap();
        assert_eq!(n, want.len(), "budget {budget}");
        assert_eq!(batch.to_records(), want, "budget {budget}");
        assert_eq!(lent.position(), owned.position());
        assert_eq!(lent.committed(), owned.committed());
        let bytes: usize = want.iter().map(|r| r.data.len() + r.header.len()).sum();
        assert_eq!(batch.bytes(), bytes);
    }
    // Drained: both say so, and the batch is empty rather than holding the last records.
    assert_eq!(lent.position(), 41);
    assert_eq!(batch.len(), 0);
    assert!(batch.is_empty());
    lent.close().unwrap();
    let again = s.consumer("t", "lent", mode).unwrap();
    assert_eq!(
        again.position(),
        41,
        "close committed what next_batch_into delivered"
    );
}

#[test]
fn a_strict_consumer_persists_before_a_batch_is_lent() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    fill(&s, "t", 5);
    let mut c = s.consumer("t", "c", ConsumerMode::Strict).unwrap();
    let mut batch = RecordBatch::new();
    assert_eq!(c.next_batch_into(&mut batch, 1 << 20, NOW).unwrap(), 5);
    assert_eq!(c.committed(), 6);
    let lsns: Vec<u64> = batch.iter().map(|r| r.lsn).collect();
    assert_eq!(lsns, [1, 2, 3, 4, 5]);
    let third = batch.get(2).unwrap();
    assert_eq!(
        (third.data, third.header, third.timestamp_ms),
        (&b"d3"[..], &b"h3"[..], 1003)
    );
    assert_eq!(batch.get(1).unwrap().header, b"");
    drop(c);
    drop(s);
    let s = Streams::open(dir.path()).unwrap();
    assert_eq!(s.consumers()[0].position, 6);
}

#[test]
fn a_failed_call_leaves_the_batch_empty_and_the_position_unmoved() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    fill(&s, "t", 6);
    let mut c = s.consumer("t", "c", ConsumerMode::Strict).unwrap();
    let mut batch = RecordBatch::new();
    assert_eq!(c.next_batch_into(&mut batch, 3, NOW).unwrap(), 1);
    assert!(matches!(
        c.next_batch_into(&mut batch, 0, NOW),
        Err(StreamsError::InvalidArgument { .. })
    ));
    assert!(batch.is_empty());
    assert_eq!(c.position(), 2);
    assert_eq!(c.next_batch_into(&mut batch, 1 << 20, NOW).unwrap(), 5);
    s.close().unwrap();
    assert!(matches!(
        c.next_batch_into(&mut batch, 1 << 20, NOW),
        Err(StreamsError::Wal(WalError::Closed))
    ));
    assert!(batch.is_empty());
    assert_eq!(c.position(), 7);
}

#[test]
fn read_range_into_matches_read_range() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    fill(&s, "t", 12);
    let mut batch = RecordBatch::new();
    for (from, max_records, max_bytes) in [
        (1, 100, 1 << 20),
        (3, 4, 1 << 20),
        (5, 100, 11),
        (12, 1, 0),
        (13, 5, 100),
    ] {
        let want = s.read_range("t", from, max_records, max_bytes).unwrap();
        let n = s
            .read_range_into("t", from, max_records, max_bytes, &mut batch)
            .unwrap();
        assert_eq!(n, want.len());
        assert_eq!(batch.to_records(), want, "from {from}");
    }
    let r = s.read_range_into("t", 14, 1, 100, &mut batch);
    assert!(
        matches!(r, Err(StreamsError::LsnOutOfRange { lsn: 14, .. })),
        "{r:?}"
    );
    assert!(batch.is_empty());
    assert!(matches!(
        s.read_range_into("nope", 1, 1, 100, &mut batch),
        Err(StreamsError::UnknownTopic { .. })
    ));
    assert!(matches!(
        s.read_range_into("t", 1, 0, 100, &mut batch),
        Err(StreamsError::InvalidArgument { .. })
    ));
}
