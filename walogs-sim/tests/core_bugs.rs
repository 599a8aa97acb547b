//! Minimal reproductions of the walogs-core bugs the harnesses found. Each `#[ignore]`d test
//! asserts the correct behaviour and FAILS on the current core; run them with
//! `cargo test -p walogs-sim --release --test core_bugs -- --ignored`. When one passes, the
//! core is fixed: remove its `#[ignore]` and its entry in `src/harness/known.rs`.
//! The tests without `#[ignore]` pin down the behaviour around each bug that is correct
//! today, so that the reproductions stay meaningful.

use std::path::Path;

use walogs_core::{Lsn, WalError, WalOptions};
use walogs_sim::disk::{DirOp, Resolution};
use walogs_sim::{FaultKind, SimFs};

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

/// B1: a rotation fails after the metadata file recorded the seal of the active segment
/// (here: ENOSPC creating the next segment, which leaves the handle usable by design); a
/// later `truncate_after` cuts the active segment below that seal and does not update
/// `walogs.meta`, so the next open refuses the directory as "its tail was cut".
/// The same state arises from a power loss between the metadata rename and the segment
/// create (`cargo run --release -p walogs-sim -- repro random seed=16731614666251567902
/// steps=300`, step 84 then step 86).
#[test]
#[ignore = "core bug B1: truncate_after below a seal recorded by an interrupted rotation"]
fn b1_truncate_after_interrupted_rotation_reopens() {
    let fs = SimFs::default();
    let mut wal = opts(&fs).open(DIR).unwrap();
    for e in [&b"one"[..], b"two", b"three"] {
        wal.append(e).unwrap();
    }
    fs.set_fault_on("open /wal/wal-000002.log CreateNew", FaultKind::Enospc, 0);
    assert!(wal.rotate().is_err());
    assert!(
        !wal.is_poisoned(),
        "a failed create does not poison (nothing was written)"
    );
    assert_eq!(wal.truncate_after(Lsn(1)).unwrap(), 2);
    wal.close().unwrap();
    let reopened = opts(&fs).open(DIR);
    assert!(
        reopened.is_ok(),
        "reopen after an acknowledged truncate_after: {:?}",
        reopened.err()
    );
    assert_eq!(entries(&fs).unwrap(), vec![(1, b"one".to_vec())]);
}

/// B2: same seal left by an interrupted rotation; the segment then gets one more entry and
/// the next rotation's create of the new segment survives a power loss while its metadata
/// rename (made just before, with no directory fsync in between) does not: the active
/// segment became a completed one that ends past its recorded seal, and open refuses it.
/// Needs a file system that does not keep directory operations in order (POSIX does not
/// promise it); fixed by a directory fsync between the metadata rename and the create.
#[test]
#[ignore = "core bug B2: no directory fsync between the metadata rename and the segment create"]
fn b2_create_without_rename_after_interrupted_rotation_reopens() {
    let fs = SimFs::default();
    let mut wal = opts(&fs).open(DIR).unwrap();
    for e in [&b"one"[..], b"two", b"three"] {
        wal.append(e).unwrap();
    }
    fs.set_fault_on("open /wal/wal-000002.log CreateNew", FaultKind::Enospc, 0);
    assert!(wal.rotate().is_err());
    wal.append(b"four").unwrap();
    fs.record(true);
    wal.rotate().unwrap();
    fs.record(false);
    let snap = fs
        .take_snapshots()
        .into_iter()
        .find(|s| s.desc.starts_with("open /wal/wal-000002.log CreateNew"))
        .expect("the rotation creates segment 2");
    let mut disk = snap.disk;
    // The power loss keeps the create and loses the metadata rename made just before it
    // (the earlier rename, of the interrupted rotation, survives).
    let node = disk.dirs.get_mut(Path::new(DIR)).unwrap();
    if let Some(last) = node
        .pending
        .iter()
        .rposition(|op| matches!(op, DirOp::Rename { .. }))
    {
        node.pending.remove(last);
    }
    let after = SimFs::new(disk.crash(Resolution::ApplyAll));
    let reopened = opts(&after).open(DIR);
    assert!(reopened.is_ok(), "{:?}", reopened.err());
    let got: Vec<u64> = entries(&after).unwrap().into_iter().map(|e| e.0).collect();
    assert_eq!(got, vec![1, 2, 3, 4]);
}

/// B3: the open that creates the WAL fails because the fsync of the WAL directory fails
/// (after creating `wal-000001.log`); the retried open finds the file in the (cached)
/// listing and never fsyncs the directory, so an acknowledged append vanishes with its
/// file at the next power loss. Same for `sync_dir /` after creating the WAL directory.
/// `cargo run --release -p walogs-sim -- repro faults ops=s handle=wal seg=200 res=3
/// fault=sync:2:eio fault-seed=1104815783269015399`
#[test]
#[ignore = "core bug B3: a failed directory fsync is never redone"]
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

/// B4 ("fsyncgate"): the fdatasync of an append fails, the handle is poisoned (correct) but
/// the frame stays in the file. Linux may have dropped the data while the page cache
/// still shows it, so a reopen in the same boot sees the failed frame, the next append
/// is acknowledged after it, and a power loss turns the lost frame into mid-log damage
/// in front of an acknowledged entry (open refuses, or the entry is lost). Fixed by cutting
/// the frame (`set_len(offset)`) when its fdatasync fails, as is done when the write fails.
/// `cargo run --release -p walogs-sim -- repro faults ops=s handle=wal seg=200 res=3
/// fault=sync:4:enospc fault-seed=9566809871858026260` (see its "fsyncgate check" line).
#[test]
#[ignore = "core bug B4: a frame whose fdatasync failed is not cut"]
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

/// B5: `SharedWal` (what the C, Python and Go bindings wrap) stops every later append with
/// `Poisoned { "a group commit failed" }` after an error that does not poison the writer:
/// here ENOSPC from `fallocate`, after which `Wal` (control test below) keeps working, and
/// `SharedWal::is_poisoned()` itself says false.
/// `cargo run --release -p walogs-sim -- repro faults ops=ss handle=shared seg=200 res=3
/// fault=meta:5:eio fault-seed=7658956693620227581`
#[test]
#[ignore = "core bug B5: SharedWal treats a non-poisoning failure as poisoning"]
fn b5_shared_wal_appends_resume_after_enospc_from_fallocate() {
    let fs = SimFs::default();
    let wal = opts(&fs).open_shared(DIR).unwrap();
    fs.set_fault_on("allocate /wal/wal-000001.log", FaultKind::Enospc, 0);
    assert!(wal.append(b"no space").is_err());
    assert!(!wal.is_poisoned());
    let r = wal.append(b"space freed");
    assert!(r.is_ok(), "append after ENOSPC: {r:?}");
}

/// The control of B5: the single-owner handle resumes after the same failure.
#[test]
fn wal_appends_resume_after_enospc_from_fallocate() {
    let fs = SimFs::default();
    let mut wal = opts(&fs).open(DIR).unwrap();
    fs.set_fault_on("allocate /wal/wal-000001.log", FaultKind::Enospc, 0);
    assert!(matches!(wal.append(b"no space"), Err(WalError::Io(_))));
    assert!(!wal.is_poisoned());
    assert_eq!(wal.append(b"space freed").unwrap(), Lsn(1));
    drop(wal);
    assert_eq!(entries(&fs).unwrap(), vec![(1, b"space freed".to_vec())]);
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
