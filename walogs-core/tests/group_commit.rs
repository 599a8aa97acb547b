//! Group commit (`SharedWal`, and `Wal`, which shares its engine): failures that must not
//! shift LSNs or poison more than they should.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use walogs_core::{Lsn, WalOptions};
use walogs_testkit::{Action, HookFs, Op};

/// A file system whose `allocate` sleeps `delay_ms` and then fails with ENOSPC while the
/// returned switch is non-zero.
fn failing_allocate(delay_ms: u64) -> (HookFs, Arc<AtomicU64>) {
    let fail = Arc::new(AtomicU64::new(0));
    let f = fail.clone();
    let fs = HookFs::new(move |op: &Op<'_>| {
        if matches!(op, Op::Allocate { .. }) && f.load(Ordering::SeqCst) != 0 {
            std::thread::sleep(Duration::from_millis(delay_ms));
            return Action::Fail(std::io::Error::from_raw_os_error(28));
        }
        Action::Proceed
    });
    (fs, fail)
}

#[test]
fn wal_keeps_working_after_a_failed_preallocation() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs, fail) = failing_allocate(0);
    let mut wal = WalOptions::new()
        .file_system(fs.into_fs())
        .open(tmp.path().join("wal"))
        .unwrap();
    fail.store(1, Ordering::SeqCst);
    // Preallocation is an optimisation: the frame goes into unallocated space.
    assert_eq!(wal.append(b"x").unwrap(), Lsn(1));
    assert!(!wal.is_poisoned());
    fail.store(0, Ordering::SeqCst);
    assert_eq!(wal.append(b"y").unwrap(), Lsn(2));
}

#[test]
fn shared_wal_keeps_working_after_a_failed_preallocation() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs, fail) = failing_allocate(0);
    let wal = WalOptions::new()
        .file_system(fs.into_fs())
        .open_shared(tmp.path().join("wal"))
        .unwrap();
    fail.store(1, Ordering::SeqCst);
    assert_eq!(wal.append(b"x").unwrap(), Lsn(1));
    assert!(!wal.is_poisoned());
    fail.store(0, Ordering::SeqCst);
    assert_eq!(wal.append(b"y").unwrap(), Lsn(2));
    assert_eq!(wal.next_lsn(), Lsn(3));
}

/// An appender that queued its entry while the leader sat in a slow, failing preallocation
/// gets the next LSN, and the log reopens dense.
#[test]
fn an_append_queued_behind_a_slow_failing_preallocation_keeps_dense_lsns() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs, fail) = failing_allocate(300);
    let dir = tmp.path().join("wal");
    let wal = Arc::new(
        WalOptions::new()
            .file_system(fs.into_fs())
            .open_shared(&dir)
            .unwrap(),
    );
    // Exactly fill the first 1 MiB preallocation step, so that the next append allocates.
    assert_eq!(wal.append(&vec![7u8; (1 << 20) - 16]).unwrap(), Lsn(1));
    fail.store(1, Ordering::SeqCst);
    let leader = {
        let wal = wal.clone();
        std::thread::spawn(move || wal.append(b"leader").map(|l| l.0))
    };
    // Queue a second entry while the leader sits in the failing fallocate.
    std::thread::sleep(Duration::from_millis(100));
    let follower = {
        let wal = wal.clone();
        std::thread::spawn(move || wal.append(b"follower").map(|l| l.0))
    };
    std::thread::sleep(Duration::from_millis(50));
    fail.store(0, Ordering::SeqCst);
    let mut got = vec![
        leader.join().unwrap().unwrap(),
        follower.join().unwrap().unwrap(),
    ];
    got.sort_unstable();
    assert_eq!(got, [2, 3]);
    wal.close().unwrap();
    let reopened = WalOptions::new().open(&dir).unwrap();
    let lsns: Vec<u64> = reopened.iter().map(|e| e.unwrap().0.0).collect();
    assert_eq!(lsns, [1, 2, 3]);
}

/// A failed preallocation at a rotation (ENOSPC on the real disk) is not an error for the
/// shared handle either: the append succeeds, the handle is not poisoned, later appends go on.
#[test]
fn shared_wal_after_a_failed_preallocation_at_rotation_behaves_like_wal() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs, fail) = failing_allocate(0);
    let opts = WalOptions::new()
        .max_segment_size(Some(4096))
        .file_system(fs.into_fs());
    let dir = tmp.path().join("wal");
    let w = opts.open_shared(&dir).unwrap();
    w.append(&[1u8; 3000]).unwrap();
    fail.store(1, Ordering::SeqCst); // the next segment's preallocation: ENOSPC
    let second = w
        .append(&[2u8; 3000])
        .expect("a failed preallocation is not an error");
    fail.store(0, Ordering::SeqCst);
    assert!(!w.is_poisoned());
    let third = w.append(&[3u8; 3000]).unwrap();
    assert_eq!((second.0, third.0), (2, 3));
    w.close().unwrap();
    let w = WalOptions::new().open(&dir).unwrap();
    let got: Vec<_> = w.iter().map(|r| r.unwrap()).collect();
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].1, vec![2u8; 3000]);
    assert_eq!(got[2].1, vec![3u8; 3000]);
}
