//! Concurrent appenders: several threads append to one [`SharedWal`] over [`SimFs`], so
//! that group commit has followers (appenders whose entry another thread writes and syncs),
//! under power loss and under faults, while a watcher thread waits for durability
//! (`on_durable` and `wait_durable` on the newest LSN handed out), and, between the two
//! halves of the run, the main thread cuts the log with `truncate_after` (often inside a
//! unit: an atomic batch or a group commit of several appenders).
//!
//! Each appender records, for every call, the simulator's mutating-call counter just
//! before the call (`started`) and just after it returned (`returned`), and after it the
//! handle's `durable_lsn()` with the counter after reading it; the watcher records the
//! counter when each notification arrived; the truncation records its counters too. The
//! crash point after mutating call `c` is the disk as it was right after that call. The
//! oracle is sound whatever the interleaving:
//!
//! * an append that returned `Ok` at counter `returned <= c` was durable before call `c`
//!   completed (its fdatasync was one of the first `returned` calls), so its entries must be
//!   in every crash state at or after `c`, at the LSNs it was given — unless the
//!   truncation removed them;
//! * a `durable_lsn()` of `D` read at counter `<= c`, and a durability notification for
//!   LSN `D` that arrived by counter `c`, promise LSNs up to `D` likewise;
//! * an entry whose append started at counter `>= c` cannot have been written by then;
//! * the truncation to `k` is not done before it started, done or not done (never half)
//!   while it runs, and done once it returned: no entry of the first half above `k` is ever
//!   seen again, its LSNs now name the second half's entries;
//! * every entry present holds bytes some append wrote, at the LSN that append was given,
//!   once; an atomic batch is entirely present or absent; LSNs are dense; `next_lsn()` is
//!   above every acknowledged LSN and the first append after recovery gets it.
//!
//! Half the runs make every fdatasync slow (it waits before it is made), so that a group's
//! followers are waiting while their leader syncs.
//!
//! Power-loss runs check every crash point of the run, each resolved several ways. Fault
//! runs fail one write, sync or metadata call somewhere in the run; then every append that
//! returned `Ok` must survive an in-place reopen and a power loss, a failed segment write or
//! sync must leave the handle poisoned, and no call fails without a fault.
//!
//! Thread interleavings are not deterministic: a run's seed fixes the threads' calls,
//! payloads, segment size, fault and crash resolutions, not the schedule. So a violation
//! is reported with everything needed to understand it — the crash point (call number and
//! the call), the resolution, and the acknowledged set at that point (LSN, thread and call,
//! counter when it returned) — and `walogs-sim repro concurrent seed=..` reruns the seed
//! until the violation shows again.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};

use walogs_core::{Lsn, SharedWal, WalError, WalOptions};

use crate::Rng;
use crate::disk::{Disk, Resolution};
use crate::fault::{CallClass, FaultKind, FaultPlan};
use crate::fs::{Lies, SimFs};
use crate::harness::frames::{scan, segments};
use crate::harness::{Tally, options};
use crate::model::Violation;
use crate::workload::{NOTIFY_HANG, WAL_DIR};

/// Settings of the concurrent harness.
#[derive(Debug, Clone)]
pub struct ConcurrentConfig {
    /// Seed of run 0; run `i` uses `Rng::mix(seed, i)`.
    pub seed: u64,
    /// Number of runs.
    pub runs: u64,
    /// Most appender threads per run (each run uses 2 to this many).
    pub appenders: usize,
    /// Calls per appender thread.
    pub calls: usize,
    /// Crash resolutions per crash point (power-loss runs) or after the run (fault runs).
    pub resolutions: u64,
    /// Fail one call per run instead of losing power at every crash point.
    pub faults: bool,
    /// Runs executed side by side.
    pub workers: usize,
    /// Deliberate sync defects (for proving the harness can fail).
    pub lies: Lies,
}

impl Default for ConcurrentConfig {
    fn default() -> Self {
        ConcurrentConfig {
            seed: 1,
            runs: 40,
            appenders: 6,
            calls: 6,
            resolutions: 3,
            faults: false,
            workers: 1,
            lies: Lies::default(),
        }
    }
}

