//! EIO and ENOSPC at every write, sync and metadata call of a streams workload (appends to
//! two topics, an atomic batch, a strict and an at-least-once consumer, cleanups that
//! reclaim segment files), on the simulated file system of `walogs-sim`. The workload stops
//! at the first failed operation (the log is poisoned by then, or the failure was clean).
//! It runs under the default policy and under `Durability::Manual` (whose appends are
//! written with the store mutex held instead of queued; there only synced records must
//! survive a power loss or a failed sync).
//! Then the store is recovered twice: after a power loss that keeps only what was durable,
//! and after a clean reopen of everything written. Each time: every acknowledged record
//! that retention did not delete is there byte for byte, LSNs are dense, the strict
//! consumer never gets a record it was given before the fault again, the at-least-once one
//! resumes no earlier than its last persisted position, and the store takes the next
//! append at the LSN it announces.

use std::collections::BTreeMap;
use std::time::Duration;

use walogs_core::Durability;
use walogs_sim::{CallClass, FaultKind, FaultPlan, Resolution, SimFs};
use walogs_streams::{ConsumerMode, NewRecord, RecordBatch, Streams, StreamsOptions};

const DIR: &str = "/store";

fn opts(fs: &SimFs, durability: Durability) -> StreamsOptions {
    StreamsOptions::new()
        .durability(durability)
        .max_segment_size(Some(4096))
        .max_topic_bytes(Some(1500))
        .file_system(fs.handle())
}

fn payload(topic: &str, n: usize) -> Vec<u8> {
    let mut v = format!("{topic}#{n}:").into_bytes();
    v.resize(300, b'a' + (n % 26) as u8);
    v
}

/// What the workload saw before it stopped.
#[derive(Debug, Default)]
struct Seen {
    /// Acknowledged records.
    acked: BTreeMap<(String, u64), Vec<u8>>,
    /// The records acknowledged before the last successful `sync` (under a relaxed policy,
    /// what a power loss must keep).
    synced: BTreeMap<(String, u64), Vec<u8>>,
    /// The highest LSN the strict consumer was given.
    strict_given: u64,
    /// The at-least-once consumer's position when it last persisted successfully.
    alo_persisted: u64,
    /// Whether an operation failed.
    failed: bool,
}

/// Run the workload until an operation fails.
fn workload(s: &Streams, seen: &mut Seen) {
    let mut n = 0;
    let mut strict = None;
    let mut alo = None;
    for step in 0..40 {
        let r: Result<(), walogs_streams::StreamsError> = (|| {
            match step % 8 {
                0..=2 => {
                    let t = if step % 3 == 0 { "a" } else { "b" };
                    n += 1;
                    let d = payload(t, n);
                    let lsn = s.append(t, &d)?;
                    seen.acked.insert((t.to_string(), lsn), d);
                }
                3 => {
                    let data: Vec<Vec<u8>> = (0..3)
                        .map(|_| {
                            n += 1;
                            payload("a", n)
                        })
                        .collect();
                    let recs: Vec<NewRecord> = data
                        .iter()
                        .map(|d| NewRecord {
                            data: d,
                            ..NewRecord::default()
                        })
                        .collect();
                    let r = s.append_batch("a", &recs)?;
                    for (j, d) in data.into_iter().enumerate() {
                        seen.acked.insert(("a".to_string(), r.first + j as u64), d);
                    }
                }
                4 => {
                    if strict.is_none() {
                        strict = Some(s.consumer("a", "strict", ConsumerMode::Strict)?);
                    }
                    let c = strict.as_mut().expect("opened above");
                    if let Some(r) = c.next(Some(Duration::ZERO))? {
                        seen.strict_given = seen.strict_given.max(r.lsn);
                    }
                }
                5 => {
                    if alo.is_none() {
                        let c =
                            s.consumer("a", "alo", ConsumerMode::AtLeastOnce { persist_every: 2 })?;
                        seen.alo_persisted = c.committed();
                        alo = Some(c);
                    }
                    let c = alo.as_mut().expect("opened above");
                    // Its position is persisted inside the call: a failure there must lend
                    // nothing and leave the position where it was (past what retention
                    // deleted meanwhile, which it skips and counts).
                    let before = c.position() - c.skipped();
                    let mut batch = RecordBatch::new();
                    if let Err(e) = c.next_batch_into(&mut batch, 700, Some(Duration::ZERO)) {
                        assert!(batch.is_empty(), "a failed next_batch_into lent records");
                        assert_eq!(
                            c.position() - c.skipped(),
                            before,
                            "a failed next_batch_into moved on"
                        );
                        return Err(e);
                    }
                    c.commit()?;
                    seen.alo_persisted = c.committed();
                }
                6 => {
                    s.cleanup()?;
                }
                _ => {
                    s.sync()?;
                    seen.synced = seen.acked.clone();
                }
            }
            Ok(())
        })();
        if r.is_err() {
            seen.failed = true;
            return;
        }
    }
}

