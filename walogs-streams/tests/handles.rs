//! Handle life: lookups with names no topic can have, consumers closed after their store.

use std::time::Duration;

use walogs_streams::{ConsumerMode, Streams, StreamsError, WalError};

/// A name no topic can have is `InvalidName` on lookups as on appends.
#[test]
fn lookups_refuse_invalid_names_like_appends() {
    let d = tempfile::tempdir().unwrap();
    let s = Streams::open(d.path()).unwrap();
    let long = "x".repeat(256);
    for name in ["", long.as_str(), "a\0b"] {
        assert!(matches!(
            s.read(name, 1),
            Err(StreamsError::InvalidName { .. })
        ));
        assert!(matches!(
            s.topic(name),
            Err(StreamsError::InvalidName { .. })
        ));
        assert!(matches!(
            s.seek_time(name, 0),
            Err(StreamsError::InvalidName { .. })
        ));
        assert!(matches!(
            s.read_range(name, 1, 10, 1 << 20),
            Err(StreamsError::InvalidName { .. })
        ));
    }
    assert!(matches!(
        s.read("never", 1),
        Err(StreamsError::UnknownTopic { .. })
    ));
}

/// After the store closed, closing a consumer with nothing to commit is `Ok`; one with
/// delivered records it had not persisted reports `Closed` (they come again after reopen).
#[test]
fn closing_consumers_after_their_store() {
    let d = tempfile::tempdir().unwrap();
    let s = Streams::open(d.path()).unwrap();
    for i in 0..3u8 {
        s.append("t", &[i]).unwrap();
    }
    let mut strict = s.consumer("t", "strict", ConsumerMode::Strict).unwrap();
    let mut alo = s
        .consumer("t", "alo", ConsumerMode::AtLeastOnce { persist_every: 10 })
        .unwrap();
    let quiet = s
        .consumer(
            "t",
            "quiet",
            ConsumerMode::AtLeastOnce { persist_every: 10 },
        )
        .unwrap();
    assert!(strict.next(Some(Duration::ZERO)).unwrap().is_some());
    assert!(alo.next(Some(Duration::ZERO)).unwrap().is_some());
    s.close().unwrap();
    strict.close().unwrap();
    quiet.close().unwrap();
    assert!(matches!(
        alo.close(),
        Err(StreamsError::Wal(WalError::Closed))
    ));
    let s = Streams::open(d.path()).unwrap();
    let mut alo = s
        .consumer("t", "alo", ConsumerMode::AtLeastOnce { persist_every: 10 })
        .unwrap();
    assert_eq!(alo.next(Some(Duration::ZERO)).unwrap().unwrap().lsn, 1);
    let mut strict = s.consumer("t", "strict", ConsumerMode::Strict).unwrap();
    assert_eq!(strict.next(Some(Duration::ZERO)).unwrap().unwrap().lsn, 2);
}
