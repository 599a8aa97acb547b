//! Group commit (`SharedWal`, and `Wal`, which shares its engine): failures that must not
//! shift LSNs or poison more than they should.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::*;
use std::sync::atomic::AtomicU64;
use std::time::Duration;
use walogs_core::{Durability, Lsn, SharedWal, Wal, WalError, WalOptions};
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

#[test]
fn shared_wal_group_commit_from_many_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = Arc::new(
        WalOptions::new()
            .max_segment_size(Some(2048))
            .open_shared(tmp.path())
            .unwrap(),
    );
    let threads: Vec<_> = (0..8u32)
        .map(|t| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                for i in 0..100u32 {
                    let payload = format!("t{t}-i{i}");
                    let lsn = wal.append(payload.as_bytes()).unwrap();
                    // Durable when acknowledged.
                    assert!(wal.durable_lsn() >= lsn);
                    got.push((lsn, payload));
                }
                got
            })
        })
        .collect();
    let mut acked: Vec<(Lsn, String)> = threads
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    acked.sort();
    assert_eq!(acked.len(), 800);
    for (i, (lsn, _)) in acked.iter().enumerate() {
        assert_eq!(lsn.0, i as u64 + 1, "dense, no duplicates");
    }
    assert!(wal.segment_count() > 1);
    wal.close().unwrap();
    wal.close().unwrap();
    assert!(matches!(wal.append(b"late"), Err(WalError::Closed)));
    assert!(matches!(wal.sync(), Err(WalError::Closed)));
    let reopened = Wal::open(tmp.path()).unwrap();
    let entries = collect(reopened.iter());
    assert_eq!(entries.len(), 800);
    for ((l1, p), (l2, d)) in acked.iter().zip(&entries) {
        assert_eq!(l1, l2);
        assert_eq!(p.as_bytes(), d.as_slice());
    }
}

