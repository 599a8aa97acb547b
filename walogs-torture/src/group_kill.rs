//! The kill harness with concurrent children: each child runs several threads appending
//! (single entries and atomic batches) to one `SharedWal` ([`crate::group_child`]), each
//! thread printing an entry's LSN only after its append returned; the parent `SIGKILL`s the
//! child at a random time, checks the directory read-only, and starts the next child on it.
//!
//! After every kill ([`GroupLedger::check`]): every acknowledged entry is at the LSN its
//! append returned, byte for byte; no LSN went to two entries; no entry is there twice; every
//! entry is one a thread appended (those in flight at the kill may or may not be there); the
//! first LSN is no newer than a checkpoint allowed; the next child's open continues the log
//! and reports the tail the parent saw; a torn tail needs an append in flight.

use std::time::Instant;

use walogs_core::TailState;

use crate::draw;
use crate::group_ledger::GroupLedger;
use crate::kill::{
    Control, Keep, KillConfig, KillReport, Killed, TailWatch, child_command, spawn_and_kill,
};
use crate::ledger::Violation;
use crate::protocol::Event;
use crate::tagged::{TaggedLog, TaggedSpec, inspect_tagged};

/// Run `cfg.kills` kill cycles of concurrent children. Stops early after 10 violations.
pub(crate) fn run(cfg: &KillConfig, mut progress: impl FnMut(&KillReport)) -> KillReport {
    let spec = TaggedSpec::new(cfg.seed, cfg.max_len);
    let start = Instant::now();
    let mut rng = draw::stream(cfg.seed, 0x6B_696C_6C47);
    let mut ledger = GroupLedger::starting_at(cfg.seed, 1);
    let mut tail = TailWatch {
        last: TailState::Clean,
    };
    let mut rep = KillReport {
        threads: cfg.threads,
        ..KillReport::default()
    };
    let keep = Keep::from_env();
    for run in 0..cfg.kills {
        keep.before(&cfg.dir);
        let (delay, after_ready) = cfg.draw_delay(&mut rng);
        let before = (
            ledger.acked_entries,
            ledger.acked_appends,
            ledger.acked_batches,
        );
        let control_before = control_of(&ledger);
        let notes_before = (ledger.notes.reports, ledger.notes.callbacks);
        ledger.begin(run as u32);
        let mut violations = Vec::new();
        let mut ready = false;
        let mut last_lines = Vec::new();
        match spawn_and_kill(child_command(cfg, run, true), delay, after_ready) {
            Err(v) => violations.push(v),
            Ok(Killed { status, lines }) => {
                last_lines = lines.clone();
                let killed = status.code().is_none();
                if killed {
                    rep.kills += 1;
                    rep.count_policy(cfg.policy(run));
                }
                if let Some(code) = status.code()
                    && code != 0
                {
                    violations.push(Violation::Failure(format!(
                        "child {run} exited with {code} before the kill; its errors: {:?}; last lines: {:?}",
                        crate::kill::error_lines(&lines),
                        &lines[lines.len().saturating_sub(3)..]
                    )));
                }
                for line in &lines {
                    let Some(ev) = Event::parse(line) else {
                        violations.push(Violation::Failure(format!("bad line {line:?}")));
                        continue;
                    };
                    match &ev {
                        Event::Ready { torn_at, .. } => {
                            ready = true;
                            rep.torn_tails += u64::from(torn_at.is_some());
                            rep.tails_checked += 1;
                            violations.extend(tail.check_open(*torn_at));
                        }
                        Event::Checkpoint { .. } => rep.checkpoints += 1,
                        _ => {}
                    }
                    violations.extend(ledger.apply(&ev));
                }
                rep.during_open += u64::from(killed && !ready);
            }
        }
        rep.acked_entries += ledger.acked_entries - before.0;
        rep.acked_frames += ledger.acked_appends - before.1;
        rep.acked_batches += ledger.acked_batches - before.2;
        rep.control.add(control_of(&ledger).since(control_before));
        rep.durable_reports.0 += ledger.notes.reports - notes_before.0;
        rep.durable_reports.1 += ledger.notes.callbacks - notes_before.1;
        let in_flight = ledger.in_flight();
        let uncertain = ledger.has_uncertain();
        rep.in_flight += u64::from(in_flight > 0);
        rep.max_in_flight = rep.max_in_flight.max(in_flight);
        if crate::kill::never_created(&cfg.dir, ledger.max_acked()) {
            // The first child died before its open created the directory.
            rep.violations
                .extend(violations.into_iter().map(|v| (run, v)));
            rep.elapsed = start.elapsed();
            progress(&rep);
            continue;
        }
        match inspect_tagged(&cfg.dir, &spec, false) {
            Ok(log) => {
                rep.in_flight_entries_recovered += ledger.recovered_unacked(&log);
                record_sizes(&mut rep, &log, &spec);
                let (vs, matched) = ledger.check(&log, false, None);
                violations.extend(vs);
                violations.extend(tail.check_kill(
                    &cfg.dir,
                    log.tail,
                    uncertain,
                    ready,
                    ledger.cut_tail,
                ));
                ledger.settle(&log, &matched);
            }
            Err(e) => {
                violations.push(Violation::Failure(format!(
                    "open after kill {run} failed: {e} (the child's last lines: {:?})",
                    &last_lines[last_lines.len().saturating_sub(8)..]
                )));
                // One finding per directory that no longer opens: go on with a fresh one.
                let found: Vec<(u64, Violation)> =
                    violations.iter().map(|v| (run, v.clone())).collect();
                keep.after(&cfg.dir, run, &found);
                crate::kill::restart(&cfg.dir, &mut rep.restarts);
                ledger = GroupLedger::starting_at(cfg.seed, 1);
                tail.last = TailState::Clean;
            }
        }
        rep.violations
            .extend(violations.into_iter().map(|v| (run, v)));
        rep.elapsed = start.elapsed();
        progress(&rep);
        if rep.violations.len() >= 10 || keep.after(&cfg.dir, run, &rep.violations) {
            break;
        }
    }
    // A last writable open, as the next user would do, must agree.
    ledger.begin(u32::MAX);
    match inspect_tagged(&cfg.dir, &spec, true) {
        Ok(log) => rep.violations.extend(
            ledger
                .check(&log, false, None)
                .0
                .into_iter()
                .map(|v| (cfg.kills, v)),
        ),
        Err(e) => rep.violations.push((
            cfg.kills,
            Violation::Failure(format!("final writable open failed: {e}")),
        )),
    }
    rep.elapsed = start.elapsed();
    rep
}

/// The log-control counters of `ledger`.
fn control_of(ledger: &GroupLedger) -> Control {
    Control {
        cuts: ledger.cuts_done,
        purges: ledger.purges_done,
        users: ledger.users_done,
    }
}

/// Widen the report's verified entry-size range by the entries of `log`.
fn record_sizes(rep: &mut KillReport, log: &TaggedLog, spec: &TaggedSpec) {
    let mut sizes: Option<(u64, u64)> = None;
    for tag in log.entries.iter().filter_map(|(_, t)| *t) {
        let n = spec.len(tag) as u64;
        sizes = Some(sizes.map_or((n, n), |(lo, hi)| (lo.min(n), hi.max(n))));
    }
    if let Some(s) = sizes {
        rep.add_sizes(s);
    }
    rep.max_log_bytes = rep.max_log_bytes.max(log.bytes);
}
