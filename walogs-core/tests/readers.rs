//! Readers: iterators, reads by LSN, read-only opens, where directories are created.

mod common;

use std::fs;

use common::*;
use walogs_core::{Lsn, TailState, Wal, WalError, WalOptions};

// 10. Corruption met while iterating is an Err item; iterators survive checkpoint cleanly.
#[test]
fn damage_after_open_is_an_error_item() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
    for p in [b"a1", b"a2"] {
        wal.append(p).unwrap();
    }
    wal.rotate().unwrap();
    wal.append(b"b1").unwrap();
    flip_byte(&seg(tmp.path(), 1), 18 + 16);
    let items: Vec<_> = wal.iter().collect();
    assert_eq!(
        items.len(),
        2,
        "one good entry, then the error, then the end"
    );
    assert_eq!(items[0].as_ref().unwrap().0, Lsn(1));
    match &items[1] {
        Err(WalError::Corrupt { reason }) => {
            assert!(
                reason.contains("wal-000001.log") && reason.contains("offset 18"),
                "{reason}"
            )
        }
        other => panic!("expected Corrupt item, got {other:?}"),
    }
}

#[test]
fn reads_by_lsn_across_segments() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = WalOptions::new()
        .max_segment_size(Some(4096))
        .open(tmp.path())
        .unwrap();
    let payload = |i: u64| {
        format!("entry-{i}-")
            .repeat((i % 13) as usize + 1)
            .into_bytes()
    };
    for i in 1..=2000 {
        wal.append(&payload(i)).unwrap();
    }
    assert!(wal.segment_count() > 10);
    for i in [1, 2, 777, 1999, 2000] {
        assert_eq!(wal.read(Lsn(i)).unwrap(), payload(i));
        let from = collect(wal.iter_from(Lsn(i)).unwrap());
        assert_eq!(from.len() as u64, 2001 - i);
        assert_eq!(from[0], (Lsn(i), payload(i)));
    }
    assert_eq!(collect(wal.iter_from(Lsn(2001)).unwrap()).len(), 0);
    for bad in [0, 2001, 5000] {
        assert!(matches!(
            wal.read(Lsn(bad)),
            Err(WalError::LsnOutOfRange { lsn, first: 1, next: 2001 }) if lsn == bad
        ));
    }
    assert!(matches!(
        wal.iter_from(Lsn(2002)),
        Err(WalError::LsnOutOfRange { .. })
    ));
    wal.rotate().unwrap();
    wal.checkpoint(Lsn(1000)).unwrap();
    let first = wal.first_lsn().0;
    assert!(first > 1 && first <= 1001);
    assert!(matches!(
        wal.read(Lsn(first - 1)),
        Err(WalError::LsnOutOfRange { .. })
    ));
    // The lending cursor yields the same bytes without allocating per entry.
    let mut c = wal.cursor_from(Lsn(1500)).unwrap();
    let mut n = 1500;
    while let Some(r) = c.next_entry() {
        let (lsn, data) = r.unwrap();
        assert_eq!((lsn.0, data), (n, payload(n).as_slice()));
        n += 1;
    }
    assert_eq!(n, 2001);
}

#[test]
fn read_only_open_changes_nothing_and_refuses_writes() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        wal.append(b"aaa").unwrap();
        wal.append(b"bbb").unwrap();
    }
    let s1 = seg(tmp.path(), 1);
    flip_byte(&s1, 37); // damage the final frame: a torn tail
    let before = fs::read(&s1).unwrap();
    let mut ro = WalOptions::new().read_only(true).open(tmp.path()).unwrap();
    assert_eq!(ro.tail_state(), TailState::TruncatedAt(19));
    let rep = ro.recovery_report();
    assert!(rep.read_only);
    assert_eq!(rep.bytes_truncated, 19);
    assert_eq!(lsns(&ro), vec![1]);
    assert_eq!(fs::read(&s1).unwrap(), before);
    assert!(matches!(ro.append(b"x"), Err(WalError::ReadOnly)));
    assert!(matches!(ro.rotate(), Err(WalError::ReadOnly)));
    assert!(matches!(ro.checkpoint(Lsn(1)), Err(WalError::ReadOnly)));
    assert!(matches!(ro.truncate_after(Lsn(0)), Err(WalError::ReadOnly)));
    assert!(ro.is_read_only());
    let missing = tmp.path().join("nope");
    assert!(matches!(
        WalOptions::new().read_only(true).open(&missing),
        Err(WalError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound
    ));
    assert!(!missing.exists());
}

#[test]
fn creates_nested_and_relative_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let nested = tmp.path().join("a/b/c");
    Wal::open(&nested).unwrap();
    assert!(seg(&nested, 1).exists());
    // A relative path (run in a child process so the cwd change stays local).
    if std::env::var("WALOGS_TEST_REL").is_ok() {
        let mut wal = Wal::open(std::path::Path::new("wal")).unwrap();
        wal.append(b"rel").unwrap();
        return;
    }
    let st = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "creates_nested_and_relative_directories",
            "--test-threads=1",
        ])
        .env("WALOGS_TEST_REL", "1")
        .current_dir(tmp.path())
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(lsns(&Wal::open(&tmp.path().join("wal")).unwrap()), vec![1]);
}

