//! The registry of open core bugs (`walogs-sim/src/harness/known.rs`) checks itself: every
//! bug the harnesses tolerate must still reproduce. The regression tests of the fixed ones
//! (B1-B16) live beside the core, in `walogs-core/tests/sim_regressions.rs`.

use walogs_sim::harness::known;

/// Every tolerated bug must still reproduce: when the core fixes one, this fails until its
/// entry in `known.rs` is deleted and its reproduction moved to the core's
/// `tests/sim_regressions.rs` (then CI is strict for it).
#[test]
fn known_bugs_still_reproduce() {
    let mut fixed = Vec::new();
    for bug in known::KNOWN {
        match (bug.check)() {
            Err(e) => println!("known {} still reproduces: {e}", bug.id),
            Ok(()) => fixed.push(bug.id),
        }
    }
    assert!(
        fixed.is_empty(),
        "fixed in the core, delete from walogs-sim/src/harness/known.rs and move the \
         reproduction to walogs-core/tests/sim_regressions.rs: {fixed:?}"
    );
}

/// Every entry names itself and says how to see it; a signature never matches everything.
#[test]
fn known_bugs_are_described_and_classify_only_their_own_violations() {
    for bug in known::KNOWN {
        assert!(!bug.title.is_empty() && !bug.repro.is_empty(), "{}", bug.id);
        assert!(bug.signature.iter().all(|s| !s.is_empty()), "{}", bug.id);
    }
    if known::strict() {
        return;
    }
    assert!(known::classify("acknowledged LSN 3 lost").is_none());
    assert!(
        known::classify("open failed: wal corrupt: mid-log damage in wal-000001.log").is_none()
    );
}