/// What the concurrent harness found.
#[derive(Debug, Default, Clone)]
pub struct ConcurrentReport {
    /// One state per checked recovery: every crash state of power-loss runs; the in-place
    /// reopen and each power loss of fault runs (plus one state per run for the run
    /// itself).
    pub states: Tally,
    /// Runs.
    pub runs: u64,
    /// Calls that returned `Ok`.
    pub acked: u64,
    /// Entries written by another thread's group commit (followers), counted on the disk
    /// at the end of each run.
    pub followers: u64,
    /// Crash points over all power-loss runs.
    pub crash_points: u64,
    /// Fault runs whose fault fired.
    pub faults_fired: u64,
    /// Truncations between the halves of a run, and how many of them cut inside a unit.
    pub cuts: u64,
    /// Truncations that cut inside a unit (an atomic batch or a group commit).
    pub cuts_inside_units: u64,
    /// Durability notifications checked (`on_durable` callbacks and `wait_durable` returns
    /// with `Ok`).
    pub notices: u64,
}

impl ConcurrentReport {
    fn merge(&mut self, o: ConcurrentReport) {
        self.states.merge(o.states);
        self.runs += o.runs;
        self.acked += o.acked;
        self.followers += o.followers;
        self.crash_points += o.crash_points;
        self.faults_fired += o.faults_fired;
        self.cuts += o.cuts;
        self.cuts_inside_units += o.cuts_inside_units;
        self.notices += o.notices;
    }

    /// The harness's figure: one line.
    pub fn line(&self, cfg: &ConcurrentConfig) -> String {
        let common = format!(
            "{} calls acknowledged, {} entries written by another thread's group commit, \
             {} truncations ({} inside a unit), {} durability notifications",
            self.acked, self.followers, self.cuts, self.cuts_inside_units, self.notices
        );
        let what = if cfg.faults {
            format!(
                "fault runs and recoveries ({} runs of 2-{} threads x {} calls on one SharedWal, seed {}; \
                 {} faults fired, {common})",
                self.runs, cfg.appenders, cfg.calls, cfg.seed, self.faults_fired
            )
        } else {
            format!(
                "crash states ({} runs of 2-{} threads x {} calls on one SharedWal, {} crash points x {} resolutions, seed {}; \
                 {common})",
                self.runs, cfg.appenders, cfg.calls, self.crash_points, cfg.resolutions, cfg.seed
            )
        };
        let name = if cfg.faults {
            "concurrent-faults"
        } else {
            "concurrent-power-loss"
        };
        self.states.line(name, &what)
    }
}

/// One call an appender thread makes.
#[derive(Debug, Clone)]
enum Call {
    Append(Vec<u8>),
    Batch(Vec<Vec<u8>>),
    Rotate,
}

/// What one call did, with the simulator's mutating-call counter around it.
#[derive(Debug, Clone)]
struct Record {
    thread: usize,
    index: usize,
    /// 0 before the truncation, 1 after it.
    phase: u8,
    /// The entries it appends (none for a rotation).
    entries: Vec<Vec<u8>>,
    /// Counter just before the call.
    started: u64,
    /// The first LSN it was given, or the error.
    result: Result<u64, String>,
    /// Counter just after it returned.
    returned: u64,
    /// `durable_lsn()` read after it returned, and the counter after that read.
    durable_claim: (u64, u64),
}

impl Record {
    fn name(&self) -> String {
        format!("t{}#{}", self.thread, self.index)
    }

    fn first_lsn(&self) -> Option<u64> {
        self.result.as_ref().ok().copied()
    }
}

/// The truncation between the two halves of a run.
#[derive(Debug, Clone)]
struct Cut {
    /// `truncate_after(keep)`.
    keep: u64,
    /// Whether `keep` lies inside a unit on disk (not its last member).
    inside_unit: bool,
    /// Counter just before the call.
    started: u64,
    /// Counter just after it returned.
    returned: u64,
    /// The error, when it failed.
    error: Option<String>,
}

/// Where a crash point stands relative to the truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CutState {
    /// No truncation, or the crash came before it started.
    Before,
    /// It was running (or failed): old log or new log.
    InFlight,
    /// It returned `Ok` before the crash.
    Done,
}

/// A durability notification that arrived: `wait_durable` returned `Ok`, or an
/// `on_durable` callback ran with `Ok`.
#[derive(Debug, Clone, Copy)]
struct Notice {
    /// The LSN said to be durable.
    lsn: u64,
    /// Counter when the notification arrived.
    counter: u64,
    /// The phase in which it was asked for.
    phase: u8,
}

