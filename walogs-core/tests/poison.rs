//! Poisoning: a failed write or sync is final until the WAL is reopened.

mod common;

use std::fs;
use std::sync::atomic::Ordering;

use common::*;
use walogs_core::{Lsn, TailState, Wal, WalError, WalOptions};
use walogs_testkit::{FailNth, HookFs, Op};

/// A failed fdatasync of `walogs.meta.tmp` (inside `rotate`) poisons the handle like any
/// other failed sync.
#[test]
fn a_failed_metadata_sync_poisons_the_handle() {
    let tmp = tempfile::tempdir().unwrap();
    let (hook, countdown) = FailNth::new(
        5,
        |op| matches!(op, Op::SyncData { name } if *name == "walogs.meta.tmp"),
    );
    countdown.store(1, std::sync::atomic::Ordering::SeqCst);
    let mut w = WalOptions::new()
        .file_system(HookFs::new(hook).into_fs())
        .open(tmp.path().join("wal"))
        .unwrap();
    w.append(b"one").unwrap();
    let e = w.rotate().unwrap_err();
    assert!(matches!(e, WalError::Io(_)), "{e}");
    assert_eq!(e.errno(), Some(5));
    assert!(
        w.is_poisoned(),
        "rotate failed on an fdatasync but the handle is not poisoned"
    );
    assert!(matches!(w.append(b"two"), Err(WalError::Poisoned { .. })));
}

fn fail_creating(name: &'static str) -> (HookFs, std::sync::Arc<std::sync::atomic::AtomicI64>) {
    let (hook, countdown) = FailNth::new(
        28,
        move |op| matches!(op, Op::Open { name: n, mode: walogs_core::vfs::OpenMode::CreateNew { .. } } if *n == name),
    );
    (HookFs::new(hook), countdown)
}

/// A rotation whose new segment cannot be created after the seal is durable poisons the
/// handle (the sealed segment takes no more entries), and a plain reopen reads every
/// acknowledged entry.
#[test]
fn a_rotation_that_cannot_create_the_next_segment_poisons_and_loses_nothing() {
    for explicit in [true, false] {
        let tmp = tempfile::tempdir().unwrap();
        let (fs, countdown) = fail_creating("wal-000002.log");
        countdown.store(1, std::sync::atomic::Ordering::SeqCst);
        let mut w = WalOptions::new()
            .max_segment_size(Some(200))
            .file_system(fs.into_fs())
            .open(tmp.path())
            .unwrap();
        w.append(&[1; 50]).unwrap();
        w.append(&[2; 50]).unwrap();
        let failed = if explicit {
            w.rotate().map(|_| ())
        } else {
            w.append(&[3; 150]).map(|_| ())
        };
        assert!(matches!(failed, Err(WalError::Io(_))), "{failed:?}");
        assert!(w.is_poisoned());
        assert!(matches!(w.append(b"x"), Err(WalError::Poisoned { .. })));
        assert_eq!(w.next_lsn().0, 3);
        drop(w);
        let mut w = WalOptions::new().open(tmp.path()).unwrap();
        let got: Vec<Vec<u8>> = w.iter().map(|e| e.unwrap().1).collect();
        assert_eq!(got, vec![vec![1; 50], vec![2; 50]]);
        assert_eq!(w.append(b"after").unwrap().0, 3);
        drop(w);
        let w = WalOptions::new().open(tmp.path()).unwrap();
        assert_eq!(w.iter().count(), 3);
    }
}

/// An empty regular file already bearing the next segment's name (an earlier rotation died
/// between create and use) is taken as the new segment.
#[test]
fn an_empty_stray_next_segment_is_adopted() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = WalOptions::new().open(tmp.path()).unwrap();
    w.append(b"a").unwrap();
    std::fs::write(tmp.path().join("wal-000002.log"), b"").unwrap();
    w.rotate().unwrap();
    assert!(!w.is_poisoned());
    assert_eq!(w.append(b"b").unwrap().0, 2);
    assert_eq!(w.segment_count(), 2);
    drop(w);
    let w = WalOptions::new().open(tmp.path()).unwrap();
    assert_eq!(w.iter().count(), 2);
}

