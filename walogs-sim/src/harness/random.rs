//! Long random seeded runs: random operations (appends of 0 B to 9 KiB, atomic batches,
//! `append_many`, rotations, checkpoints, truncations at any LSN of the live range, purges
//! from below the floor to past the end, user data up to 64 KiB, durability notifications,
//! reopens) on tiny segments, with a power loss
//! at a random file-system call of about one operation in five, sometimes a second one
//! inside the recovering open, and the oracle after every recovery. The run goes on, on
//! the recovered directory, so crashes pile up on the same log.
//!
//! With [`RandomConfig::relaxed`], each run uses one of the relaxed durability policies
//! ([`crate::workload::RELAXED`]) and also calls `sync()`: crashes then lose unsynced
//! entries, recovery is lenient, and the run goes on from whatever prefix survived.

use walogs_core::Durability;

use crate::Rng;
use crate::disk::{Disk, Resolution};
use crate::fs::{Lies, SimFs};
use crate::harness::{Tally, open_and_check, setup};
use crate::model::{Model, Violation};
use crate::workload::{Action, OpResult, RELAXED, Setup, durability_name, payload, run_action};
use walogs_testkit::handle::{DynWal, HandleKind};

/// Settings of the random harness.
#[derive(Debug, Clone)]
pub struct RandomConfig {
    /// Seed of run 0; run `i` uses `Rng::mix(seed, i)`.
    pub seed: u64,
    /// Number of runs.
    pub runs: u64,
    /// Operations per run.
    pub steps: u64,
    /// Worker threads.
    pub threads: usize,
    /// Deliberate sync defects (for proving the harness can fail).
    pub lies: Lies,
    /// Keep directory operations in order at a crash (see [`Resolution::Journaled`]).
    pub journaled: bool,
    /// Run under relaxed durability policies (one per run, chosen by its seed) with
    /// `sync()` among the operations.
    pub relaxed: bool,
}

impl Default for RandomConfig {
    fn default() -> Self {
        RandomConfig {
            seed: 1,
            runs: 50,
            steps: 200,
            threads: 1,
            lies: Lies::default(),
            journaled: false,
            relaxed: false,
        }
    }
}

/// What the random harness found.
#[derive(Debug, Default, Clone)]
pub struct RandomReport {
    /// Recoveries checked after a power loss in a workload operation (plus one clean
    /// reopen at the end of each run).
    pub crash: Tally,
    /// Recoveries checked after a second power loss inside a recovering open.
    pub recovery: Tally,
    /// Runs.
    pub runs: u64,
    /// Operations run.
    pub ops: u64,
}

impl RandomReport {
    fn merge(&mut self, o: RandomReport) {
        self.crash.merge(o.crash);
        self.recovery.merge(o.recovery);
        self.runs += o.runs;
        self.ops += o.ops;
    }
}

impl RandomReport {
    /// The harness's figures, one line per tally: crash states after power losses in the
    /// operations (plus the final clean reopen of each run), then after second power losses
    /// inside recovering opens. `name` labels them (e.g. `random`).
    pub fn lines(&self, name: &str, cfg: &RandomConfig) -> [String; 2] {
        let dirs = if cfg.journaled {
            "in order"
        } else {
            "unordered"
        };
        let policy = if cfg.relaxed {
            ", relaxed durability policies"
        } else {
            ""
        };
        let seeds = format!(
            "{} seeds derived from seed {} x {} steps, {} operations, directory operations {dirs}{policy}",
            self.runs, cfg.seed, cfg.steps, self.ops
        );
        [
            self.crash.line(name, &format!("crash states ({seeds})")),
            self.recovery.line(
                &format!("{name}-recovery-crash"),
                "crash states inside recovery (same seeds)",
            ),
        ]
    }
}

