//! The harnesses at CI scale. Each prints its one-line figure (run with `--nocapture` to see
//! them) and fails on any violation that is not a known, reported core bug (those are
//! listed in the line; `WALOGS_STRICT=1`, or its older name `WALOGS_SIM_STRICT=1`, counts them as failures too). The `lying_*`
//! tests prove the oracles can fail: a disk that ignores syncs must be caught.
//!
//! The classic workloads (appends, batches, rotation, checkpoint, reopen) and the
//! log-control ones (`append_many`, truncations inside units and at boundaries, purges,
//! user data, durability notifications) run separately, so each sweep stays exhaustive.

use std::time::Duration;

use walogs_core::Durability;
use walogs_sim::Lies;
use walogs_sim::harness::Tally;
use walogs_sim::harness::bitrot::{self, BitRotConfig};
use walogs_sim::harness::concurrent::{self, ConcurrentConfig};
use walogs_sim::harness::faults::{self, FaultConfig};
use walogs_sim::harness::power_loss::{self, PowerLossConfig};
use walogs_sim::harness::random::{self, RandomConfig};
use walogs_testkit::handle::HandleKind;

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
    assert!(
        rep.in_place.states > 5000,
        "the state right after failed calls was checked: {}",
        rep.in_place.states
    );
    assert_clean(&rep.runs, "faults");
    assert_clean(&rep.in_place, "faults-in-place");
    assert_clean(&rep.fsyncgate, "fsyncgate");
}

#[test]
fn power_loss_relaxed_durability_policies() {
    // `None` and an interval no run reaches behave as `Manual` within a workload (only
    // `sync()`, rotation and close sync); the soak runs them too.
    let mut reports = Vec::new();
    // A 1 ms interval: the flusher syncs between and during operations (not replayed
    // exactly).
    for (durability, max_len) in [
        (Durability::Manual, 3),
        (Durability::Interval(Duration::from_millis(1)), 2),
    ] {
        let cfg = PowerLossConfig {
            max_len,
            durability,
            recovery_resolutions: 1,
            threads: threads(),
            ..PowerLossConfig::default()
        };
        let rep = power_loss::run(&cfg);
        let name = format!(
            "power-loss[{}]",
            walogs_sim::workload::durability_name(durability)
        );
        for line in rep.lines(&name, &cfg) {
            println!("{line}");
        }
        reports.push((durability, name, rep));
    }
    for (durability, name, rep) in reports {
        assert!(
            rep.broken_workloads.is_empty(),
            "{:?}",
            rep.broken_workloads
        );
        assert_clean(&rep.crash, &name);
        assert_clean(&rep.recovery, &name);
        if durability == Durability::Manual {
            assert!(
                rep.crash.unsynced_lost > 0,
                "some crash states lose unsynced entries (the relaxed oracle is exercised)"
            );
        }
    }
}

#[test]
fn random_runs_relaxed_durability() {
    let cfg = RandomConfig {
        seed: 20_240_603,
        runs: 100,
        steps: 300,
        threads: threads(),
        relaxed: true,
        ..RandomConfig::default()
    };
    let rep = random::run(&cfg);
    for line in rep.lines("random[relaxed]", &cfg) {
        println!("{line}");
    }
    assert!(rep.crash.states > 2000);
    assert!(rep.crash.unsynced_lost > 0, "crashes lost unsynced entries");
    assert_clean(&rep.crash, "random[relaxed]");
    assert_clean(&rep.recovery, "random[relaxed]-recovery-crash");
}

#[test]
fn concurrent_appenders_under_power_loss_and_faults() {
    let mut reports = Vec::new();
    for (faults, runs) in [(false, 40), (true, 300)] {
        let cfg = ConcurrentConfig {
            seed: 20_240_604,
            runs,
            appenders: 6,
            calls: 6,
            resolutions: 2,
            faults,
            workers: threads(),
            ..ConcurrentConfig::default()
        };
        let rep = concurrent::run(&cfg);
        println!("{}", rep.line(&cfg));
        reports.push((cfg, rep));
    }
    // Scheduling decides how many appends wait for another thread's group; over these few
    // hundred runs some always do (typically a few per cent of them).
    assert!(
        reports.iter().map(|(_, r)| r.followers).sum::<u64>() > 0,
        "no append was ever written by another thread's group commit"
    );
    // Two runs in three cut the log between their halves, about half of the cuts inside a
    // unit; the watcher is told about durability in every run.
    assert!(
        reports
            .iter()
            .map(|(_, r)| r.cuts_inside_units)
            .sum::<u64>()
            > 0,
        "no truncation cut inside a unit"
    );
    for (cfg, rep) in reports {
        assert_eq!(rep.runs, cfg.runs);
        assert!(rep.acked > cfg.runs * 2, "calls were acknowledged");
        assert!(rep.cuts > cfg.runs / 3, "{}", rep.line(&cfg));
        assert!(rep.notices > cfg.runs / 2, "{}", rep.line(&cfg));
        if cfg.faults {
            assert!(rep.faults_fired > cfg.runs / 2, "faults fired");
        } else {
            assert!(rep.crash_points > cfg.runs * 20);
        }
        assert_clean(&rep.states, &rep.line(&cfg));
    }
}

