//! Regression tests of the walogs-core bugs the power-loss simulator (`walogs-sim`) found,
//! B1-B16, all fixed. Each runs the bug's minimal reproduction on the simulated file system
//! and asserts the fixed behaviour; each fails on the core before its fix. They live beside
//! the core so that `cargo test -p walogs-core` runs them. (Open bugs the simulator still
//! tolerates are listed, with their reproductions, in `walogs-sim/src/harness/known.rs`;
//! when one is fixed its reproduction moves here.)

use std::path::Path;

use walogs_core::{Lsn, Wal, WalError, WalOptions};
use walogs_sim::disk::{DirOp, Entry, Resolution, normalize};
use walogs_sim::{FaultKind, SimFs};
use walogs_testkit::handle::HandleKind;

const DIR: &str = "/wal";

fn opts(fs: &SimFs) -> WalOptions {
    WalOptions::new()
        .max_segment_size(Some(4096))
        .file_system(fs.handle())
}

fn entries(fs: &SimFs) -> Result<Vec<(u64, Vec<u8>)>, WalError> {
    let wal = opts(fs).read_only(true).open(DIR)?;
    wal.iter().map(|r| r.map(|(l, d)| (l.0, d))).collect()
}

/// B1 (fixed: the seal is written through `write_meta`, and the in-memory seal is updated as
/// soon as it is durable): three appends; `rotate()` fails with ENOSPC creating `wal-000002.log` after it
/// renamed a `walogs.meta` sealing segment 1 at LSN 3; the handle stays usable;
/// `truncate_after(Lsn(1))` returns `Ok(2)`; `close()`; the next open must succeed and
/// show entry 1 only. (The variant through a power loss and a reopen is fixed: the
/// reopened handle reads the seal from disk.)
fn b1_check() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open(DIR))?;
    append_each(&mut wal, &[&b"one"[..], b"two", b"three"])?;
    fs.set_fault_on("open /wal/wal-000002.log CreateNew", FaultKind::Enospc, 0);
    if wal.rotate().is_ok() {
        return Err("rotate succeeded although creating its segment failed".into());
    }
    if wal.is_poisoned() {
        return Ok(()); // A core that poisons here cannot reach the bug.
    }
    let removed = step("truncate_after(1)", wal.truncate_after(Lsn(1)))?;
    if removed != 2 {
        return Err(format!(
            "truncate_after(1) removed {removed} entries, not 2"
        ));
    }
    step("close", wal.close())?;
    step(
        "reopen after an acknowledged truncate_after",
        opts(&fs).open(DIR),
    )?;
    let got = step("read", entries(&fs))?;
    if got != vec![(1, b"one".to_vec())] {
        return Err(format!("after truncate_after(1): {got:?}"));
    }
    Ok(())
}