/// Check the store recovered from `fs`: `must_keep` are the acknowledged records it must
/// hold (all of them, or under a relaxed policy after a power loss the synced ones).
fn check(
    seen: &Seen,
    must_keep: &BTreeMap<(String, u64), Vec<u8>>,
    fs: &SimFs,
    durability: Durability,
) -> Result<(), String> {
    let s = opts(fs, durability)
        .open(DIR)
        .map_err(|e| format!("open: {e}"))?;
    for t in s.topics() {
        let recs = s
            .read_range(&t.name, t.first_lsn, usize::MAX, usize::MAX)
            .map_err(|e| format!("{}: read_range: {e}", t.name))?;
        let lsns: Vec<u64> = recs.iter().map(|r| r.lsn).collect();
        let want: Vec<u64> = (t.first_lsn..t.next_lsn).collect();
        if lsns != want {
            return Err(format!("{}: LSNs {lsns:?}, not dense", t.name));
        }
        for r in &recs {
            if let Some(d) = seen.acked.get(&(t.name.clone(), r.lsn))
                && *d != r.data
            {
                return Err(format!("{} {}: wrong data", t.name, r.lsn));
            }
        }
    }
    for (topic, lsn) in must_keep.keys() {
        let info = s
            .topic(topic)
            .map_err(|e| format!("{topic}: acknowledged, then {e}"))?;
        if *lsn >= info.next_lsn {
            return Err(format!("{topic} {lsn}: acknowledged record missing"));
        }
    }
    for c in s.consumers() {
        match c.name.as_str() {
            "strict" if c.position <= seen.strict_given => {
                return Err(format!(
                    "strict consumer at {} would get {} again",
                    c.position, seen.strict_given
                ));
            }
            "alo" if c.position < seen.alo_persisted => {
                return Err(format!(
                    "at-least-once consumer at {}, behind its persisted {}",
                    c.position, seen.alo_persisted
                ));
            }
            _ => {}
        }
    }
    if seen.strict_given > 0 && !s.consumers().iter().any(|c| c.name == "strict") {
        return Err("the strict consumer is gone".into());
    }
    let next = s.topic("a").map_or(1, |t| t.next_lsn);
    let lsn = s
        .append("a", b"after")
        .map_err(|e| format!("append: {e}"))?;
    if lsn != next {
        return Err(format!("append after recovery got {lsn}, expected {next}"));
    }
    s.close().map_err(|e| format!("close: {e}"))
}

/// Inject every fault of every class into the workload under `durability`; returns how
/// many runs there were.
fn every_fault(durability: Durability) -> usize {
    // How many calls of each class a clean run makes.
    let fs = SimFs::default();
    let s = opts(&fs, durability).open(DIR).unwrap();
    let mut clean = Seen::default();
    workload(&s, &mut clean);
    assert!(!clean.failed, "the workload runs cleanly without faults");
    assert!(clean.strict_given > 0 && clean.alo_persisted > 1);
    s.close().unwrap();
    let counts = fs.counts();
    let relaxed = durability != Durability::EveryAppend;
    let mut runs = 0;
    let mut fired = 0;
    let mut stopped = 0;
    let mut failures = Vec::new();
    for (class, total) in [
        (CallClass::Write, counts.write),
        (CallClass::Sync, counts.sync),
        (CallClass::Meta, counts.meta),
    ] {
        for nth in 1..=total {
            for kind in FaultKind::ALL {
                let plan = FaultPlan {
                    class,
                    nth,
                    kind,
                    seed: nth,
                };
                let fs = SimFs::default();
                fs.set_fault(Some(plan));
                let mut seen = Seen::default();
                match opts(&fs, durability).open(DIR) {
                    Ok(s) => {
                        workload(&s, &mut seen);
                        drop(s);
                    }
                    Err(_) => seen.failed = true,
                }
                fired += usize::from(fs.fired().is_some());
                stopped += usize::from(seen.failed);
                fs.set_fault(None);
                runs += 1;
                // Under a relaxed policy an acknowledged record is durable once a sync
                // covered it: a power loss keeps only those, and so may a failed sync (the
                // kernel may drop the pages it could not write).
                let unsynced_may_go = relaxed && class == CallClass::Sync;
                let on_power_loss = if relaxed { &seen.synced } else { &seen.acked };
                let on_reopen = if unsynced_may_go {
                    &seen.synced
                } else {
                    &seen.acked
                };
                for (how, after, must_keep) in [
                    ("power loss", fs.crash(Resolution::DropAll), on_power_loss),
                    ("reopen", fs.crash(Resolution::ApplyAll), on_reopen),
                ] {
                    if let Err(e) = check(&seen, must_keep, &after, durability) {
                        failures.push(format!("{durability:?}: {plan} then {how}: {e}"));
                    }
                }
            }
        }
    }
    // Each planned call exists in the run (it follows the clean run's path up to it), and
    // nearly every failure stops the workload (a failed read-ahead or a retried call need
    // not).
    assert_eq!(fired, runs, "every planned fault fired");
    assert!(
        stopped * 10 >= runs * 9,
        "{stopped} of {runs} runs stopped at their fault"
    );
    assert!(
        failures.is_empty(),
        "{} of {runs} fault runs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    runs
}

#[test]
fn eio_and_enospc_at_every_call_of_a_streams_workload() {
    let runs = every_fault(Durability::EveryAppend);
    assert!(runs > 200, "{runs} fault runs");
}

#[test]
fn eio_and_enospc_at_every_call_of_a_relaxed_streams_workload() {
    // Appends are written with the store mutex held instead of queued: the same faults
    // must leave the same guarantees, with a power loss keeping what was synced.
    let runs = every_fault(Durability::Manual);
    assert!(runs > 100, "{runs} fault runs");
}