// 5. A failed fsync poisons the handle; the failed LSN is never handed to another entry.
#[test]
fn failed_fsync_poisons_until_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs_, countdown) = fault_fs(Fault::SyncData);
    let opts = WalOptions::new().file_system(fs_);
    let mut wal = opts.open(tmp.path()).unwrap();
    assert_eq!(wal.append(b"ok").unwrap(), Lsn(1));
    countdown.store(1, Ordering::SeqCst);
    assert!(matches!(wal.append(b"lost?"), Err(WalError::Io(_))));
    assert!(wal.is_poisoned());
    assert!(matches!(
        wal.append(b"after"),
        Err(WalError::Poisoned { .. })
    ));
    assert!(matches!(wal.rotate(), Err(WalError::Poisoned { .. })));
    assert!(matches!(
        wal.checkpoint(Lsn(1)),
        Err(WalError::Poisoned { .. })
    ));
    assert!(matches!(wal.sync(), Err(WalError::Poisoned { .. })));
    assert_eq!(
        wal.next_lsn(),
        Lsn(2),
        "the failed entry's LSN is not consumed in memory"
    );
    drop(wal);
    // Reopen re-reads the disk: the failed entry may or may not be there, but LSN 2 is
    // never given to a different entry while it is.
    let mut wal = Wal::open(tmp.path()).unwrap();
    let e = collect(wal.iter());
    assert_eq!(e[0], (Lsn(1), b"ok".to_vec()));
    assert!(e.len() <= 2);
    let next = wal.append(b"new").unwrap();
    assert_eq!(next.0, e.len() as u64 + 1);
}

#[test]
fn shared_handle_poisons_too() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs_, countdown) = fault_fs(Fault::SyncData);
    let wal = WalOptions::new()
        .file_system(fs_)
        .open_shared(tmp.path())
        .unwrap();
    wal.append(b"ok").unwrap();
    countdown.store(1, Ordering::SeqCst);
    assert!(wal.append(b"x").is_err());
    assert!(matches!(wal.append(b"y"), Err(WalError::Poisoned { .. })));
    assert!(matches!(
        wal.append_batch(&[b"z"]),
        Err(WalError::Poisoned { .. })
    ));
    assert!(wal.is_poisoned());
}

// 6. A failed append leaves no partial frame behind.
#[test]
fn short_write_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs_, countdown) = fault_fs(Fault::ShortWrite);
    let mut wal = WalOptions::new()
        .preallocate(false)
        .file_system(fs_)
        .open(tmp.path())
        .unwrap();
    wal.append(b"first").unwrap();
    let s1 = seg(tmp.path(), 1);
    let len = file_len(&s1);
    countdown.store(1, Ordering::SeqCst);
    assert!(wal.append(&[9u8; 1000]).is_err());
    assert_eq!(file_len(&s1), len, "the partial frame was cut");
    assert!(matches!(wal.append(b"x"), Err(WalError::Poisoned { .. })));
    drop(wal);
    let mut wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.tail_state(), TailState::Clean);
    assert_eq!(wal.append(b"second").unwrap(), Lsn(2));
    drop(wal);
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(lsns(&wal), vec![1, 2]);
}

// 7. State changes only after I/O: a stray (non-empty) next segment makes rotate fail after
//    the seal is durable; the handle is poisoned (its segment is sealed) and never deletes
//    the active segment; a reopen reads every entry.
#[test]
fn stray_next_segment_does_not_make_checkpoint_delete_active() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
    wal.append(b"a").unwrap();
    fs::write(seg(tmp.path(), 2), b"junk").unwrap();
    assert!(wal.rotate().is_err());
    assert!(wal.is_poisoned());
    assert_eq!(wal.segment_count(), 1);
    assert!(matches!(
        wal.checkpoint(Lsn(100)),
        Err(WalError::Poisoned { .. })
    ));
    assert!(seg(tmp.path(), 1).exists());
    assert_eq!(lsns(&wal), vec![1]);
    drop(wal);
    let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
    assert_eq!(lsns(&wal), vec![1]);
    assert_eq!(wal.append(b"b").unwrap(), Lsn(2));
}

