//! Read-only stores beside a writer, and `refresh`.

use walogs_streams::{ConsumerMode, Streams, StreamsError, StreamsOptions, WalError};

fn ro() -> StreamsOptions {
    StreamsOptions::new().read_only(true)
}

#[test]
fn a_read_only_store_beside_a_writer_sees_records_and_refreshes() {
    let dir = tempfile::tempdir().unwrap();
    let w = Streams::open(dir.path()).unwrap();
    w.append("t", b"one").unwrap();
    w.consumer("t", "c", ConsumerMode::Strict).unwrap();
    let r = ro().open(dir.path()).unwrap();
    assert!(r.is_read_only());
    assert_eq!(r.read("t", 1).unwrap().data, b"one");
    assert_eq!(r.consumers().len(), 1);
    w.append("t", b"two").unwrap();
    w.append("u", b"new topic").unwrap();
    assert!(r.read("t", 2).is_err(), "not seen before a refresh");
    r.refresh().unwrap();
    assert_eq!(r.read("t", 2).unwrap().data, b"two");
    assert_eq!(r.read("u", 1).unwrap().data, b"new topic");
    for e in [
        r.append("t", b"x").unwrap_err(),
        r.consumer("t", "d", ConsumerMode::Strict).unwrap_err(),
        r.cleanup().unwrap_err(),
    ] {
        assert!(matches!(e, StreamsError::Wal(WalError::ReadOnly)), "{e:?}");
    }
}

#[test]
fn refresh_after_the_writer_purged_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let opts = StreamsOptions::new()
        .max_segment_size(Some(4096))
        .max_topic_bytes(Some(300));
    let w = opts.open(dir.path()).unwrap();
    w.append("t", &[0; 100]).unwrap();
    let r = ro().open(dir.path()).unwrap();
    for i in 1..100u8 {
        w.append("t", &[i; 100]).unwrap();
    }
    assert!(w.cleanup().unwrap().bytes_reclaimed > 0);
    r.refresh().unwrap();
    let t = r.topic("t").unwrap();
    assert_eq!((t.first_lsn, t.next_lsn), (98, 101));
    assert_eq!(r.read("t", 100).unwrap().data, [99; 100]);
    // Incremental refresh after that.
    w.append("t", b"last").unwrap();
    r.refresh().unwrap();
    assert_eq!(r.read("t", 101).unwrap().data, b"last");
    r.close().unwrap();
    assert!(matches!(
        r.refresh(),
        Err(StreamsError::Wal(WalError::Closed))
    ));
}
