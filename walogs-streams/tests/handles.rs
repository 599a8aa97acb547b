//! Handle life: a store inherited by a forked child, lookups with names no topic can have,
//! consumers closed after their store.

use std::time::Duration;

use walogs_streams::{ConsumerMode, Streams, StreamsError, StreamsOptions, WalError};

/// A child of `fork` gets `Forked` from every call and from `close`, and dropping the
/// inherited store (with its cleaner thread, which exists only in the parent) neither
/// panics nor touches the parent's store; the parent goes on.
#[test]
fn a_forked_child_touches_nothing_and_the_parent_goes_on() {
    let d = tempfile::tempdir().unwrap();
    let s = StreamsOptions::new()
        .cleanup_interval(Some(Duration::from_secs(3600)))
        .open(d.path())
        .unwrap();
    assert_eq!(s.append("t", b"one").unwrap(), 1);
    let c = s.consumer("t", "c", ConsumerMode::Strict).unwrap();
    // SAFETY: the child only calls walogs (which checks the process first) and `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let forked = |r: Result<(), StreamsError>| {
            matches!(r, Err(StreamsError::Wal(WalError::Forked { .. })))
        };
        let mut ok = forked(s.append("t", b"child").map(drop));
        ok &= forked(s.read("t", 1).map(drop));
        ok &= forked(s.topic("t").map(drop));
        ok &= forked(s.cleanup().map(drop));
        ok &= forked(s.close());
        drop(c);
        drop(s);
        // SAFETY: ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "the child ended by a signal");
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "a call in the child did not fail with Forked"
    );
    assert_eq!(s.append("t", b"two").unwrap(), 2);
    let mut c = c;
    assert_eq!(c.next(Some(Duration::ZERO)).unwrap().unwrap().data, b"one");
    assert!(!s.is_closed());
    s.close().unwrap();
    assert!(s.is_closed());
}

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