/// Appends racing with operations that need the whole log (batches, sync, rotate,
/// checkpoint-free reads) keep every LSN bound to the entry it was handed to.
#[test]
fn shared_wal_appends_race_with_batches_sync_and_rotate() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = Arc::new(
        WalOptions::new()
            .max_segment_size(Some(4096))
            .durability(Durability::Manual)
            .open_shared(tmp.path())
            .unwrap(),
    );
    let appenders: Vec<_> = (0..6u32)
        .map(|t| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                (0..300u32)
                    .map(|i| {
                        let p = format!("a{t}-{i}").into_bytes();
                        (wal.append(&p).unwrap(), p)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mixer = {
        let wal = wal.clone();
        std::thread::spawn(move || {
            let mut got = Vec::new();
            for i in 0..150u32 {
                let batch: Vec<Vec<u8>> =
                    (0..3).map(|k| format!("b{i}-{k}").into_bytes()).collect();
                let r = wal.append_batch(&batch).unwrap();
                assert_eq!(r.len(), 3);
                for (k, p) in batch.into_iter().enumerate() {
                    got.push((Lsn(r.first.0 + k as u64), p));
                }
                match i % 3 {
                    0 => assert!(wal.sync().unwrap() >= r.last),
                    1 => wal.rotate().unwrap(),
                    _ => assert_eq!(wal.read(r.first).unwrap(), format!("b{i}-0").into_bytes()),
                }
            }
            got
        })
    };
    let mut acked: Vec<(Lsn, Vec<u8>)> = appenders
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    acked.extend(mixer.join().unwrap());
    acked.sort();
    assert_eq!(acked.len(), 6 * 300 + 150 * 3);
    for (i, (lsn, _)) in acked.iter().enumerate() {
        assert_eq!(lsn.0, i as u64 + 1, "dense, no duplicates");
    }
    wal.close().unwrap();
    let entries = collect(Wal::open(tmp.path()).unwrap().iter());
    assert_eq!(entries.len(), acked.len());
    for ((l1, p), (l2, d)) in acked.iter().zip(&entries) {
        assert_eq!((l1, p), (l2, d));
    }
}

/// Appends racing with `truncate_after`: an append whose entry was written and then cut by a
/// concurrent truncation still returns (it happened before the truncation); nothing hangs,
/// and the log stays dense.
#[test]
fn shared_wal_appends_race_with_truncate_after() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = Arc::new(
        WalOptions::new()
            .durability(Durability::Manual)
            .open_shared(tmp.path())
            .unwrap(),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    for t in 0..4u32 {
        let wal = wal.clone();
        let tx = tx.clone();
        std::thread::spawn(move || {
            for i in 0..2000u32 {
                wal.append(format!("t{t}-{i}").as_bytes()).unwrap();
            }
            tx.send(()).unwrap();
        });
    }
    let truncator = {
        let wal = wal.clone();
        std::thread::spawn(move || {
            let mut cut = 0u64;
            for _ in 0..300 {
                let next = wal.next_lsn().0;
                // Walk down until the cut lands between frames: an LSN inside a frame that
                // group commit wrote for several concurrent appends is refused.
                for keep in (next.saturating_sub(67).max(1)..next.saturating_sub(2)).rev() {
                    match wal.truncate_after(Lsn(keep)) {
                        Ok(n) => {
                            cut += n;
                            break;
                        }
                        Err(WalError::InvalidArgument { .. }) => continue,
                        Err(WalError::LsnOutOfRange { .. }) => break,
                        Err(e) => panic!("unexpected {e}"),
                    }
                }
                std::thread::yield_now();
            }
            cut
        })
    };
    for _ in 0..4 {
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .expect("an append hung after a concurrent truncate_after");
    }
    let cut = truncator.join().unwrap();
    assert!(cut > 0, "the truncations raced with nothing");
    let next = wal.next_lsn().0;
    wal.close().unwrap();
    let lsns: Vec<u64> = collect(Wal::open(tmp.path()).unwrap().iter())
        .into_iter()
        .map(|(l, _)| l.0)
        .collect();
    assert_eq!(lsns, (1..next).collect::<Vec<_>>());
    assert_eq!(
        next - 1 + cut,
        8000,
        "every append is either in the log or was cut"
    );
}

/// A close racing with appenders: every append either returns its LSN (and the entry is in
/// the log after reopening) or returns `Closed` (and is not).
#[test]
fn shared_wal_close_racing_with_appends_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = Arc::new(SharedWal::open(tmp.path()).unwrap());
    let appenders: Vec<_> = (0..4u32)
        .map(|t| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                for i in 0..10_000u32 {
                    let p = format!("c{t}-{i}").into_bytes();
                    match wal.append(&p) {
                        Ok(lsn) => got.push((lsn, p)),
                        Err(WalError::Closed) => break,
                        Err(e) => panic!("unexpected {e}"),
                    }
                }
                got
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(30));
    wal.close().unwrap();
    let mut acked: Vec<(Lsn, Vec<u8>)> = appenders
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    acked.sort();
    let entries = collect(Wal::open(tmp.path()).unwrap().iter());
    assert_eq!(
        entries.len(),
        acked.len(),
        "exactly the acknowledged entries"
    );
    for ((l1, p), (l2, d)) in acked.iter().zip(&entries) {
        assert_eq!((l1, p), (l2, d));
    }
}

// A failed group commit must not let the
// entries queued behind it be written with shifted LSNs.
#[test]
fn failed_group_commit_poisons_and_keeps_lsns_dense() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs_, countdown) = fault_fs(Fault::ShortWrite);
    let wal = std::sync::Arc::new(
        WalOptions::new()
            .preallocate(false)
            .file_system(fs_)
            .open_shared(tmp.path())
            .unwrap(),
    );
    wal.append(b"one").unwrap();
    countdown.store(1, Ordering::SeqCst);
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let wal = wal.clone();
            std::thread::spawn(move || wal.append(format!("t{i}").as_bytes()).map(|l| l.0))
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let mut ok: Vec<u64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    ok.sort_unstable();
    assert!(results.iter().any(|r| r.is_err()));
    assert!(wal.is_poisoned());
    assert!(matches!(
        wal.append(b"later"),
        Err(WalError::Poisoned { .. })
    ));
    drop(wal);
    let reopened = Wal::open(tmp.path()).unwrap();
    let got = lsns(&reopened);
    assert_eq!(got, (1..=got.len() as u64).collect::<Vec<_>>(), "dense");
    assert_eq!(&got[1..], &ok[..], "exactly the acknowledged entries");
}

/// `append_queued` fixes an entry's place at once: entries queued under a caller's own lock
/// come out in that lock's order, though each waits for its write outside the lock.
#[test]
fn queued_appends_keep_the_order_they_were_queued_in() {
    let d = tempfile::tempdir().unwrap();
    let wal = SharedWal::open(d.path()).unwrap();
    let counter = std::sync::Mutex::new(0u64);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..200 {
                    let queued = {
                        let mut n = counter.lock().unwrap();
                        *n += 1;
                        let q = wal.append_queued(&n.to_le_bytes()).unwrap();
                        assert_eq!(q.lsn(), Lsn(*n), "the queue's order is the lock's");
                        q
                    };
                    let lsn = queued.lsn();
                    assert_eq!(queued.wait().unwrap(), lsn);
                    assert!(wal.durable_lsn() >= lsn, "waited until durable");
                }
            });
        }
    });
    let got: Vec<(u64, u64)> = wal
        .iter()
        .map(|r| {
            let (l, d) = r.unwrap();
            (l.0, u64::from_le_bytes(d.try_into().unwrap()))
        })
        .collect();
    assert_eq!(got.len(), 1600);
    assert!(got.iter().all(|&(l, n)| l == n));
}

