//! Bad input is refused with a typed error that says what is wrong, and changes nothing:
//! overlapping or backward appends, jumps past the gap limit, truncations below the purge
//! floor, another application's directory, damaged records; a failed flush reaches the flush
//! callback as an error.

mod support;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use support::{Store, append_sync, log_id, normal};
use walogs_core::{Lsn, SharedWal, WalOptions};
use walogs_openraft::codec::{CodecError, ENTRY_CODEC_VERSION, encode_entry};
use walogs_openraft::state_codec::StateCodecError;
use walogs_openraft::{MAX_GAP, StoreError};
use walogs_testkit::{Action, HookFs, Op};

fn store_with(n: u64) -> (tempfile::TempDir, Store) {
    let t = tempfile::tempdir().unwrap();
    let mut s = Store::open(t.path()).unwrap();
    append_sync(&mut s, (0..n).map(|i| normal(1, i, 16)).collect()).unwrap();
    (t, s)
}

/// Append, expecting a refusal: the error, and what the flush callback got.
fn refused(
    s: &mut Store,
    entries: Vec<openraft::Entry<support::TestConfig>>,
) -> (StoreError, io::Error) {
    let (tx, rx) = std::sync::mpsc::channel();
    let err = s
        .append_with(entries, move |r| {
            let _ = tx.send(r);
        })
        .expect_err("refused");
    let cb = rx.recv().unwrap().expect_err("the callback gets the error");
    (err, cb)
}

#[test]
fn an_overlapping_append_is_refused_naming_both_indexes() {
    let (_t, mut s) = store_with(5);
    let (err, cb) = refused(&mut s, vec![normal(2, 3, 8)]);
    assert!(
        matches!(
            err,
            StoreError::Overlap {
                expected: 5,
                got: 3
            }
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("index 3") && text.contains("next index is 5"),
        "{text}"
    );
    assert!(cb.to_string().contains("index 3"), "{cb}");
    assert_eq!(s.next_index(), 5, "nothing written");
    assert_eq!(s.entries(3..4).unwrap(), vec![normal(1, 3, 16)]);
}

#[test]
fn a_batch_going_backwards_is_refused_and_writes_nothing() {
    let (_t, mut s) = store_with(2);
    let (err, _) = refused(
        &mut s,
        vec![normal(1, 2, 8), normal(1, 3, 8), normal(1, 3, 8)],
    );
    assert!(
        matches!(
            err,
            StoreError::Overlap {
                expected: 4,
                got: 3
            }
        ),
        "{err}"
    );
    assert_eq!(s.next_index(), 2);
    assert_eq!(s.wal().next_lsn(), Lsn(3));
}

#[test]
fn a_jump_past_the_gap_limit_is_refused() {
    let (_t, mut s) = store_with(1);
    let far = 1 + MAX_GAP + 1;
    let (err, _) = refused(&mut s, vec![normal(1, far, 8)]);
    assert!(
        matches!(err, StoreError::JumpTooLarge { expected: 1, got, max: MAX_GAP } if got == far),
        "{err}"
    );
    assert_eq!(s.next_index(), 1);
    // The limit itself is accepted.
    append_sync(&mut s, vec![normal(1, MAX_GAP + 1, 8)]).unwrap();
    assert_eq!(s.next_index(), MAX_GAP + 2);
}

#[test]
fn truncating_below_the_purge_floor_is_refused() {
    let (_t, mut s) = store_with(8);
    s.purge_to(&log_id(1, 1, 4)).unwrap();
    let err = s.truncate_from(&log_id(1, 1, 3)).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::TruncatePurged {
                index: 3,
                purged: 4
            }
        ),
        "{err}"
    );
    assert_eq!(s.entries(..).unwrap().len(), 3);
}

#[test]
fn reads_below_the_floor_past_the_end_and_of_empty_ranges_are_absent() {
    let (_t, mut s) = store_with(8);
    s.purge_to(&log_id(1, 1, 2)).unwrap();
    assert!(s.entries(0..3).unwrap().is_empty());
    assert!(s.entries(8..100).unwrap().is_empty());
    assert!(s.entries(5..5).unwrap().is_empty());
    assert_eq!(s.entries(2..=3).unwrap(), vec![normal(1, 3, 16)]);
}

