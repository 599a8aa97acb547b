//! Topics, appends, reads and recovery of a store.

use std::sync::Arc;

use walogs_streams::{
    MAX_HEADER, NewRecord, Record, Streams, StreamsError, StreamsOptions, TopicRange, WalError,
};

fn rec<'a>(data: &'a [u8], header: &'a [u8], ts: u64) -> NewRecord<'a> {
    NewRecord {
        data,
        header,
        timestamp_ms: Some(ts),
    }
}

#[test]
fn topic_names_are_checked_and_any_other_name_works() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    for bad in ["", "a\0b"] {
        assert!(matches!(
            s.append(bad, b"x"),
            Err(StreamsError::InvalidName { what: "topic", .. })
        ));
    }
    let long = "x".repeat(256);
    assert!(matches!(
        s.append(&long, b"x"),
        Err(StreamsError::InvalidName { .. })
    ));
    let names = ["a/b", "..", ".", "ünïcødé ✓", &"y".repeat(255)];
    for (i, n) in names.iter().enumerate() {
        assert_eq!(s.append(n, format!("{i}").as_bytes()).unwrap(), 1);
    }
    s.close().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    let mut listed: Vec<String> = s.topics().into_iter().map(|t| t.name).collect();
    let mut want: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    listed.sort();
    want.sort();
    assert_eq!(listed, want);
    for (i, n) in names.iter().enumerate() {
        assert_eq!(s.read(n, 1).unwrap().data, format!("{i}").as_bytes());
    }
    assert!(matches!(
        s.read("nope", 1),
        Err(StreamsError::UnknownTopic { .. })
    ));
}

#[test]
fn lsns_are_dense_per_topic_across_reopen_with_headers_and_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    for i in 1..=5u64 {
        assert_eq!(
            s.append_record("a", rec(&[i as u8], b"h", 100 + i))
                .unwrap(),
            i
        );
        assert_eq!(s.append("b", &[i as u8; 3]).unwrap(), i);
    }
    s.close().unwrap();
    assert!(matches!(
        s.append("a", b"x"),
        Err(StreamsError::Wal(WalError::Closed))
    ));
    s.close().unwrap(); // idempotent
    let s = Streams::open(dir.path()).unwrap();
    assert_eq!(s.append("a", b"six").unwrap(), 6);
    assert_eq!(s.append("c", b"one").unwrap(), 1);
    let r = s.read("a", 3).unwrap();
    assert_eq!(
        r,
        Record {
            lsn: 3,
            data: vec![3],
            header: b"h".to_vec(),
            timestamp_ms: 103
        }
    );
    let b = s.read("b", 2).unwrap();
    assert!(b.header.is_empty());
    assert!(b.timestamp_ms > 1_600_000_000_000, "wall clock taken");
    let info = s.topic("a").unwrap();
    assert_eq!(
        (info.first_lsn, info.next_lsn, info.bytes),
        (1, 7, 5 * 2 + 3)
    );
}

#[test]
fn header_over_the_limit_and_entry_too_large_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    let big = vec![0u8; MAX_HEADER + 1];
    assert!(matches!(
        s.append_record("t", rec(b"x", &big, 1)),
        Err(StreamsError::HeaderTooLarge { size, max }) if size == MAX_HEADER + 1 && max == MAX_HEADER
    ));
    let max = vec![0u8; MAX_HEADER];
    assert_eq!(s.append_record("t", rec(b"x", &max, 1)).unwrap(), 1);
    let huge = vec![0u8; walogs_core::MAX_ENTRY_SIZE];
    assert!(matches!(
        s.append("u", &huge),
        Err(StreamsError::Wal(WalError::EntryTooLarge { .. }))
    ));
    assert!(
        s.topic("u").is_err(),
        "a refused first append creates no topic"
    );
    assert_eq!(s.append("t", b"y").unwrap(), 2);
}

#[test]
fn batches_are_ranges_and_empty_batches_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    assert!(matches!(
        s.append_batch("t", &[]),
        Err(StreamsError::InvalidArgument { .. })
    ));
    let recs = [rec(b"a", b"", 1), rec(b"b", b"hb", 2), rec(b"c", b"", 3)];
    assert_eq!(
        s.append_batch("t", &recs).unwrap(),
        TopicRange { first: 1, last: 3 }
    );
    s.append("t", b"d").unwrap();
    assert_eq!(
        s.append_batch("t", &recs[..1]).unwrap(),
        TopicRange { first: 5, last: 5 }
    );
    drop(s);
    let s = Streams::open(dir.path()).unwrap();
    let all = s.read_range("t", 1, 100, usize::MAX).unwrap();
    let data: Vec<&[u8]> = all.iter().map(|r| r.data.as_slice()).collect();
    assert_eq!(data, [&b"a"[..], b"b", b"c", b"d", b"a"]);
    assert_eq!(all[1].header, b"hb");
}