/// B2 (fixed: a directory fsync between the metadata rename and the create of the next
/// segment): three appends; `rotate()` fails creating `wal-000002.log` after its metadata rename
/// (walogs.meta now seals segment 1 at LSN 3); one more append (LSN 4, acknowledged) goes
/// to segment 1; a second `rotate()` renames a new walogs.meta (seal at 4) and creates
/// `wal-000002.log`; the power loss right after the create keeps the create and loses that
/// rename. Every entry is on disk, but open must not refuse the directory. The random
/// harness found it (`walogs-sim repro random seed=14501930884421675662 steps=300
/// dirs=any`, with the core before the fix).
fn b2_check() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open(DIR))?;
    append_each(&mut wal, &[&b"one"[..], b"two", b"three"])?;
    fs.set_fault_on("open /wal/wal-000002.log CreateNew", FaultKind::Enospc, 0);
    if wal.rotate().is_ok() {
        return Err("rotate succeeded although creating its segment failed".into());
    }
    if wal.is_poisoned() {
        // The handle refuses further writes; the reopened one sees the interrupted rotation.
        drop(wal);
        wal = step("reopen", opts(&fs).open(DIR))?;
    }
    step("append four", wal.append(b"four"))?;
    fs.record(true);
    step("second rotate", wal.rotate())?;
    fs.record(false);
    let snap = fs
        .take_snapshots()
        .into_iter()
        .find(|s| s.desc.starts_with("open /wal/wal-000002.log CreateNew"))
        .ok_or("the second rotation did not create wal-000002.log")?;
    let mut disk = snap.disk;
    // Keep the create and lose the metadata rename made just before it (the earlier rename,
    // of the interrupted rotation, survives).
    let node = disk
        .dirs
        .get_mut(Path::new(DIR))
        .ok_or("no /wal directory")?;
    if let Some(last) = node
        .pending
        .iter()
        .rposition(|op| matches!(op, DirOp::Rename { .. }))
    {
        node.pending.remove(last);
    }
    let after = SimFs::new(disk.crash(Resolution::ApplyAll));
    step(
        "open after the power loss",
        opts(&after).open(DIR).map(drop),
    )?;
    let got: Vec<u64> = step("read", entries(&after))?
        .into_iter()
        .map(|e| e.0)
        .collect();
    if got != [1, 2, 3, 4] {
        return Err(format!(
            "after the power loss: LSNs {got:?}, expected [1, 2, 3, 4]"
        ));
    }
    Ok(())
}

#[test]
fn b1_truncate_after_failed_rotation_reopens() {
    b1_check().unwrap();
}

#[test]
fn b2_create_without_rename_after_interrupted_rotation_reopens() {
    b2_check().unwrap();
}

/// Append each entry in turn, naming the failing step.
fn append_each(wal: &mut Wal, entries: &[&[u8]]) -> Result<(), String> {
    for e in entries {
        step("append", wal.append(e))?;
    }
    Ok(())
}

