//! Log control: truncate anywhere, purge to any LSN, durable user data, durability
//! notifications, bounded range reads. Each runs on both handles where it matters.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use walogs_core::{
    Durability, Lsn, MAX_USER_DATA, SharedWal, TailState, Wal, WalError, WalHandle, WalOptions,
};

fn entries<H: WalHandle>(h: &H) -> Vec<(u64, Vec<u8>)> {
    h.iter()
        .map(|e| e.map(|(l, d)| (l.0, d)).unwrap())
        .collect()
}

fn e(i: u64) -> Vec<u8> {
    format!("entry {i}").into_bytes()
}

// ---- truncate anywhere ---------------------------------------------------------------

#[test]
fn truncate_inside_batches_many_and_group_commits_at_every_lsn() {
    for cut in 0..=12u64 {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        {
            let w = WalOptions::new().open_shared(dir).unwrap();
            w.append_batch(&[e(1), e(2), e(3), e(4)]).unwrap();
            w.append_many(&[e(5), e(6), e(7)]).unwrap();
            w.append(&e(8)).unwrap();
            // Concurrent appends: group commit writes them as units.
            std::thread::scope(|s| {
                for _ in 0..4 {
                    s.spawn(|| w.append(b"g").unwrap());
                }
            });
            assert_eq!(w.next_lsn(), Lsn(13));
            assert_eq!(w.truncate_after(Lsn(cut)).unwrap(), 12 - cut);
            assert_eq!(w.next_lsn(), Lsn(cut + 1));
            w.close().unwrap();
        }
        let mut w = Wal::open(dir).unwrap();
        assert_eq!(w.tail_state(), TailState::Clean, "cut {cut}");
        let got = entries(&w);
        assert_eq!(got.len() as u64, cut, "cut {cut}");
        for (lsn, data) in got.iter().take(8) {
            assert_eq!(data, &e(*lsn));
        }
        // Appends continue densely, as units too, and survive another reopen.
        assert_eq!(w.append(b"x").unwrap(), Lsn(cut + 1));
        assert_eq!(w.append_batch(&[b"y", b"z"]).unwrap().last, Lsn(cut + 3));
        drop(w);
        let w = Wal::open(dir).unwrap();
        assert_eq!(w.next_lsn(), Lsn(cut + 4), "cut {cut}");
    }
}

/// A cut inside one batch, then appends, then a cut inside the next batch, then a cut back
/// to exactly the first short batch: every step reopens to the same log.
#[test]
fn repeated_cuts_inside_batches_reopen_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let check = |want: &[u64]| {
        let w = Wal::open(dir).unwrap();
        let got: Vec<u64> = entries(&w).iter().map(|(l, _)| *l).collect();
        assert_eq!(got, want);
    };
    {
        let mut w = Wal::open(dir).unwrap();
        w.append_batch(&[e(1), e(2), e(3), e(4), e(5)]).unwrap();
        w.truncate_after(Lsn(2)).unwrap();
    }
    check(&[1, 2]);
    {
        let mut w = Wal::open(dir).unwrap();
        w.append_batch(&[e(3), e(4), e(5), e(6)]).unwrap();
        w.truncate_after(Lsn(4)).unwrap();
    }
    check(&[1, 2, 3, 4]);
    {
        let mut w = Wal::open(dir).unwrap();
        w.truncate_after(Lsn(2)).unwrap();
    }
    check(&[1, 2]);
    {
        let mut w = Wal::open(dir).unwrap();
        w.append(&e(3)).unwrap();
        w.truncate_after(Lsn(1)).unwrap();
    }
    check(&[1]);
}

#[test]
fn truncate_across_segments_inside_a_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = WalOptions::new()
        .max_segment_size(Some(300))
        .open(tmp.path())
        .unwrap();
    for i in 0..5 {
        w.append_batch(&[e(4 * i + 1), e(4 * i + 2), e(4 * i + 3), e(4 * i + 4)])
            .unwrap();
    }
    assert!(w.segment_count() >= 3);
    assert_eq!(w.truncate_after(Lsn(6)).unwrap(), 14);
    drop(w);
    let w = Wal::open(tmp.path()).unwrap();
    assert_eq!(entries(&w).len(), 6);
    assert_eq!(w.read(Lsn(6)).unwrap(), e(6));
}

// ---- purge to any LSN -----------------------------------------------------------------

