//! The known core bugs the simulator's harnesses may tolerate: reported and not fixed yet.
//! None is open: B1-B13, B15 and B16 are fixed and their regression tests live beside the
//! core, in `walogs-core/tests/sim_regressions.rs`; B14, a close of an `Interval` handle
//! right after open waiting out the interval, has its regression test in the core's
//! `tests/log_control.rs`. With no entry left, every harness is strict.
//!
//! The mechanism (matching a violation to an entry, strict mode, the self-expiry check run
//! by `walogs-sim/tests/known_bugs.rs` and `walogs-sim known`) is the test kit's one
//! registry, [`walogs_testkit::known`]; this module holds only the list. When the core fixes
//! a listed bug, move its reproduction to `walogs-core/tests/sim_regressions.rs` as a
//! regression test and delete its entry here.
//!
//! `WALOGS_STRICT=1` (or its older name `WALOGS_SIM_STRICT=1`) turns the classification
//! off (every violation counts).

use walogs_testkit::known::{KnownBug, Registry};

/// The known, reported core bugs still open.
pub static KNOWN: Registry = Registry {
    bugs: &[],
    file: "walogs-sim/src/harness/known.rs",
    regressions: "walogs-core/tests/sim_regressions.rs",
    strict_alias: "WALOGS_SIM_STRICT",
};

/// The known bug a violation message matches, if any (never in strict mode).
pub fn classify(message: &str) -> Option<&'static KnownBug> {
    KNOWN.classify(message)
}
