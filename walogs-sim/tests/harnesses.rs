//! The harnesses at CI scale. Each prints its one-line figure (run with `--nocapture` to see
//! them) and fails on any violation that is not a known, reported core bug (those are
//! listed in the line; `WALOGS_SIM_STRICT=1` counts them as failures too). The `lying_*`
//! tests prove the oracles can fail: a disk that ignores syncs must be caught.

use walogs_sim::Lies;
use walogs_sim::handle::HandleKind;
use walogs_sim::harness::Tally;
use walogs_sim::harness::faults::{self, FaultConfig};
use walogs_sim::harness::power_loss::{self, PowerLossConfig};
use walogs_sim::harness::random::{self, RandomConfig};

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn assert_clean(t: &Tally, what: &str) {
    assert_eq!(t.violations(), 0, "{what}:\n{t}");
}

#[test]
fn power_loss_every_crash_point_of_every_workload_up_to_4_ops() {
    let cfg = PowerLossConfig {
        threads: threads(),
        ..PowerLossConfig::default()
    };
    let rep = power_loss::run(&cfg);
    for line in rep.lines("power-loss", &cfg) {
        println!("{line}");
    }
    assert!(
        rep.broken_workloads.is_empty(),
        "{:?}",
        rep.broken_workloads
    );
    assert_eq!(rep.workloads, 6 + 36 + 216 + 1296);
    assert!(
        rep.crash.states >= 4 * rep.crash_points,
        "every point resolved 4 ways"
    );
    assert!(
        rep.recovery.states > rep.crash.states,
        "crashes inside recovery were run"
    );
    assert_clean(&rep.crash, "power-loss");
    assert_clean(&rep.recovery, "recovery-crash");
}

#[test]
fn power_loss_shared_handle_and_journaled_directories() {
    let mut reports = Vec::new();
    for (kind, journaled) in [(HandleKind::Shared, false), (HandleKind::Single, true)] {
        let cfg = PowerLossConfig {
            max_len: 3,
            kind,
            journaled,
            threads: threads(),
            ..PowerLossConfig::default()
        };
        let rep = power_loss::run(&cfg);
        let name = format!(
            "power-loss[{} dirs={}]",
            kind.name(),
            if journaled { "journaled" } else { "any" }
        );
        for line in rep.lines(&name, &cfg) {
            println!("{line}");
        }
        reports.push((name, rep));
    }
    for (name, rep) in reports {
        assert_clean(&rep.crash, &name);
        assert_clean(&rep.recovery, &name);
    }
}

#[test]
fn random_runs_with_tiny_segments() {
    let mut reports = Vec::new();
    for journaled in [false, true] {
        let cfg = RandomConfig {
            seed: 20_240_601 + journaled as u64,
            runs: 150,
            steps: 300,
            threads: threads(),
            journaled,
            ..RandomConfig::default()
        };
        let rep = random::run(&cfg);
        let name = format!(
            "random[dirs={}]",
            if journaled { "journaled" } else { "any" }
        );
        for line in rep.lines(&name, &cfg) {
            println!("{line}");
        }
        reports.push((name, rep));
    }
    // Both modes print their figures before any assertion fails.
    for (name, rep) in reports {
        assert_eq!(rep.runs, 150);
        assert!(rep.crash.states > 3000, "about one op in five crashes");
        assert!(rep.recovery.states > 500);
        assert_clean(&rep.crash, &name);
        assert_clean(&rep.recovery, &name);
    }
}

#[test]
fn faults_at_every_call_of_every_workload_up_to_3_ops() {
    let cfg = FaultConfig {
        threads: threads(),
        ..FaultConfig::default()
    };
    let rep = faults::run(&cfg);
    for line in rep.lines(&cfg) {
        println!("{line}");
    }
    assert!(
        rep.poison_checked > 1000,
        "poisoning was checked: {}",
        rep.poison_checked
    );
    assert_clean(&rep.runs, "faults");
    assert_clean(&rep.fsyncgate, "fsyncgate");
}

#[test]
fn lying_file_sync_is_caught_by_every_harness() {
    let lies = Lies {
        file_sync: true,
        dir_sync: false,
    };
    let rep = power_loss::run(&PowerLossConfig {
        max_len: 2,
        lies,
        threads: threads(),
        ..PowerLossConfig::default()
    });
    assert!(
        rep.crash.lost > 0,
        "{}",
        rep.crash.line("power-loss (lying disk)", "states")
    );
    let rep = random::run(&RandomConfig {
        runs: 20,
        steps: 100,
        lies,
        threads: threads(),
        ..RandomConfig::default()
    });
    // A run stops at its first violation; with unsynced data the first one is often an
    // open that refuses a half-written walogs.meta rather than a lost entry.
    assert!(
        rep.crash.lost > 0 || rep.crash.open > 0,
        "{}",
        rep.crash.line("random (lying disk)", "states")
    );
}

#[test]
fn lying_directory_sync_is_caught() {
    let rep = power_loss::run(&PowerLossConfig {
        max_len: 2,
        lies: Lies {
            file_sync: false,
            dir_sync: true,
        },
        threads: threads(),
        ..PowerLossConfig::default()
    });
    assert!(
        rep.crash.lost + rep.crash.open > 0,
        "{}",
        rep.crash.line("power-loss (lying dirs)", "states")
    );
}

#[test]
fn repro_lines_rerun_the_same_state() {
    let cfg = PowerLossConfig::default();
    let ops = walogs_sim::workload::Op::parse_all("sbrc").unwrap();
    let (r, trace) = power_loss::repro(&cfg, &ops, 20, 3, Some((1, 1)));
    assert!(r.is_ok(), "{r:?}");
    assert!(
        trace.iter().any(|l| l.contains("[crash point 20]")),
        "{trace:#?}"
    );
    assert!(
        trace
            .iter()
            .any(|l| l.contains("power loss inside recovery"))
    );
    // A lying disk's failure reproduces from its line alone.
    let lying = PowerLossConfig {
        lies: Lies {
            file_sync: true,
            dir_sync: false,
        },
        ..PowerLossConfig::default()
    };
    let rep = power_loss::run(&PowerLossConfig {
        max_len: 1,
        ..lying.clone()
    });
    let first = rep.crash.failures.first().expect("a lying disk fails");
    let line = first.lines().find(|l| l.contains("reproduce:")).unwrap();
    let arg = |k: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{k}=")))
            .unwrap()
            .to_string()
    };
    let ops = walogs_sim::workload::Op::parse_all(&arg("ops")).unwrap();
    let (r, _) = power_loss::repro(
        &lying,
        &ops,
        arg("point").parse().unwrap(),
        arg("res").parse().unwrap(),
        None,
    );
    assert!(r.is_err(), "the reproduction fails the same way");
}
