//! Fault injection: for every workload of up to `max_len` operations (the classic alphabet,
//! or the log-control one after a fixed prefix: [`FaultConfig::control`]), fail its N-th
//! write, sync, metadata or read call (every N, with EIO and with ENOSPC), and check that
//!
//! * the operation that hit the fault returns an error (only the best-effort PID write of
//!   the lock file may swallow one);
//! * a failed write or sync of a segment or of `walogs.user` (or a failed directory fsync)
//!   poisons the handle: every later mutation returns
//!   [`walogs_core::WalError::Poisoned`] until a reopen;
//! * no error comes without a fault, and no LSN is acknowledged twice;
//! * right after a call failed, the handle's `next_lsn()` is what it was before the call (a
//!   failed purge may have moved it past its floor), and after a failed append, batch,
//!   `append_many`, rotation, sync or user data write every segment file still holds
//!   exactly the valid frames it held before, with
//!   nothing but zeros after them (a failed append leaves no partial frame for a later
//!   recovery to cut: guarantee 9 holds in place, not just after a reopen);
//! * reopening in place (no crash) and reopening after a power loss (several resolutions)
//!   both show exactly the acknowledged entries plus at most the failed one (a failed
//!   truncation or purge done or not done, never half; a failed user data write the old or
//!   the new value), and accept appends again; a reopen inside the workload is checked the
//!   same way and becomes the new baseline.
//!
//! A separate check ("fsyncgate") reopens in place after the fault, appends, and then loses
//! power: after a failed fdatasync Linux may have dropped the data while the page cache still
//! shows it, so an in-place reopen can build on entries the disk does not have.

use walogs_core::WalError;

use crate::Rng;
use crate::disk::{Disk, Resolution};
use crate::fault::{CallClass, FaultKind, FaultPlan, FiredFault};
use crate::fs::SimFs;
use crate::harness::frames::{scan, segments};
use crate::harness::{Tally, hash_str, open_and_check, setup};
use crate::model::{Model, Violation, check, check_recovered};
use crate::workload::{
    Action, Codes, LogView, Op, OpResult, Setup, WAL_DIR, all_workloads, all_workloads_over,
    run_action,
};
use walogs_testkit::handle::{DynWal, HandleKind};

/// Settings of the fault harness.
#[derive(Debug, Clone)]
pub struct FaultConfig {
    /// Longest workload.
    pub max_len: usize,
    /// Seed of the partial effects and crash resolutions.
    pub seed: u64,
    /// Crash resolutions checked after each fault run.
    pub resolutions: u64,
    /// Handle types to run.
    pub kinds: Vec<HandleKind>,
    /// Call classes to fail.
    pub classes: Vec<CallClass>,
    /// `max_segment_size`.
    pub segment_size: u64,
    /// Worker threads.
    pub threads: usize,
    /// Run the log-control alphabet ([`Op::CONTROL`]) after [`FaultConfig::prefix`]
    /// instead of the classic alphabet.
    pub control: bool,
    /// Operations run before each log-control workload (faults hit them too), so that
    /// truncations and purges find units and segments to cut.
    pub prefix: Vec<Op>,
}

impl FaultConfig {
    /// Every workload of the sweep.
    pub fn workloads(&self) -> Vec<Vec<Op>> {
        if !self.control {
            return all_workloads(self.max_len);
        }
        all_workloads_over(&Op::CONTROL, self.max_len)
            .into_iter()
            .map(|w| self.prefix.iter().copied().chain(w).collect())
            .collect()
    }
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            max_len: 3,
            seed: 1,
            resolutions: 3,
            kinds: vec![HandleKind::Single, HandleKind::Shared],
            classes: CallClass::ALL.to_vec(),
            segment_size: 200,
            threads: 1,
            control: false,
            prefix: vec![Op::Batch, Op::Many],
        }
    }
}