/// Everything a run's seed fixes.
#[derive(Debug, Clone)]
struct RunPlan {
    seed: u64,
    threads: usize,
    segment_size: u64,
    preallocate: bool,
    scripts: Vec<Vec<Call>>,
    /// Class, index among the calls of that class made after the open, and kind.
    fault: Option<(CallClass, u64, FaultKind)>,
    lies: Lies,
    /// Whether the main thread truncates between the two halves of the scripts.
    cut: bool,
    /// Whether each fdatasync of the run takes [`SLOW_SYNC`] before it is made: the leader of
    /// a group is then still syncing while its followers could be told done, so a follower
    /// acknowledged before the group's fdatasync returns (and is counted) before the sync
    /// is made, and a power loss in between shows it lost.
    slow_sync: bool,
}

/// How long a slow fdatasync waits before it is made.
const SLOW_SYNC: std::time::Duration = std::time::Duration::from_micros(300);

/// The payload of part `part` of call `index` of `thread`: a length drawn from `rng` (mostly
/// short, some a few sectors long), the bytes the test kit's named payload.
fn payload(rng: &mut Rng, seed: u64, thread: usize, index: usize, part: usize) -> Vec<u8> {
    let len = match rng.below(10) {
        0..=5 => 1 + rng.index(60),
        6..=8 => 100 + rng.index(500),
        _ => 1500 + rng.index(1500),
    };
    // A name unique in the run: no two appends ever write the same bytes.
    walogs_testkit::payload::named(
        &format!("t{thread}.{index}.{part};"),
        Rng::mix(
            seed,
            ((thread as u64) << 32) | ((index as u64) << 8) | part as u64,
        ),
        len.max(24),
    )
}

fn plan(seed: u64, cfg: &ConcurrentConfig) -> RunPlan {
    let mut rng = Rng::new(seed);
    let threads = 2 + rng.index(cfg.appenders.max(2) - 1);
    let segment_size = [160, 333, 700, 4096][rng.index(4)];
    let preallocate = rng.chance(3, 4);
    let scripts = (0..threads)
        .map(|t| {
            (0..cfg.calls)
                .map(|i| match rng.below(20) {
                    0..=15 => Call::Append(payload(&mut rng, seed, t, i, 0)),
                    16..=18 => Call::Batch(
                        (0..2 + rng.index(2))
                            .map(|k| payload(&mut rng, seed, t, i, k))
                            .collect(),
                    ),
                    _ => Call::Rotate,
                })
                .collect()
        })
        .collect();
    let fault = cfg.faults.then(|| {
        let class = match rng.below(5) {
            0 | 1 => CallClass::Write,
            2 | 3 => CallClass::Sync,
            _ => CallClass::Meta,
        };
        let calls = (threads * cfg.calls) as u64;
        let kind = FaultKind::ALL[rng.index(2)];
        (class, 1 + rng.below(calls + 2), kind)
    });
    let cut = rng.chance(2, 3);
    let slow_sync = rng.chance(1, 2);
    RunPlan {
        seed,
        threads,
        segment_size,
        preallocate,
        scripts,
        fault,
        lies: cfg.lies,
        cut,
        slow_sync,
    }
}

fn wal_options(fs: &SimFs, plan: &RunPlan) -> WalOptions {
    options(fs, plan.segment_size, plan.preallocate)
}

