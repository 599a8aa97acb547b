//! The fault-injection sweep over a real process: for every N, run the scripted workload
//! (appends, atomic batches, rotations with tiny segments, checkpoints, starting with a
//! recovery that cuts a torn tail) under the `LD_PRELOAD` shim with the N-th write or sync on
//! a WAL file failing, then reopen the directory without the shim.
//!
//! Oracle for each run: the failure surfaces as a clean `Io` error with the injected errno;
//! after it every mutating call fails with `Poisoned`; right after each failed call, before
//! any reopen, the segment files hold what they held before it (up to zeros) and
//! `next_lsn()` has not moved ([`crate::residue`]); no LSN is handed out twice; a reopen holds
//! exactly the acknowledged entries plus at most the failed frame (all of it or none);
//! appends resume after the reopen.
//!
//! The workload includes the log control (truncations inside units and across segments,
//! purges inside and past the end, user data, durability callbacks and waits), so failures
//! land inside those calls too; the figure says in which calls they landed.
//!
//! With `threads > 1` the workload is concurrent appenders on one `SharedWal`
//! ([`crate::group_child`]) and the judge is [`crate::group_sweep`]'s. Under a relaxed
//! durability policy a failed fdatasync cuts the segment back to the last sync by design,
//! which may drop acknowledged, never-synced entries: there the single-threaded oracle holds
//! the log to what the child was told is durable (`on_durable`, `wait_durable`, `sync`,
//! `set_user_data`) instead of to every acknowledgement, and a cut at a frame boundary is no
//! residue; concurrent relaxed sweeps fail writes only. Under `Interval` the flusher thread syncs on its own: which sync is the N-th
//! varies from run to run (a run that never reaches N counts as "N not reached"), and the
//! failure may reach the caller as `Poisoned` naming the errno.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use walogs_core::WalOptions;

use std::collections::BTreeMap;

use crate::group_ledger::GroupLedger;
use crate::known::KNOWN;
use crate::ledger::{Ledger, Violation, provoked, tally};
use crate::payload::{FIRST_EPOCH, PayloadSpec};
use crate::policy::Policy;
use crate::protocol::{ErrKind, Event};
use crate::shim::{EIO, ENOSPC, FailedFrame, Fault, Mode, Ops, Report};
use crate::tagged::TaggedSpec;
use crate::util::{canonical, copy_dir, retry_locked};
use crate::verify::inspect;

/// How long a scripted child may run before it counts as hung.
const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

/// Settings of a sweep.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// The `walogs-torture` binary.
    pub exe: PathBuf,
    /// The compiled shim.
    pub shim: PathBuf,
    /// A scratch directory (the sweep creates `template/`, `run/` and `report` in it).
    pub work: PathBuf,
    /// Seed of payloads and of the workload.
    pub seed: u64,
    /// Operations of the scripted workload.
    pub ops: u64,
    /// `max_segment_size` of the child (tiny).
    pub segment: u64,
    /// Largest payload (a few KiB: small and multi-sector entries).
    pub max_len: usize,
    /// Also sweep a sticky (dead disk) sync failure.
    pub sticky: bool,
    /// Run the workload on a [`walogs_core::SharedWal`] instead of a [`walogs_core::Wal`].
    pub shared: bool,
    /// Appending threads (more than 1: concurrent appenders on one `SharedWal`; `ops` is
    /// then per thread).
    pub threads: u32,
    /// Durability policy of the child.
    pub policy: Policy,
    /// Microseconds the shim sleeps before each sync (see [`Fault::sync_delay_us`]).
    pub sync_delay_us: u64,
    /// Run only the plan of this name (see [`SweepReport::plans`]).
    pub only_plan: Option<String>,
    /// Run only this N (reproduces one run of a failing sweep).
    pub only_at: Option<u64>,
}

impl SweepConfig {
    /// A single-threaded sweep under the default durability, every plan and every N.
    pub fn new(exe: PathBuf, shim: PathBuf, work: PathBuf, seed: u64) -> SweepConfig {
        SweepConfig {
            exe,
            shim,
            work,
            seed,
            ops: 40,
            segment: 4096,
            max_len: 3000,
            sticky: true,
            shared: false,
            threads: 1,
            policy: Policy::EveryAppend,
            sync_delay_us: 0,
            only_plan: None,
            only_at: None,
        }
    }
}

