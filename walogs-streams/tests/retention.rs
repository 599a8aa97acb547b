//! Retention: time, size cap, delete_consumed, physical reclaim, and consumers meeting
//! deleted records.

use std::time::Duration;

use walogs_streams::{ConsumerMode, NewRecord, Streams, StreamsOptions};

const HOUR: u64 = 3_600_000;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn at(s: &Streams, topic: &str, data: &[u8], ts: u64) -> u64 {
    s.append_record(
        topic,
        NewRecord {
            data,
            header: b"",
            timestamp_ms: Some(ts),
        },
    )
    .unwrap()
}

#[test]
fn time_retention_deletes_old_records_but_not_past_a_strict_consumer() {
    let dir = tempfile::tempdir().unwrap();
    let s = StreamsOptions::new()
        .retention(Some(Duration::from_secs(3600)))
        .open(dir.path())
        .unwrap();
    let now = now_ms();
    for i in 0..4 {
        at(&s, "old", b"x", now - 5 * HOUR + i);
    }
    at(&s, "old", b"fresh", now);
    for i in 0..3 {
        at(&s, "held", b"x", now - 5 * HOUR + i);
    }
    let mut c = s.consumer("held", "c", ConsumerMode::Strict).unwrap();
    c.next(None).unwrap();
    let r = s.cleanup().unwrap();
    assert_eq!(r.records_deleted, 4 + 1);
    assert_eq!(s.topic("old").unwrap().first_lsn, 5);
    assert_eq!(s.read("old", 5).unwrap().data, b"fresh");
    assert!(s.read("old", 4).is_err());
    assert_eq!(
        s.topic("held").unwrap().first_lsn,
        2,
        "stops at the strict consumer"
    );
    assert!(r.topics.iter().all(|t| t.forced_past.is_empty()));
    drop(c);
    drop(s);
    let s = Streams::open(dir.path()).unwrap();
    assert_eq!(
        s.topic("old").unwrap().first_lsn,
        5,
        "floors survive a reopen"
    );
    assert_eq!(s.topic("held").unwrap().first_lsn, 2);
}

#[test]
fn segment_windows_keep_records_until_their_window_ends() {
    let dir = tempfile::tempdir().unwrap();
    let s = StreamsOptions::new()
        .segment_duration(Some(Duration::from_secs(3600)))
        .retention(Some(Duration::from_secs(3600)))
        .open(dir.path())
        .unwrap();
    let now = now_ms();
    let this_window = now / HOUR * HOUR;
    // Ended more than an hour ago: two windows back.
    at(&s, "t", b"a", this_window - 2 * HOUR);
    // Its window ended less than an hour ago (at this_window): kept.
    at(&s, "t", b"b", this_window - HOUR);
    at(&s, "t", b"c", now);
    let r = s.cleanup().unwrap();
    assert_eq!(r.records_deleted, 1);
    assert_eq!(s.topic("t").unwrap().first_lsn, 2);
}

#[test]
fn size_cap_may_pass_a_strict_consumer_which_then_skips() {
    let dir = tempfile::tempdir().unwrap();
    let s = StreamsOptions::new()
        .max_topic_bytes(Some(30))
        .open(dir.path())
        .unwrap();
    s.append("t", &[1; 10]).unwrap();
    let mut c = s.consumer("t", "c", ConsumerMode::Strict).unwrap();
    for _ in 0..5 {
        s.append("t", &[2; 10]).unwrap();
    }
    let r = s.cleanup().unwrap();
    assert_eq!(r.records_deleted, 3);
    assert_eq!(r.topics[0].first_lsn, 4);
    assert_eq!(r.topics[0].forced_past, ["c".to_string()]);
    assert_eq!(s.topic("t").unwrap().bytes, 30);
    let got = c.next(None).unwrap().unwrap();
    assert_eq!(got.lsn, 4);
    assert_eq!(c.skipped(), 3);
}