/// Run calls `calls` of every appender thread of `plan` on `wal` (phase `phase`), with a
/// watcher thread that waits for the newest LSN handed out to become durable until the
/// appenders are done; the records of all threads. Notifications go into `notices`.
fn drive(
    fs: &SimFs,
    wal: &SharedWal,
    plan: &RunPlan,
    phase: u8,
    calls: std::ops::Range<usize>,
    notices: &Arc<Mutex<Vec<Notice>>>,
) -> Vec<Record> {
    let barrier = Barrier::new(plan.threads + 1);
    let done = AtomicUsize::new(0);
    let per_thread: Vec<Vec<Record>> = std::thread::scope(|s| {
        let handles: Vec<_> = plan
            .scripts
            .iter()
            .enumerate()
            .map(|(t, script)| {
                let (barrier, done, calls) = (&barrier, &done, calls.clone());
                s.spawn(move || {
                    let mut jitter = Rng::new(Rng::mix(plan.seed, 1000 + t as u64));
                    let mut out = Vec::with_capacity(script.len());
                    barrier.wait();
                    for (i, call) in script.iter().enumerate().take(calls.end).skip(calls.start) {
                        if jitter.chance(1, 3) {
                            std::thread::yield_now();
                        }
                        let started = fs.counts().mutating();
                        let (entries, result) = match call {
                            Call::Append(d) => (vec![d.clone()], wal.append(d).map(|l| l.0)),
                            Call::Batch(es) => {
                                (es.clone(), wal.append_batch(es).map(|r| r.first.0))
                            }
                            Call::Rotate => (Vec::new(), wal.rotate().map(|()| 0)),
                        };
                        let returned = fs.counts().mutating();
                        let claim = wal.durable_lsn().0;
                        let claim_at = fs.counts().mutating();
                        out.push(Record {
                            thread: t,
                            index: i,
                            phase,
                            entries,
                            started,
                            result: result.map_err(|e: WalError| e.to_string()),
                            returned,
                            durable_claim: (claim, claim_at),
                        });
                    }
                    done.fetch_add(1, Ordering::AcqRel);
                    out
                })
            })
            .collect();
        let watcher = s.spawn(|| {
            barrier.wait();
            let mut last = 0;
            while done.load(Ordering::Acquire) < plan.threads {
                let lsn = wal.next_lsn().0.saturating_sub(1);
                if lsn == last {
                    std::thread::yield_now();
                    continue;
                }
                last = lsn;
                let (cb_fs, cb_notices) = (fs.clone(), notices.clone());
                let registered = wal.on_durable(Lsn(lsn), move |r| {
                    if r.is_ok() {
                        let counter = cb_fs.counts().mutating();
                        cb_notices
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(Notice {
                                lsn,
                                counter,
                                phase,
                            });
                    }
                });
                if registered.is_err() {
                    break;
                }
                match wal.wait_durable(Lsn(lsn), Some(NOTIFY_HANG)) {
                    Ok(()) => {
                        let counter = fs.counts().mutating();
                        notices
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(Notice {
                                lsn,
                                counter,
                                phase,
                            });
                    }
                    Err(_) => break,
                }
            }
        });
        let records = handles
            .into_iter()
            .map(|h| h.join().expect("appender panicked"))
            .collect();
        watcher.join().expect("watcher panicked");
        records
    });
    per_thread.into_iter().flatten().collect()
}

/// The truncation between the halves: a cut right after an entry that is not the last of
/// its unit half of the time (when there is one), anywhere in the live range otherwise.
fn cut_between(fs: &SimFs, wal: &SharedWal, seed: u64) -> Option<Cut> {
    let (first, next) = (wal.first_lsn().0, wal.next_lsn().0);
    if next <= first {
        return None;
    }
    let mut rng = Rng::new(Rng::mix(seed, 4242));
    let inside: Vec<u64> = segments(&fs.disk())
        .values()
        .flat_map(|(_, b)| scan(b).0)
        .filter(|f| f.member.is_some_and(|m| m.index + 1 < m.count) && f.first_lsn >= first.max(1))
        .map(|f| f.first_lsn)
        .filter(|&l| l < next)
        .collect();
    let keep = if !inside.is_empty() && rng.chance(1, 2) {
        inside[rng.index(inside.len())]
    } else {
        first - 1 + rng.below(next - first)
    };
    let started = fs.counts().mutating();
    let r = wal.truncate_after(Lsn(keep));
    let returned = fs.counts().mutating();
    Some(Cut {
        keep,
        inside_unit: inside.contains(&keep),
        started,
        returned,
        error: r.err().map(|e| e.to_string()),
    })
}

/// The acknowledged set at crash point `call` (every `Ok` when `None`), for reports:
/// `LSN:thread#call@counter`, in LSN order.
fn acked_set(records: &[Record], call: Option<u64>) -> String {
    let mut v: Vec<(u64, String)> = records
        .iter()
        .filter(|r| !r.entries.is_empty() && call.is_none_or(|c| r.returned <= c))
        .filter_map(|r| {
            r.first_lsn().map(|l| {
                let n = r.entries.len() as u64;
                let lsns = if n == 1 {
                    l.to_string()
                } else {
                    format!("{l}-{}", l + n - 1)
                };
                (l, format!("{lsns}:{}@{}", r.name(), r.returned))
            })
        })
        .collect();
    v.sort();
    if v.is_empty() {
        return "none".to_string();
    }
    v.into_iter().map(|(_, s)| s).collect::<Vec<_>>().join(" ")
}

