//! Core bugs the harnesses found that are reported to the core's owner and not fixed yet.
//!
//! A violation matching one of these is counted under its id instead of failing the run,
//! so that CI stays green while the fix is pending; `WALOGS_SIM_STRICT=1` turns the
//! classification off (every violation counts). Each bug has an `#[ignore]`d regression
//! test in `walogs-sim/tests/core_bugs.rs` that fails until the core is fixed; when it
//! passes, delete the entry here.

use std::sync::OnceLock;

/// One known core bug.
#[derive(Debug)]
pub struct KnownBug {
    /// Short id used in the summary lines.
    pub id: &'static str,
    /// What is wrong.
    pub title: &'static str,
    /// Substrings that must all occur in a violation's message for it to be this bug.
    pub signature: &'static [&'static str],
}

/// The known, reported core bugs.
pub const KNOWN: &[KnownBug] = &[KnownBug {
    id: "B2-seal-order",
    title: "rotate renames walogs.meta into place and creates the next segment with no directory \
            fsync in between; on a file system that does not keep directory operations in order, \
            a power loss can keep the create and lose the rename, and after an earlier interrupted \
            rotation the next open refuses the directory (\"its tail was cut\")",
    signature: &[
        "walogs.meta records it was sealed at LSN",
        "its tail was cut",
    ],
}];

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
        .find(|b| b.signature.iter().all(|s| message.contains(s)))
}