#[test]
fn delete_consumed_deletes_what_every_consumer_passed() {
    let dir = tempfile::tempdir().unwrap();
    let s = StreamsOptions::new()
        .delete_consumed(true)
        .open(dir.path())
        .unwrap();
    for _ in 0..10 {
        s.append("t", b"x").unwrap();
    }
    s.append("lonely", b"no consumers: kept").unwrap();
    let mut a = s.consumer("t", "a", ConsumerMode::Strict).unwrap();
    let mut b = s
        .consumer("t", "b", ConsumerMode::AtLeastOnce { persist_every: 100 })
        .unwrap();
    a.next_batch(usize::MAX, None).unwrap();
    for _ in 0..6 {
        b.next(None).unwrap();
    }
    assert_eq!(
        s.cleanup().unwrap().records_deleted,
        0,
        "b committed nothing yet"
    );
    b.commit().unwrap();
    let r = s.cleanup().unwrap();
    assert_eq!(r.records_deleted, 6);
    assert_eq!(s.topic("t").unwrap().first_lsn, 7);
    assert_eq!(s.topic("lonely").unwrap().first_lsn, 1);
}

#[test]
fn reclaim_removes_segment_files_and_everything_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let opts = StreamsOptions::new()
        .max_segment_size(Some(4096))
        .max_topic_bytes(Some(1000));
    let s = opts.open(dir.path()).unwrap();
    for i in 0..200u32 {
        s.append("big", &[i as u8; 100]).unwrap();
    }
    // The oldest live record of any topic bounds what can be purged: these come last.
    for i in (0..200).step_by(50) {
        s.append("small", format!("s{i}").as_bytes()).unwrap();
    }
    let mut c = s.consumer("small", "c", ConsumerMode::Strict).unwrap();
    assert_eq!(c.next(None).unwrap().unwrap().data, b"s0");
    let r = s.cleanup().unwrap();
    assert_eq!(r.records_deleted, 190);
    assert!(r.bytes_reclaimed > 0, "{r:?}");
    assert!(r.segments_deleted > 0);
    let again = s.cleanup().unwrap();
    assert_eq!((again.records_deleted, again.bytes_reclaimed), (0, 0));
    drop(c);
    s.close().unwrap();
    let s = opts.open(dir.path()).unwrap();
    let big = s.topic("big").unwrap();
    assert_eq!((big.first_lsn, big.next_lsn), (191, 201));
    assert_eq!(s.read("big", 200).unwrap().data, [199u8; 100]);
    let small = s.read_range("small", 1, 10, usize::MAX).unwrap();
    assert_eq!(small.len(), 4);
    assert_eq!(s.consumers()[0].position, 2);
    assert_eq!(s.append("big", b"next").unwrap(), 201);
    let mut c = s.consumer("small", "c", ConsumerMode::Strict).unwrap();
    assert_eq!(c.next(None).unwrap().unwrap().data, b"s50");
}

#[test]
fn a_consumer_behind_a_purged_range_skips_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let opts = StreamsOptions::new()
        .max_segment_size(Some(4096))
        .max_topic_bytes(Some(500));
    let s = opts.open(dir.path()).unwrap();
    s.append("t", &[0; 100]).unwrap();
    let c = s
        .consumer("t", "c", ConsumerMode::AtLeastOnce { persist_every: 1 })
        .unwrap();
    drop(c);
    for _ in 0..99 {
        s.append("t", &[1; 100]).unwrap();
    }
    let r = s.cleanup().unwrap();
    assert!(r.bytes_reclaimed > 0);
    drop(s);
    let s = opts.open(dir.path()).unwrap();
    let mut c = s
        .consumer("t", "c", ConsumerMode::AtLeastOnce { persist_every: 1 })
        .unwrap();
    assert_eq!(c.position(), 1);
    assert_eq!(c.next(None).unwrap().unwrap().lsn, 96);
    assert_eq!(c.skipped(), 95);
}

#[test]
fn a_background_cleaner_runs_and_stops_with_close() {
    let dir = tempfile::tempdir().unwrap();
    let s = StreamsOptions::new()
        .max_topic_bytes(Some(1))
        .cleanup_interval(Some(Duration::from_millis(5)))
        .open(dir.path())
        .unwrap();
    s.append("t", b"a").unwrap();
    s.append("t", b"b").unwrap();
    // Wait for the cleaner by condition, not by time.
    let mut c = s.consumer("t", "c", ConsumerMode::Strict).unwrap();
    while s.topic("t").unwrap().first_lsn < 2 {
        std::thread::yield_now();
    }
    assert_eq!(c.next(None).unwrap().unwrap().data, b"b");
    s.close().unwrap();
}