/// What the oracle needs of a run besides the disk.
struct Run<'a> {
    records: &'a [Record],
    cut: Option<&'a Cut>,
    notices: &'a [Notice],
}

impl Run<'_> {
    /// Where crash point `crash` (`None`: after the run) stands relative to the cut.
    fn cut_state(&self, crash: Option<u64>) -> CutState {
        let c = crash.unwrap_or(u64::MAX);
        match self.cut {
            None => CutState::Before,
            Some(t) if c < t.started => CutState::Before,
            Some(t) if c < t.returned || t.error.is_some() => CutState::InFlight,
            Some(_) => CutState::Done,
        }
    }
}

/// Check an opened log against the run. `crash` is the counter of the crash point
/// (`None`: after the run, every call has returned).
fn check(wal: &SharedWal, run: &Run, crash: Option<u64>) -> Result<(), Violation> {
    let records = run.records;
    let mut got: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for item in wal.iter() {
        let (l, d) = item.map_err(|e| Violation::Other(format!("iteration failed: {e}")))?;
        got.insert(l.0, d);
    }
    let (first, next) = (wal.first_lsn().0, wal.next_lsn().0);
    if got.keys().copied().ne(first..next) {
        return Err(Violation::Other(format!(
            "LSNs not dense: first_lsn {first}, next_lsn {next}, {} entries iterate",
            got.len()
        )));
    }
    // Whether the truncation has taken effect in this state, and what it removed: every
    // entry of the first half above `keep`.
    let keep = run.cut.map_or(u64::MAX, |t| t.keep);
    let cut = match run.cut_state(crash) {
        CutState::Before => false,
        CutState::InFlight => next <= keep + 1,
        CutState::Done => true,
    };
    let removed = |phase: u8, lsn: u64| cut && phase == 0 && lsn > keep;
    let acked = |r: &Record| crash.is_none_or(|c| r.returned <= c) && r.result.is_ok();
    let started = |r: &Record| crash.is_none_or(|c| r.started < c);
    let mut by_payload: HashMap<&[u8], (usize, usize)> = HashMap::new();
    for (ri, r) in records.iter().enumerate() {
        for (k, e) in r.entries.iter().enumerate() {
            by_payload.insert(e.as_slice(), (ri, k));
        }
    }
    let mut present = vec![0usize; records.len()];
    for (&lsn, data) in &got {
        let Some(&(ri, k)) = by_payload.get(data.as_slice()) else {
            return Err(Violation::Other(format!(
                "LSN {lsn} holds {} bytes no append wrote",
                data.len()
            )));
        };
        let r = &records[ri];
        if !started(r) {
            return Err(Violation::Other(format!(
                "LSN {lsn} holds the entry of {}, whose call started at counter {} (not before the crash point)",
                r.name(),
                r.started
            )));
        }
        if let Some(f) = r.first_lsn()
            && f + k as u64 != lsn
        {
            return Err(Violation::WrongPayload(lsn));
        }
        if removed(r.phase, lsn) {
            return Err(Violation::Other(format!(
                "LSN {lsn} holds the entry of {}, which truncate_after({keep}) removed",
                r.name()
            )));
        }
        present[ri] += 1;
    }
    for (ri, r) in records.iter().enumerate() {
        if present[ri] > r.entries.len() {
            return Err(Violation::Other(format!(
                "the entry of {} is present twice",
                r.name()
            )));
        }
        // A cut may leave the front of a unit; otherwise a unit is all or nothing.
        let cut_through = cut && r.phase == 0;
        if !cut_through && present[ri] != 0 && present[ri] != r.entries.len() {
            return Err(Violation::Other(format!(
                "atomic batch of {} partially present ({} of {} entries)",
                r.name(),
                present[ri],
                r.entries.len()
            )));
        }
        if acked(r)
            && let Some(f) = r.first_lsn()
        {
            for (k, e) in r.entries.iter().enumerate() {
                let lsn = f + k as u64;
                if !removed(r.phase, lsn) && got.get(&lsn) != Some(e) {
                    return Err(Violation::AckLost(lsn));
                }
            }
        }
    }
    let max_acked = records
        .iter()
        .filter(|r| acked(r) && !r.entries.is_empty())
        .filter_map(|r| {
            let f = r.first_lsn()?;
            (f..f + r.entries.len() as u64)
                .filter(|&l| !removed(r.phase, l))
                .max()
        })
        .max()
        .unwrap_or(0);
    if next <= max_acked {
        return Err(Violation::LsnReuse { next, max_acked });
    }
    let seen_by = |at: u64| crash.is_none_or(|c| at <= c);
    if let Some((claim, at)) = records
        .iter()
        .filter(|r| !removed(r.phase, r.durable_claim.0))
        .map(|r| r.durable_claim)
        .filter(|&(_, at)| seen_by(at))
        .max()
        && next <= claim
    {
        return Err(Violation::Other(format!(
            "durable_lsn() returned {claim} (read by counter {at}), but the log ends at LSN {}",
            next - 1
        )));
    }
    if let Some(n) = run
        .notices
        .iter()
        .filter(|n| seen_by(n.counter) && !removed(n.phase, n.lsn))
        .max_by_key(|n| n.lsn)
        && next <= n.lsn
    {
        return Err(Violation::Other(format!(
            "a durability notification for LSN {} arrived by counter {}, but the log ends at LSN {}",
            n.lsn,
            n.counter,
            next - 1
        )));
    }
    Ok(())
}

