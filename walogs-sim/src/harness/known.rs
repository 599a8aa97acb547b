//! Core bugs the harnesses found that are reported to the core's owner and not fixed yet
//! (B1-B7 are fixed; see `walogs-sim/tests/core_bugs.rs` and `b7_` in `tests/harnesses.rs`).
//!
//! Each entry carries its own minimal reproduction ([`KnownBug::check`], `Err` while the bug
//! is there), so a tolerated bug can never outlive its fix: the test
//! `known_bugs_still_reproduce` (in `walogs-sim/tests/core_bugs.rs`) fails as soon as a
//! check passes, and an `#[ignore]`d test of the same bug asserts the fixed behaviour. When
//! the core fixes one, delete its entry here and un-ignore its test, which then stays as a
//! regression test. With no entry left, every harness is strict.
//!
//! A harness violation whose message contains every string of a bug's `signature` is
//! counted under the bug's id instead of failing the run (an empty signature tolerates
//! nothing: the bug is listed only because no harness reaches it). `WALOGS_SIM_STRICT=1`
//! turns the classification off (every violation counts).

use std::sync::OnceLock;

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

/// The known, reported core bugs still open: none. (B1-B7, found by these harnesses, are
/// fixed in walogs-core; their regression tests are in `walogs-sim/tests/core_bugs.rs`,
/// `walogs-sim/tests/harnesses.rs` and the core's own tests.)
pub const KNOWN: &[KnownBug] = &[];

/// B7's reproduction, kept as a regression check: one append, then an append whose segment
/// write fails with EIO; the shared handle's `next_lsn()` must still be 2.
pub fn b7_shared_next_lsn_after_failed_append() -> Result<(), String> {
    let fs = crate::SimFs::default();
    let wal = walogs_core::WalOptions::new()
        .file_system(fs.handle())
        .open_shared("/wal")
        .map_err(|e| format!("open: {e}"))?;
    wal.append(b"one").map_err(|e| format!("append: {e}"))?;
    fs.set_fault_on("write_all_at /wal/wal-000001.log", crate::FaultKind::Eio, 0);
    if wal.append(b"two").is_ok() {
        return Err("the append whose write failed returned Ok".into());
    }
    match wal.next_lsn().0 {
        2 => Ok(()),
        n => Err(format!(
            "next_lsn() is {n} after the failed append of LSN 2 (it was 2)"
        )),
    }
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