/// What the fault harness found.
#[derive(Debug, Default, Clone)]
pub struct FaultReport {
    /// One state per fault run (its first violation, if any).
    pub runs: Tally,
    /// Runs in which a poisoning fault fired and poisoning was checked.
    pub poison_checked: u64,
    /// Crash recoveries checked after faults.
    pub crash_checks: u64,
    /// The in-place-reopen-then-power-loss check after failed syncs.
    pub fsyncgate: Tally,
    /// The state of the handle and the segment files right after the failed call.
    pub in_place: Tally,
}

impl FaultReport {
    fn merge(&mut self, o: FaultReport) {
        self.runs.merge(o.runs);
        self.poison_checked += o.poison_checked;
        self.crash_checks += o.crash_checks;
        self.fsyncgate.merge(o.fsyncgate);
        self.in_place.merge(o.in_place);
    }
}

impl FaultReport {
    /// The harness's figures, one line per tally: the fault runs, the state right after the
    /// failed calls, then the fsyncgate check.
    pub fn lines(&self, cfg: &FaultConfig) -> [String; 3] {
        let workloads = cfg.workloads().len();
        let classes: Vec<&str> = cfg.classes.iter().map(|c| c.name()).collect();
        let kinds: Vec<&str> = cfg.kinds.iter().map(|k| k.name()).collect();
        let over = if cfg.control {
            format!(
                "{} then 1-{} ops over {}",
                Codes(&cfg.prefix),
                cfg.max_len,
                Codes(&Op::CONTROL)
            )
        } else {
            format!("1-{} ops over {}", cfg.max_len, Codes(&Op::ALL))
        };
        let name = if cfg.control {
            "faults[control]"
        } else {
            "faults"
        };
        [
            self.runs.line(
                name,
                &format!(
                    "fault runs (EIO and ENOSPC at every {} call of {workloads} workloads of {over}, \
                     handles {}, seed {}; {} poisoning checks, {} power-loss recoveries)",
                    classes.join("/"),
                    kinds.join("+"),
                    cfg.seed,
                    self.poison_checked,
                    self.crash_checks
                ),
            ),
            self.in_place.line(
                &format!("{name}-in-place"),
                "failed calls (next_lsn() and every segment's frames and tail checked right after the failure)",
            ),
            self.fsyncgate.line(
                &if cfg.control {
                    "fsyncgate[control]".to_string()
                } else {
                    "fsyncgate".to_string()
                },
                "runs (reopen in place after a failed sync, append, power loss)",
            ),
        ]
    }
}

/// The reproduction line of one fault run.
pub fn repro_line(cfg: &FaultConfig, ops: &[Op], kind: HandleKind, plan: &FaultPlan) -> String {
    format!(
        "cargo run --release -p walogs-sim -- repro faults ops={} handle={} seg={} res={} fault={}:{}:{} fault-seed={}",
        Codes(ops),
        kind.name(),
        cfg.segment_size,
        cfg.resolutions,
        plan.class.name(),
        plan.nth,
        plan.kind.name(),
        plan.seed
    )
}

fn is_segment(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .and_then(walogs_core::segment::parse_segment_filename)
        .is_some()
}

/// Whether a failure of this call must poison the handle.
fn must_poison(f: &FiredFault, action: &Action) -> bool {
    !matches!(action, Action::Reopen) && must_poison_call(f)
}

/// Whether a failure of this call, made by an open handle, must poison it: a write or sync
/// of a segment, or a fsync of the WAL directory.
pub(crate) fn must_poison_call(f: &FiredFault) -> bool {
    let user = f.path.rsplit('/').next() == Some(walogs_core::USER_DATA_FILENAME);
    match f.plan.class {
        CallClass::Write => is_segment(&f.path) || user,
        CallClass::Sync => is_segment(&f.path) || user || f.path == WAL_DIR,
        _ => false,
    }
}