/// Open the directory on `disk`, check it, and append once more (the append must get the
/// LSN `next_lsn()` announced).
fn recover_and_check(
    disk: Disk,
    plan: &RunPlan,
    run: &Run,
    crash: Option<u64>,
) -> Result<(), Violation> {
    let fs = SimFs::new(disk);
    fs.set_lies(plan.lies);
    let wal = wal_options(&fs, plan)
        .open_shared(WAL_DIR)
        .map_err(|e| Violation::FailedOpen(e.to_string()))?;
    check(&wal, run, crash)?;
    let next = wal.next_lsn().0;
    match wal.append(b"after-recovery") {
        Ok(l) if l.0 == next => Ok(()),
        Ok(l) => Err(Violation::Other(format!(
            "first append after recovery got LSN {l}, next_lsn() said {next}"
        ))),
        Err(e) => Err(Violation::Other(format!(
            "append after recovery failed: {e}"
        ))),
    }
}

/// Entries on `disk` of calls of phase `phase` that share a unit with another call's
/// entries (written by another thread's group commit).
fn followers(disk: &Disk, records: &[Record], phase: u8) -> u64 {
    let owner: HashMap<&[u8], usize> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.phase == phase)
        .flat_map(|(ri, r)| r.entries.iter().map(move |e| (e.as_slice(), ri)))
        .collect();
    let mut n = 0;
    for (_, bytes) in segments(disk).values() {
        let mut units: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        for f in scan(bytes).0 {
            let calls = units.entry(f.unit_lsns().start).or_default();
            calls.extend(f.entries.iter().filter_map(|e| owner.get(e.as_slice())));
        }
        for mut calls in units.into_values() {
            calls.dedup();
            n += calls.len().saturating_sub(1) as u64;
        }
    }
    n
}

/// The reproduction line of one run.
pub fn repro_line(cfg: &ConcurrentConfig, seed: u64) -> String {
    format!(
        "cargo run --release -p walogs-sim -- repro concurrent seed={seed} appenders={} calls={} res={} faults={} \
         (the schedule is not replayed: the command reruns the seed until the violation shows)",
        cfg.appenders, cfg.calls, cfg.resolutions, cfg.faults as u8
    )
}

