//! The shim sweep of concurrent appenders: the judge of one run of [`crate::group_child`]
//! (several threads appending to one `SharedWal`) with the N-th write or sync failed.
//!
//! Oracle for each run: at most one call returns `Io` with the injected errno (the leader's,
//! or the failed rotation's or checkpoint's; none when the leader's own entry had already been
//! written by an earlier flush, and then the poisoning reason names the errno), every other
//! error is `Poisoned`, and the handle says it is poisoned; right after the threads stopped, before any reopen, the newest
//! segment holds whole frames then zeros ending at the last acknowledged LSN, and
//! `next_lsn()` follows it; no entry of the frame whose write or sync failed (as the shim
//! saved it) was acknowledged, followers included; a reopen holds every acknowledged entry
//! at its LSN byte for byte, dense acknowledged LSNs, no entry twice, and entries of failed
//! appends only as the whole failed frame after the last acknowledged one
//! ([`GroupLedger::check`]); appends resume after the reopen.
//!
//! Thread 0 also truncates (inside group-commit units when it can), purges, sets user data
//! and registers durability callbacks, so failures land in those calls too.
//!
//! Which appends share a group is up to the scheduler, so a run is reproduced by its seed,
//! plan and N up to that grouping; the shim's sync delay makes groups with followers the
//! common case, and the figure counts the runs whose failed frame held entries of several
//! threads.

use std::collections::HashSet;
use std::path::Path;

use walogs_core::WalOptions;

use crate::group_ledger::GroupLedger;
use crate::ledger::{Violation, provoked};
use crate::protocol::{ErrKind, Event};
use crate::shim::Fault;
use crate::sweep::{ChildRun, Ctx, SweepReport, tear};
use crate::tagged::{Tag, TaggedSpec, inspect_tagged};

/// The `run` of the template's tags (a child's tags use run 0).
const TEMPLATE_RUN: u32 = u32::MAX;

/// Write the starting directory of a concurrent sweep: two segments of tagged entries and a
/// torn partial frame for the child's open to cut. Returns the next LSN and the oracle with
/// the template's entries settled.
pub(crate) fn make_template(
    dir: &Path,
    spec: &TaggedSpec,
    segment: u64,
) -> Result<(u64, GroupLedger), String> {
    let s = |e: walogs_core::WalError| e.to_string();
    let _ = std::fs::remove_dir_all(dir);
    let mut wal = WalOptions::new()
        .max_segment_size(Some(segment))
        .open(dir)
        .map_err(s)?;
    for seq in 0..8 {
        wal.append(&spec.payload(Tag {
            run: TEMPLATE_RUN,
            thread: 0,
            seq,
        }))
        .map_err(s)?;
        if seq == 4 {
            wal.rotate().map_err(s)?;
        }
    }
    let next = wal.next_lsn().0;
    let last = dir.join(walogs_core::segment::segment_filename(
        wal.segment_count() as u64
    ));
    wal.close().map_err(s)?;
    tear(&last)?;
    let log = inspect_tagged(dir, spec, false).map_err(s)?;
    if log.read_error.is_some() || log.entries.iter().any(|(_, t)| t.is_none()) || log.next != next
    {
        return Err(format!("the template does not read back: {log:?}"));
    }
    let mut ledger = GroupLedger::starting_at(spec.seed, 1);
    let matched = ledger.clone();
    ledger.settle(&log, &matched);
    Ok((next, ledger))
}

/// Run the concurrent child under `fault` and judge it; violations go to `rep` under `label`.
pub(crate) fn judge(ctx: &Ctx<'_>, fault: &Fault, label: &str, rep: &mut SweepReport) {
    let mut found = Vec::new();
    judge_run(ctx, fault, rep, &mut |v| found.push(v));
    for v in found {
        rep.violations.push((label.to_string(), v));
    }
}