/// Open the directory in place after a fault (no crash), check it against `model` (with
/// the failed call's effect in flight) and make what it holds the new baseline.
fn reopen_checked(
    st: &Setup,
    model: &mut Model,
    failed: &mut Option<(u64, Vec<Vec<u8>>)>,
) -> Result<Box<dyn DynWal>, Violation> {
    let notes = crate::harness::frames::open_notes(&st.fs.disk());
    let w = st.open().map_err(|e| {
        Violation::FailedOpen(format!("reopen in place after the fault: {e}{notes}"))
    })?;
    model.inflight = failed.take();
    let rec = check(&*w, model)?;
    model.rebase(&rec);
    Ok(w)
}

/// Whether walogs may ignore a failure of this call: the PID note in the lock file, and
/// preallocation (`fallocate` is an optimisation; a real lack of space fails the write).
fn best_effort(f: &FiredFault) -> bool {
    (f.path.ends_with(walogs_core::LOCK_FILENAME)
        && !f.call.starts_with("open ")
        && !f.call.starts_with("try_lock"))
        || f.call.starts_with("allocate ")
}

/// Outcome of one fault run.
#[derive(Debug, Default)]
pub struct RunOutcome {
    /// The first violation of the main oracle.
    pub verdict: Option<Violation>,
    /// The fsyncgate check's violation, when it ran and failed.
    pub fsyncgate: Option<Result<(), Violation>>,
    /// The check of the state right after the failed call, when a call failed.
    pub in_place: Option<Result<(), Violation>>,
    /// Whether poisoning was checked.
    pub poison_checked: bool,
    /// Crash recoveries checked.
    pub crash_checks: u64,
    /// The call trace (when asked for).
    pub trace: Vec<String>,
}