#[test]
fn read_range_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    for i in 0..10u8 {
        s.append("t", &[i; 10]).unwrap();
        s.append("other", &[i]).unwrap();
    }
    assert_eq!(s.read_range("t", 3, 4, usize::MAX).unwrap().len(), 4);
    // Byte limit: 25 bytes fit two 10-byte records; a too-small limit still gives one.
    assert_eq!(s.read_range("t", 1, 100, 25).unwrap().len(), 2);
    assert_eq!(s.read_range("t", 1, 100, 1).unwrap().len(), 1);
    let tail = s.read_range("t", 9, 100, usize::MAX).unwrap();
    assert_eq!(tail.iter().map(|r| r.lsn).collect::<Vec<_>>(), [9, 10]);
    assert!(s.read_range("t", 11, 1, 1).unwrap().is_empty());
    assert!(matches!(
        s.read_range("t", 12, 1, 1),
        Err(StreamsError::LsnOutOfRange {
            lsn: 12,
            first: 1,
            next: 11,
            ..
        })
    ));
    assert!(matches!(
        s.read_range("t", 0, 1, 1),
        Err(StreamsError::LsnOutOfRange { .. })
    ));
    assert!(matches!(
        s.read("t", 11),
        Err(StreamsError::LsnOutOfRange { lsn: 11, .. })
    ));
    assert!(matches!(
        s.read_range("t", 1, 0, 1),
        Err(StreamsError::InvalidArgument { .. })
    ));
}

#[test]
fn seek_time_with_out_of_order_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    for ts in [100u64, 300, 200, 400, 250] {
        s.append_record("t", rec(b"x", b"", ts)).unwrap();
    }
    assert_eq!(s.seek_time("t", 0).unwrap(), 1);
    assert_eq!(s.seek_time("t", 150).unwrap(), 2);
    assert_eq!(s.seek_time("t", 300).unwrap(), 2);
    assert_eq!(s.seek_time("t", 301).unwrap(), 4);
    assert_eq!(s.seek_time("t", 401).unwrap(), 6);
    drop(s);
    let s = Streams::open(dir.path()).unwrap();
    assert_eq!(s.seek_time("t", 301).unwrap(), 4, "the same after recovery");
}

#[test]
fn not_a_store_and_locked() {
    let dir = tempfile::tempdir().unwrap();
    {
        let wal = walogs_core::SharedWal::open(dir.path()).unwrap();
        let _ = wal.append(b"plain").unwrap();
    }
    assert!(matches!(
        Streams::open(dir.path()),
        Err(StreamsError::NotAStore { .. })
    ));
    let dir = tempfile::tempdir().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    assert!(matches!(
        Streams::open(dir.path()),
        Err(StreamsError::Wal(WalError::Locked { .. }))
    ));
    s.close().unwrap();
    Streams::open(dir.path()).unwrap();
}

/// The payload of append `i` of thread `t`: every seventh one is larger than the encoding
/// buffer a store keeps between appends, so the buffer is both reused and replaced.
fn payload(t: u32, i: u32) -> Vec<u8> {
    let mut p = format!("{t}:{i}:").into_bytes();
    if i % 7 == 3 {
        p.resize(70 * 1024 + i as usize, b'a' + (t % 26) as u8);
    }
    p
}

/// 8 threads append to 16 topics under `opts`; after close and reopen every topic is dense
/// from LSN 1 and every acknowledged record reads back byte for byte.
fn many_threads_many_topics(opts: StreamsOptions) {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(opts.open(dir.path()).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let s = s.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                for i in 0..50u32 {
                    let topic = format!("t{}", (t + i) % 16);
                    let data = payload(t, i);
                    let lsn = s.append(&topic, &data).unwrap();
                    // Readable at once under every policy.
                    assert_eq!(s.read(&topic, lsn).unwrap().data, data);
                    got.push((topic, lsn, data));
                }
                got
            })
        })
        .collect();
    let mut acked = Vec::new();
    for h in threads {
        acked.extend(h.join().unwrap());
    }
    s.close().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    let total: u64 = s.topics().iter().map(|t| t.next_lsn - 1).sum();
    assert_eq!(total, 400);
    for (topic, lsn, data) in &acked {
        assert_eq!(&s.read(topic, *lsn).unwrap().data, data);
    }
    for t in s.topics() {
        assert_eq!(t.first_lsn, 1);
        let recs = s.read_range(&t.name, 1, 1000, usize::MAX).unwrap();
        assert_eq!(recs.len() as u64, t.next_lsn - 1, "dense");
    }
}

#[test]
fn many_threads_many_topics_dense_and_complete() {
    many_threads_many_topics(StreamsOptions::new());
}

#[test]
fn many_threads_many_topics_under_every_relaxed_policy() {
    use walogs_core::Durability;
    for d in [
        Durability::Interval(std::time::Duration::from_millis(1)),
        Durability::Manual,
        Durability::None,
    ] {
        many_threads_many_topics(StreamsOptions::new().durability(d));
    }
}

#[test]
fn relaxed_durability_sees_written_records() {
    let dir = tempfile::tempdir().unwrap();
    let s = StreamsOptions::new()
        .durability(walogs_core::Durability::Manual)
        .open(dir.path())
        .unwrap();
    s.append("t", b"a").unwrap();
    assert_eq!(s.read("t", 1).unwrap().data, b"a");
    s.sync().unwrap();
    s.close().unwrap();
    let s = Streams::open(dir.path()).unwrap();
    assert_eq!(s.read("t", 1).unwrap().data, b"a");
}
