//! A forked child cannot use or harm its parent's handle: every call fails with `Forked`,
//! and closing or dropping the inherited handle writes nothing.
//!
//! A child inherits every descriptor, the lock file's included, so while a child lives with
//! its copy the directory stays locked even after the parent closed. The tests of this file
//! therefore run one after the other (one lock below), never beside another open WAL.

use std::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::new(());

use std::path::Path;

use walogs_core::{Lsn, Wal, WalError, WalHandle, WalOptions};

/// How a test forks: `fork()` of the C library, which runs the fork handlers registered with
/// `pthread_atfork`, or the raw system call, which runs none (the only way a Go program can
/// fork without exec, and what `syscall(SYS_fork)` does in C).
#[derive(Clone, Copy, Debug)]
enum Fork {
    Libc,
    RawSyscall,
}

impl Fork {
    fn fork(self) -> libc::pid_t {
        match self {
            // SAFETY: see `in_child` (the child only calls walogs, then `_exit`s).
            Fork::Libc => unsafe { libc::fork() },
            // SAFETY: as above; the raw system call returns the child's pid in the parent,
            // 0 in the child, -1 on failure, like `fork()`.
            Fork::RawSyscall => unsafe { libc::syscall(libc::SYS_fork) as libc::pid_t },
        }
    }
}

/// Run `child` in a child made by `how`; returns its exit code (0 when it returned true).
fn in_child(how: Fork, child: impl FnOnce() -> bool) -> i32 {
    // The child only runs `child` (which calls walogs on an inherited handle and touches no
    // lock another thread could hold: the handle checks the process before locking
    // anything) and then leaves with `_exit`, running no atexit handler.
    let pid = how.fork();
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(false);
        // SAFETY: `_exit` ends the child at once; nothing of the parent is flushed or run.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waiting for the child just forked, with a valid status pointer.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "child did not exit normally");
    libc::WEXITSTATUS(status)
}

fn is_forked<T>(r: Result<T, WalError>) -> bool {
    matches!(r, Err(WalError::Forked { .. }))
}

fn segment_bytes(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("wal-000001.log")).unwrap()
}

#[test]
fn every_call_in_a_forked_child_fails_and_close_writes_nothing() {
    every_call_in_a_child_fails(Fork::Libc);
}

/// A child made by the raw system call runs no fork handler: the handle must still know it
/// is not in the process that opened it.
#[test]
fn every_call_in_a_child_of_a_raw_fork_fails_and_close_writes_nothing() {
    every_call_in_a_child_fails(Fork::RawSyscall);
}

fn every_call_in_a_child_fails(how: Fork) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = Wal::open(tmp.path()).unwrap();
    wal.append(b"before fork").unwrap();
    let parent = std::process::id();
    let before = segment_bytes(tmp.path());
    let code = in_child(how, || {
        let mut ok = true;
        ok &= matches!(wal.append(b"child"), Err(WalError::Forked { opened_by }) if opened_by == parent);
        ok &= is_forked(wal.append_batch(&[b"a", b"b"]));
        ok &= is_forked(wal.append_many(&[b"a"]));
        ok &= is_forked(wal.sync());
        ok &= is_forked(wal.rotate());
        ok &= is_forked(wal.checkpoint(Lsn(1)));
        ok &= is_forked(wal.truncate_after(Lsn(0)));
        ok &= is_forked(wal.read(Lsn(1)));
        ok &= is_forked(wal.iter_from(Lsn(1)));
        ok &= is_forked(wal.cursor_from(Lsn(1)));
        ok &= matches!(wal.iter().next(), Some(Err(WalError::Forked { .. })));
        ok &= is_forked(wal.ensure_usable());
        // Closing the child's copy does nothing but report.
        ok &= is_forked(WalHandle::close_handle(&mut wal));
        ok
    });
    assert_eq!(code, 0, "the child saw a call succeed ({how:?})");
    assert_eq!(
        segment_bytes(tmp.path()),
        before,
        "the child wrote ({how:?})"
    );
    // The parent's log is intact and the parent goes on.
    let r = wal.append(b"after fork");
    assert!(matches!(r, Ok(Lsn(2))), "{r:?}");
    drop(wal);
    let wal = Wal::open(tmp.path()).unwrap();
    let got: Vec<Vec<u8>> = wal.iter().map(|e| e.unwrap().1).collect();
    assert_eq!(got, vec![b"before fork".to_vec(), b"after fork".to_vec()]);
}

#[test]
fn a_child_dropping_its_copy_does_not_truncate_what_the_parent_wrote_after_the_fork() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let wal = WalOptions::new().open_shared(tmp.path()).unwrap();
    wal.append(b"one").unwrap();
    let (parent_end, child_end) = std::os::unix::net::UnixDatagram::pair().unwrap();
    // SAFETY: see `in_child`; here the child blocks on a socket, then drops its copy of the
    // handle (which must do no I/O) and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let mut b = [0u8; 1];
        let _ = child_end.recv(&mut b);
        let closed = wal.close();
        drop(wal);
        let code = if matches!(closed, Err(WalError::Forked { .. })) {
            0
        } else {
            1
        };
        // SAFETY: ends the child at once.
        unsafe { libc::_exit(code) };
    }
    for i in 0..20u8 {
        wal.append(&[i; 100]).unwrap();
    }
    let before = segment_bytes(tmp.path());
    parent_end.send(b"x").unwrap();
    let mut status = 0;
    // SAFETY: waiting for our child with a valid status pointer.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "close in the child did not report Forked"
    );
    assert_eq!(
        segment_bytes(tmp.path()),
        before,
        "the child changed the segment"
    );
    assert_eq!(wal.append(b"last").unwrap(), Lsn(22));
    wal.close().unwrap();
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.iter().count(), 22);
}

/// A child (of either kind of fork, and its own child in turn) opens WALs of its own that
/// work, while the handle it inherited keeps failing.
#[test]
fn a_child_opens_wals_of_its_own_and_still_cannot_use_the_inherited_one() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = Wal::open(&tmp.path().join("parent")).unwrap();
    wal.append(b"parent").unwrap();
    for how in [Fork::Libc, Fork::RawSyscall] {
        let own = tmp.path().join(format!("{how:?}"));
        let code = in_child(how, || {
            let mut mine = Wal::open(&own).unwrap();
            let mut ok = mine.append(b"child").is_ok();
            ok &= is_forked(wal.append(b"inherited"));
            // A grandchild: the child's own handle is inherited there and fails in turn,
            // while a fresh open works.
            let grand = in_child(how, || {
                let mut ok = is_forked(mine.append(b"grandchild"));
                let mut theirs = Wal::open(&own.with_extension("grand")).unwrap();
                ok &= theirs.append(b"grandchild").is_ok();
                ok &= theirs.close().is_ok();
                ok
            });
            ok &= grand == 0;
            ok &= mine.append(b"child again").is_ok();
            ok && mine.close().is_ok()
        });
        assert_eq!(code, 0, "{how:?}");
        let mine = Wal::open(&own).unwrap();
        assert_eq!(mine.iter().count(), 2, "{how:?}");
        let grand = Wal::open(&own.with_extension("grand")).unwrap();
        assert_eq!(grand.iter().count(), 1, "{how:?}");
    }
    assert_eq!(wal.append(b"parent again").unwrap(), Lsn(2));
}