/// Run `ops` with `plan` armed; see the module docs for what is checked.
pub fn run_faulted(
    ops: &[Op],
    kind: HandleKind,
    plan: FaultPlan,
    cfg: &FaultConfig,
    trace: bool,
) -> RunOutcome {
    let mut out = RunOutcome::default();
    let fs = SimFs::default();
    fs.trace(trace);
    fs.set_fault(Some(plan));
    let st = setup(&fs, cfg.segment_size, true, kind);
    let mut model = Model::default();
    let mut wal: Option<Box<dyn DynWal>> = None;
    let mut poisoned = false;
    let mut failed: Option<(u64, Vec<Vec<u8>>)> = None;
    let fail = |out: &mut RunOutcome, v: Violation, fs: &SimFs| {
        out.verdict = Some(with_fault(v, fs.fired()));
        out.trace = fs.take_trace();
    };
    fs.set_tag(0);
    match st.open() {
        Ok(w) => wal = Some(w),
        Err(e) if fs.fired().is_none() => {
            fail(
                &mut out,
                Violation::FailedOpen(format!("without a fault: {e}")),
                &fs,
            );
            return out;
        }
        Err(_) => {}
    }
    for (i, &op) in ops.iter().enumerate() {
        fs.set_tag(i as u64 + 1);
        let fired_before = fs.fired().is_some();
        if fired_before && wal.is_none() {
            // The fault failed an open: open again (no fault left) and take it as the base.
            match reopen_checked(&st, &mut model, &mut failed) {
                Ok(w) => wal = Some(w),
                Err(v) => {
                    fail(&mut out, v, &fs);
                    return out;
                }
            }
        }
        let action = Action::of(op, i, &model, &LogView::of(wal.as_deref(), &fs));
        let watch = !fired_before && action.is_mutation();
        let segs_before = (watch && leaves_frames(&action)).then(|| segments(&fs.disk()));
        let next_before = wal.as_ref().filter(|_| watch).map(|w| w.next_lsn().0);
        let r = run_action(&mut wal, &st, &mut model, &action, None);
        let fired_now = if fired_before { None } else { fs.fired() };
        if fired_now.is_some() {
            failed = model.inflight.clone();
        }
        if let (OpResult::Err(e), Some(f)) = (&r, &fired_now) {
            let moved = match (next_before, wal.as_ref()) {
                (Some(n), Some(w)) if !matches!(action, Action::TruncateAfter(_)) => {
                    let now = w.next_lsn().0;
                    // A purge whose floor was durable before the failure starts the log
                    // above it.
                    let purged = matches!(action, Action::PurgeUpTo(p) if now == p + 1 && p >= n);
                    (now != n && !purged).then(|| {
                        format!("next_lsn() is {now} after `{action}` failed, it was {n} ({e})")
                    })
                }
                _ => None,
            };
            let left = segs_before
                .as_ref()
                .and_then(|b| leftovers(b, &segments(&fs.disk())));
            // Recorded apart (the run goes on to its reopens and power losses).
            // A partial frame first: the known shared-handle next_lsn() bug must not hide it.
            out.in_place = Some(match left.or(moved) {
                None => Ok(()),
                Some(what) => Err(Violation::Other(format!(
                    "right after `{}` failed (handle {}): {what}",
                    f.call,
                    kind.name()
                ))),
            });
        }
        let v = match r {
            OpResult::Ok => {
                if let Some(f) = fired_now.as_ref().filter(|f| !best_effort(f)) {
                    Some(Violation::Other(format!(
                        "the fault at `{}` was swallowed: {action:?} returned Ok",
                        f.call
                    )))
                } else if poisoned && action.is_mutation() {
                    Some(Violation::Other(format!(
                        "{action:?} succeeded on a handle whose write or sync had failed"
                    )))
                } else {
                    if matches!(action, Action::Reopen) {
                        poisoned = false;
                        if fs.fired().is_some() {
                            // The reopen is the baseline from here on (checked first).
                            drop(wal.take());
                            match reopen_checked(&st, &mut model, &mut failed) {
                                Ok(w) => wal = Some(w),
                                Err(v) => {
                                    fail(&mut out, v, &fs);
                                    return out;
                                }
                            }
                        }
                    }
                    // A later acknowledgement of the same LSN replaces the failed entry.
                    if failed
                        .as_ref()
                        .is_some_and(|(l, _)| model.entries.contains_key(l))
                    {
                        failed = None;
                    }
                    None
                }
            }
            OpResult::Err(e) => {
                model.inflight = failed.clone();
                if let Some(f) = &fired_now {
                    // Poisoning is allowed after any failure, required after a failed
                    // write or sync of a segment or of the directory.
                    poisoned = wal.as_ref().is_some_and(|w| w.is_poisoned());
                    if must_poison(f, &action) {
                        out.poison_checked = true;
                        (!poisoned).then(|| {
                            Violation::Other(format!(
                                "the handle is not poisoned after `{}` failed ({e})",
                                f.call
                            ))
                        })
                    } else {
                        None
                    }
                } else if poisoned {
                    (!matches!(e, WalError::Poisoned { .. })).then(|| {
                        Violation::Other(format!(
                            "a poisoned handle returned {e:?} instead of Poisoned"
                        ))
                    })
                } else {
                    Some(Violation::Other(format!(
                        "{action:?} failed without a fault: {e}"
                    )))
                }
            }
            OpResult::OpenFailed(e) => {
                model.inflight = failed.clone();
                poisoned = false;
                fired_now
                    .is_none()
                    .then(|| Violation::FailedOpen(format!("without a fault: {e}")))
            }
        };
        if let Some(v) = v {
            fail(&mut out, v, &fs);
            return out;
        }
    }
    let fired = fs.fired();
    let fail = |out: &mut RunOutcome, v: Violation, fs: &SimFs| {
        out.verdict = Some(with_fault(v, fired.clone()));
        out.trace = fs.take_trace();
    };
    fs.set_fault(None);
    model.inflight = failed.clone();
    let before: Disk = fs.disk();
    // (a) The process goes on: close, reopen in place.
    drop(wal.take());
    match open_and_check(&st, &model) {
        Err(v) => {
            fail(&mut out, v, &fs);
            return out;
        }
        Ok((w, rec)) => {
            // fsyncgate: build on what the page cache showed, then lose power.
            let sync_failed = fired
                .as_ref()
                .is_some_and(|f| f.plan.class == CallClass::Sync);
            drop(w);
            if sync_failed {
                let mut m2 = model.clone();
                m2.rebase(&rec);
                m2.ack(rec.next_lsn, &[b"after-recovery".to_vec()]);
                let r = (0..cfg.resolutions).try_for_each(|r| {
                    let res = Resolution::nth(r, Rng::mix(plan.seed, 77 + r));
                    let fs2 = SimFs::new(fs.disk().crash(res));
                    let st2 = setup(&fs2, cfg.segment_size, true, kind);
                    let w2 = st2
                        .open()
                        .map_err(|e| Violation::FailedOpen(e.to_string()))?;
                    let rec2 = crate::model::read_all(&*w2)?;
                    check_recovered(&rec2, &m2)
                });
                out.fsyncgate = Some(r.map_err(|v| with_fault(v, fired.clone())));
            }
        }
    }
    // (b) Power loss right after the workload, several resolutions.
    for r in 0..cfg.resolutions {
        let res = Resolution::nth(r, Rng::mix(plan.seed, r));
        let fs2 = SimFs::new(before.crash(res));
        let st2 = setup(&fs2, cfg.segment_size, true, kind);
        out.crash_checks += 1;
        if let Err(v) = open_and_check(&st2, &model) {
            let v = match v {
                Violation::Other(s) => {
                    Violation::Other(format!("after a power loss ({res:?}): {s}"))
                }
                other => other,
            };
            fail(&mut out, v, &fs);
            return out;
        }
    }
    out.trace = fs.take_trace();
    out
}

