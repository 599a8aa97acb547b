//! Concurrent appenders: several threads append to one [`SharedWal`] over [`SimFs`], so
//! that group commit has followers (appenders whose entry another thread writes and syncs),
//! under power loss and under faults.
//!
//! Each appender records, for every call, the simulator's mutating-call counter just
//! before the call (`started`) and just after it returned (`returned`), and after it the
//! handle's `durable_lsn()` with the counter after reading it. The crash point after
//! mutating call `c` is the disk as it was right after that call. The oracle is sound
//! whatever the interleaving:
//!
//! * an append that returned `Ok` at counter `returned <= c` was durable before call `c`
//!   completed (its fdatasync was one of the first `returned` calls), so its entries must be
//!   in every crash state at or after `c`, at the LSNs it was given;
//! * a `durable_lsn()` of `D` read at counter `<= c` promises LSNs up to `D` likewise;
//! * an entry whose append started at counter `>= c` cannot have been written by then;
//! * every entry present holds bytes some append wrote, at the LSN that append was given,
//!   once; an atomic batch is entirely present or absent; LSNs are dense; `next_lsn()` is
//!   above every acknowledged LSN and the first append after recovery gets it.
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
use std::sync::Barrier;

use walogs_core::{SharedWal, WalError, WalOptions};

use crate::disk::{Disk, Resolution};
use crate::fault::{CallClass, FaultKind, FaultPlan};
use crate::fs::{Lies, SimFs};
use crate::harness::frames::{scan, segments};
use crate::harness::{Tally, options};
use crate::model::Violation;
use crate::rng::Rng;
use crate::workload::WAL_DIR;

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
}

impl ConcurrentReport {
    fn merge(&mut self, o: ConcurrentReport) {
        self.states.merge(o.states);
        self.runs += o.runs;
        self.acked += o.acked;
        self.followers += o.followers;
        self.crash_points += o.crash_points;
        self.faults_fired += o.faults_fired;
    }