/// What a sweep saw.
#[derive(Debug, Clone, Default)]
pub struct SweepReport {
    /// Counted writes and syncs of the workload without faults.
    pub dry_writes: u64,
    /// Counted syncs without faults.
    pub dry_syncs: u64,
    /// Runs per plan: `(name, runs)`.
    pub plans: Vec<(String, u64)>,
    /// Runs in total.
    pub runs: u64,
    /// Runs in which the first failure the child saw was a clean `Io` with the injected errno.
    pub clean_errors: u64,
    /// Runs in which every later mutating call failed with `Poisoned`.
    pub poisoned: u64,
    /// Runs whose injected failure the core ignores by design (the best-effort PID note in
    /// the lock file, and the zero-fill of a preallocation: the frame is then written into
    /// unallocated space, and only a failure of that write is an error).
    pub ignored_by_design: u64,
    /// Runs in which the failed frame came back after the reopen.
    pub failed_frame_recovered: u64,
    /// Residue checks (right after a failed call, before any reopen) that found nothing
    /// left behind. (One that found something is a violation.)
    pub residue_checks: u64,
    /// Concurrent runs: the N-th call never came (grouping varies from run to run, so a
    /// run may make fewer calls than the dry run did); such runs are still checked.
    pub not_reached: u64,
    /// Concurrent runs whose failed call carried a frame of appended entries (a group
    /// commit's write or fdatasync).
    pub frames_failed: u64,
    /// Of those, the runs whose frame held entries of at least two threads: the group's
    /// followers were waiting on the failing leader.
    pub followers_waiting: u64,
    /// Most threads with an entry in one failed frame.
    pub max_group_threads: u64,
    /// The calls the workload makes without faults, by operation (`append`, `truncate`,
    /// `purge`, `user`, `watch`, ...).
    pub workload: BTreeMap<String, u64>,
    /// The calls in which the injected failure surfaced, by operation.
    pub failed_in: BTreeMap<String, u64>,
    /// Every broken promise: `(run description, violation)`.
    pub violations: Vec<(String, Violation)>,
    /// Which workload ran (`Wal`, `SharedWal`, or `SharedWal, N threads`), and under which
    /// durability policy.
    pub handle: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl SweepReport {
    /// The one-line figure.
    pub fn figure(&self) -> String {
        let (tolerated, vs) = KNOWN.partition(
            self.messages()
                .into_iter()
                .zip(self.violations.iter().map(|(_, v)| v.clone())),
        );
        let plans: Vec<String> = self.plans.iter().map(|(n, k)| format!("{k} {n}")).collect();
        let groups = if self.handle.contains("threads") {
            format!(
                "{} failed frames of appended entries, {} of them group commits with followers waiting (up to {} threads in one), {} N not reached, ",
                self.frames_failed,
                self.followers_waiting,
                self.max_group_threads,
                self.not_reached
            )
        } else {
            String::new()
        };
        let counts = |m: &BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let reached = if groups.is_empty() && self.not_reached > 0 {
            format!("{} N not reached, ", self.not_reached)
        } else {
            String::new()
        };
        format!(
            "shim ({}): {} injected failures ({}) over {} writes + {} syncs of a real process (calls: {}): {} clean errors (in {}), {} poisoned, \
             {} residue checks clean, {groups}{reached}{} ignored by design (lock-file PID note, preallocation zero-fill), {} failed frames recovered, {}{} ({:.1} s)",
            self.handle,
            self.runs,
            plans.join(", "),
            self.dry_writes,
            self.dry_syncs,
            counts(&self.workload),
            self.clean_errors,
            counts(&self.failed_in),
            self.poisoned,
            self.residue_checks,
            self.ignored_by_design,
            self.failed_frame_recovered,
            tally(&vs),
            walogs_testkit::known::tolerated_note(&tolerated),
            self.elapsed.as_secs_f64(),
        )
    }

    /// Every violation as one line naming its run (and so its seed and N).
    pub fn messages(&self) -> Vec<String> {
        self.violations
            .iter()
            .map(|(label, v)| format!("shim ({}) {label}: {v}", self.handle))
            .collect()
    }
}

/// Shared state of one sweep: where things are, and what the template holds.
pub(crate) struct Ctx<'a> {
    pub(crate) cfg: &'a SweepConfig,
    pub(crate) spec: PayloadSpec,
    pub(crate) template: PathBuf,
    pub(crate) run_dir: PathBuf,
    report: PathBuf,
    frame: PathBuf,
    pub(crate) baseline_next: u64,
    /// Concurrent sweeps: the oracle as of the template (its tagged entries settled).
    pub(crate) group_base: Option<GroupLedger>,
}

