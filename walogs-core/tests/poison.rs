//! Poisoning: a failed write or sync is final until the WAL is reopened.

use walogs_core::{WalError, WalOptions};
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
