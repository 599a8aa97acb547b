//! Core bugs the harnesses found that are reported to the core's owner and not fixed yet
//! (B1-B7 are fixed; their regression tests live beside the core, in
//! `walogs-core/tests/sim_regressions.rs`; B14, a close of an `Interval` handle right after
//! open waiting out the interval, is fixed too and has its regression test in the core's
//! `tests/log_control.rs`).
//!
//! Each entry carries its own minimal reproduction ([`KnownBug::check`], `Err` while the bug
//! is there), so a tolerated bug can never outlive its fix: the test
//! `known_bugs_still_reproduce` (in `walogs-sim/tests/known_bugs.rs`) and `walogs-sim known`
//! fail as soon as a check passes. When the core fixes one, move its reproduction to
//! `walogs-core/tests/sim_regressions.rs` as a regression test and delete its entry here.
//! With no entry left, every harness is strict.
//!
//! A harness violation whose message contains every string of a bug's `signature` is
//! counted under the bug's id instead of failing the run (an empty signature tolerates
//! nothing: the bug is listed only because the harnesses avoid it). `WALOGS_SIM_STRICT=1`
//! turns the classification off (every violation counts).

use std::path::Path;
use std::sync::OnceLock;

use walogs_core::{Lsn, WalError, WalOptions};

use crate::disk::{Entry, Resolution, normalize};
use crate::{FaultKind, SimFs};

/// One known core bug.
#[derive(Debug)]
pub struct KnownBug {
    /// Short id used in the summary lines.
    pub id: &'static str,
    /// What is wrong.
    pub title: &'static str,
    /// Substrings that must all occur in a harness violation's message for it to be this
    /// bug (empty: never matches).
    pub signature: &'static [&'static str],
    /// Minimal reproduction on the current core: `Ok` when the core behaves correctly,
    /// `Err(what went wrong)` while the bug is there.
    pub check: fn() -> Result<(), String>,
    /// How to see it in a harness.
    pub repro: &'static str,
}

/// The known, reported core bugs still open.
pub const KNOWN: &[KnownBug] = &[
    KnownBug {
        id: "B8",
        title: "a second truncate_after inside the same unit records its cut in walogs.meta \
                before cutting the file; a crash (or a failed call and a reopen) in between \
                makes recovery take the unit for a torn one and drop the entries the cut keeps",
        signature: &["acknowledged LSN", "in flight, inside a unit cut before"],
        check: b8_second_cut_inside_a_unit,
        repro: "walogs-sim repro power-loss ops=txx seg=200 handle=wal durability=every-append \
                seed=1 dirs=any point=23 res=1",
    },
    KnownBug {
        id: "B9",
        title: "a torn unit that is the first write after a purge past the end is refused as \
                mid-log damage instead of being cut as a torn tail",
        signature: &["mid-log damage", "the purge floor is above the last seal"],
        check: b9_torn_unit_after_a_purge_past_the_end,
        repro: "walogs-sim repro power-loss ops=xet seg=200 handle=wal durability=every-append \
                seed=1 dirs=any point=16 res=2",
    },
    KnownBug {
        id: "B10",
        title: "after a failed fdatasync of walogs.user, a reopen in the same boot reads the new \
                value from the page cache; a power loss then brings back the old one (the \
                fsyncgate case B4 fixed for segments)",
        signature: &[
            "user data of",
            "neither the acknowledged value",
            "sync_data /wal/walogs.user",
        ],
        check: b10_user_data_fsyncgate,
        repro: "walogs-sim repro faults ops=tmd handle=wal seg=200 res=3 fault=sync:14:eio \
                fault-seed=14287084017456137282",
    },
    KnownBug {
        id: "B11",
        title: "a truncate_after that fails after cutting the file leaves durable_lsn() above \
                the cut (the handle promises entries that an in-place reopen no longer has)",
        signature: &["durable_lsn() returned", "truncate_after(", "and failed"],
        check: b11_durable_lsn_after_a_failed_truncation,
        repro: "walogs-sim concurrent runs=300 faults=1 (reruns: the schedule is not replayed)",
    },
    KnownBug {
        id: "B12",
        title: "after a purge past the end, a later purge that raises the floor makes every \
                later open fail with LsnDiscontinuity: recovery allows a segment to start only \
                after the seal or the current floor, not at an earlier floor",
        signature: &[
            "LSN discontinuity",
            "the purge floor is above the last seal",
        ],
        check: b12_two_purges_then_reopen,
        repro: "walogs-sim repro random seed=10072687783371530562 steps=300 dirs=any relaxed=1",
    },
    KnownBug {
        id: "B13",
        title: "segments at or below the floor that an interrupted purge left (recovery does \
                not delete them) trip later opens: a truncate_after into a completed segment \
                records a seal the older segment contradicts (SealMismatch), or the LSNs from \
                the leftover segment to the next one jump (LsnDiscontinuity)",
        signature: &["segments at or below the purge floor remain"],
        check: b13_truncate_after_an_interrupted_purge,
        repro: "walogs-sim repro random seed=15700280918447354792 steps=300 dirs=any relaxed=0",
    },
    KnownBug {
        id: "B16",
        title: "a truncate_after to before a unit an earlier truncation cut clears the cut \
                record in walogs.meta before the file cut is durable; a crash in between makes \
                recovery drop the cut unit's remains, leaving a log between the old and the new",
        signature: &["left neither the old nor the new log, in a unit cut before"],
        check: b16_cut_before_a_cut_unit,
        repro: "walogs-sim repro random seed=8149156840473110738 steps=300 dirs=journaled relaxed=0",
    },
    KnownBug {
        id: "B15",
        title: "a walogs.meta that records a truncation under way (flag bit 1) and disagrees \
                with the segments is accepted: iteration past next_lsn(), first_lsn() above \
                next_lsn(), or a directory the next open refuses (found by the structured fuzzer)",
        signature: &["walogs.meta records a truncation under way"],
        check: b15_truncation_record_that_disagrees_with_the_segments,
        repro: "walogs-sim repro fuzz-open hex=\
                f37efa3ef0837b5a7009d15adced2e65cbbcca4375b7de907bd0da605363b123865a3500\
                3516f111d32c0a53ae5a83d7a89c1621879c127b8d2c7fd184a70e4778dea62d6816cd04\
                da5a6e407034d2921742f42d6de3cf2eb02ce851790c11d31ba5ec2f41faf3397251409b\
                729c3e7800b5477011b0632c1fd8bc0dbad26db3e5428cb0f016514d6e0799f36e21e7dc\
                c0f63831f7ec0e248f3bbbb10cda7bd138b509f131e77930c3673bfb41a02ff38d5a65c1\
                d3168af9dc148fecd124bcb3afc6e2",
    },
];

