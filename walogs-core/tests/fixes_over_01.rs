//! Each place where walogs 0.1 loses data or misbehaves (SPEC section 4, and the core issue's
//! list), with a test that fails on the 0.1 behaviour.

mod common;

use std::fs;
use std::sync::atomic::Ordering;

use common::*;
use walogs_core::{Lsn, SharedWal, TailState, Wal, WalError, WalOptions};

// 1. LSNs are never reused after a full checkpoint.
#[test]
fn no_lsn_reuse_after_full_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
        for _ in 0..3 {
            wal.append(b"x").unwrap();
        }
        wal.rotate().unwrap();
        assert_eq!(wal.checkpoint(Lsn(3)).unwrap(), 1);
    }
    let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
    assert_eq!(wal.next_lsn(), Lsn(4));
    assert_eq!(wal.append(b"y").unwrap(), Lsn(4));
    drop(wal);
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(collect(wal.iter()), vec![(Lsn(4), b"y".to_vec())]);
}

#[test]
fn cut_tail_of_completed_segment_with_empty_active_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
        for _ in 0..3 {
            wal.append(b"abc").unwrap();
        }
        wal.rotate().unwrap();
    }
    // Cut the last frame of the completed segment at a frame boundary.
    let s1 = seg(tmp.path(), 1);
    fs::OpenOptions::new()
        .write(true)
        .open(&s1)
        .unwrap()
        .set_len(38)
        .unwrap();
    match Wal::open(tmp.path()) {
        Err(WalError::Corrupt { reason }) => {
            assert!(reason.contains("wal-000001.log"), "{reason}");
            assert!(reason.contains("sealed at LSN 3"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

// 2. Mid-log damage in the last segment is refused, nothing is truncated; salvage cuts.
#[test]
fn mid_log_damage_is_refused_and_salvage_reports() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        for p in [b"aaa", b"bbb", b"ccc"] {
            wal.append(p).unwrap();
        }
    }
    let s1 = seg(tmp.path(), 1);
    flip_byte(&s1, 19 + 16); // payload of the second frame (LSN 2); LSN 3 follows intact
    let before = fs::read(&s1).unwrap();
    match Wal::open(tmp.path()) {
        Err(WalError::Corrupt { reason }) => {
            assert!(reason.contains("wal-000001.log"), "{reason}");
            assert!(reason.contains("offset 19"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert_eq!(fs::read(&s1).unwrap(), before, "nothing may be truncated");

    let ro = WalOptions::new()
        .read_only(true)
        .salvage(true)
        .open(tmp.path())
        .unwrap();
    assert_eq!(ro.tail_state(), TailState::TruncatedAt(19));
    assert_eq!(
        fs::read(&s1).unwrap(),
        before,
        "read-only salvage only reports"
    );
    drop(ro);

    let wal = WalOptions::new().salvage(true).open(tmp.path()).unwrap();
    let rep = wal.recovery_report();
    let s = rep.salvaged.expect("salvage report");
    assert_eq!(
        (s.offset, s.bytes_cut, s.valid_frames_cut, s.first_lsn_cut),
        (19, 38, 1, Lsn(3))
    );
    assert_eq!(wal.tail_state(), TailState::TruncatedAt(19));
    assert_eq!(file_len(&s1), 19);
    assert_eq!(lsns(&wal), vec![1]);
}

#[test]
fn damaged_final_frame_and_zero_tail_are_torn_tails() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        for p in [b"aaa", b"bbb"] {
            wal.append(p).unwrap();
        }
    }
    let s1 = seg(tmp.path(), 1);
    let mut b = fs::read(&s1).unwrap();
    b.extend_from_slice(&[0u8; 4096]); // a preallocated tail left by a crash
    fs::write(&s1, &b).unwrap();
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.tail_state(), TailState::TruncatedAt(38));
    assert_eq!(wal.recovery_report().bytes_truncated, 4096);
    assert_eq!(lsns(&wal), vec![1, 2]);
}

// 3. A partial frame header at the end is a torn tail.
#[test]
fn partial_header_is_truncated_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        wal.append(b"aaa").unwrap();
    }
    let s1 = seg(tmp.path(), 1);
    let mut b = fs::read(&s1).unwrap();
    b.extend_from_slice(&[7u8; 9]);
    fs::write(&s1, &b).unwrap();
    let mut wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.tail_state(), TailState::TruncatedAt(19));
    assert_eq!(file_len(&s1), 19, "physically truncated before any write");
    assert_eq!(wal.append(b"b").unwrap(), Lsn(2));
}

