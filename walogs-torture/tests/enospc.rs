//! Real ENOSPC on a loop-mounted 2 MiB ext4. Needs root; skips with a message otherwise
//! (set `WALOGS_TORTURE_REQUIRE_MOUNT=1` to make a skip a failure).

use std::path::Path;

use walogs_torture::enospc;
use walogs_torture::known::KNOWN;

#[test]
fn a_full_disk_is_a_clean_error_and_nothing_acknowledged_is_lost() {
    let rep = enospc::run(Path::new(env!("CARGO_TARGET_TMPDIR")), 11).expect("harness runs");
    println!("{}", rep.figure());
    if rep.skipped.is_some() {
        assert!(
            std::env::var_os("WALOGS_TORTURE_REQUIRE_MOUNT").is_none(),
            "the ENOSPC harness was required but skipped"
        );
        return;
    }
    let triage = KNOWN.triage(rep.violations.clone());
    triage.assert_clean("enospc");
    // Every failed call was checked before any reopen, and left nothing behind (or what a
    // known core bug explains).
    assert!(
        rep.residue_checks + triage.known.len() as u64 >= rep.enospc_errors,
        "{rep:?}"
    );
    assert_eq!(rep.full_disk_reopens, rep.levels);
    assert!(rep.op_enospc > 0 && rep.fit > 0);
    // Each scenario's operation failed at low levels and fit at higher ones, so the levels
    // really straddle it.
    for (name, levels, first_fit) in &rep.scenarios {
        let f = first_fit.unwrap_or_else(|| panic!("{name}: never fit in {levels} levels"));
        if name != "checkpoint" {
            assert!(f > 0, "{name} fit on a full disk");
        }
    }
}