/// `read` racing a `checkpoint` that deletes the entry's segment: thread A checkpoints a
/// `SharedWal` whose first segment holds only LSN 1 and is held right after the file was
/// unlinked (at the directory fsync that follows); meanwhile `read(1)` must return the entry
/// or `LsnOutOfRange` (the contract for an entry checkpointed away), never an I/O error for
/// a file that vanished (the writer drops a segment from the readers' view before deleting it).
#[test]
fn a_read_racing_a_checkpoint_gets_the_entry_or_lsn_out_of_range() {
    use std::sync::atomic::{AtomicU8, Ordering};
    use std::sync::{Arc, Mutex, mpsc};
    use walogs_core::segment::parse_segment_filename;
    use walogs_testkit::{Action, HookFs, Op};

    let d = tempfile::tempdir().unwrap();
    // 0: idle; 1: armed; 2: a segment was removed; 3: released.
    let stage = Arc::new(AtomicU8::new(0));
    let (removed_tx, removed_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let s = stage.clone();
    let fs = HookFs::new(move |op: &Op<'_>| {
        match op {
            Op::Remove { name } if parse_segment_filename(name).is_some() => {
                let _ = s.compare_exchange(1, 2, Ordering::SeqCst, Ordering::SeqCst);
            }
            Op::SyncDir
                if s.compare_exchange(2, 3, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok() =>
            {
                let _ = removed_tx.send(());
                let _ = go_rx.lock().map(|rx| rx.recv());
            }
            _ => {}
        }
        Action::Proceed
    })
    .into_fs();
    let wal = WalOptions::new()
        .file_system(fs)
        .open_shared(d.path().join("wal"))
        .unwrap();
    wal.append(b"one").unwrap();
    wal.rotate().unwrap();
    wal.append(b"two").unwrap();
    stage.store(1, Ordering::SeqCst);
    let (read, checkpointed) = std::thread::scope(|sc| {
        let ckpt = sc.spawn(|| wal.checkpoint(Lsn(1)));
        removed_rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the checkpoint removed a segment");
        let read = wal.read(Lsn(1));
        go_tx.send(()).unwrap();
        (read, ckpt.join().unwrap())
    });
    assert_eq!(checkpointed.unwrap(), 1);
    match read {
        Ok(data) => assert_eq!(data, b"one"),
        Err(WalError::LsnOutOfRange { .. }) => {}
        Err(e) => panic!("read(1) while checkpoint(1) deleted its segment: {e}"),
    }
    assert_eq!(wal.read(Lsn(2)).unwrap(), b"two");
    wal.close().unwrap();
}

/// An iterator over the whole log races purges that delete the segment it is about to open:
/// the purge raises the floor before it unlinks, so the iterator goes on from the new oldest
/// entry, never fails with an I/O error for the vanished file.
#[test]
fn iterators_skip_ahead_when_a_purge_deletes_the_segment_they_are_about_to_open() {
    use walogs_core::SharedWal;
    for round in 0..8 {
        let d = tempfile::tempdir().unwrap();
        let wal: SharedWal = WalOptions::new()
            .max_segment_size(Some(512))
            .open_shared(d.path().join("wal"))
            .unwrap();
        let payload = |lsn: u64| format!("{lsn:020}").into_bytes();
        for lsn in 1..=600 {
            assert_eq!(wal.append(&payload(lsn)).unwrap(), Lsn(lsn));
        }
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|sc| {
            let readers: Vec<_> = (0..2)
                .map(|_| {
                    sc.spawn(|| {
                        let mut passes = 0;
                        while !stop.load(std::sync::atomic::Ordering::Acquire) || passes == 0 {
                            let mut last = 0;
                            for item in wal.iter() {
                                let (lsn, data) = item.unwrap_or_else(|e| {
                                    panic!("round {round}: iterating beside purges: {e}")
                                });
                                assert!(lsn.0 > last, "LSNs ascend");
                                assert_eq!(data, payload(lsn.0));
                                last = lsn.0;
                            }
                            assert_eq!(last, 600, "round {round}: the iterator reached the end");
                            passes += 1;
                        }
                    })
                })
                .collect();
            for floor in (10..600).step_by(10) {
                wal.purge_up_to(Lsn(floor)).unwrap();
            }
            stop.store(true, std::sync::atomic::Ordering::Release);
            for r in readers {
                r.join().unwrap();
            }
        });
        let left: Vec<u64> = wal.iter().map(|i| i.unwrap().0.0).collect();
        assert_eq!(left, (591..=600).collect::<Vec<_>>());
        wal.close().unwrap();
    }
}