fn step<T>(what: &str, r: Result<T, WalError>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// B3 (fixed: a writable open now fsyncs the directory and its parent): the open that
/// creates the WAL fails because the fsync of the WAL directory fails
/// (after creating `wal-000001.log`); the retried open finds the file in the (cached)
/// listing and never fsyncs the directory, so an acknowledged append vanishes with its
/// file at the next power loss. Same for `sync_dir /` after creating the WAL directory.
#[test]
fn b3_open_after_failed_directory_fsync_makes_entries_durable() {
    for needle in ["sync_dir /wal", "sync_dir /"] {
        let fs = SimFs::default();
        fs.set_fault_on(needle, FaultKind::Eio, 0);
        assert!(
            opts(&fs).open(DIR).is_err(),
            "{needle}: the fault fails the open"
        );
        let mut wal = opts(&fs).open(DIR).unwrap();
        assert_eq!(wal.append(b"acked").unwrap(), Lsn(1));
        drop(wal);
        let after = fs.crash(Resolution::DropAll);
        let got = entries(&after);
        assert_eq!(
            got.as_ref().ok(),
            Some(&vec![(1, b"acked".to_vec())]),
            "{needle}: acknowledged entry after a power loss: {got:?}"
        );
    }
}

/// B4 ("fsyncgate", fixed: a failed fdatasync now cuts back to the durable length): the fdatasync of an append fails, the handle is poisoned (correct) but
/// the frame stays in the file. Linux may have dropped the data while the page cache
/// still shows it, so a reopen in the same boot sees the failed frame, the next append
/// is acknowledged after it, and a power loss turns the lost frame into mid-log damage
/// in front of an acknowledged entry (open refuses, or the entry is lost). Fixed by cutting
/// the frame (`set_len(offset)`) when its fdatasync fails, as is done when the write fails.
#[test]
fn b4_failed_fdatasync_leaves_nothing_a_reopen_builds_on() {
    let mut bad = Vec::new();
    for seed in 0..16 {
        let fs = SimFs::default();
        let mut wal = opts(&fs).open(DIR).unwrap();
        wal.append(b"first").unwrap();
        fs.set_fault_on("sync_data /wal/wal-000001.log", FaultKind::Eio, seed);
        assert!(wal.append(b"failed").is_err());
        assert!(wal.is_poisoned());
        drop(wal);
        let mut wal = opts(&fs).open(DIR).unwrap();
        let lsn = wal.append(b"acked").unwrap();
        drop(wal);
        let after = fs.crash(Resolution::DropAll);
        match entries(&after) {
            Ok(e) if e.last().map(|x| (x.0, x.1.as_slice())) == Some((lsn.0, b"acked")) => {}
            other => bad.push(format!("seed {seed}: {other:?}")),
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

/// B5 (fixed by making a failed group commit poison the writer): `SharedWal` refused later
/// appends with `Poisoned` after a failure that left the writer usable (here: the segment
/// create or the metadata rename of the rotation an append triggers), while `is_poisoned()`
/// said false. Now each handle's `is_poisoned()` agrees with whether it refuses appends, a
/// failed segment write poisons both handles, a failed group commit poisons the shared one,
/// and nothing of a failed append is left behind.
#[test]
fn b5_handles_agree_on_poisoning_after_a_failed_write() {
    let big = vec![7u8; 1500]; // The third one does not fit a 4096-byte segment: rotation.
    for needle in [
        "write_all_at /wal/wal-000001.log",
        "open /wal/wal-000002.log CreateNew",
        "rename /wal/walogs.meta.tmp /wal/walogs.meta",
    ] {
        for kind in [HandleKind::Single, HandleKind::Shared] {
            let shared = kind == HandleKind::Shared;
            let what = format!("shared={shared}, fault at `{needle}`");
            let fs = SimFs::default();
            let mut acked = 0;
            let mut w = kind.open(&opts(&fs), Path::new(DIR)).unwrap();
            fs.set_fault_on(needle, FaultKind::Enospc, 3);
            let r = loop {
                match w.append(&big) {
                    Ok(_) => acked += 1,
                    Err(e) => break e,
                }
            };
            let (poisoned, later) = (w.is_poisoned(), w.append(b"later"));
            drop(w);
            assert!(fs.fired().is_some(), "{what}: the fault fired ({r})");
            assert!(
                !matches!(r, WalError::Poisoned { .. }),
                "{what}: the first failure reports its cause: {r:?}"
            );
            assert_eq!(
                poisoned,
                matches!(later, Err(WalError::Poisoned { .. })),
                "{what}: is_poisoned() is {poisoned}, the next append returned {later:?}"
            );
            if needle.starts_with("write_all_at") || shared {
                assert!(poisoned, "{what}: is_poisoned() after a failed write");
            }
            let again = opts(&fs).open(DIR).unwrap();
            let expect = acked + 1 + u64::from(later.is_ok());
            assert_eq!(
                again.next_lsn(),
                Lsn(expect),
                "{what}: nothing of the failed append left"
            );
        }
    }
}

/// Preallocation is an optimisation: ENOSPC from `fallocate` fails nothing, on both handles.
#[test]
fn failed_preallocation_fails_nothing() {
    let fs = SimFs::default();
    let mut wal = opts(&fs).open(DIR).unwrap();
    fs.set_fault_on("allocate /wal/wal-000001.log", FaultKind::Enospc, 0);
    assert_eq!(wal.append(b"one").unwrap(), Lsn(1));
    drop(wal);
    let shared = opts(&fs).open_shared(DIR).unwrap();
    fs.set_fault_on("allocate /wal/wal-000001.log", FaultKind::Enospc, 0);
    assert_eq!(shared.append(b"two").unwrap(), Lsn(2));
    drop(shared);
    assert_eq!(
        entries(&fs).unwrap(),
        vec![(1, b"one".to_vec()), (2, b"two".to_vec())]
    );
}

/// B6 (fixed: segments after the seal must start above it): a `walogs.meta` whose
/// `sealed_last_lsn` is at or above LSNs held by a later segment made `next_lsn()` jump to
/// the metadata floor, so `first_lsn..next_lsn` named LSNs that do not exist and the next
/// append left a gap. Found by the simulator's structured fuzzer.
#[test]
fn b6_meta_floor_above_a_later_segment_is_refused_or_dense() {
    let seg = walogs_sim::image::plain_frame(1, b"only");
    let meta = walogs_sim::image::meta_file(1, 4);
    let disk = walogs_sim::Disk::with_files(
        Path::new(DIR),
        [
            ("wal-000003.log", seg.as_slice()),
            (walogs_core::META_FILENAME, meta.as_slice()),
        ],
    );
    assert_eq!(walogs_sim::image::check_image(&disk, &[]), Ok(()));
}

/// The control of B4: without a reopen in between, the poisoned handle refuses appends,
/// and a power loss right after the failure loses nothing acknowledged.
#[test]
fn failed_fdatasync_poisons_and_loses_nothing_acknowledged() {
    for seed in 0..16 {
        let fs = SimFs::default();
        let mut wal = opts(&fs).open(DIR).unwrap();
        wal.append(b"first").unwrap();
        fs.set_fault_on("sync_data /wal/wal-000001.log", FaultKind::Eio, seed);
        assert!(wal.append(b"failed").is_err());
        assert!(matches!(
            wal.append(b"next"),
            Err(WalError::Poisoned { .. })
        ));
        let after = fs.crash(Resolution::Random(seed));
        let got = entries(&after).unwrap();
        assert_eq!(got[0], (1, b"first".to_vec()), "seed {seed}");
        assert!(
            got.len() == 1 || got[1] == (2, b"failed".to_vec()),
            "seed {seed}: {got:?}"
        );
    }
}

/// B7 (fixed): `SharedWal::next_lsn()` counted an append that failed. One append, then an
/// append whose segment write fails with EIO: `next_lsn()` must still be 2.
#[test]
fn b7_shared_next_lsn_unchanged_after_failed_append() {
    let fs = SimFs::default();
    let wal = opts(&fs).open_shared(DIR).unwrap();
    assert_eq!(wal.append(b"one").unwrap(), Lsn(1));
    fs.set_fault_on("write_all_at /wal/wal-000001.log", FaultKind::Eio, 0);
    assert!(
        wal.append(b"two").is_err(),
        "the append whose write failed returned Ok"
    );
    assert_eq!(wal.next_lsn(), Lsn(2));
}

fn lsns(fs: &SimFs) -> Result<Vec<u64>, String> {
    let wal = step("read-only open", opts(fs).read_only(true).open(DIR))?;
    wal.iter()
        .map(|r| r.map(|(l, _)| l.0).map_err(|e| format!("iteration: {e}")))
        .collect()
}

// B8-B13, B15 and B16: log-control bugs (truncation, purge, user data) the simulator found,
// all fixed; each check returns `Err(what went wrong)` on a core with the bug.

/// B8: a batch of three, `truncate_after(2)`, then `truncate_after(1)` whose file cut
/// fails after the new cut record is in walogs.meta; reopening must keep entry 1.
fn b8_second_cut_inside_a_unit() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open(DIR))?;
    step("append_batch", wal.append_batch(&[b"one", b"two", b"six"]))?;
    step("truncate_after(2)", wal.truncate_after(Lsn(2)))?;
    fs.set_fault_on("set_len /wal/wal-000001.log", FaultKind::Eio, 0);
    if wal.truncate_after(Lsn(1)).is_ok() {
        return Err("truncate_after(1) succeeded although its file cut failed".into());
    }
    drop(wal);
    match lsns(&fs) {
        Ok(l) if l.first() == Some(&1) => Ok(()),
        other => Err(format!(
            "after the failed truncate_after(1) the log holds {other:?}: entry 1 is gone"
        )),
    }
}

#[test]
fn b8_second_cut_inside_a_unit_fixed() {
    b8_second_cut_inside_a_unit().unwrap();
}

/// B9: `purge_up_to(3)` on an empty log, then a batch of three 300-byte entries (LSNs
/// 4-6); a power loss keeps the write but its first sector reads as zeros (a torn write).
/// Open must cut the unit, not refuse the directory.
fn b9_torn_unit_after_a_purge_past_the_end() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open(DIR))?;
    step("purge_up_to(3)", wal.purge_up_to(Lsn(3)))?;
    let big = [[4u8; 300], [5u8; 300], [6u8; 300]];
    step("append_batch", wal.append_batch(&big))?;
    let mut disk = fs.crash(Resolution::ApplyAll).disk();
    drop(wal);
    let Some((_, (name, _))) = walogs_sim::harness::frames::segments(&disk).pop_last() else {
        return Err("no segment holds the batch".into());
    };
    let Some(Entry::File(ino)) = disk.lookup(&normalize(&Path::new(DIR).join(name))) else {
        return Err("the newest segment vanished".into());
    };
    let inode = &mut disk.inodes[ino];
    inode.current[..512].fill(0);
    inode.durable[..512].fill(0);
    let after = SimFs::new(disk);
    match opts(&after).open(DIR) {
        Ok(w) if w.next_lsn() == Lsn(4) => Ok(()),
        Ok(w) => Err(format!(
            "the torn unit was not cut: next_lsn() is {}",
            w.next_lsn()
        )),
        Err(e) => Err(format!("open refused the torn unit: {e}")),
    }
}

