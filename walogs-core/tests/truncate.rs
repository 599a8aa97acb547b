//! Suffix truncation in the active segment, across segments and inside batches.

mod common;

use common::*;
use walogs_core::{Lsn, TailState, Wal, WalError, WalOptions};

#[test]
fn truncate_after_in_active_and_across_segments() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
    for i in 1..=10u8 {
        wal.append(&[i]).unwrap();
        if i % 3 == 0 {
            wal.rotate().unwrap();
        }
    }
    // Segments: [1..3] [4..6] [7..9] [10]
    assert_eq!(wal.truncate_after(Lsn(10)).unwrap(), 0);
    assert_eq!(wal.truncate_after(Lsn(9)).unwrap(), 1);
    assert_eq!(wal.next_lsn(), Lsn(10));
    assert_eq!(wal.truncate_after(Lsn(5)).unwrap(), 4);
    assert_eq!(wal.next_lsn(), Lsn(6));
    assert_eq!(wal.segment_count(), 2);
    assert_eq!(wal.append(b"six").unwrap(), Lsn(6));
    drop(wal);
    let mut wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(lsns(&wal), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(wal.read(Lsn(6)).unwrap(), b"six");
    wal.rotate().unwrap();
    wal.checkpoint(Lsn(3)).unwrap();
    assert!(matches!(
        wal.truncate_after(Lsn(1)),
        Err(WalError::LsnOutOfRange { .. })
    ));
    // Truncating to just below the first kept entry empties the log; LSNs continue from there.
    assert_eq!(wal.truncate_after(Lsn(3)).unwrap(), 3);
    assert_eq!(wal.next_lsn(), Lsn(4));
    drop(wal);
    let mut wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.next_lsn(), Lsn(4));
    assert_eq!(wal.append(b"four").unwrap(), Lsn(4));
}

#[test]
fn truncate_inside_an_atomic_batch_keeps_its_prefix_across_reopens() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = Wal::open(tmp.path()).unwrap();
    wal.append_batch(&[b"a", b"b", b"c"]).unwrap();
    assert_eq!(wal.truncate_after(Lsn(1)).unwrap(), 2);
    assert_eq!(wal.next_lsn(), Lsn(2));
    drop(wal);
    // The short unit at the end of the log is a deliberate cut, not a torn write.
    let mut wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.tail_state(), TailState::Clean);
    assert_eq!(collect(wal.iter()), vec![(Lsn(1), b"a".to_vec())]);
    assert_eq!(wal.append(b"B").unwrap(), Lsn(2));
    drop(wal);
    let mut wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(
        collect(wal.iter()),
        vec![(Lsn(1), b"a".to_vec()), (Lsn(2), b"B".to_vec())]
    );
    assert_eq!(wal.truncate_after(Lsn(0)).unwrap(), 2);
    assert_eq!(wal.next_lsn(), Lsn(1));
}

/// A truncation across segments that stops half way (here: the second segment removal
/// fails) leaves the new log after a reopen, never a prefix between the old and the new.
#[test]
fn an_interrupted_truncation_across_segments_is_finished_by_recovery() {
    use walogs_testkit::{FailNth, HookFs, Op};
    for fail_at in 1..=4i64 {
        let tmp = tempfile::tempdir().unwrap();
        let (hook, countdown) = FailNth::new(5, |op| {
            matches!(op, Op::Remove { name } if name.starts_with("wal-"))
                || matches!(op, Op::SetLen { .. })
        });
        let mut w = WalOptions::new()
            .max_segment_size(Some(100))
            .file_system(HookFs::new(hook).into_fs())
            .open(tmp.path())
            .unwrap();
        for i in 1..=8u8 {
            w.append(&[i; 40]).unwrap();
        }
        assert!(w.segment_count() >= 4);
        countdown.store(fail_at, std::sync::atomic::Ordering::SeqCst);
        let r = w.truncate_after(Lsn(2));
        drop(w);
        let w = Wal::open(tmp.path()).unwrap();
        let got: Vec<u64> = w.iter().map(|e| e.unwrap().0.0).collect();
        match r {
            Ok(_) => assert_eq!(got, vec![1, 2]),
            Err(_) => assert_eq!(
                got,
                vec![1, 2],
                "failure at step {fail_at}: not the new log"
            ),
        }
        assert_eq!(w.next_lsn(), Lsn(3));
    }
}