fn purge_cases<H: WalHandle>(open: impl Fn(&std::path::Path) -> H) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut w = open(dir);
    for i in 1..=20 {
        w.append(&e(i)).unwrap();
    }
    // Inside the log: entries up to 7 are gone at once, and after reopen.
    w.purge_up_to(Lsn(7)).unwrap();
    assert_eq!(w.first_lsn(), Lsn(8));
    assert_eq!(w.purged_up_to(), Lsn(7));
    assert!(matches!(
        w.read(Lsn(7)),
        Err(WalError::LsnOutOfRange { .. })
    ));
    assert!(matches!(
        w.iter_from(Lsn(3)),
        Err(WalError::LsnOutOfRange { .. })
    ));
    assert_eq!(w.iter().next().unwrap().unwrap().0, Lsn(8));
    // Lower than the floor: nothing happens.
    w.purge_up_to(Lsn(3)).unwrap();
    assert_eq!(w.first_lsn(), Lsn(8));
    // Truncating below the floor is refused; truncating to the floor empties the log.
    assert!(matches!(
        w.truncate_after(Lsn(5)),
        Err(WalError::LsnOutOfRange { .. })
    ));
    w.close_handle().unwrap();
    let mut w = open(dir);
    assert_eq!(w.first_lsn(), Lsn(8));
    assert_eq!(entries(&w).first().unwrap().0, 8);
    // Past the end: the log is empty and restarts after the floor.
    w.purge_up_to(Lsn(100)).unwrap();
    assert_eq!(w.first_lsn(), Lsn(101));
    assert_eq!(w.next_lsn(), Lsn(101));
    assert_eq!(entries(&w), vec![]);
    assert_eq!(w.segment_count(), 1, "every purged segment was deleted");
    assert_eq!(w.append(&e(101)).unwrap(), Lsn(101));
    w.close_handle().unwrap();
    let mut w = open(dir);
    assert_eq!(entries(&w), vec![(101, e(101))]);
    assert_eq!(w.next_lsn(), Lsn(102));
    // The next LSN never moves backwards.
    w.purge_up_to(Lsn(101)).unwrap();
    assert_eq!(w.next_lsn(), Lsn(102));
    w.close_handle().unwrap();
    let w = open(dir);
    assert_eq!(w.next_lsn(), Lsn(102));
    assert_eq!(w.first_lsn(), Lsn(102));
}

#[test]
fn purge_inside_and_past_the_end_on_both_handles() {
    purge_cases(|d| Wal::open(d).unwrap());
    purge_cases(|d| SharedWal::open(d).unwrap());
}

#[test]
fn purge_past_the_end_with_segments_and_truncate_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = WalOptions::new()
        .max_segment_size(Some(200))
        .open(tmp.path())
        .unwrap();
    for i in 1..=30 {
        w.append(&e(i)).unwrap();
    }
    assert!(w.segment_count() > 3);
    w.purge_up_to(Lsn(50)).unwrap();
    assert_eq!(w.segment_count(), 1);
    for i in 51..=55 {
        assert_eq!(w.append(&e(i)).unwrap(), Lsn(i));
    }
    assert_eq!(w.truncate_after(Lsn(52)).unwrap(), 3);
    assert!(matches!(
        w.truncate_after(Lsn(49)),
        Err(WalError::LsnOutOfRange { .. })
    ));
    assert_eq!(w.truncate_after(Lsn(50)).unwrap(), 2);
    assert_eq!(w.next_lsn(), Lsn(51));
    drop(w);
    let mut w = Wal::open(tmp.path()).unwrap();
    assert_eq!((w.first_lsn(), w.next_lsn()), (Lsn(51), Lsn(51)));
    assert_eq!(w.append(b"again").unwrap(), Lsn(51));
}

#[test]
fn iterating_from_the_oldest_entry_never_races_a_purge() {
    let tmp = tempfile::tempdir().unwrap();
    let w = WalOptions::new()
        .max_segment_size(Some(4096))
        .open_shared(tmp.path())
        .unwrap();
    for i in 1..=2000 {
        w.append(&e(i)).unwrap();
    }
    std::thread::scope(|s| {
        s.spawn(|| {
            for floor in (10..2000).step_by(10) {
                w.purge_up_to(Lsn(floor)).unwrap();
            }
        });
        for _ in 0..200 {
            let mut last = 0;
            for item in w.iter() {
                let (lsn, data) = item.expect("an iterator from the oldest entry never fails");
                assert!(lsn.0 > last, "LSNs increase");
                assert_eq!(data, e(lsn.0));
                last = lsn.0;
            }
        }
    });
}