#[test]
fn b9_torn_unit_after_a_purge_past_the_end_fixed() {
    b9_torn_unit_after_a_purge_past_the_end().unwrap();
}

/// B10: `set_user_data(old)`, then `set_user_data(new)` whose fdatasync fails (the kernel
/// dropped the write); a reopen in the same boot and a power loss after it must agree.
fn b10_user_data_fsyncgate() -> Result<(), String> {
    for seed in 0..16 {
        let fs = SimFs::default();
        let mut wal = step("open", opts(&fs).open(DIR))?;
        step("set_user_data(old)", wal.set_user_data(b"old"))?;
        fs.set_fault_on("sync_data /wal/walogs.user", FaultKind::Eio, seed);
        if wal.set_user_data(b"new").is_ok() {
            return Err("set_user_data succeeded although its fdatasync failed".into());
        }
        drop(wal);
        let seen = step("reopen", opts(&fs).open(DIR))?.user_data();
        let after = step(
            "open after a power loss",
            opts(&fs.crash(Resolution::DropAll)).open(DIR),
        )?
        .user_data();
        if seen.as_deref().ok() != after.as_deref().ok() {
            let text =
                |r: Result<Vec<u8>, WalError>| r.map(|v| String::from_utf8_lossy(&v).into_owned());
            return Err(format!(
                "fault seed {seed}: the reopen read {:?}, after a power loss it is {:?}",
                text(seen),
                text(after)
            ));
        }
    }
    Ok(())
}