fn opts(fs: &SimFs) -> WalOptions {
    WalOptions::new()
        .max_segment_size(Some(4096))
        .file_system(fs.handle())
}

fn step<T>(what: &str, r: Result<T, WalError>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

fn lsns(fs: &SimFs) -> Result<Vec<u64>, String> {
    let wal = step("read-only open", opts(fs).read_only(true).open("/wal"))?;
    wal.iter()
        .map(|r| r.map(|(l, _)| l.0).map_err(|e| format!("iteration: {e}")))
        .collect()
}

/// B8: a batch of three, `truncate_after(2)`, then `truncate_after(1)` whose file cut
/// fails after the new cut record is in walogs.meta; reopening must keep entry 1.
pub fn b8_second_cut_inside_a_unit() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open("/wal"))?;
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

/// B9: `purge_up_to(3)` on an empty log, then a batch of three 300-byte entries (LSNs
/// 4-6); a power loss keeps the write but its first sector reads as zeros (a torn write).
/// Open must cut the unit, not refuse the directory.
pub fn b9_torn_unit_after_a_purge_past_the_end() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open("/wal"))?;
    step("purge_up_to(3)", wal.purge_up_to(Lsn(3)))?;
    let big = [[4u8; 300], [5u8; 300], [6u8; 300]];
    step("append_batch", wal.append_batch(&big))?;
    let mut disk = fs.crash(Resolution::ApplyAll).disk();
    drop(wal);
    let Some((_, (name, _))) = crate::harness::frames::segments(&disk).pop_last() else {
        return Err("no segment holds the batch".into());
    };
    let Some(Entry::File(ino)) = disk.lookup(&normalize(&Path::new("/wal").join(name))) else {
        return Err("the newest segment vanished".into());
    };
    let inode = &mut disk.inodes[ino];
    inode.current[..512].fill(0);
    inode.durable[..512].fill(0);
    let after = SimFs::new(disk);
    match opts(&after).open("/wal") {
        Ok(w) if w.next_lsn() == Lsn(4) => Ok(()),
        Ok(w) => Err(format!(
            "the torn unit was not cut: next_lsn() is {}",
            w.next_lsn()
        )),
        Err(e) => Err(format!("open refused the torn unit: {e}")),
    }
}