/// The reproduction line of run `seed`.
pub fn repro_line(seed: u64, steps: u64, journaled: bool, relaxed: bool) -> String {
    format!(
        "cargo run --release -p walogs-sim -- repro random seed={seed} steps={steps} dirs={} relaxed={}",
        if journaled { "journaled" } else { "any" },
        relaxed as u8
    )
}

fn payload_len(rng: &mut Rng) -> usize {
    match rng.below(10) {
        0 => 0,
        1..=4 => 1 + rng.index(40),
        5..=7 => 100 + rng.index(600),
        8 => 3000,
        _ => 9000 + rng.index(100),
    }
}

fn choose_action(
    rng: &mut Rng,
    step: usize,
    wal: &dyn DynWal,
    model: &Model,
    relaxed: bool,
) -> Action {
    let first = wal.first_lsn().0;
    let next = wal.next_lsn().0;
    let entries = |rng: &mut Rng, n: usize| -> Vec<Vec<u8>> {
        (0..n)
            .map(|k| payload(step, k, payload_len(rng).min(700)))
            .collect()
    };
    match rng.below(if relaxed { 94 } else { 86 }) {
        0..=34 => Action::Append(payload(step, 0, payload_len(rng))),
        35..=44 => {
            let n = 2 + rng.index(4);
            Action::Batch(entries(rng, n))
        }
        45..=49 => {
            let n = 1 + rng.index(5);
            Action::Many(entries(rng, n))
        }
        50..=55 => Action::Rotate,
        56..=61 => {
            let upto = if model.max_acked == 0 || rng.chance(1, 2) {
                model.max_acked
            } else {
                first.min(model.max_acked)
                    + rng.below(model.max_acked + 1 - first.min(model.max_acked))
            };
            Action::Checkpoint(upto)
        }
        62..=67 => {
            let lo = first.saturating_sub(1);
            Action::TruncateAfter(lo + rng.below(next - lo))
        }
        68..=72 => {
            // From below the floor (a no-op) to a little past the end.
            let lo = first.saturating_sub(2);
            Action::PurgeUpTo(lo + rng.below(next + 4 - lo))
        }
        73..=76 => {
            let len = match rng.below(10) {
                0 => 0,
                1 => walogs_core::MAX_USER_DATA,
                _ => rng.index(2000),
            };
            Action::SetUserData(payload(step, 9, len))
        }
        77..=80 => Action::WaitDurable(rng.below(next)),
        81..=85 => Action::Reopen,
        _ => Action::Sync,
    }
}

struct Run {
    rng: Rng,
    seed: u64,
    steps: u64,
    seg: u64,
    prealloc: bool,
    kind: HandleKind,
    durability: Durability,
    lies: Lies,
    journaled: bool,
    trace: bool,
    log: Vec<String>,
}

impl Run {
    fn new_fs(&self, disk: Disk) -> SimFs {
        let fs = SimFs::new(disk);
        fs.set_lies(self.lies);
        fs.trace(self.trace);
        fs
    }

    fn setup(&self, fs: &SimFs) -> Setup {
        setup(fs, self.seg, self.prealloc, self.kind).with_durability(self.durability)
    }

    fn relaxed(&self) -> bool {
        self.durability != Durability::EveryAppend
    }

    fn repro(&self) -> String {
        repro_line(self.seed, self.steps, self.journaled, self.relaxed())
    }

    fn keep_trace(&mut self, fs: &SimFs, label: &str) {
        if self.trace {
            let t = fs.take_trace();
            self.log
                .extend(t.into_iter().map(|l| format!("  {label}: {l}")));
        }
    }