/// An entry queued and never waited for is written by `close` (and by `sync`); a refused
/// entry takes no LSN.
#[test]
fn a_queued_entry_nobody_waits_for_is_written_by_close() {
    let d = tempfile::tempdir().unwrap();
    let wal = SharedWal::open(d.path()).unwrap();
    let a = wal.append_queued(b"a").unwrap().lsn(); // never waited for
    let b = wal.append_queued(b"b").unwrap();
    assert_eq!((a, b.lsn()), (Lsn(1), Lsn(2)));
    assert_eq!(b.wait().unwrap(), Lsn(2));
    let big = vec![0u8; walogs_core::MAX_ENTRY_SIZE + 1];
    assert!(matches!(
        wal.append_queued(&big),
        Err(WalError::EntryTooLarge { .. })
    ));
    assert_eq!(wal.append_queued(b"c").unwrap().lsn(), Lsn(3));
    wal.close().unwrap();
    assert!(matches!(wal.append_queued(b"d"), Err(WalError::Closed)));
    let wal = SharedWal::open(d.path()).unwrap();
    let got: Vec<Vec<u8>> = wal.iter().map(|r| r.unwrap().1).collect();
    assert_eq!(got, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    let ro = walogs_core::WalOptions::new()
        .read_only(true)
        .open_shared(d.path());
    drop(wal);
    assert!(matches!(
        ro.unwrap().append_queued(b"x"),
        Err(WalError::ReadOnly)
    ));
}

/// A file system whose fdatasync of a segment sleeps `delay_ms` first, counting them.
fn slow_segment_syncs(delay_ms: u64) -> (HookFs, Arc<AtomicU64>) {
    let syncs = Arc::new(AtomicU64::new(0));
    let s = syncs.clone();
    let fs = HookFs::new(move |op: &Op<'_>| {
        if let Op::SyncData { name } = op
            && name.starts_with("wal-")
        {
            s.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(delay_ms));
        }
        Action::Proceed
    });
    (fs, syncs)
}

/// Threads appending in a loop are acknowledged together and append again together: the
/// leader of the next group waits for them (within half an fdatasync) instead of writing
/// the half of them that queued while the last group was synced. Without that wait the
/// groups alternate between two halves (about 2 appends per fdatasync with 4 threads).
#[test]
fn threads_appending_in_a_loop_share_each_fdatasync() {
    let tmp = tempfile::tempdir().unwrap();
    // 8 ms per fdatasync leaves a leader 4 ms for the others to wake and queue again.
    let (fs, syncs) = slow_segment_syncs(8);
    let wal = WalOptions::new()
        .file_system(fs.into_fs())
        .open_shared(tmp.path().join("wal"))
        .unwrap();
    let before = syncs.load(Ordering::SeqCst);
    const THREADS: u64 = 4;
    const EACH: u64 = 60;
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..EACH {
                    wal.append(b"entry").unwrap();
                }
            });
        }
    });
    let used = syncs.load(Ordering::SeqCst) - before;
    let appends = THREADS * EACH;
    assert_eq!(wal.durable_lsn(), Lsn(appends));
    // Groups of all 4 would take 60 fdatasyncs; alternating halves about 120.
    assert!(
        used * 3 <= appends,
        "{used} fdatasyncs for {appends} appends from {THREADS} threads: fewer than 3 per group"
    );
    wal.close().unwrap();
}

/// A leader whose acknowledged callers never append again still writes (its wait is
/// bounded), and an appender alone after that is acknowledged as before.
#[test]
fn a_leader_whose_released_callers_stay_away_still_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs, _syncs) = slow_segment_syncs(4);
    let wal = Arc::new(
        WalOptions::new()
            .file_system(fs.into_fs())
            .open_shared(tmp.path().join("wal"))
            .unwrap(),
    );
    // A burst of 4 threads, each appending once: the last write acknowledged several.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| wal.append(b"burst").unwrap());
        }
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let w = wal.clone();
    std::thread::spawn(move || {
        for i in 0..3u8 {
            tx.send(w.append(&[i]).unwrap()).unwrap();
        }
    });
    for i in 0..3u64 {
        let lsn = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("a lone append after a burst was not acknowledged");
        assert_eq!(lsn, Lsn(5 + i));
    }
    assert_eq!(wal.durable_lsn(), Lsn(7));
    wal.close().unwrap();
}