// 4. Frames inside a segment carry consecutive LSNs.
#[test]
fn duplicate_or_out_of_order_lsn_is_corrupt() {
    for dup in [true, false] {
        let tmp = tempfile::tempdir().unwrap();
        {
            let mut wal = Wal::open(tmp.path()).unwrap();
            wal.append(b"one").unwrap();
        }
        let s1 = seg(tmp.path(), 1);
        let mut b = fs::read(&s1).unwrap();
        let frame = b.clone();
        if dup {
            b.extend_from_slice(&frame); // LSN 1 again, valid CRC
        } else {
            let mut f = Vec::new();
            // A valid frame with LSN 5 where 2 is expected.
            let data = b"two";
            let mut h = crc32fast::Hasher::new();
            h.update(&(data.len() as u32).to_le_bytes());
            h.update(&5u64.to_le_bytes());
            h.update(data);
            f.extend_from_slice(&(data.len() as u32).to_le_bytes());
            f.extend_from_slice(&h.finalize().to_le_bytes());
            f.extend_from_slice(&5u64.to_le_bytes());
            f.extend_from_slice(data);
            b.extend_from_slice(&f);
        }
        fs::write(&s1, &b).unwrap();
        match Wal::open(tmp.path()) {
            Err(WalError::Corrupt { reason }) => {
                assert!(
                    reason.contains("offset 19") && reason.contains("LSN"),
                    "{reason}"
                )
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }
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

// 8. Segment numbers past 999999.
#[test]
fn segment_numbers_past_999999() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
        wal.append(b"a").unwrap();
    }
    fs::rename(seg(tmp.path(), 1), tmp.path().join("wal-999999.log")).unwrap();
    {
        let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
        wal.rotate().unwrap();
        wal.append(b"b").unwrap();
        wal.rotate().unwrap();
        wal.append(b"c").unwrap();
    }
    assert!(tmp.path().join("wal-1000000.log").exists());
    assert!(tmp.path().join("wal-1000001.log").exists());
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.segment_count(), 3);
    assert_eq!(
        collect(wal.iter()),
        vec![
            (Lsn(1), b"a".to_vec()),
            (Lsn(2), b"b".to_vec()),
            (Lsn(3), b"c".to_vec())
        ]
    );
}

// 9. One writer per directory.
#[test]
fn second_open_in_process_is_locked_and_released_on_drop() {
    let tmp = tempfile::tempdir().unwrap();
    let wal = Wal::open(tmp.path()).unwrap();
    match Wal::open(tmp.path()) {
        Err(WalError::Locked { path }) => assert_eq!(path, tmp.path()),
        other => panic!("expected Locked, got {other:?}"),
    }
    assert!(matches!(
        SharedWal::open(tmp.path()),
        Err(WalError::Locked { .. })
    ));
    // A reader needs no lock.
    let ro = WalOptions::new().read_only(true).open(tmp.path()).unwrap();
    assert!(matches!(
        walogs_core::lock_holder(tmp.path()),
        Ok(Some(pid)) if pid == std::process::id().to_string()
    ));
    drop(ro);
    drop(wal);
    assert!(walogs_core::lock_holder(tmp.path()).unwrap().is_none());
    Wal::open(tmp.path()).unwrap();
}

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
fn iterator_created_before_checkpoint_finishes_or_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
    for i in 0..3u8 {
        wal.append(&[i]).unwrap();
        wal.rotate().unwrap();
    }
    let it = wal.iter();
    assert_eq!(wal.checkpoint(Lsn(3)).unwrap(), 3);
    let items: Vec<_> = it.collect();
    assert_eq!(items.len(), 1);
    assert!(matches!(&items[0], Err(WalError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound));
}

