//! The `LD_PRELOAD` shim sweep: every write and every sync of a real child's workload failed
//! in turn (EIO, ENOSPC, a short write then EIO, a dead disk), then the directory reopened
//! without the shim.

use std::path::{Path, PathBuf};

use walogs_torture::shim;
use walogs_torture::sweep::{self, SweepConfig};
use walogs_torture::util::ScratchDir;

fn sweep(shared: bool, sticky: bool) {
    let scratch = ScratchDir::new(Path::new(env!("CARGO_TARGET_TMPDIR")), "sweep").unwrap();
    let so = shim::build(scratch.path()).expect("the shim compiles with -Wall -Wextra -Werror");
    let cfg = SweepConfig {
        exe: PathBuf::from(env!("CARGO_BIN_EXE_walogs-torture")),
        shim: so,
        work: scratch.path().join("work"),
        seed: 3,
        ops: 30,
        segment: 4096,
        max_len: 3000,
        sticky,
        shared,
    };
    let rep = sweep::run(&cfg).expect("sweep runs");
    println!("{}", rep.figure());
    if let Some(first) = rep.not_poisoned.first() {
        println!(
            "shim: {} runs hit the known core finding 3 (tests/core_findings.rs), e.g. {first}",
            rep.not_poisoned.len()
        );
    }
    for (label, v) in rep.violations.iter().take(10) {
        println!("VIOLATION {label}: {v}");
    }
    assert!(rep.violations.is_empty());
    // Every run injected a failure that surfaced as a clean error, or hit the one write the
    // core ignores on purpose.
    assert_eq!(rep.clean_errors + rep.ignored_by_design, rep.runs);
    assert!(rep.dry_writes >= 20 && rep.dry_syncs >= 20);
    assert!(rep.poisoned > rep.runs / 2);
}

#[test]
fn every_injected_failure_is_clean_poisons_and_loses_nothing_on_wal() {
    sweep(false, true);
}

#[test]
fn every_injected_failure_is_clean_poisons_and_loses_nothing_on_shared_wal() {
    sweep(true, false);
}