/// B10: `set_user_data(old)`, then `set_user_data(new)` whose fdatasync fails (the kernel
/// dropped the write); a reopen in the same boot and a power loss after it must agree.
pub fn b10_user_data_fsyncgate() -> Result<(), String> {
    for seed in 0..16 {
        let fs = SimFs::default();
        let mut wal = step("open", opts(&fs).open("/wal"))?;
        step("set_user_data(old)", wal.set_user_data(b"old"))?;
        fs.set_fault_on("sync_data /wal/walogs.user", FaultKind::Eio, seed);
        if wal.set_user_data(b"new").is_ok() {
            return Err("set_user_data succeeded although its fdatasync failed".into());
        }
        drop(wal);
        let seen = step("reopen", opts(&fs).open("/wal"))?.user_data();
        let after = step(
            "open after a power loss",
            opts(&fs.crash(Resolution::DropAll)).open("/wal"),
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

/// B11: three appends, `truncate_after(1)` whose fdatasync after the file cut fails; what
/// `durable_lsn()` then promises must still be in the log an in-place reopen shows.
pub fn b11_durable_lsn_after_a_failed_truncation() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open("/wal"))?;
    for e in [&b"one"[..], b"two", b"three"] {
        step("append", wal.append(e))?;
    }
    fs.set_fault_on("sync_data /wal/wal-000001.log", FaultKind::Eio, 0);
    if wal.truncate_after(Lsn(1)).is_ok() {
        return Err("truncate_after succeeded although its fdatasync failed".into());
    }
    let claim = wal.durable_lsn().0;
    drop(wal);
    let next = step("reopen", opts(&fs).open("/wal"))?.next_lsn().0;
    if claim >= next {
        return Err(format!(
            "durable_lsn() said {claim} after the failed truncation, the reopened log ends at LSN {}",
            next - 1
        ));
    }
    Ok(())
}

/// B12: two appends, `purge_up_to(3)` (past the end: the log restarts at 4), three
/// appends, `purge_up_to(5)`, close; the reopen must succeed.
pub fn b12_two_purges_then_reopen() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open("/wal"))?;
    for e in [&b"one"[..], b"two"] {
        step("append", wal.append(e))?;
    }
    step("purge_up_to(3)", wal.purge_up_to(Lsn(3)))?;
    for e in [&b"four"[..], b"five", b"six"] {
        step("append", wal.append(e))?;
    }
    step("purge_up_to(5)", wal.purge_up_to(Lsn(5)))?;
    step("close", wal.close())?;
    match lsns(&fs) {
        Ok(l) if l == [6] => Ok(()),
        other => Err(format!("reopen after the second purge: {other:?}")),
    }
}

/// B13: two appends, `purge_up_to(5)` whose removal of `wal-000001.log` fails (the floor
/// is durable, the segment stays), reopen, appends into the segment after the floor,
/// rotation, more appends, `truncate_after` into the completed segment, close; the reopen
/// must succeed.
pub fn b13_truncate_after_an_interrupted_purge() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open("/wal"))?;
    for e in [&b"one"[..], b"two"] {
        step("append", wal.append(e))?;
    }
    fs.set_fault_on("remove_file /wal/wal-000001.log", FaultKind::Eio, 0);
    if wal.purge_up_to(Lsn(5)).is_ok() {
        return Err("purge_up_to succeeded although removing its segment failed".into());
    }
    drop(wal);
    let mut wal = step("reopen", opts(&fs).open("/wal"))?;
    for e in [&b"six"[..], b"seven"] {
        step("append", wal.append(e))?;
    }
    step("rotate", wal.rotate())?;
    step("append", wal.append(b"eight"))?;
    step("truncate_after(6)", wal.truncate_after(Lsn(6)))?;
    step("close", wal.close())?;
    match lsns(&fs) {
        Ok(l) if l == [6] => Ok(()),
        other => Err(format!("reopen after the truncation: {other:?}")),
    }
}

/// B16: two entries, a batch of three, `truncate_after(3)` (inside the batch: the cut is
/// recorded), then `truncate_after(1)` (before the batch: the record is cleared); a power
/// loss that keeps the new walogs.meta but not the file cut must leave the old log (1-3) or
/// the new one (1).
pub fn b16_cut_before_a_cut_unit() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open("/wal"))?;
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

/// B15: `wal-000003.log` holding LSN 4, and a `walogs.meta` sealing segment 3 at LSN 3
/// with a truncation under way and no cut: an open that accepts it must serve exactly
/// `first_lsn..next_lsn`.
pub fn b15_truncation_record_that_disagrees_with_the_segments() -> Result<(), String> {
    let seg = crate::image::plain_frame(4, b"four");
    let meta = crate::image::meta_file_v2(3, 3, 0, 0, 2);
    let disk = crate::Disk::with_files(
        Path::new("/wal"),
        [
            ("wal-000003.log", seg.as_slice()),
            (walogs_core::META_FILENAME, meta.as_slice()),
        ],
    );
    crate::image::check_image(&disk, &[])
}

/// Whether classification is off (`WALOGS_SIM_STRICT=1`).
pub fn strict() -> bool {
    static STRICT: OnceLock<bool> = OnceLock::new();
    *STRICT.get_or_init(|| std::env::var("WALOGS_SIM_STRICT").is_ok_and(|v| v == "1"))
}

/// The known bug a violation message matches, if any (never in strict mode).
pub fn classify(message: &str) -> Option<&'static KnownBug> {
    if strict() {
        return None;
    }
    KNOWN
        .iter()
        .find(|b| !b.signature.is_empty() && b.signature.iter().all(|s| message.contains(s)))
}