#[test]
fn bitrot_in_acknowledged_frames_is_refused_or_cut_as_a_torn_tail() {
    let mut reports = Vec::new();
    for (durability, kind, max_len) in [
        (Durability::EveryAppend, HandleKind::Single, 4),
        (Durability::Manual, HandleKind::Shared, 3),
    ] {
        let cfg = BitRotConfig {
            max_len,
            flips: 4,
            kind,
            durability,
            threads: threads(),
            ..BitRotConfig::default()
        };
        let rep = bitrot::run(&cfg);
        println!("{}", rep.line(&cfg));
        reports.push((cfg, rep));
    }
    for (cfg, rep) in reports {
        assert!(rep.refused > 1000, "{}", rep.line(&cfg));
        assert!(rep.cut_tail > 100, "{}", rep.line(&cfg));
        if cfg.durability != Durability::EveryAppend {
            assert!(rep.cut_salvaged > 0, "{}", rep.line(&cfg));
        }
        assert_clean(&rep.states, &rep.line(&cfg));
    }
}

#[test]
fn power_loss_log_control_every_crash_point() {
    // Truncations inside units and at boundaries, across segments; purges inside the log,
    // at a segment boundary and past the end, then appends; user data; reopens. Under
    // Manual the workloads also sync and wait for durability notifications.
    let mut reports = Vec::new();
    for (kind, durability, max_len) in [
        (HandleKind::Single, Durability::EveryAppend, 3),
        (HandleKind::Shared, Durability::EveryAppend, 2),
        (HandleKind::Single, Durability::Manual, 2),
    ] {
        let cfg = PowerLossConfig {
            max_len,
            kind,
            durability,
            control: true,
            recovery_resolutions: 1,
            threads: threads(),
            ..PowerLossConfig::default()
        };
        let rep = power_loss::run(&cfg);
        let name = format!(
            "power-loss[control {} {}]",
            kind.name(),
            walogs_sim::workload::durability_name(durability)
        );
        for line in rep.lines(&name, &cfg) {
            println!("{line}");
        }
        reports.push((cfg, name, rep));
    }
    for (cfg, name, rep) in reports {
        assert!(
            rep.broken_workloads.is_empty(),
            "{:?}",
            rep.broken_workloads
        );
        let n = cfg.alphabet().len();
        assert_eq!(
            rep.workloads as usize,
            (1..=cfg.max_len).map(|k| n.pow(k as u32)).sum()
        );
        assert_clean(&rep.crash, &name);
        assert_clean(&rep.recovery, &name);
    }
}

#[test]
fn faults_at_every_call_of_every_log_control_workload() {
    let cfg = FaultConfig {
        max_len: 2,
        control: true,
        threads: threads(),
        ..FaultConfig::default()
    };
    let rep = faults::run(&cfg);
    for line in rep.lines(&cfg) {
        println!("{line}");
    }
    assert!(rep.poison_checked > 1000, "{}", rep.poison_checked);
    assert!(rep.fsyncgate.states > 1000, "{}", rep.fsyncgate.states);
    assert_clean(&rep.runs, "faults[control]");
    assert_clean(&rep.in_place, "faults[control]-in-place");
    assert_clean(&rep.fsyncgate, "fsyncgate[control]");
}

#[test]
fn bitrot_in_log_control_workloads() {
    let cfg = BitRotConfig {
        max_len: 3,
        flips: 4,
        control: true,
        threads: threads(),
        ..BitRotConfig::default()
    };
    let rep = bitrot::run(&cfg);
    println!("{}", rep.line(&cfg));
    assert!(
        rep.refused > 1000 && rep.cut_tail > 1000,
        "{}",
        rep.line(&cfg)
    );
    assert!(rep.not_read > 100, "{}", rep.line(&cfg));
    assert_clean(&rep.states, &rep.line(&cfg));
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
fn lying_file_sync_is_caught_under_relaxed_policies_and_concurrency() {
    let lies = Lies {
        file_sync: true,
        dir_sync: false,
    };
    let rep = power_loss::run(&PowerLossConfig {
        max_len: 2,
        durability: Durability::Manual,
        lies,
        threads: threads(),
        ..PowerLossConfig::default()
    });
    assert!(
        rep.crash.lost + rep.crash.open > 0,
        "{}",
        rep.crash.line("power-loss manual (lying disk)", "states")
    );
    let cfg = ConcurrentConfig {
        runs: 10,
        lies,
        workers: threads(),
        ..ConcurrentConfig::default()
    };
    let rep = concurrent::run(&cfg);
    assert!(rep.states.lost > 0, "{}", rep.line(&cfg));
    // A failure names its crash point and the acknowledged set at that point.
    let first = rep.states.failures.first().expect("a lying disk fails");
    assert!(
        first.contains("crash point") && first.contains("acknowledged by then"),
        "{first}"
    );
    assert!(first.contains("repro concurrent seed="), "{first}");
}

#[test]
fn undetected_bit_rot_is_caught() {
    // The oracle must fail when rot goes unnoticed: checking the unflipped image as if it
    // were flipped means the "rotted" frame reads back, as a core ignoring CRCs would.
    let cfg = BitRotConfig::default();
    let ops = walogs_sim::workload::Op::parse_all("sbs").unwrap();
    let (points, _) = power_loss::record(&ops, &PowerLossConfig::default(), false).unwrap();
    let last = points.len() - 1;
    let (disk, flips) = bitrot::flips_of(&cfg, &ops, &points[last], last);
    assert!(
        flips.len() >= 6,
        "three acknowledged frames, two flips each"
    );
    for (_, _, flip) in &flips {
        let honest = bitrot::check_flipped(
            bitrot::apply_flip(&disk, flip),
            flip,
            &points[last].model,
            &cfg,
        );
        assert!(honest.is_ok(), "{honest:?}");
        let unnoticed = bitrot::check_flipped(disk.clone(), flip, &points[last].model, &cfg);
        assert!(unnoticed.is_err(), "{flip:?}");
    }
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