#[test]
fn failed_directory_sync_in_rotate_poisons_without_state_change() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs_, countdown) = fault_fs(Fault::SyncDir);
    let mut wal = WalOptions::new()
        .max_segment_size(None)
        .file_system(fs_)
        .open(tmp.path())
        .unwrap();
    wal.append(b"a").unwrap();
    countdown.store(1, Ordering::SeqCst);
    assert!(wal.rotate().is_err());
    assert_eq!(wal.segment_count(), 1);
    assert!(matches!(wal.append(b"b"), Err(WalError::Poisoned { .. })));
}

// fsyncgate: a frame whose fdatasync failed may be visible in the
// page cache but never reach the disk; it is cut so that no later open builds on it.
#[test]
fn frame_whose_fsync_failed_is_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs_, countdown) = fault_fs(Fault::SyncData);
    let mut wal = WalOptions::new().file_system(fs_).open(tmp.path()).unwrap();
    wal.append(b"durable").unwrap();
    countdown.store(1, Ordering::SeqCst);
    assert!(wal.append(b"unknown").is_err());
    assert_eq!(
        file_len(&seg(tmp.path(), 1)),
        23,
        "cut back to the last durable frame"
    );
    drop(wal);
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(collect(wal.iter()), vec![(Lsn(1), b"durable".to_vec())]);
}

/// A preallocation that fails part way (ENOSPC after extending the file) is not an error, and
/// the zeros it left are cut at close: a cleanly closed segment holds exactly its frames, and
/// the next open reports a clean tail.
#[test]
fn partial_preallocation_is_cut_at_close() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs_, countdown) = fault_fs(Fault::AllocatePartway);
    countdown.store(1, Ordering::SeqCst);
    let mut wal = WalOptions::new()
        .max_segment_size(None)
        .file_system(fs_)
        .open(tmp.path())
        .unwrap();
    wal.append(b"first").unwrap();
    assert!(
        file_len(&seg(tmp.path(), 1)) > 21,
        "the fault left zeros behind"
    );
    wal.append(b"second").unwrap();
    wal.close().unwrap();
    assert_eq!(file_len(&seg(tmp.path(), 1)), (16 + 5) + (16 + 6));
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.tail_state(), TailState::Clean);
    assert_eq!(lsns(&wal), vec![1, 2]);
}

/// Under `Durability::Interval`, a sync of the background flusher that fails poisons the
/// log; when no call comes after it, `close` is the one that reports it (it returned `Ok`
/// before, so nobody learned that the last entries were not durable).
#[test]
fn close_reports_a_failed_sync_of_the_interval_flusher() {
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let (hook, countdown) = FailNth::new(
        5,
        |op| matches!(op, Op::SyncData { name } if name.starts_with("wal-")),
    );
    // An interval long enough that the append below does not sync by itself (an append
    // syncs when the interval has passed since the last sync): the flusher makes that sync.
    let interval = walogs_core::Durability::Interval(Duration::from_millis(500));
    let mut w = WalOptions::new()
        .durability(interval)
        .file_system(HookFs::new(hook).into_fs())
        .open(tmp.path().join("wal"))
        .unwrap();
    countdown.store(1, Ordering::SeqCst);
    w.append(b"one").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !w.is_poisoned() {
        assert!(Instant::now() < deadline, "the flusher never synced");
        std::thread::sleep(Duration::from_millis(1));
    }
    let e = w.close().unwrap_err();
    assert!(matches!(e, WalError::Poisoned { .. }), "{e}");
}
