//! Core bugs the harnesses found that are reported to the core's owner and not fixed yet.
//!
//! Each entry carries its own minimal reproduction ([`KnownBug::check`], `Err` while the bug
//! is there), so a tolerated bug can never outlive its fix: the test
//! `known_bugs_still_reproduce` (in `walogs-sim/tests/core_bugs.rs`) fails as soon as a
//! check passes, and the `#[ignore]`d test of the same bug asserts the fixed behaviour.
//! When the core fixes one, delete its entry here and un-ignore its test, which then stays
//! as a regression test. With no entry left, every harness is strict.
//!
//! A harness violation whose message contains every string of a bug's `signature` is
//! counted under the bug's id instead of failing the run (an empty signature tolerates
//! nothing: the bug is listed only because no harness reaches it). `WALOGS_SIM_STRICT=1`
//! turns the classification off (every violation counts).

use std::path::Path;
use std::sync::OnceLock;

use walogs_core::{Lsn, WalError, WalOptions};

use crate::disk::{DirOp, Resolution};
use crate::fault::FaultKind;
use crate::fs::SimFs;

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
    /// How to run the reproduction by hand.
    pub repro: &'static str,
}

/// The known, reported core bugs (verified against the core with `WALOGS_SIM_STRICT=1`).
pub const KNOWN: &[KnownBug] = &[
    KnownBug {
        id: "B1-seal-forgotten",
        title: "rotate() writes walogs.meta (sealing the active segment), then creating the next \
                segment fails: the error neither poisons the handle nor updates its in-memory \
                seal, so a later truncate_after below that seal does not rewrite walogs.meta and \
                the next open refuses the directory (\"its tail was cut\")",
        // Needs a failed segment create followed by a truncation on the same handle; the
        // fault harness has no truncation, the random harness no faults.
        signature: &[],
        check: b1_truncate_after_failed_rotation_reopens,
        repro: "cargo test --release -p walogs-sim --test core_bugs -- --ignored b1_",
    },
    KnownBug {
        id: "B2-seal-order",
        title: "rotate() renames walogs.meta into place and creates the next segment with no \
                directory fsync in between; on a file system that does not keep directory \
                operations in order, a power loss can keep the create and lose the rename, and \
                after an earlier interrupted rotation the next open refuses the directory \
                (\"its tail was cut\")",
        signature: &[
            "walogs.meta records it was sealed at LSN",
            "its tail was cut",
            "CreateNew` (directory operations unordered)",
        ],
        check: b2_create_without_rename_after_interrupted_rotation_reopens,
        repro: "cargo test --release -p walogs-sim --test core_bugs -- --ignored b2_",
    },
];

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

fn step<T>(what: &str, r: Result<T, WalError>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// B1: three appends; `rotate()` fails with ENOSPC creating `wal-000002.log` after it
/// renamed a `walogs.meta` sealing segment 1 at LSN 3; the handle stays usable;
/// `truncate_after(Lsn(1))` returns `Ok(2)`; `close()`; the next open must succeed and
/// show entry 1 only. (The variant through a power loss and a reopen is fixed: the
/// reopened handle reads the seal from disk.)
pub fn b1_truncate_after_failed_rotation_reopens() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open(DIR))?;
    for e in [&b"one"[..], b"two", b"three"] {
        step("append", wal.append(e))?;
    }
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

/// B2: three appends; `rotate()` fails creating `wal-000002.log` after its metadata rename
/// (walogs.meta now seals segment 1 at LSN 3); one more append (LSN 4, acknowledged) goes
/// to segment 1; a second `rotate()` renames a new walogs.meta (seal at 4) and creates
/// `wal-000002.log`; the power loss right after the create keeps the create and loses that
/// rename. Every entry is on disk, but open must not refuse the directory.
pub fn b2_create_without_rename_after_interrupted_rotation_reopens() -> Result<(), String> {
    let fs = SimFs::default();
    let mut wal = step("open", opts(&fs).open(DIR))?;
    for e in [&b"one"[..], b"two", b"three"] {
        step("append", wal.append(e))?;
    }
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