#[test]
fn another_applications_log_is_refused_at_open() {
    let t = tempfile::tempdir().unwrap();
    let wal = SharedWal::open(t.path()).unwrap();
    let _ = wal.append(b"an order, not a raft entry").unwrap();
    wal.close().unwrap();
    let err = Store::open(t.path()).unwrap_err();
    match &err {
        StoreError::ForeignLog {
            lsn: 1,
            reason: CodecError::BadMagic { found },
            ..
        } => {
            assert_eq!(found, b"an o")
        }
        other => panic!("expected ForeignLog, got {other}"),
    }
    assert!(err.to_string().contains("another application"), "{err}");
    // Nothing was changed.
    let wal = SharedWal::open(t.path()).unwrap();
    assert_eq!(wal.read(Lsn(1)).unwrap(), b"an order, not a raft entry");
}

#[test]
fn a_foreign_last_entry_is_refused_too() {
    let t = tempfile::tempdir().unwrap();
    let wal = SharedWal::open(t.path()).unwrap();
    let _ = wal
        .append(&encode_entry(&normal(1, 0, 4)).unwrap())
        .unwrap();
    let _ = wal.append(b"tiny").unwrap();
    wal.close().unwrap();
    let err = Store::open(t.path()).unwrap_err();
    assert!(
        matches!(err, StoreError::ForeignLog { lsn: 2, .. }),
        "{err}"
    );
}

#[test]
fn a_record_of_an_unknown_codec_version_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let mut rec = encode_entry(&normal(1, 0, 4)).unwrap();
    rec[4] = ENTRY_CODEC_VERSION + 1;
    let wal = SharedWal::open(t.path()).unwrap();
    let _ = wal.append(&rec).unwrap();
    wal.close().unwrap();
    let err = Store::open(t.path()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::ForeignLog {
                reason: CodecError::UnsupportedVersion(2),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn another_applications_user_data_is_refused_at_open() {
    let t = tempfile::tempdir().unwrap();
    let wal = SharedWal::open(t.path()).unwrap();
    wal.set_user_data(b"{\"term\": 3}").unwrap();
    wal.close().unwrap();
    let err = Store::open(t.path()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::ForeignState {
                reason: StateCodecError::BadMagic { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_record_at_the_wrong_lsn_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let wal = SharedWal::open(t.path()).unwrap();
    // Index 5 stored at LSN 1 (where index 0 belongs).
    let _ = wal
        .append(&encode_entry(&normal(1, 5, 4)).unwrap())
        .unwrap();
    wal.close().unwrap();
    let err = Store::open(t.path()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::BadRecord {
                lsn: 1,
                index: 0,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("holds index 5"), "{err}");
}

#[test]
fn a_damaged_record_in_the_middle_fails_the_read_naming_it() {
    let t = tempfile::tempdir().unwrap();
    let wal = SharedWal::open(t.path()).unwrap();
    let _ = wal
        .append(&encode_entry(&normal(1, 0, 4)).unwrap())
        .unwrap();
    let mut bad = encode_entry(&normal(1, 1, 4)).unwrap();
    bad[5] = 9;
    let _ = wal.append(&bad).unwrap();
    let _ = wal
        .append(&encode_entry(&normal(1, 2, 4)).unwrap())
        .unwrap();
    wal.close().unwrap();
    let s = Store::open(t.path()).unwrap();
    let err = s.entries(..).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::BadRecord {
                lsn: 2,
                index: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("unknown payload kind 9"), "{err}");
}

#[test]
fn a_failed_flush_reaches_the_callback_as_an_io_error() {
    let t = tempfile::tempdir().unwrap();
    let fail = Arc::new(AtomicBool::new(false));
    let f = fail.clone();
    let fs = HookFs::new(move |op: &Op<'_>| match op {
        Op::SyncData { name } if name.starts_with("wal-") && f.load(Ordering::SeqCst) => {
            Action::Fail(io::Error::from_raw_os_error(libc::EIO))
        }
        _ => Action::Proceed,
    });
    let mut s = Store::open_with(t.path(), WalOptions::new().file_system(fs.into_fs())).unwrap();
    append_sync(&mut s, vec![normal(1, 0, 8)]).unwrap();
    fail.store(true, Ordering::SeqCst);
    let err = append_sync(&mut s, vec![normal(1, 1, 8)]).unwrap_err();
    assert!(err.to_string().contains("poisoned"), "{err}");
    // The log is poisoned: later appends are refused and their callback says so too.
    let (e, cb) = refused(&mut s, vec![normal(1, 2, 8)]);
    assert!(
        matches!(e, StoreError::Wal(walogs_core::WalError::Poisoned { .. })),
        "{e}"
    );
    assert!(cb.to_string().contains("poisoned"), "{cb}");
}