/// Whether a failure of `action` must leave the segments' frames as they were (an append,
/// a batch or a rotation adds or seals frames and deletes nothing).
fn leaves_frames(action: &Action) -> bool {
    matches!(
        action,
        Action::Append(_)
            | Action::Batch(_)
            | Action::Many(_)
            | Action::Rotate
            | Action::Sync
            | Action::SetUserData(_)
            | Action::WaitDurable(_)
    )
}

type Segments = std::collections::BTreeMap<u64, (String, Vec<u8>)>;

/// What a failed call left behind in the segment files (`None`: nothing): a segment whose
/// valid frames changed or vanished, or bytes other than zeros after the last valid frame
/// (a partial frame).
fn leftovers(before: &Segments, after: &Segments) -> Option<String> {
    for (seq, (name, bytes)) in after {
        let (_, end) = scan(bytes);
        let old = before.get(seq).map_or(&[][..], |(_, b)| {
            let (_, e) = scan(b);
            &b[..e]
        });
        if bytes[..end] != *old {
            return Some(format!(
                "the valid frames of {name} changed ({} bytes of frames before, {end} now)",
                old.len()
            ));
        }
        if let Some(p) = bytes[end..].iter().position(|&b| b != 0) {
            return Some(format!(
                "{name} holds a partial frame: non-zero byte at offset {} after its last valid frame (which ends at {end}, file length {})",
                end + p,
                bytes.len()
            ));
        }
    }
    before
        .iter()
        .find(|(seq, _)| !after.contains_key(seq))
        .map(|(_, (name, _))| format!("{name} vanished"))
}

/// Name the fault in a violation's message (so alike failures group by the failing call).
fn with_fault(v: Violation, f: Option<FiredFault>) -> Violation {
    match f {
        Some(f) => Violation::Context(
            Box::new(v),
            format!("after the fault at `{}` in op {}", f.call, f.tag),
        ),
        None => v,
    }
}