    /// Crash `disk` (resolved at random), maybe crash again inside the recovering open,
    /// then recover and check. Returns the new file system and handle, or the violation.
    /// `at` names the crash point (it becomes part of a violation's message, so alike
    /// failures group by where the power was lost).
    fn crash_and_recover(
        &mut self,
        disk: &Disk,
        at: &str,
        model: &mut Model,
        rep: &mut RandomReport,
    ) -> Result<(SimFs, Box<dyn DynWal>), ()> {
        let mut context = format!(
            "power loss after `{at}` ({})",
            if self.journaled {
                "directory operations in order"
            } else {
                "directory operations unordered"
            }
        );
        let res = Resolution::nth(self.rng.below(5), self.rng.next_u64()).journaled(self.journaled);
        let mut disk = disk.crash(res);
        if self.trace {
            self.log.push(format!("  == power loss ({res:?})"));
            self.log.extend(crate::harness::power_loss::describe(&disk));
        }
        let mut second = false;
        if self.rng.chance(1, 3) {
            let fs = self.new_fs(disk.clone());
            fs.record(true);
            let opened = self.setup(&fs).open();
            fs.record(false);
            let snaps = fs.take_snapshots();
            self.keep_trace(&fs, "recovery 1");
            match opened {
                Ok(w) => drop(w),
                Err(e) => {
                    let notes = crate::harness::frames::open_notes(&disk);
                    let v = Violation::Context(
                        Box::new(Violation::FailedOpen(format!("{e}{notes}"))),
                        context,
                    );
                    rep.crash.record(Err(v), || self.repro());
                    return Err(());
                }
            }
            if !snaps.is_empty() {
                let k = self.rng.index(snaps.len());
                let res2 = Resolution::nth(self.rng.below(5), self.rng.next_u64())
                    .journaled(self.journaled);
                disk = snaps[k].disk.crash(res2);
                second = true;
                context.push_str(&format!(", then inside recovery after `{}`", snaps[k].desc));
                if self.trace {
                    self.log.push(format!(
                        "  == power loss inside recovery after {} ({res2:?})",
                        snaps[k].desc
                    ));
                    self.log.extend(crate::harness::power_loss::describe(&disk));
                }
            }
        }
        let fs = self.new_fs(disk);
        let st = self.setup(&fs);
        let r = open_and_check(&st, model);
        self.keep_trace(&fs, "recovery");
        let tally = if second {
            &mut rep.recovery
        } else {
            &mut rep.crash
        };
        match r {
            Ok((wal, rec)) => {
                tally.record_recovery(Ok(crate::model::lost_unsynced(&rec, model)), String::new);
                model.rebase(&rec);
                model.ack_as(
                    rec.next_lsn,
                    &[b"after-recovery".to_vec()],
                    st.append_syncs(),
                );
                Ok((fs, wal))
            }
            Err(v) => {
                let v = Violation::Context(Box::new(v), context);
                tally.record(Err(v), || self.repro());
                Err(())
            }
        }
    }