// ---- durable user data ------------------------------------------------------------------

#[test]
fn user_data_is_durable_atomic_and_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = WalOptions::new()
        .durability(Durability::Manual)
        .open(tmp.path())
        .unwrap();
    assert_eq!(w.user_data().unwrap(), b"");
    w.append(b"a").unwrap();
    assert_eq!(w.durable_lsn(), Lsn(0));
    w.set_user_data(b"term=1 vote=2").unwrap();
    assert_eq!(
        w.durable_lsn(),
        Lsn(1),
        "the log is durable before the user data"
    );
    assert_eq!(w.user_data().unwrap(), b"term=1 vote=2");
    let big = vec![7u8; MAX_USER_DATA];
    w.set_user_data(&big).unwrap();
    assert!(matches!(
        w.set_user_data(&vec![0u8; MAX_USER_DATA + 1]),
        Err(WalError::EntryTooLarge { .. })
    ));
    assert_eq!(w.user_data().unwrap(), big, "nothing changed");
    let ro = WalOptions::new().read_only(true).open(tmp.path()).unwrap();
    assert_eq!(ro.user_data().unwrap(), big);
    assert!(matches!(
        WalOptions::new()
            .read_only(true)
            .open_shared(tmp.path())
            .unwrap()
            .set_user_data(b"x"),
        Err(WalError::ReadOnly)
    ));
    for i in 0..5u8 {
        w.set_user_data(&[i; 3]).unwrap();
    }
    drop(w);
    let w = Wal::open(tmp.path()).unwrap();
    assert_eq!(w.user_data().unwrap(), vec![4u8; 3]);
}

#[test]
fn a_torn_user_data_write_leaves_the_old_value() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut w = Wal::open(tmp.path()).unwrap();
        w.set_user_data(b"old").unwrap();
        w.set_user_data(b"newer").unwrap();
    }
    let path = tmp.path().join(walogs_core::USER_DATA_FILENAME);
    let mut b = std::fs::read(&path).unwrap();
    // "newer" is in slot 0 (the file was created holding the empty value in slot 1, "old"
    // went to slot 0... then "newer" to slot 1): damage whichever slot holds "newer".
    let pos = b.windows(5).position(|w| w == b"newer").unwrap();
    b[pos] ^= 1;
    std::fs::write(&path, &b).unwrap();
    let w = Wal::open(tmp.path()).unwrap();
    assert_eq!(w.user_data().unwrap(), b"old");
}

// ---- told when durable -------------------------------------------------------------------

#[test]
fn waiting_for_durability() {
    let tmp = tempfile::tempdir().unwrap();
    let w = WalOptions::new()
        .durability(Durability::Manual)
        .open_shared(tmp.path())
        .unwrap();
    let lsn = w.append(b"x").unwrap();
    assert!(matches!(
        w.wait_durable(lsn, Some(Duration::from_millis(20))),
        Err(WalError::Timeout { lsn: 1, durable: 0 })
    ));
    assert!(matches!(
        w.wait_durable(Lsn(5), None),
        Err(WalError::LsnOutOfRange { lsn: 5, .. })
    ));
    w.wait_durable(Lsn(0), Some(Duration::ZERO)).unwrap();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| w.wait_durable(lsn, None));
        std::thread::sleep(Duration::from_millis(20));
        w.sync().unwrap();
        waiter.join().unwrap().unwrap();
    });
    // A wait for an entry that a truncation removes fails.
    let l2 = w.append(b"y").unwrap();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| w.wait_durable(l2, None));
        std::thread::sleep(Duration::from_millis(20));
        w.truncate_after(Lsn(1)).unwrap();
        assert!(matches!(
            waiter.join().unwrap(),
            Err(WalError::LsnOutOfRange { .. })
        ));
    });
    // Close wakes waiters: what close made durable is Ok.
    let l3 = w.append(b"z").unwrap();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| w.wait_durable(l3, None));
        std::thread::sleep(Duration::from_millis(20));
        w.close().unwrap();
        waiter.join().unwrap().unwrap();
    });
    assert!(matches!(w.wait_durable(l3, None), Err(WalError::Closed)));
}