#[test]
fn b10_user_data_fsyncgate_fixed() {
    b10_user_data_fsyncgate().unwrap();
}

/// B11: three appends, `truncate_after(1)` whose fdatasync after the file cut fails; what
/// `durable_lsn()` then promises must still be in the log an in-place reopen shows.
fn b11_durable_lsn_after_a_failed_truncation() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open(DIR))?;
    append_each(&mut wal, &[&b"one"[..], b"two", b"three"])?;
    fs.set_fault_on("sync_data /wal/wal-000001.log", FaultKind::Eio, 0);
    if wal.truncate_after(Lsn(1)).is_ok() {
        return Err("truncate_after succeeded although its fdatasync failed".into());
    }
    let claim = wal.durable_lsn().0;
    drop(wal);
    let next = step("reopen", opts(&fs).open(DIR))?.next_lsn().0;
    if claim >= next {
        return Err(format!(
            "durable_lsn() said {claim} after the failed truncation, the reopened log ends at LSN {}",
            next - 1
        ));
    }
    Ok(())
}

#[test]
fn b11_durable_lsn_after_a_failed_truncation_fixed() {
    b11_durable_lsn_after_a_failed_truncation().unwrap();
}

/// B12: two appends, `purge_up_to(3)` (past the end: the log restarts at 4), three
/// appends, `purge_up_to(5)`, close; the reopen must succeed.
fn b12_two_purges_then_reopen() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open(DIR))?;
    append_each(&mut wal, &[&b"one"[..], b"two"])?;
    step("purge_up_to(3)", wal.purge_up_to(Lsn(3)))?;
    append_each(&mut wal, &[&b"four"[..], b"five", b"six"])?;
    step("purge_up_to(5)", wal.purge_up_to(Lsn(5)))?;
    step("close", wal.close())?;
    match lsns(&fs) {
        Ok(l) if l == [6] => Ok(()),
        other => Err(format!("reopen after the second purge: {other:?}")),
    }
}