    /// The harness's figure: one line.
    pub fn line(&self, cfg: &ConcurrentConfig) -> String {
        let what = if cfg.faults {
            format!(
                "fault runs and recoveries ({} runs of 2-{} threads x {} calls on one SharedWal, seed {}; \
                 {} faults fired, {} calls acknowledged, {} entries written by another thread's group commit)",
                self.runs,
                cfg.appenders,
                cfg.calls,
                cfg.seed,
                self.faults_fired,
                self.acked,
                self.followers
            )
        } else {
            format!(
                "crash states ({} runs of 2-{} threads x {} calls on one SharedWal, {} crash points x {} resolutions, seed {}; \
                 {} calls acknowledged, {} entries written by another thread's group commit)",
                self.runs,
                cfg.appenders,
                cfg.calls,
                self.crash_points,
                cfg.resolutions,
                cfg.seed,
                self.acked,
                self.followers
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
}

fn payload(rng: &mut Rng, seed: u64, thread: usize, index: usize, part: usize) -> Vec<u8> {
    let len = match rng.below(10) {
        0..=5 => 1 + rng.index(60),
        6..=8 => 100 + rng.index(500),
        _ => 1500 + rng.index(1500),
    };
    let mut v = Rng::new(Rng::mix(
        seed,
        ((thread as u64) << 32) | ((index as u64) << 8) | part as u64,
    ))
    .bytes(len.max(24));
    // A tag unique in the run: no two appends ever write the same bytes.
    let tag = format!("t{thread}.{index}.{part};");
    v[..tag.len()].copy_from_slice(tag.as_bytes());
    v
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
    RunPlan {
        seed,
        threads,
        segment_size,
        preallocate,
        scripts,
        fault,
        lies: cfg.lies,
    }
}

fn wal_options(fs: &SimFs, plan: &RunPlan) -> WalOptions {
    options(fs, plan.segment_size, plan.preallocate)
}

/// Run every appender thread of `plan` on `wal`; the records of all threads.
fn drive(fs: &SimFs, wal: &SharedWal, plan: &RunPlan) -> Vec<Record> {
    let barrier = Barrier::new(plan.threads);
    let per_thread: Vec<Vec<Record>> = std::thread::scope(|s| {
        let handles: Vec<_> = plan
            .scripts
            .iter()
            .enumerate()
            .map(|(t, script)| {
                let barrier = &barrier;
                s.spawn(move || {
                    let mut jitter = Rng::new(Rng::mix(plan.seed, 1000 + t as u64));
                    let mut out = Vec::with_capacity(script.len());
                    barrier.wait();
                    for (i, call) in script.iter().enumerate() {
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
                            entries,
                            started,
                            result: result.map_err(|e: WalError| e.to_string()),
                            returned,
                            durable_claim: (claim, claim_at),
                        });
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("appender panicked"))
            .collect()
    });
    per_thread.into_iter().flatten().collect()
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

/// Check an opened log against the records. `crash` is the counter of the crash point
/// (`None`: after the run, every call has returned).
fn check(wal: &SharedWal, records: &[Record], crash: Option<u64>) -> Result<(), Violation> {
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
        present[ri] += 1;
    }
    for (ri, r) in records.iter().enumerate() {
        if present[ri] > r.entries.len() {
            return Err(Violation::Other(format!(
                "the entry of {} is present twice",
                r.name()
            )));
        }
        if present[ri] != 0 && present[ri] != r.entries.len() {
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
                if got.get(&lsn) != Some(e) {
                    return Err(Violation::AckLost(lsn));
                }
            }
        }
    }
    let max_acked = records
        .iter()
        .filter(|r| acked(r) && !r.entries.is_empty())
        .filter_map(|r| r.first_lsn().map(|f| f + r.entries.len() as u64 - 1))
        .max()
        .unwrap_or(0);
    if next <= max_acked {
        return Err(Violation::LsnReuse { next, max_acked });
    }
    if let Some((claim, at)) = records
        .iter()
        .map(|r| r.durable_claim)
        .filter(|&(_, at)| crash.is_none_or(|c| at <= c))
        .max()
        && next <= claim
    {
        return Err(Violation::Other(format!(
            "durable_lsn() returned {claim} (read by counter {at}), but the log ends at LSN {}",
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
    records: &[Record],
    crash: Option<u64>,
) -> Result<(), Violation> {
    let fs = SimFs::new(disk);
    fs.set_lies(plan.lies);
    let wal = wal_options(&fs, plan)
        .open_shared(WAL_DIR)
        .map_err(|e| Violation::FailedOpen(e.to_string()))?;
    check(&wal, records, crash)?;
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

/// Entries on `disk` that share a frame with another call's entries (written by another
/// thread's group commit).
fn followers(disk: &Disk, records: &[Record]) -> u64 {
    let owner: HashMap<&[u8], usize> = records
        .iter()
        .enumerate()
        .flat_map(|(ri, r)| r.entries.iter().map(move |e| (e.as_slice(), ri)))
        .collect();
    let mut n = 0;
    for (_, bytes) in segments(disk).values() {
        for f in scan(bytes).0 {
            let mut calls: Vec<usize> = f
                .entries
                .iter()
                .filter_map(|e| owner.get(e.as_slice()).copied())
                .collect();
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
    let records = drive(&fs, &wal, &plan);
    fs.record(false);
    rep.acked = records.iter().filter(|r| r.result.is_ok()).count() as u64;
    rep.followers = followers(&fs.disk(), &records);
    if cfg.faults {
        check_fault_run(&fs, wal, &plan, &records, cfg, &mut rep);
    } else {
        drop(wal);
        check_power_loss_run(&fs, &plan, &records, cfg, &mut rep);
    }
    rep
}

fn check_power_loss_run(
    fs: &SimFs,
    plan: &RunPlan,
    records: &[Record],
    cfg: &ConcurrentConfig,
    rep: &mut ConcurrentReport,
) {
    // Without a fault every call succeeds, and the LSNs handed out are 1..=N, once each.
    let failed: Vec<String> = records
        .iter()
        .filter_map(|r| {
            r.result
                .as_ref()
                .err()
                .map(|e| format!("{}: {e}", r.name()))
        })
        .collect();
    let mut lsns: Vec<u64> = records
        .iter()
        .filter_map(|r| {
            r.first_lsn()
                .filter(|_| !r.entries.is_empty())
                .map(|f| (f, r.entries.len() as u64))
        })
        .flat_map(|(f, n)| f..f + n)
        .collect();
    lsns.sort_unstable();
    let run_ok = if !failed.is_empty() {
        Err(Violation::Other(format!(
            "calls failed without a fault: {}",
            failed.join("; ")
        )))
    } else if lsns.iter().copied().ne(1..=lsns.len() as u64) {
        Err(Violation::Other(format!(
            "the LSNs handed out are not 1..={} once each",
            lsns.len()
        )))
    } else {
        Ok(())
    };
    rep.states.record(run_ok, || repro_line(cfg, plan.seed));
    let mut points: Vec<(u64, String, Disk)> = fs
        .take_snapshots()
        .into_iter()
        .map(|s| (s.call, s.desc, s.disk))
        .collect();
    points.push((fs.counts().mutating(), "end of run".to_string(), fs.disk()));
    rep.crash_points += points.len() as u64;
    for (p, (call, desc, disk)) in points.iter().enumerate() {
        for r in 0..cfg.resolutions {
            let res = Resolution::nth(r, Rng::mix(plan.seed, p as u64));
            let verdict = recover_and_check(disk.crash(res), plan, records, Some(*call));
            let verdict = verdict.map_err(|v| {
                Violation::Context(
                    Box::new(v),
                    format!(
                        "crash point {p} after call {call} `{desc}`, resolution {res:?}; \
                         acknowledged by then (LSN:thread#call@counter): {}",
                        acked_set(records, Some(*call))
                    ),
                )
            });
            rep.states.record(verdict, || repro_line(cfg, plan.seed));
        }
    }
}

fn check_fault_run(
    fs: &SimFs,
    wal: SharedWal,
    plan: &RunPlan,
    records: &[Record],
    cfg: &ConcurrentConfig,
    rep: &mut ConcurrentReport,
) {
    let fired = fs.fired();
    fs.set_fault(None);
    rep.faults_fired += fired.is_some() as u64;
    let context = |v: Violation, when: &str| {
        let fault = fired.as_ref().map_or("no fault fired".to_string(), |f| {
            format!("the fault at `{}`", f.call)
        });
        Violation::Context(
            Box::new(v),
            format!(
                "{when}, after {fault}; acknowledged (LSN:thread#call@counter): {}",
                acked_set(records, None)
            ),
        )
    };
    // The run itself: errors only with a fault, and a failed segment write or sync (or
    // directory fsync) poisons the handle.
    let errors: Vec<String> = records
        .iter()
        .filter_map(|r| {
            r.result
                .as_ref()
                .err()
                .map(|e| format!("{}: {e}", r.name()))
        })
        .collect();
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
    let before = fs.disk();
    // The process goes on: reopen in place.
    let r = recover_and_check(fs.disk(), plan, records, None);
    rep.states
        .record(r.map_err(|v| context(v, "reopened in place")), || {
            repro_line(cfg, plan.seed)
        });
    // Power loss right after the run.
    for i in 0..cfg.resolutions {
        let res = Resolution::nth(i, Rng::mix(plan.seed, 99 + i));
        let r = recover_and_check(before.crash(res), plan, records, None);
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
