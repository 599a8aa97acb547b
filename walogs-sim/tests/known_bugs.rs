//! The registry of open core bugs (`walogs-sim/src/harness/known.rs`) checks itself: every
//! bug the harnesses tolerate must still reproduce. The regression tests of the fixed ones
//! (B1-B16) live beside the core, in `walogs-core/tests/sim_regressions.rs`.

use walogs_sim::harness::known;

/// Every tolerated bug must still reproduce and be well described: when the core fixes
/// one, this fails until its entry in `known.rs` is deleted and its reproduction moved to
/// the core's `tests/sim_regressions.rs` (then CI is strict for it).
#[test]
fn known_bugs_still_reproduce() {
    known::KNOWN.assert_still_reproduce();
}

/// No entry classifies the harnesses' ordinary violations.
#[test]
fn known_bugs_classify_only_their_own_violations() {
    assert!(known::classify("acknowledged LSN 3 lost").is_none());
    assert!(
        known::classify("open failed: wal corrupt: mid-log damage in wal-000001.log").is_none()
    );
}