#[test]
fn b12_two_purges_then_reopen_fixed() {
    b12_two_purges_then_reopen().unwrap();
}

/// B13: two appends, `purge_up_to(5)` whose removal of `wal-000001.log` fails (the floor
/// is durable, the segment stays), reopen, appends into the segment after the floor,
/// rotation, more appends, `truncate_after` into the completed segment, close; the reopen
/// must succeed.
fn b13_truncate_after_an_interrupted_purge() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open(DIR))?;
    append_each(&mut wal, &[&b"one"[..], b"two"])?;
    fs.set_fault_on("remove_file /wal/wal-000001.log", FaultKind::Eio, 0);
    if wal.purge_up_to(Lsn(5)).is_ok() {
        return Err("purge_up_to succeeded although removing its segment failed".into());
    }
    drop(wal);
    let mut wal = step("reopen", opts(&fs).open(DIR))?;
    append_each(&mut wal, &[&b"six"[..], b"seven"])?;
    step("rotate", wal.rotate())?;
    step("append", wal.append(b"eight"))?;
    step("truncate_after(6)", wal.truncate_after(Lsn(6)))?;
    step("close", wal.close())?;
    match lsns(&fs) {
        Ok(l) if l == [6] => Ok(()),
        other => Err(format!("reopen after the truncation: {other:?}")),
    }
}

#[test]
fn b13_truncate_after_an_interrupted_purge_fixed() {
    b13_truncate_after_an_interrupted_purge().unwrap();
}

/// B16: two entries, a batch of three, `truncate_after(3)` (inside the batch: the cut is
/// recorded), then `truncate_after(1)` (before the batch: the record is cleared); a power
/// loss that keeps the new walogs.meta but not the file cut must leave the old log (1-3) or
/// the new one (1).
fn b16_cut_before_a_cut_unit() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open(DIR))?;
    step("append", wal.append(b"one"))?;
    step("append", wal.append(b"two"))?;
    step("append_batch", wal.append_batch(&[b"six", b"ten", b"end"]))?;
    step("truncate_after(3)", wal.truncate_after(Lsn(3)))?;
    fs.record(true);
    step("truncate_after(1)", wal.truncate_after(Lsn(1)))?;
    fs.record(false);
    drop(wal);
    let Some(snap) = fs
        .take_snapshots()
        .into_iter()
        .find(|s| s.desc.starts_with("set_len /wal/wal-000001.log"))
    else {
        return Err("truncate_after(1) did not cut wal-000001.log".into());
    };
    let after = SimFs::new(snap.disk.crash(Resolution::DropAll));
    match lsns(&after) {
        Ok(l) if l == [1, 2, 3] || l == [1] => Ok(()),
        other => Err(format!(
            "a power loss before the file cut is durable leaves {other:?}, neither [1, 2, 3] nor [1]"
        )),
    }
}