/// Run one seed; violations go into the report with their context.
pub fn run_one(seed: u64, cfg: &ConcurrentConfig) -> ConcurrentReport {
    let plan = plan(seed, cfg);
    let mut rep = ConcurrentReport {
        runs: 1,
        ..ConcurrentReport::default()
    };
    let fs = SimFs::default();
    fs.set_lies(plan.lies);
    let wal = match wal_options(&fs, &plan).open_shared(WAL_DIR) {
        Ok(w) => w,
        Err(e) => {
            rep.states
                .record(Err(Violation::FailedOpen(e.to_string())), || {
                    repro_line(cfg, seed)
                });
            return rep;
        }
    };
    if plan.slow_sync {
        fs.set_sync_delay(Some(SLOW_SYNC));
    }
    if let Some((class, nth, kind)) = plan.fault {
        fs.set_fault(Some(FaultPlan {
            class,
            nth: fs.counts().get(class) + nth,
            kind,
            seed: Rng::mix(seed, 77),
        }));
    } else {
        fs.record(true);
    }
    let notices = Arc::new(Mutex::new(Vec::new()));
    let half = cfg.calls / 2;
    let mut records = drive(&fs, &wal, &plan, 0, 0..half, &notices);
    rep.followers = followers(&fs.disk(), &records, 0);
    let cut = if plan.cut {
        cut_between(&fs, &wal, seed)
    } else {
        None
    };
    records.extend(drive(&fs, &wal, &plan, 1, half..cfg.calls, &notices));
    rep.followers += followers(&fs.disk(), &records, 1);
    rep.acked = records.iter().filter(|r| r.result.is_ok()).count() as u64;
    rep.cuts = cut.is_some() as u64;
    rep.cuts_inside_units = cut.as_ref().is_some_and(|c| c.inside_unit) as u64;
    if cfg.faults {
        check_fault_run(
            &fs,
            wal,
            &plan,
            &records,
            cut.as_ref(),
            &notices,
            cfg,
            &mut rep,
        );
    } else {
        // Close first (its callbacks run and are counted), then stop recording.
        drop(wal);
        fs.record(false);
        let notices = notices.lock().unwrap_or_else(|p| p.into_inner()).clone();
        rep.notices = notices.len() as u64;
        let run = Run {
            records: &records,
            cut: cut.as_ref(),
            notices: &notices,
        };
        check_power_loss_run(&fs, &plan, &run, cfg, &mut rep);
    }
    rep
}

/// Without a fault: every call succeeds, the LSNs handed out before the truncation are
/// 1..=N once each, and those after it continue right after the cut (or after N).
fn check_run_without_fault(run: &Run) -> Result<(), Violation> {
    let mut failed: Vec<String> = run
        .records
        .iter()
        .filter_map(|r| {
            r.result
                .as_ref()
                .err()
                .map(|e| format!("{}: {e}", r.name()))
        })
        .collect();
    if let Some(e) = run.cut.and_then(|t| t.error.as_ref()) {
        failed.push(format!("truncate_after: {e}"));
    }
    if !failed.is_empty() {
        return Err(Violation::Other(format!(
            "calls failed without a fault: {}",
            failed.join("; ")
        )));
    }
    let lsns = |phase: u8| -> Vec<u64> {
        let mut v: Vec<u64> = run
            .records
            .iter()
            .filter(|r| r.phase == phase && !r.entries.is_empty())
            .filter_map(|r| r.first_lsn().map(|f| f..f + r.entries.len() as u64))
            .flatten()
            .collect();
        v.sort_unstable();
        v
    };
    let (a, b) = (lsns(0), lsns(1));
    let start_b = run.cut.map_or(a.len() as u64, |t| t.keep) + 1;
    if a.iter().copied().ne(1..=a.len() as u64)
        || b.iter().copied().ne(start_b..start_b + b.len() as u64)
    {
        return Err(Violation::Other(format!(
            "the LSNs handed out are not 1..={} then {start_b}.., once each",
            a.len()
        )));
    }
    Ok(())
}

fn check_power_loss_run(
    fs: &SimFs,
    plan: &RunPlan,
    run: &Run,
    cfg: &ConcurrentConfig,
    rep: &mut ConcurrentReport,
) {
    rep.states
        .record(check_run_without_fault(run), || repro_line(cfg, plan.seed));
    let mut points: Vec<(u64, String, Disk)> = fs
        .take_snapshots()
        .into_iter()
        .map(|s| (s.call, s.desc, s.disk))
        .collect();
    points.push((fs.counts().mutating(), "end of run".to_string(), fs.disk()));
    rep.crash_points += points.len() as u64;
    let cut = describe_cut(run.cut);
    for (p, (call, desc, disk)) in points.iter().enumerate() {
        for r in 0..cfg.resolutions {
            let res = Resolution::nth(r, Rng::mix(plan.seed, p as u64));
            let verdict = recover_and_check(disk.crash(res), plan, run, Some(*call));
            let verdict = verdict.map_err(|v| {
                Violation::Context(
                    Box::new(v),
                    format!(
                        "crash point {p} after call {call} `{desc}`, resolution {res:?}; \
                         acknowledged by then (LSN:thread#call@counter): {}{cut}",
                        acked_set(run.records, Some(*call))
                    ),
                )
            });
            rep.states.record(verdict, || repro_line(cfg, plan.seed));
        }
    }
}

