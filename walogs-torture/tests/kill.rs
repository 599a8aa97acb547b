//! Real `SIGKILL`s of a child appending payloads of 1 B to 1 MiB with tiny segments and
//! using the log control (truncations, purges, user data, durability callbacks and waits),
//! on the same directory again and again, under every durability policy; and of children
//! whose threads append concurrently to one `SharedWal` while one of them runs the log
//! control. `WALOGS_TORTURE_KILLS` sets how many
//! (default 60; the concurrent run gets half), `WALOGS_TORTURE_SEED` the seed.
//!
//! A kill does not test `fdatasync` (the page cache survives it); see the crate docs.

use std::path::PathBuf;

use walogs_torture::kill::{self, KillConfig, KillReport};
use walogs_torture::known::KNOWN;
use walogs_torture::util::ScratchDir;

fn env_num(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn kill_run(kills: u64, tweak: impl FnOnce(&mut KillConfig)) -> KillReport {
    let seed = env_num("WALOGS_TORTURE_SEED", 20_240_601);
    let scratch = ScratchDir::new(env!("CARGO_TARGET_TMPDIR").as_ref(), "kill").unwrap();
    let mut cfg = KillConfig::new(
        PathBuf::from(env!("CARGO_BIN_EXE_walogs-torture")),
        scratch.path().join("wal"),
        seed,
        kills,
    );
    tweak(&mut cfg);
    let rep = kill::run(&cfg, |_| {});
    println!("{}", rep.figure());
    KNOWN.triage(rep.messages(seed)).assert_clean("kill");
    // The run exercised what it claims to.
    assert!(
        rep.kills >= kills * 9 / 10,
        "{} of {kills} children were killed",
        rep.kills
    );
    assert!(rep.acked_entries > kills, "{}", rep.acked_entries);
    assert!(rep.acked_batches > 0 && rep.checkpoints > 0);
    assert!(rep.in_flight > 0, "no kill landed during an append");
    assert!(
        rep.per_policy.iter().all(|(_, n)| *n > 0),
        "a policy got no kill: {:?}",
        rep.per_policy
    );
    assert!(rep.tails_checked > kills / 2);
    // The log control ran, inside units too, and durability was reported.
    let c = rep.control;
    assert!(
        c.cuts.0 > 0 && c.cuts.1 > 0 && c.purges.0 > 0 && c.users > 0,
        "{c:?}"
    );
    assert!(rep.durable_reports.0 > 0, "{:?}", rep.durable_reports);
    rep
}

#[test]
fn acknowledged_entries_survive_every_kill_under_every_policy() {
    let rep = kill_run(env_num("WALOGS_TORTURE_KILLS", 60), |_| {});
    assert_eq!(rep.entry_sizes.0, 1, "no 1-byte entry was verified");
    assert!(
        rep.entry_sizes.1 > 256 * 1024,
        "no entry over a segment's size was verified: {:?}",
        rep.entry_sizes
    );
}

#[test]
fn acknowledged_entries_of_concurrent_appenders_survive_every_kill() {
    let kills = env_num("WALOGS_TORTURE_KILLS", 60) / 2;
    let rep = kill_run(kills.max(8), |c| {
        c.threads = 4;
        c.max_len = 64 * 1024;
    });
    assert!(
        rep.max_in_flight >= 2,
        "never two appends in flight at a kill"
    );
}