    fn go(&mut self, rep: &mut RandomReport) {
        rep.runs += 1;
        let mut fs = self.new_fs(Disk::default());
        let mut st = self.setup(&fs);
        let mut model = Model::default();
        let mut wal = match st.open() {
            Ok(w) => Some(w),
            Err(e) => {
                rep.crash
                    .record(Err(Violation::FailedOpen(e.to_string())), || self.repro());
                return;
            }
        };
        for step in 0..self.steps as usize {
            if self.trace && std::env::var_os("WALOGS_SIM_FULL_TRACE").is_none() {
                self.log.clear();
                let _ = fs.take_trace();
            }
            let Some(w) = wal.as_deref() else { return };
            let relaxed = self.relaxed();
            let action = choose_action(&mut self.rng, step, w, &model, relaxed);
            rep.ops += 1;
            let crash = self.rng.chance(1, 5);
            if self.trace {
                if std::env::var_os("WALOGS_SIM_FULL_TRACE").is_some() {
                    self.log
                        .extend(crate::harness::power_loss::describe(&fs.disk()));
                }
                self.log.push(format!("  step {step}: {}", action));
            }
            fs.record(crash);
            let mut during = Model::default();
            let r = run_action(&mut wal, &st, &mut model, &action, Some(&mut during));
            fs.record(false);
            self.keep_trace(&fs, "workload");
            let snaps = fs.take_snapshots();
            if crash {
                // A crash point after any call of the operation, or after it returned.
                let k = self.rng.index(snaps.len() + 1);
                let (disk, m) = if k < snaps.len() {
                    let m = during.notified_by(&model.notices, snaps[k].call);
                    (snaps[k].disk.clone(), m)
                } else {
                    (fs.disk(), model.clone())
                };
                let at = snaps
                    .get(k)
                    .map_or("the end of the operation", |s| s.desc.as_str());
                if self.trace {
                    self.log.push(format!("  == crash point after {at}"));
                }
                let mut m = m;
                drop(wal.take());
                match self.crash_and_recover(&disk, at, &mut m, rep) {
                    Ok((f, w)) => {
                        fs = f;
                        st = self.setup(&fs);
                        wal = Some(w);
                        model = m;
                    }
                    Err(()) => return,
                }
                continue;
            }
            let ok = match &r {
                OpResult::Ok => true,
                OpResult::Err(walogs_core::WalError::InvalidArgument { .. }) => {
                    matches!(action, Action::TruncateAfter(_))
                }
                _ => false,
            };
            if !ok {
                let v = Violation::Other(format!(
                    "step {step} {} failed without any crash: {r:?}{}",
                    action,
                    crate::harness::frames::open_notes(&fs.disk())
                ));
                rep.crash.record(Err(v), || self.repro());
                return;
            }
        }
        // A clean close and reopen must show exactly the model, nothing in flight: the close
        // made everything durable.
        model.synced(model.max_acked);
        if let Some(w) = wal.take()
            && let Err(e) = w.close()
        {
            let v = Violation::Other(format!("clean close failed: {e}"));
            rep.crash.record(Err(v), || self.repro());
            return;
        }
        let r = open_and_check(&st, &model).map(drop);
        rep.crash.record(r, || self.repro());
    }
}

/// Run one random run with seed `seed`. With `trace`, also return the calls of the step
/// that failed (or of the last step).
pub fn run_one(
    seed: u64,
    steps: u64,
    lies: Lies,
    journaled: bool,
    relaxed: bool,
    trace: bool,
) -> (RandomReport, Vec<String>) {
    let mut rng = Rng::new(seed);
    let seg = [96, 160, 200, 333, 700, 4096][rng.index(6)];
    let prealloc = rng.chance(3, 4);
    let kind = if rng.chance(1, 3) {
        HandleKind::Shared
    } else {
        HandleKind::Single
    };
    let durability = if relaxed {
        RELAXED[rng.index(RELAXED.len())]
    } else {
        Durability::EveryAppend
    };
    let mut run = Run {
        rng,
        seed,
        steps,
        seg,
        prealloc,
        kind,
        durability,
        lies,
        journaled,
        trace,
        log: Vec::new(),
    };
    if trace {
        run.log.push(format!(
            "  run seed={seed}: max_segment_size={seg} preallocate={prealloc} handle={} durability={}",
            kind.name(),
            durability_name(durability)
        ));
    }
    let mut rep = RandomReport::default();
    run.go(&mut rep);
    (rep, run.log)
}

/// Run `cfg.runs` runs on `cfg.threads` threads.
pub fn run(cfg: &RandomConfig) -> RandomReport {
    let threads = cfg.threads.max(1) as u64;
    let parts: Vec<RandomReport> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut rep = RandomReport::default();
                    let mut i = t;
                    while i < cfg.runs {
                        let (r, _) = run_one(
                            Rng::mix(cfg.seed, i),
                            cfg.steps,
                            cfg.lies,
                            cfg.journaled,
                            cfg.relaxed,
                            false,
                        );
                        rep.merge(r);
                        i += threads;
                    }
                    rep
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect()
    });
    let mut total = RandomReport::default();
    for p in parts {
        total.merge(p);
    }
    total
}