// Under a relaxed durability policy several unsynced frames may be torn independently by a
// power loss, so the next open cuts at the first damage (and reports it) instead of refusing.
// Once an EveryAppend writer has opened the directory, the strict rule applies again.
#[test]
fn relaxed_policy_tail_is_cut_and_reported_then_strict_again() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = WalOptions::new()
            .durability(walogs_core::Durability::None)
            .open(tmp.path())
            .unwrap();
        for p in [b"aaa", b"bbb", b"ccc"] {
            wal.append(p).unwrap();
        }
    }
    let s1 = seg(tmp.path(), 1);
    flip_byte(&s1, 19 + 16);
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        let rep = wal.recovery_report();
        assert_eq!(rep.tail, TailState::TruncatedAt(19));
        let s = rep.salvaged.expect("what was cut is reported");
        assert_eq!(s.first_lsn_cut, Lsn(3));
        assert_eq!(lsns(&wal), vec![1]);
        wal.append(b"bbb").unwrap();
        wal.append(b"ccc").unwrap();
    }
    flip_byte(&s1, 19 + 16);
    assert!(matches!(
        Wal::open(tmp.path()),
        Err(WalError::Corrupt { .. })
    ));
}

// A torn final entry whose payload happens to contain a valid frame is still a torn tail.
#[test]
fn valid_frame_inside_a_torn_payload_is_not_mid_log_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let inner = {
        let t = tempfile::tempdir().unwrap();
        let mut w = Wal::open(t.path()).unwrap();
        w.append(b"x").unwrap();
        w.append(b"embedded").unwrap();
        w.close().unwrap();
        fs::read(seg(t.path(), 1)).unwrap()[17..].to_vec() // the frame with LSN 2
    };
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        wal.append(b"first").unwrap();
        let mut payload = vec![0xAB; 100];
        payload.extend_from_slice(&inner);
        payload.extend_from_slice(&[0xCD; 100]);
        wal.append(&payload).unwrap();
    }
    let s1 = seg(tmp.path(), 1);
    flip_byte(&s1, file_len(&s1) - 1); // the final entry is torn
    let wal = Wal::open(tmp.path()).unwrap();
    assert_eq!(wal.tail_state(), TailState::TruncatedAt(21));
    assert_eq!(lsns(&wal), vec![1]);
}

// Found by the bit-rot sweep: one flipped bit in the length field of a frame whose LSN is
// intact must not turn the acknowledged frames after it into a "torn tail".
#[test]
fn length_bit_flip_before_valid_frames_is_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open(tmp.path()).unwrap();
        for _ in 0..3 {
            wal.append(&[5u8; 20]).unwrap();
        }
    }
    let s1 = seg(tmp.path(), 1);
    let mut b = fs::read(&s1).unwrap();
    b[1] ^= 1; // len 20 -> 276, past the end of the file
    fs::write(&s1, &b).unwrap();
    assert!(matches!(
        Wal::open(tmp.path()),
        Err(WalError::Corrupt { .. })
    ));
    assert_eq!(fs::read(&s1).unwrap(), b, "nothing truncated");
}

// Found by the truncation sweep: a completed segment with no frame is missing data.
#[test]
fn empty_completed_segment_is_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut wal = Wal::open_with_config(tmp.path(), no_rotation()).unwrap();
        wal.append(b"a").unwrap();
        wal.rotate().unwrap();
        wal.append(b"b").unwrap();
        wal.rotate().unwrap();
        wal.append(b"c").unwrap();
    }
    fs::write(seg(tmp.path(), 1), b"").unwrap();
    match Wal::open(tmp.path()) {
        Err(WalError::Corrupt { reason }) => assert!(reason.contains("wal-000001.log"), "{reason}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

// Found by the simulator ("fsyncgate"): a frame whose fdatasync failed may be visible in the
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

// Found by the C ABI tests and the ENOSPC harness: a failed group commit must not let the
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