#[test]
fn b16_cut_before_a_cut_unit_fixed() {
    b16_cut_before_a_cut_unit().unwrap();
}

/// B15: `wal-000003.log` holding LSN 4, and a `walogs.meta` sealing segment 3 at LSN 3
/// with a truncation under way and no cut: an open that accepts it must serve exactly
/// `first_lsn..next_lsn`.
fn b15_truncation_record_that_disagrees_with_the_segments() -> Result<(), String> {
    let seg = walogs_sim::image::plain_frame(4, b"four");
    let meta = walogs_sim::image::meta_file_v2(3, 3, 0, 0, 2);
    let disk = walogs_sim::Disk::with_files(
        Path::new(DIR),
        [
            ("wal-000003.log", seg.as_slice()),
            (walogs_core::META_FILENAME, meta.as_slice()),
        ],
    );
    walogs_sim::image::check_image(&disk, &[])
}

#[test]
fn b15_truncation_record_that_disagrees_with_the_segments_fixed() {
    b15_truncation_record_that_disagrees_with_the_segments().unwrap();
}

/// Bit rot in the first frame of the last segment, below the purge floor, with an
/// acknowledged frame after it: two appends, `purge_up_to(1)`, then a flipped bit in the
/// frame of LSN 1. Nothing read before the damage tells its LSN, so any later valid frame is
/// evidence of mid-log damage: the open must refuse, never cut LSN 2 as a torn tail.
#[test]
fn rot_below_the_purge_floor_before_a_live_frame_is_refused() {
    let fs = SimFs::default();
    let mut wal = opts(&fs).open(DIR).unwrap();
    wal.append(b"one").unwrap();
    wal.append(b"two").unwrap();
    wal.purge_up_to(Lsn(1)).unwrap();
    wal.close().unwrap();
    let mut disk = fs.crash(Resolution::ApplyAll).disk();
    let Some(Entry::File(ino)) = disk.lookup(&normalize(&Path::new(DIR).join("wal-000001.log")))
    else {
        panic!("wal-000001.log is missing");
    };
    disk.inodes[ino].current[17] ^= 0x20;
    disk.inodes[ino].durable[17] ^= 0x20;
    let after = SimFs::new(disk);
    match opts(&after).open(DIR) {
        Err(WalError::Corrupt { reason }) => {
            assert_eq!(reason.first_lsn_after, Some(Lsn(2)), "{reason:?}");
        }
        Ok(w) => panic!(
            "the open cut the log at the rot: LSNs {}..{}",
            w.first_lsn(),
            w.next_lsn()
        ),
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// A `walogs.meta` recording a truncation under way to LSN 2 whose seal names
/// `wal-000004.log`, a segment that very truncation removes (walogs always records the seal
/// below the segment it keeps): an open that accepts it must leave a directory that reopens
/// (before the fix the first open finished the truncation and kept the seal, and every later
/// open refused the log as missing a segment); the open refuses it as damage.
#[test]
fn truncation_record_sealing_a_segment_it_removes_is_refused_or_consistent() {
    let seg = walogs_sim::image::plain_frame(3, b"three");
    let meta = walogs_sim::image::meta_file_v2(4, 3, 2, 2, 2);
    let disk = walogs_sim::Disk::with_files(
        Path::new(DIR),
        [
            ("wal-000003.log", seg.as_slice()),
            ("wal-000004.log", &[][..]),
            (walogs_core::META_FILENAME, meta.as_slice()),
        ],
    );
    walogs_sim::image::check_image(&disk, &[]).unwrap();
    let fs = SimFs::new(disk);
    match opts(&fs).open(DIR) {
        Err(WalError::Corrupt { reason }) => {
            assert_eq!(
                reason.kind,
                walogs_core::DamageKind::SealMismatch,
                "{reason:?}"
            )
        }
        other => panic!(
            "expected SealMismatch, got {:?}",
            other.map(|w| w.next_lsn())
        ),
    }
}

/// A purge whose floor covers the whole active segment seals it (`walogs.meta`: segment 3
/// sealed at LSN 10, floor 10) and a power loss comes before the next segment exists. The
/// segment ends in the first member of a unit of four (LSN 10) that an earlier truncation
/// cut there, and the new metadata no longer records that cut, so recovery drops the member
/// as a torn unit: the segment ends at LSN 9, below its seal. Everything the seal covers is
/// purged, so nothing is missing: the open must succeed and continue at LSN 11.
#[test]
fn a_seal_over_purged_entries_only_does_not_refuse_a_shorter_segment() {
    let mut seg = walogs_sim::image::plain_frame(9, b"nine");
    seg.extend(walogs_sim::image::member_frame(10, 0, 4, b"ten"));
    let meta = walogs_sim::image::meta_file_v2(3, 10, 10, 0, 0);
    let disk = walogs_sim::Disk::with_files(
        Path::new(DIR),
        [
            ("wal-000003.log", seg.as_slice()),
            (walogs_core::META_FILENAME, meta.as_slice()),
        ],
    );
    walogs_sim::image::check_image(&disk, &[]).unwrap();
    let fs = SimFs::new(disk);
    let wal = opts(&fs).open(DIR).unwrap();
    assert_eq!(wal.next_lsn(), Lsn(11));
    assert_eq!(wal.first_lsn(), Lsn(11));
}

/// Two truncations inside units, the second over entries not yet durable (manual
/// durability): `append_batch` of five (LSN 2..6), `truncate_after(3)` keeps two members
/// (synced by the cut, vouched for by the cut record at 3), then LSN 4 and a batch 5..9 are
/// appended without a sync and `truncate_after(8)` replaces the cut record with one at 8. A
/// power loss right after that record is durable loses the unsynced entries, so the log ends
/// again in the short unit 2..3, which no record vouches for any more: recovery took it for a
/// torn write and lost the synced LSN 2 and 3. The truncation now makes the entries it keeps
/// durable before it writes its record.
#[test]
fn a_truncation_over_unsynced_entries_keeps_an_earlier_cut_unit() {
    let fs = SimFs::default();
    let open = |fs: &SimFs| {
        opts(fs)
            .durability(walogs_core::Durability::Manual)
            .open(DIR)
    };
    let mut wal = open(&fs).unwrap();
    wal.append(b"one").unwrap();
    let five: Vec<&[u8]> = vec![b"b2", b"b3", b"b4", b"b5", b"b6"];
    wal.append_batch(&five).unwrap();
    assert_eq!(wal.truncate_after(Lsn(3)).unwrap(), 3);
    assert_eq!(wal.sync().unwrap(), Lsn(3));
    wal.append(b"four").unwrap();
    let five: Vec<&[u8]> = vec![b"c5", b"c6", b"c7", b"c8", b"c9"];
    wal.append_batch(&five).unwrap();
    fs.record(true);
    assert_eq!(wal.truncate_after(Lsn(8)).unwrap(), 1);
    fs.record(false);
    let snaps = fs.take_snapshots();
    let renamed = snaps
        .iter()
        .position(|s| s.desc.starts_with("rename") && s.desc.ends_with(walogs_core::META_FILENAME))
        .expect("the truncation wrote walogs.meta");
    let at = snaps[renamed..]
        .iter()
        .find(|s| s.desc.starts_with("sync_dir /wal"))
        .expect("a directory fsync after the rename");
    let after = SimFs::new(at.disk.crash(Resolution::DropAll));
    let wal = open(&after).unwrap();
    let got = entries(&after).unwrap();
    assert!(
        got.len() >= 3,
        "the synced LSN 1..=3 survive a power loss during a later truncation: {got:?}"
    );
    assert_eq!(
        got[..3],
        [
            (1, b"one".to_vec()),
            (2, b"b2".to_vec()),
            (3, b"b3".to_vec())
        ]
    );
    drop(wal);
}