/// The truncation of a run, for violation reports.
fn describe_cut(cut: Option<&Cut>) -> String {
    cut.map_or(String::new(), |t| {
        format!(
            "; truncate_after({}) ran from counter {} to {}{}",
            t.keep,
            t.started,
            t.returned,
            t.error
                .as_ref()
                .map_or(String::new(), |e| format!(" and failed: {e}"))
        )
    })
}

#[allow(clippy::too_many_arguments)]
fn check_fault_run(
    fs: &SimFs,
    wal: SharedWal,
    plan: &RunPlan,
    records: &[Record],
    cut: Option<&Cut>,
    notices: &Arc<Mutex<Vec<Notice>>>,
    cfg: &ConcurrentConfig,
    rep: &mut ConcurrentReport,
) {
    let fired = fs.fired();
    fs.set_fault(None);
    rep.faults_fired += fired.is_some() as u64;
    let cut_desc = describe_cut(cut);
    let context = |v: Violation, when: &str| {
        let fault = fired.as_ref().map_or("no fault fired".to_string(), |f| {
            format!("the fault at `{}`", f.call)
        });
        Violation::Context(
            Box::new(v),
            format!(
                "{when}, after {fault}; acknowledged (LSN:thread#call@counter): {}{cut_desc}",
                acked_set(records, None)
            ),
        )
    };
    // The run itself: errors only with a fault, and a failed segment write or sync (or
    // directory fsync) poisons the handle.
    let mut errors: Vec<String> = records
        .iter()
        .filter_map(|r| {
            r.result
                .as_ref()
                .err()
                .map(|e| format!("{}: {e}", r.name()))
        })
        .collect();
    if let Some(e) = cut.and_then(|t| t.error.as_ref()) {
        errors.push(format!("truncate_after: {e}"));
    }
    let run_ok = match &fired {
        None if !errors.is_empty() => Err(Violation::Other(format!(
            "calls failed without a fault: {}",
            errors.join("; ")
        ))),
        Some(f) if super::faults::must_poison_call(f) && !wal.is_poisoned() => {
            Err(Violation::Other(format!(
                "the handle is not poisoned after `{}` failed",
                f.call
            )))
        }
        _ => Ok(()),
    };
    rep.states
        .record(run_ok.map_err(|v| context(v, "in the run")), || {
            repro_line(cfg, plan.seed)
        });
    drop(wal);
    let notices = notices.lock().unwrap_or_else(|p| p.into_inner()).clone();
    rep.notices = notices.len() as u64;
    let run = Run {
        records,
        cut,
        notices: &notices,
    };
    let before = fs.disk();
    // The process goes on: reopen in place.
    let r = recover_and_check(fs.disk(), plan, &run, None);
    rep.states
        .record(r.map_err(|v| context(v, "reopened in place")), || {
            repro_line(cfg, plan.seed)
        });
    // Power loss right after the run.
    for i in 0..cfg.resolutions {
        let res = Resolution::nth(i, Rng::mix(plan.seed, 99 + i));
        let r = recover_and_check(before.crash(res), plan, &run, None);
        rep.states.record(
            r.map_err(|v| context(v, &format!("after a power loss ({res:?})"))),
            || repro_line(cfg, plan.seed),
        );
    }
}

/// Run `cfg.runs` seeds on `cfg.workers` workers.
pub fn run(cfg: &ConcurrentConfig) -> ConcurrentReport {
    let workers = cfg.workers.max(1) as u64;
    let parts: Vec<ConcurrentReport> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    let mut rep = ConcurrentReport::default();
                    let mut i = w;
                    while i < cfg.runs {
                        rep.merge(run_one(Rng::mix(cfg.seed, i), cfg));
                        i += workers;
                    }
                    rep
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect()
    });
    let mut total = ConcurrentReport::default();
    for p in parts {
        total.merge(p);
    }
    total
}

/// Rerun seed `seed` up to `tries` times until a run shows a violation; returns that run's
/// report (or the last one) and the number of runs made.
pub fn repro(seed: u64, cfg: &ConcurrentConfig, tries: u64) -> (ConcurrentReport, u64) {
    let mut last = ConcurrentReport::default();
    for t in 1..=tries.max(1) {
        last = run_one(seed, cfg);
        if last.states.violations() > 0 {
            return (last, t);
        }
    }
    (last, tries.max(1))
}