/// What one child run under the shim produced.
pub(crate) struct ChildRun {
    pub(crate) report: Report,
    pub(crate) events: Vec<Event>,
    /// The frame whose write or sync failed, when the failed call carried one.
    pub(crate) frame: Option<FailedFrame>,
}

/// Run the sweep.
pub fn run(cfg: &SweepConfig) -> Result<SweepReport, String> {
    let start = Instant::now();
    let spec = PayloadSpec::varied(cfg.seed, cfg.max_len);
    std::fs::create_dir_all(&cfg.work).map_err(|e| e.to_string())?;
    let work = canonical(&cfg.work).map_err(|e| e.to_string())?;
    let template = work.join("template");
    let concurrent = cfg.threads > 1;
    let (baseline_next, group_base) = if concurrent {
        let tagged = TaggedSpec::new(cfg.seed, cfg.max_len);
        let (next, ledger) = crate::group_sweep::make_template(&template, &tagged, cfg.segment)?;
        (next, Some(ledger))
    } else {
        (make_template(&template, &spec, cfg.segment)?, None)
    };
    let ctx = Ctx {
        cfg,
        spec,
        template,
        run_dir: work.join("run"),
        report: work.join("report"),
        frame: work.join("frame"),
        baseline_next,
        group_base,
    };
    let handle = if concurrent {
        format!("SharedWal, {} threads", cfg.threads)
    } else if cfg.shared {
        "SharedWal".to_string()
    } else {
        "Wal".to_string()
    };
    let mut rep = SweepReport {
        handle: if cfg.policy == Policy::EveryAppend {
            handle
        } else {
            format!("{handle}, {}", cfg.policy)
        },
        ..SweepReport::default()
    };

    // Dry run: count the calls, and check the workload passes the oracle without faults.
    let dry = Fault {
        ops: Ops::Sync,
        at: 0,
        errno: EIO,
        mode: Mode::Once,
        sync_delay_us: cfg.sync_delay_us,
    };
    let run = ctx.run_child(&dry)?;
    if run.events.iter().any(|e| match e {
        Event::Fail { op, kind, .. } => !provoked(op, kind),
        Event::Refused { .. } => true,
        _ => false,
    }) {
        return Err(format!(
            "the workload fails without faults: {:?}",
            run.events
        ));
    }
    rep.dry_writes = run.report.writes;
    rep.dry_syncs = run.report.syncs;
    rep.workload = workload(&run.events);
    if run.report.writes == 0 || run.report.syncs == 0 {
        return Err(format!("the shim counted nothing: {:?}", run.report));
    }

    let mut plans = vec![(
        "write ENOSPC",
        Ops::Write,
        ENOSPC,
        Mode::Once,
        run.report.writes,
    )];
    plans.push((
        "short write then EIO",
        Ops::Write,
        EIO,
        Mode::Short,
        run.report.writes,
    ));
    // Under a relaxed policy a failed fdatasync may drop acknowledged, never-synced
    // entries: the single-threaded oracle holds the log to what was reported durable
    // instead; the concurrent one has no such mode, so concurrent relaxed sweeps fail
    // writes only.
    if !(cfg.policy.is_relaxed() && concurrent) {
        plans.insert(
            0,
            (
                "fsync/fdatasync EIO",
                Ops::Sync,
                EIO,
                Mode::Once,
                run.report.syncs,
            ),
        );
    }
    // A dead disk under a relaxed policy is the same as one failed sync: the first
    // failure poisons.
    if !cfg.policy.is_relaxed() && cfg.sticky {
        plans.push((
            "sticky sync EIO",
            Ops::Sync,
            EIO,
            Mode::Sticky,
            run.report.syncs,
        ));
    }
    for (name, ops, errno, mode, count) in plans {
        if cfg.only_plan.as_deref().is_some_and(|p| p != name) {
            continue;
        }
        let mut runs = 0;
        for at in 1..=count {
            if cfg.only_at.is_some_and(|n| n != at) {
                continue;
            }
            let fault = Fault {
                ops,
                at,
                errno,
                mode,
                sync_delay_us: cfg.sync_delay_us,
            };
            let label = format!(
                "{name} at call {at} (seed {}; reproduce: walogs-torture sweep --work DIR --seed {} --ops {} --threads {} --shared {} --policy {} --plan '{name}' --at {at})",
                cfg.seed,
                cfg.seed,
                cfg.ops,
                cfg.threads,
                u8::from(cfg.shared),
                cfg.policy
            );
            if concurrent {
                crate::group_sweep::judge(&ctx, &fault, &label, &mut rep);
            } else {
                ctx.judge(&fault, &label, &mut rep);
            }
            rep.runs += 1;
            runs += 1;
        }
        rep.plans.push((name.to_string(), runs));
    }
    let _ = std::fs::remove_dir_all(&ctx.run_dir);
    rep.elapsed = start.elapsed();
    Ok(rep)
}

