//! Real `SIGKILL`s of a child appending payloads of 1 B to 1 MiB with tiny segments, on the
//! same directory again and again. `WALOGS_TORTURE_KILLS` sets how many (default 60).
//!
//! A kill does not test `fdatasync` (the page cache survives it); see the crate docs.

use std::path::PathBuf;
use std::time::Duration;

use walogs_torture::kill::{self, KillConfig};
use walogs_torture::payload::MAX_KILL_PAYLOAD;
use walogs_torture::util::ScratchDir;

#[test]
fn acknowledged_entries_survive_every_kill() {
    let kills = std::env::var("WALOGS_TORTURE_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let seed = std::env::var("WALOGS_TORTURE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_240_601);
    let scratch = ScratchDir::new(env!("CARGO_TARGET_TMPDIR").as_ref(), "kill").unwrap();
    let cfg = KillConfig {
        exe: PathBuf::from(env!("CARGO_BIN_EXE_walogs-torture")),
        dir: scratch.path().join("wal"),
        seed,
        kills,
        max_delay: Duration::from_millis(80),
        segment: 256 * 1024,
        max_len: MAX_KILL_PAYLOAD,
        keep: 8,
    };
    let rep = kill::run(&cfg, |_| {});
    println!("{}", rep.figure());
    for (run, v) in rep.violations.iter().take(10) {
        println!("VIOLATION in run {run} (seed {seed}): {v}");
    }
    assert!(rep.violations.is_empty());
    // The run exercised what it claims to.
    assert!(
        rep.kills >= kills * 9 / 10,
        "{} of {kills} children were killed",
        rep.kills
    );
    assert!(rep.acked_entries > kills, "{}", rep.acked_entries);
    assert!(rep.acked_batches > 0 && rep.checkpoints > 0);
    assert!(rep.in_flight > 0, "no kill landed during an append");
    assert_eq!(rep.entry_sizes.0, 1, "no 1-byte entry was verified");
    assert!(
        rep.entry_sizes.1 > 256 * 1024,
        "no entry over a segment's size was verified: {:?}",
        rep.entry_sizes
    );
}