/// A truncation across segments whose record reaches the disk but whose directory fsync then
/// fails: the cut may take effect (a reopen finishes it), so `durable_lsn()` must already say
/// nothing past the cut is promised, on both handles.
#[test]
fn a_truncation_failing_after_its_record_promises_nothing_past_the_cut() {
    use std::path::Path;
    use walogs_core::WalHandle;
    use walogs_testkit::{FailFrom, HookFs, Op};

    fn check<H: WalHandle>(open: impl Fn(WalOptions, &Path) -> H) {
        let d = tempfile::tempdir().unwrap();
        let (hook, fail) = FailFrom::new(5, |op| matches!(op, Op::SyncDir));
        let options = WalOptions::new()
            .file_system(HookFs::new(hook).into_fs())
            .max_segment_size(Some(4096));
        let mut w = open(options, d.path());
        for i in 0..6u8 {
            w.append(&[i; 100]).unwrap();
        }
        w.rotate().unwrap();
        for i in 6..9u8 {
            w.append(&[i; 100]).unwrap();
        }
        assert_eq!(w.durable_lsn(), Lsn(9));
        fail.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(
            w.truncate_after(Lsn(4)).is_err(),
            "the directory fsync failed"
        );
        assert!(
            w.durable_lsn() <= Lsn(4),
            "durable_lsn() is {} after a failed truncate_after(4)",
            w.durable_lsn()
        );
        let _ = w.close_handle();
        let reopened = WalOptions::new().read_only(true).open(d.path()).unwrap();
        assert_eq!(reopened.next_lsn(), Lsn(5), "the recorded cut is finished");
    }
    check(|o, p| o.open(p).unwrap());
    check(|o, p| o.open_shared(p).unwrap());
}

/// Reads racing `truncate_after` from another handle user: at the moment the segment file is
/// cut (its fdatasync right after the cut), a read of a removed LSN is `LsnOutOfRange` and a
/// range read stops before the cut, never damage. The cut in the active segment and in a
/// completed one (the newer segment deleted).
#[test]
fn reads_while_the_file_is_cut_see_the_truncation_not_damage() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, OnceLock};
    use walogs_core::{Durability, SharedWal};
    use walogs_testkit::{Action, HookFs, Op};

    type Seen = (
        Result<Vec<u8>, WalError>,
        Result<Vec<(Lsn, Vec<u8>)>, WalError>,
    );
    for across_segments in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let handle: Arc<OnceLock<Arc<SharedWal>>> = Arc::new(OnceLock::new());
        let armed = Arc::new(AtomicBool::new(false));
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::new(Mutex::new(Vec::new()));
        let (h, a, s) = (handle.clone(), armed.clone(), seen.clone());
        let fs = HookFs::new(move |op: &Op<'_>| {
            if let Op::SyncData { name } = op
                && name.starts_with("wal-")
                && a.swap(false, Ordering::SeqCst)
            {
                let wal = h.get().expect("the handle is set");
                let one = wal.read(Lsn(8));
                let range = wal.read_range(Lsn(5), 100, usize::MAX);
                s.lock().unwrap().push((one, range));
            }
            Action::Proceed
        });
        let wal = Arc::new(
            WalOptions::new()
                .file_system(fs.into_fs())
                .max_segment_size(None)
                .durability(Durability::EveryAppend)
                .open_shared(tmp.path().join("wal"))
                .unwrap(),
        );
        handle.set(wal.clone()).unwrap();
        for i in 1..=10u8 {
            wal.append(&[i]).unwrap();
            if across_segments && i == 8 {
                wal.rotate().unwrap();
            }
        }
        armed.store(true, Ordering::SeqCst);
        assert_eq!(wal.truncate_after(Lsn(6)).unwrap(), 4);
        let seen = std::mem::take(&mut *seen.lock().unwrap());
        assert_eq!(seen.len(), 1, "the cut's fdatasync ran the reads");
        let (one, range) = &seen[0];
        assert!(
            matches!(one, Err(WalError::LsnOutOfRange { lsn: 8, .. })),
            "across segments: {across_segments}: read(8) during the cut: {one:?}"
        );
        match range {
            Ok(entries) => assert_eq!(
                entries,
                &vec![(Lsn(5), vec![5u8]), (Lsn(6), vec![6u8])],
                "across segments: {across_segments}"
            ),
            Err(e) => panic!("across segments: {across_segments}: read_range(5): {e:?}"),
        }
        assert_eq!(wal.append(b"seven").unwrap(), Lsn(7));
        assert_eq!(wal.read(Lsn(7)).unwrap(), b"seven");
    }
}