/// The calls a child's events show, by operation.
fn workload(events: &[Event]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for e in events {
        let op = match e {
            Event::Ok { first, last } if first == last => "append",
            Event::Ok { .. } => "multi-entry append",
            Event::Acked { count: 1, .. } => "append",
            Event::Acked { .. } => "batch",
            Event::Done { op } => match op.split(' ').next().unwrap_or("") {
                "close" => continue,
                o => o,
            },
            Event::Fail { op, kind, .. } if provoked(op, kind) => "user over the limit",
            Event::Cut { in_unit: true, .. } => "cut in a unit",
            Event::Purge { .. } => continue,
            Event::Watch { .. } => "on_durable",
            Event::Durable { how, .. } if how == "wait" => "wait_durable",
            _ => continue,
        };
        *m.entry(op.to_string()).or_default() += 1;
    }
    m
}

/// Whether the shim may legitimately not reach call N: the grouping of concurrent appends,
/// or the timing of the interval flusher's syncs, varies from run to run.
fn may_miss(cfg: &SweepConfig) -> bool {
    cfg.threads > 1 || cfg.policy == Policy::Interval
}

/// Write the starting directory: two segments, and a torn partial frame at the end of the
/// last one, so that the child's open has to cut it. Returns the next LSN.
fn make_template(dir: &Path, spec: &PayloadSpec, segment: u64) -> Result<u64, String> {
    let _ = std::fs::remove_dir_all(dir);
    let mut wal = WalOptions::new()
        .max_segment_size(Some(segment))
        .open(dir)
        .map_err(|e| e.to_string())?;
    for i in 0..8 {
        let lsn = wal.next_lsn().0;
        wal.append(&spec.payload(FIRST_EPOCH, lsn))
            .map_err(|e| e.to_string())?;
        if i == 4 {
            wal.rotate().map_err(|e| e.to_string())?;
        }
    }
    let next = wal.next_lsn().0;
    let last = dir.join(walogs_core::segment::segment_filename(
        wal.segment_count() as u64
    ));
    wal.close().map_err(|e| e.to_string())?;
    tear(&last)?;
    Ok(next)
}

/// Append a torn partial frame (7 bytes) to the segment file `last`.
pub(crate) fn tear(last: &Path) -> Result<(), String> {
    let mut bytes = std::fs::read(last).map_err(|e| e.to_string())?;
    bytes.extend_from_slice(&[0xAB; 7]);
    std::fs::write(last, bytes).map_err(|e| e.to_string())
}

