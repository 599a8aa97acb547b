//! A store inherited by a forked child. Alone in its test binary: a child forked while
//! other tests' threads hold stores open would inherit their lock files' descriptions and
//! hold their locks until it exits.

use std::time::Duration;

use walogs_streams::{ConsumerMode, StreamsError, StreamsOptions, WalError};

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