#[test]
fn callbacks_run_once_off_the_callers_thread_and_survive_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let w = Arc::new(
        WalOptions::new()
            .durability(Durability::Manual)
            .open_shared(tmp.path())
            .unwrap(),
    );
    let (tx, rx) = mpsc::channel();
    let calls = Arc::new(AtomicUsize::new(0));
    let l1 = w.append(b"a").unwrap();
    let l2 = w.append(b"b").unwrap();
    let caller = std::thread::current().id();
    {
        let tx = tx.clone();
        let calls = calls.clone();
        w.on_durable(l1, move |r| {
            calls.fetch_add(1, Ordering::SeqCst);
            tx.send((1, r.is_ok(), std::thread::current().id() != caller))
                .unwrap();
        })
        .unwrap();
    }
    w.on_durable(l1, |_| panic!("a buggy callback")).unwrap();
    {
        // A callback may call back into the WAL.
        let tx = tx.clone();
        let w2 = w.clone();
        w.on_durable(l2, move |r| {
            let appended = w2.append(b"from a callback").is_ok();
            tx.send((2, r.is_ok() && appended, true)).unwrap();
        })
        .unwrap();
    }
    assert!(rx.try_recv().is_err(), "nothing is durable yet");
    w.sync().unwrap();
    let mut got = vec![rx.recv().unwrap(), rx.recv().unwrap()];
    got.sort_unstable_by_key(|g| g.0);
    assert_eq!(got, vec![(1, true, true), (2, true, true)]);
    assert!(!w.is_poisoned(), "the panicking callback poisoned nothing");
    // Already durable: still called (on the notifier).
    let tx2 = tx.clone();
    w.on_durable(l1, move |r| tx2.send((3, r.is_ok(), true)).unwrap())
        .unwrap();
    assert_eq!(rx.recv().unwrap(), (3, true, true));
    // Never handed out: refused.
    assert!(matches!(
        w.on_durable(Lsn(1000), |_| {}),
        Err(WalError::LsnOutOfRange { .. })
    ));
    // Pending at close: run by close (durable by then).
    let l4 = w.append(b"d").unwrap();
    w.on_durable(l4, move |r| tx.send((4, r.is_ok(), true)).unwrap())
        .unwrap();
    w.close().unwrap();
    assert_eq!(rx.recv().unwrap(), (4, true, true));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "each callback runs once");
}

#[test]
fn a_poisoned_log_fails_its_waiters_and_callbacks() {
    use walogs_testkit::{FailNth, HookFs, Op};
    let tmp = tempfile::tempdir().unwrap();
    let (hook, countdown) = FailNth::new(5, |op| matches!(op, Op::SyncData { .. }));
    let w = WalOptions::new()
        .durability(Durability::Manual)
        .file_system(HookFs::new(hook).into_fs())
        .open_shared(tmp.path())
        .unwrap();
    let l = w.append(b"a").unwrap();
    let (tx, rx) = mpsc::channel();
    w.on_durable(l, move |r| tx.send(r).unwrap()).unwrap();
    countdown.store(1, Ordering::SeqCst);
    std::thread::scope(|s| {
        let waiter = s.spawn(|| w.wait_durable(l, None));
        std::thread::sleep(Duration::from_millis(20));
        assert!(w.sync().is_err());
        assert!(matches!(
            waiter.join().unwrap(),
            Err(WalError::Poisoned { .. })
        ));
    });
    assert!(matches!(rx.recv().unwrap(), Err(WalError::Poisoned { .. })));
}

#[test]
fn the_interval_flusher_makes_entries_durable_without_a_further_append() {
    let tmp = tempfile::tempdir().unwrap();
    let w = WalOptions::new()
        .durability(Durability::Interval(Duration::from_millis(10)))
        .open_shared(tmp.path())
        .unwrap();
    let lsn = w.append(b"x").unwrap();
    // No sync, no other append: the flusher must get it durable.
    w.wait_durable(lsn, Some(Duration::from_secs(60))).unwrap();
    assert!(w.durable_lsn() >= lsn);
    w.close().unwrap();
}

// ---- bounded range reads ------------------------------------------------------------------