impl Ctx<'_> {
    /// Run the scripted child on a fresh copy of the template under `fault`.
    pub(crate) fn run_child(&self, fault: &Fault) -> Result<ChildRun, String> {
        let _ = std::fs::remove_dir_all(&self.run_dir);
        copy_dir(&self.template, &self.run_dir).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_file(&self.report);
        let _ = std::fs::remove_file(&self.frame);
        let c = self.cfg;
        let mut child = Command::new(&c.exe)
            .args(["child", "script", "--dir"])
            .arg(&self.run_dir)
            .args(["--seed", &c.seed.to_string()])
            .args(["--ops", &c.ops.to_string()])
            .args(["--segment", &c.segment.to_string()])
            .args(["--max-len", &c.max_len.to_string()])
            .args(["--keep", "3"])
            .args(["--shared", if c.shared { "1" } else { "0" }])
            .args(["--threads", &c.threads.to_string()])
            .args(["--policy", c.policy.name()])
            .args([
                "--cut-back",
                if c.policy.is_relaxed() && fault.ops == Ops::Sync {
                    "1"
                } else {
                    "0"
                },
            ])
            .envs(fault.env(&c.shim, &self.run_dir, &self.report, &self.frame))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", c.exe.display()))?;
        let mut out = child.stdout.take().expect("piped stdout");
        let mut err = child.stderr.take().expect("piped stderr");
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        // A child that hangs after a failure (a lost wake-up, a deadlock) is a finding too.
        let deadline = Instant::now() + CHILD_TIMEOUT;
        let status = loop {
            match child.try_wait().map_err(|e| e.to_string())? {
                Some(st) => break st,
                None if Instant::now() > deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let stdout = reader.join().unwrap_or_default();
                    return Err(format!(
                        "child hung for {CHILD_TIMEOUT:?} under {fault:?}; its last lines: {:?}",
                        stdout.lines().rev().take(3).collect::<Vec<_>>()
                    ));
                }
                None => std::thread::sleep(Duration::from_millis(2)),
            }
        };
        let stdout = reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        if !status.success() {
            return Err(format!(
                "child exited with {status} under {fault:?}: {stderr}\n{stdout}"
            ));
        }
        let text = std::fs::read_to_string(&self.report)
            .map_err(|e| format!("no shim report under {fault:?}: {e}"))?;
        let report = Report::parse(&text).ok_or(format!("bad shim report {text:?}"))?;
        let mut events = Vec::new();
        for line in stdout.lines() {
            events.push(Event::parse(line).ok_or(format!("bad child line {line:?}"))?);
        }
        let frame = if report.fired && report.frame_bytes > 0 {
            std::fs::read(&self.frame)
                .ok()
                .and_then(|b| FailedFrame::decode(&b))
        } else {
            None
        };
        Ok(ChildRun {
            report,
            events,
            frame,
        })
    }

    /// Reopen without the shim and append once: the append must get the next LSN.
    pub(crate) fn check_resume(&self, next: u64, entry: &[u8], bad: &mut dyn FnMut(Violation)) {
        let opts = WalOptions::new().max_segment_size(Some(self.cfg.segment));
        let resumed = retry_locked(|| opts.open(&self.run_dir)).and_then(|mut w| {
            let lsn = w.append(entry)?;
            w.close()?;
            Ok(lsn)
        });
        match resumed {
            Ok(l) if l.0 == next => {}
            Ok(l) => bad(Violation::LsnReuse {
                expected: next,
                got: l.0,
            }),
            Err(e) => bad(Violation::Failure(format!(
                "append after reopen failed: {e}"
            ))),
        }
    }

    fn judge(&self, fault: &Fault, label: &str, rep: &mut SweepReport) {
        let mut found = Vec::new();
        let mut bad = |v: Violation| found.push(v);
        self.judge_run(fault, rep, &mut bad);
        for v in found {
            rep.violations.push((label.to_string(), v));
        }
    }

    fn judge_run(&self, fault: &Fault, rep: &mut SweepReport, bad: &mut dyn FnMut(Violation)) {
        let ChildRun { report, events, .. } = match self.run_child(fault) {
            Ok(x) => x,
            Err(e) => return bad(Violation::Failure(e)),
        };
        if !report.fired {
            if may_miss(self.cfg) {
                rep.not_reached += 1;
            } else {
                return bad(Violation::Failure(format!(
                    "the fault never fired ({report:?})"
                )));
            }
        }
        let mut ledger = Ledger::starting_at(self.spec, self.baseline_next);
        ledger.lossy = self.cfg.policy.is_relaxed() && fault.ops == Ops::Sync;
        ledger.notes.faults = report.fired;
        for e in &events {
            for v in ledger.apply(e) {
                bad(v);
            }
        }
        // Every failed call is followed by a residue check.
        let failed_ops = events
            .iter()
            .filter(|e| matches!(e, Event::Fail { op, .. } if op != "open" && op != "close"))
            .count();
        let residues = events
            .iter()
            .filter(|e| matches!(e, Event::Residue { .. }))
            .count();
        if residues != failed_ops {
            bad(Violation::Failure(format!(
                "{failed_ops} failed calls but {residues} residue checks"
            )));
        }
        rep.residue_checks += events
            .iter()
            .filter(|e| matches!(e, Event::Residue { problem: None }))
            .count() as u64;
        // After close, every `on_durable` callback ran exactly once.
        if let Some(v) = crate::notify::unrun_callbacks(&events, ledger.notes.open_watches()) {
            bad(v);
        }
        let file = report.file_name(&self.run_dir);
        let errno_text = format!("(os error {})", fault.errno);
        let first_error = events
            .iter()
            .position(|e| matches!(e, Event::Fail { op, kind, .. } if !provoked(op, kind)));
        match first_error {
            None if !report.fired => {}
            None => {
                if file == walogs_core::LOCK_FILENAME || report.zeros {
                    rep.ignored_by_design += 1;
                } else {
                    bad(Violation::Failure(format!(
                        "{} on {file:?} failed but no operation reported an error",
                        report.op
                    )));
                }
            }
            Some(i) => {
                let Event::Fail { op, kind, msg } = &events[i] else {
                    unreachable!("found a Fail above")
                };
                // The interval flusher's own failed sync reaches callers as `Poisoned`
                // naming the errno.
                let flusher = self.cfg.policy == Policy::Interval
                    && *kind == ErrKind::Poisoned
                    && msg.contains(&errno_text);
                if *kind == ErrKind::Io(Some(fault.errno)) || flusher {
                    rep.clean_errors += 1;
                    *rep.failed_in.entry(op.clone()).or_default() += 1;
                } else {
                    bad(Violation::Failure(format!(
                        "first error of {op} is {kind} ({msg}), not io:{}",
                        fault.errno
                    )));
                }
                if op != "open" && op != "close" {
                    let later_success = events[i + 1..].iter().find(|e| match e {
                        Event::Ok { .. } => true,
                        Event::Done { op } => op != "close",
                        _ => false,
                    });
                    let later_unpoisoned = events[i + 1..].iter().find(|e| {
                        matches!(e, Event::Fail { op, kind, .. }
                            if op != "close" && *kind != ErrKind::Poisoned && !provoked(op, kind))
                    });
                    let flag = events
                        .iter()
                        .any(|e| matches!(e, Event::State { poisoned: true }));
                    if later_success.is_none() && later_unpoisoned.is_none() && flag {
                        rep.poisoned += 1;
                    } else {
                        bad(Violation::Failure(format!(
                            "{} on {file} failed inside {op}, and the handle was not poisoned: afterwards {:?}, is_poisoned() {flag}",
                            report.op,
                            later_success.or(later_unpoisoned)
                        )));
                    }
                }
            }
        }
        // Reopen without the shim: exactly the acknowledged log, or it with the failed
        // call's effect.
        let rec = match inspect(&self.run_dir, true, |l, d| ledger.matches(l, d)) {
            Ok(r) => r,
            Err(e) => return bad(Violation::Failure(format!("reopen failed: {e}"))),
        };
        for v in ledger.check(&rec).0 {
            bad(v);
        }
        if rec.last() > ledger.acked() {
            rep.failed_frame_recovered += 1;
        }
        // And appends resume.
        self.check_resume(rec.next, &self.spec.payload(FIRST_EPOCH, rec.next), bad);
    }
}