fn run_unit(ops: &[Op], kind: HandleKind, cfg: &FaultConfig, rep: &mut FaultReport) {
    // A dry run counts the calls of each class.
    let fs = SimFs::default();
    let st = setup(&fs, cfg.segment_size, true, kind);
    let mut model = Model::default();
    let mut wal: Option<Box<dyn DynWal>> = None;
    for (i, &op) in ops.iter().enumerate() {
        let action = Action::of(op, i, &model, &LogView::of(wal.as_deref(), &fs));
        let _ = run_action(&mut wal, &st, &mut model, &action, None);
    }
    let counts = fs.counts();
    drop(wal);
    let base = cfg.seed ^ hash_str(&Codes(ops).to_string()) ^ (kind as u64);
    for &class in &cfg.classes {
        for nth in 1..=counts.get(class) {
            for fk in FaultKind::ALL {
                let plan = FaultPlan {
                    class,
                    nth,
                    kind: fk,
                    seed: Rng::mix(base, (nth << 8) | (class as u64) << 4 | fk as u64),
                };
                let o = run_faulted(ops, kind, plan, cfg, false);
                rep.runs.record(o.verdict.map_or(Ok(()), Err), || {
                    repro_line(cfg, ops, kind, &plan)
                });
                if let Some(g) = o.fsyncgate {
                    rep.fsyncgate
                        .record(g, || repro_line(cfg, ops, kind, &plan));
                }
                if let Some(c) = o.in_place {
                    rep.in_place.record(c, || repro_line(cfg, ops, kind, &plan));
                }
                rep.poison_checked += o.poison_checked as u64;
                rep.crash_checks += o.crash_checks;
            }
        }
    }
}

/// Run every fault of every workload on `cfg.threads` threads.
pub fn run(cfg: &FaultConfig) -> FaultReport {
    let units: Vec<(Vec<Op>, HandleKind)> = cfg
        .workloads()
        .into_iter()
        .flat_map(|w| cfg.kinds.iter().map(move |&k| (w.clone(), k)))
        .collect();
    let threads = cfg.threads.max(1);
    let parts: Vec<FaultReport> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let units = &units;
                s.spawn(move || {
                    let mut rep = FaultReport::default();
                    for (ops, kind) in units.iter().skip(t).step_by(threads) {
                        run_unit(ops, *kind, cfg, &mut rep);
                    }
                    rep
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect()
    });
    let mut total = FaultReport::default();
    for p in parts {
        total.merge(p);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::plain_frame;

    fn segs(files: &[(&str, Vec<u8>)]) -> Segments {
        files
            .iter()
            .map(|(n, b)| {
                let seq = walogs_core::segment::parse_segment_filename(n).expect("segment name");
                (seq, (n.to_string(), b.clone()))
            })
            .collect()
    }

    #[test]
    fn leftovers_finds_partial_frames_changed_frames_and_vanished_segments() {
        let one = plain_frame(1, b"one");
        let mut two = one.clone();
        two.extend(plain_frame(2, b"two"));
        let before = segs(&[("wal-000001.log", one.clone())]);
        // Zeros after the frames (a preallocated or cut tail) and an empty new segment: fine.
        let mut zeros = one.clone();
        zeros.extend([0u8; 300]);
        let ok = segs(&[("wal-000001.log", zeros), ("wal-000002.log", Vec::new())]);
        assert_eq!(leftovers(&before, &ok), None);
        // A prefix of the failed frame left behind.
        let mut partial = one.clone();
        partial.extend(&plain_frame(2, b"two")[..7]);
        let r = leftovers(&before, &segs(&[("wal-000001.log", partial)]));
        assert!(r.is_some_and(|m| m.contains("partial frame")));
        // A whole frame added by a call that failed.
        let r = leftovers(&before, &segs(&[("wal-000001.log", two)]));
        assert!(r.is_some_and(|m| m.contains("valid frames")));
        assert!(leftovers(&before, &segs(&[])).is_some_and(|m| m.contains("vanished")));
    }
}
