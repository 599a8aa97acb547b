//! Core bugs the harnesses found that are not fixed yet. None is open: B1-B13, B15 and B16
//! are fixed and their regression tests live beside the core, in
//! `walogs-core/tests/sim_regressions.rs`; B14, a close of an `Interval` handle right after
//! open waiting out the interval, has its regression test in the core's
//! `tests/log_control.rs`.
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
    /// How to see it in a harness.
    pub repro: &'static str,
}

/// The known, reported core bugs still open.
pub const KNOWN: &[KnownBug] = &[];

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