#[test]
fn read_range_is_bounded_and_never_empty_when_an_entry_exists() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = Wal::open(tmp.path()).unwrap();
    w.append_batch(&[vec![1u8; 100], vec![2u8; 100], vec![3u8; 100]])
        .unwrap();
    w.append(&[4u8; 1000]).unwrap();
    let got = w.read_range(Lsn(1), 10, 250).unwrap();
    assert_eq!(got.iter().map(|(l, _)| l.0).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(w.read_range(Lsn(2), 1, 1 << 20).unwrap().len(), 1);
    let big = w.read_range(Lsn(4), 10, 10).unwrap();
    assert_eq!(
        big,
        vec![(Lsn(4), vec![4u8; 1000])],
        "one entry even past max_bytes"
    );
    assert_eq!(w.read_range(Lsn(1), 10, 0).unwrap().len(), 1);
    assert_eq!(w.read_range(Lsn(5), 10, 100).unwrap(), vec![]);
    assert!(matches!(
        w.read_range(Lsn(6), 10, 100),
        Err(WalError::LsnOutOfRange { .. })
    ));
    assert!(matches!(
        w.read_range(Lsn(1), 0, 100),
        Err(WalError::InvalidArgument { .. })
    ));
    w.purge_up_to(Lsn(2)).unwrap();
    assert!(matches!(
        w.read_range(Lsn(1), 10, 100),
        Err(WalError::LsnOutOfRange { .. })
    ));
    assert_eq!(w.read_range(Lsn(3), 10, 1 << 20).unwrap().len(), 2);
}

/// An iterator made before a truncation never reads the removed entries' bytes, nor
/// entries appended later under the same LSNs: it stops at the cut with an error.
#[test]
fn an_iterator_stops_at_a_truncation_made_after_it_started() {
    let tmp = tempfile::tempdir().unwrap();
    let w = WalOptions::new().open_shared(tmp.path()).unwrap();
    for i in 1..=2000 {
        w.append(&vec![(i % 251) as u8; 1000]).unwrap();
    }
    let mut it = w.iter();
    assert_eq!(it.next().unwrap().unwrap().0, Lsn(1));
    w.truncate_after(Lsn(3)).unwrap();
    for _ in 0..996 {
        w.append(&[0xEE; 1000]).unwrap();
    }
    let mut got = Vec::new();
    let end = loop {
        match it.next() {
            Some(Ok((l, d))) => {
                assert_eq!(d, vec![(l.0 % 251) as u8; 1000], "old bytes only");
                got.push(l.0);
            }
            Some(Err(e)) => break e,
            None => panic!("ended without saying the log was cut"),
        }
    };
    assert_eq!(got, vec![2, 3]);
    assert!(
        matches!(
            end,
            WalError::LsnOutOfRange {
                lsn: 4,
                next: 4,
                ..
            }
        ),
        "{end}"
    );
    assert!(it.next().is_none());
    // A new iterator sees the new log.
    assert_eq!(w.iter().filter(|e| e.is_ok()).count(), 999);
}

/// Closing right after opening under a long interval does not wait out the interval (the
/// flusher checks its stop flag before it first waits). A regression hangs this test.
#[test]
fn close_right_after_an_interval_open_is_prompt() {
    for _ in 0..20 {
        let tmp = tempfile::tempdir().unwrap();
        let w = WalOptions::new()
            .durability(Durability::Interval(Duration::from_secs(3600)))
            .open_shared(tmp.path())
            .unwrap();
        w.close().unwrap();
    }
}

/// The notifier thread of a poisoned handle stays for callbacks registered later: entry 1 is
/// durable, an append then fails its fdatasync (the handle is poisoned), `on_durable(1)` runs
/// its callback with `Ok`; after a pause long enough for a notifier that ends on a stopped log
/// to have ended, a second `on_durable(1)` must run its callback too, without waiting for
/// `close`.
#[test]
fn callbacks_registered_after_poisoning_run_without_close() {
    use walogs_testkit::{FailFrom, HookFs, Op};

    let d = tempfile::tempdir().unwrap();
    let (hook, fail) = FailFrom::new(5, |op| matches!(op, Op::SyncData { .. }));
    let fs = HookFs::new(hook).into_fs();
    let mut w = WalOptions::new()
        .file_system(fs)
        .open(d.path().join("wal"))
        .unwrap();
    let one = w.append(b"one").unwrap();
    fail.store(true, Ordering::SeqCst);
    assert!(w.append(b"two").is_err());
    let (tx, rx) = mpsc::channel::<Result<(), WalError>>();
    let first = tx.clone();
    w.on_durable(one, move |r| {
        let _ = first.send(r);
    })
    .unwrap();
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the first callback ran")
        .expect("entry 1 is durable");
    std::thread::sleep(Duration::from_millis(200));
    let registered = w.on_durable(one, move |r| {
        let _ = tx.send(r);
    });
    if registered.is_ok() {
        rx.recv_timeout(Duration::from_secs(10))
            .expect("a callback registered on the poisoned handle runs before close")
            .expect("entry 1 is durable");
    }
    let _ = w.close();
}
