//! The `LD_PRELOAD` shim sweep: every write and every sync of a real child's workload failed
//! in turn (EIO, ENOSPC, a short write then EIO, a dead disk), then the directory checked
//! before any reopen and reopened without the shim. The workload includes the log control
//! (truncations inside units and across segments, purges inside and past the end, user
//! data, durability callbacks and waits). Single-threaded on `Wal` and `SharedWal`, under
//! the `Interval` policy (its flusher thread syncing on its own; a failed sync may drop what
//! was never reported durable), and concurrent appenders on one `SharedWal` (group commits
//! with followers).

use std::path::{Path, PathBuf};

use walogs_torture::known::KNOWN;
use walogs_torture::policy::Policy;
use walogs_torture::shim;
use walogs_torture::sweep::{self, SweepConfig, SweepReport};
use walogs_torture::util::ScratchDir;

fn sweep(tweak: impl FnOnce(&mut SweepConfig)) -> SweepReport {
    let scratch = ScratchDir::new(Path::new(env!("CARGO_TARGET_TMPDIR")), "sweep").unwrap();
    let so = shim::build(scratch.path()).expect("the shim compiles with -Wall -Wextra -Werror");
    let mut cfg = SweepConfig::new(
        PathBuf::from(env!("CARGO_BIN_EXE_walogs-torture")),
        so,
        scratch.path().join("work"),
        3,
    );
    cfg.ops = 30;
    tweak(&mut cfg);
    let rep = sweep::run(&cfg).expect("sweep runs");
    println!("{}", rep.figure());
    KNOWN.triage(rep.messages()).assert_clean("shim");
    assert!(rep.runs > 0);
    rep
}

/// What every single-threaded sweep must show: each run's failure surfaced cleanly (or hit
/// the one write the core ignores on purpose, or, under `Interval`, came too late), most
/// runs were poisoned, every failure was followed by a clean residue check, and failures
/// landed inside the log-control calls too.
fn single_threaded(rep: &SweepReport) {
    assert_eq!(
        rep.clean_errors + rep.ignored_by_design + rep.not_reached,
        rep.runs,
        "{rep:?}"
    );
    assert!(rep.dry_writes >= 20 && rep.dry_syncs >= 10, "{rep:?}");
    assert!(rep.poisoned > rep.runs / 2);
    assert!(rep.residue_checks >= rep.poisoned);
    for op in ["truncate", "purge", "user"] {
        assert!(
            rep.workload.contains_key(op),
            "no {op} in {:?}",
            rep.workload
        );
        assert!(
            rep.failed_in.contains_key(op),
            "no failure landed in {op}: {:?}",
            rep.failed_in
        );
    }
}

#[test]
fn every_injected_failure_is_clean_poisons_and_loses_nothing_on_wal() {
    let rep = sweep(|_| {});
    single_threaded(&rep);
    assert!(
        rep.workload.contains_key("cut in a unit"),
        "{:?}",
        rep.workload
    );
}

#[test]
fn every_injected_failure_is_clean_poisons_and_loses_nothing_on_shared_wal() {
    single_threaded(&sweep(|c| {
        c.shared = true;
        c.sticky = false;
    }));
}

#[test]
fn under_the_interval_flusher_a_failed_sync_keeps_everything_reported_durable() {
    let rep = sweep(|c| {
        c.policy = Policy::Interval;
        c.ops = 24;
    });
    single_threaded(&rep);
    assert!(rep.plans.iter().any(|(n, _)| n.contains("sync")));
    assert!(rep.not_reached < rep.runs / 4, "{}", rep.not_reached);
}

#[test]
fn concurrent_appenders_lose_nothing_and_no_follower_is_acknowledged_for_a_failed_group() {
    let rep = sweep(|c| {
        c.shared = true;
        c.threads = 6;
        c.ops = 6;
        c.max_len = 600;
        c.sticky = false;
        c.sync_delay_us = 300;
    });
    assert_eq!(
        rep.clean_errors + rep.ignored_by_design + rep.not_reached,
        rep.runs
    );
    assert!(rep.not_reached < rep.runs / 4, "{}", rep.not_reached);
    assert!(rep.poisoned > rep.runs / 2);
    // The failures really hit group commits whose followers were waiting.
    assert!(rep.frames_failed > rep.runs / 4, "{}", rep.frames_failed);
    assert!(rep.followers_waiting > 0 && rep.max_group_threads >= 2);
}