fn judge_run(ctx: &Ctx<'_>, fault: &Fault, rep: &mut SweepReport, bad: &mut dyn FnMut(Violation)) {
    let spec = TaggedSpec::new(ctx.cfg.seed, ctx.cfg.max_len);
    let ChildRun {
        report,
        events,
        frame,
    } = match ctx.run_child(fault) {
        Ok(x) => x,
        Err(e) => return bad(Violation::Failure(e)),
    };
    let mut ledger = ctx
        .group_base
        .clone()
        .expect("a concurrent sweep has a tagged template");
    ledger.begin(0);
    ledger.notes.faults = report.fired;
    for e in &events {
        for v in ledger.apply(e) {
            bad(v);
        }
    }
    rep.residue_checks += events
        .iter()
        .filter(|e| matches!(e, Event::Residue { problem: None }))
        .count() as u64;
    // Every error: (operation, kind, text).
    let errors: Vec<(&str, &ErrKind, &str)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Refused { kind, msg, .. } => Some(("append", kind, msg.as_str())),
            Event::Fail { op, kind, msg } if !provoked(op, kind) => {
                Some((op.as_str(), kind, msg.as_str()))
            }
            _ => None,
        })
        .collect();
    let injected = ErrKind::Io(Some(fault.errno));
    for (op, kind, _) in &errors {
        if **kind != injected && **kind != ErrKind::Poisoned {
            bad(Violation::Failure(format!(
                "{op} failed with {kind}, neither the injected io:{} nor poisoned",
                fault.errno
            )));
        }
    }
    let io = errors.iter().filter(|(_, k, _)| **k == injected).count();
    // A leader whose own entry an earlier flush had already written returns `Ok` even when
    // the group it then led failed; its followers get `Poisoned`. So the injected error may
    // reach no caller as `Io`, but it must be named in the poisoning reason.
    let errno_text = format!("(os error {})", fault.errno);
    let named = errors
        .iter()
        .any(|(_, k, m)| **k == ErrKind::Poisoned && m.contains(&errno_text));
    let file = report.file_name(&ctx.run_dir);
    if !report.fired {
        rep.not_reached += 1;
        if !errors.is_empty() {
            bad(Violation::Failure(format!(
                "nothing was failed, yet {} calls returned errors",
                errors.len()
            )));
        }
    } else if errors.is_empty() {
        if file == walogs_core::LOCK_FILENAME || report.zeros {
            rep.ignored_by_design += 1;
        } else {
            bad(Violation::Failure(format!(
                "{} on {file:?} failed but no operation reported an error",
                report.op
            )));
        }
    } else {
        if io == 1 || (io == 0 && named) {
            rep.clean_errors += 1;
            let op = errors
                .iter()
                .find(|(_, k, _)| **k == injected)
                .map_or("a group commit (its leader returned Ok)", |(op, _, _)| op);
            *rep.failed_in.entry(op.to_string()).or_default() += 1;
        } else {
            bad(Violation::Failure(format!(
                "{io} calls returned the injected io:{} (expected the leader's, or none and the errno in the poisoning reason); errors: {errors:?}",
                fault.errno
            )));
        }
        let in_open_or_close = errors
            .iter()
            .all(|(op, _, _)| *op == "open" || *op == "close");
        if !in_open_or_close {
            let flag = events
                .iter()
                .any(|e| matches!(e, Event::State { poisoned: true }));
            let checked = events.iter().any(|e| matches!(e, Event::Residue { .. }));
            if flag {
                rep.poisoned += 1;
            } else {
                bad(Violation::Failure(format!(
                    "{} on {file} failed and is_poisoned() is false",
                    report.op
                )));
            }
            if !checked {
                bad(Violation::Failure(
                    "no residue check after the failure".into(),
                ));
            }
        }
    }
    // The frame the failed call carried: its entries and how many threads they came from.
    let failed_frame = frame.filter(|f| f.first >= ctx.baseline_next);
    if let Some(f) = &failed_frame {
        rep.frames_failed += 1;
        let threads: HashSet<u32> = f
            .entries
            .iter()
            .filter_map(|e| spec.recognise(e))
            .map(|t| t.thread)
            .collect();
        if threads.len() >= 2 {
            rep.followers_waiting += 1;
        }
        rep.max_group_threads = rep.max_group_threads.max(threads.len() as u64);
    }
    // Reopen without the shim.
    let log = match inspect_tagged(&ctx.run_dir, &spec, true) {
        Ok(l) => l,
        Err(e) => return bad(Violation::Failure(format!("reopen failed: {e}"))),
    };
    for v in ledger
        .check(&log, true, failed_frame.as_ref().map(|f| f.span()))
        .0
    {
        bad(v);
    }
    if let Some(v) = crate::notify::unrun_callbacks(&events, ledger.notes.open_watches()) {
        bad(v);
    }
    if log.last() > ledger.max_acked() {
        rep.failed_frame_recovered += 1;
    }
    let probe = spec.payload(Tag {
        run: TEMPLATE_RUN - 1,
        thread: 0,
        seq: 0,
    });
    ctx.check_resume(log.next, &probe, bad);
}
