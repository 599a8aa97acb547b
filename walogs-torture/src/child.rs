//! The child process: opens a WAL and runs a workload, reporting every step on stdout
//! ([`crate::protocol`]). The parent kills it, or runs it under the fault-injection shim,
//! and then checks the directory against what the child reported. With more than one
//! thread the workload is [`crate::group_child`]'s: concurrent appenders on one
//! [`walogs_core::SharedWal`].

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use walogs_core::{Lsn, TailState, WalError, WalOptions};

use crate::handle::{self, Handle};
use crate::payload::PayloadSpec;
use crate::policy::Policy;
use crate::protocol::{ErrKind, Event, RESIDUE_SEPARATOR};
use crate::residue::{Snapshot, next_lsn_moved};
use crate::rng::{Rng, mix};

/// Which workload the child runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildMode {
    /// Random appends, batches, rotations, checkpoints and read checks until killed (or until
    /// `ops` operations or 60 s, whichever comes first). Stops at the first error (exit 2).
    Kill,
    /// A fixed sequence of `ops` operations fixed by the seed; keeps going after errors
    /// (reporting each, followed by a [`Event::Residue`] check of what the failed call left
    /// on disk), then reports whether the handle is poisoned and closes it.
    Script,
}

/// Everything the child needs to know.
#[derive(Debug, Clone)]
pub struct ChildConfig {
    /// Workload.
    pub mode: ChildMode,
    /// The WAL directory.
    pub dir: PathBuf,
    /// Payload seed (the parent uses the same one to check).
    pub seed: u64,
    /// Run number: varies the operation stream of [`ChildMode::Kill`] between runs.
    pub run: u64,
    /// Maximum number of operations.
    pub ops: u64,
    /// `max_segment_size` (tiny, so that rotation happens).
    pub segment: u64,
    /// Largest payload.
    pub max_len: usize,
    /// Checkpoints keep up to this many newest entries.
    pub keep: u64,
    /// Preallocate the active segment (the core's default).
    pub preallocate: bool,
    /// Use the group-commit [`walogs_core::SharedWal`] instead of [`walogs_core::Wal`].
    pub shared: bool,
    /// Appending threads: 1 runs the single-threaded workloads of this module; more run
    /// [`crate::group_child`]'s on a `SharedWal` (and imply `shared`).
    pub threads: u32,
    /// Durability policy.
    pub policy: Policy,
}

impl ChildConfig {
    /// The options every workload opens its WAL with.
    pub fn options(&self) -> WalOptions {
        WalOptions::new()
            .max_segment_size(Some(self.segment))
            .preallocate(self.preallocate)
            .durability(self.policy.durability())
    }
}

/// Writes events to stdout, one `write` + flush per line under the stdout lock (so lines of
/// concurrent threads never mix). If the parent is gone, exits.
pub(crate) struct Out(pub(crate) std::io::Stdout);

impl Out {
    pub(crate) fn emit(&self, e: Event) {
        let mut l = self.0.lock();
        if writeln!(l, "{e}").and_then(|()| l.flush()).is_err() {
            std::process::exit(0);
        }
    }

    pub(crate) fn fail(&self, op: &str, e: &WalError) {
        self.emit(Event::Fail {
            op: op.to_string(),
            kind: ErrKind::of(e),
            msg: e.to_string(),
        });
    }
}

/// Run the child; returns the process exit code (0 done, 2 an operation failed in
/// [`ChildMode::Kill`], 3 a read returned wrong bytes).
pub fn run(cfg: &ChildConfig) -> i32 {
    if cfg.threads > 1 {
        return crate::group_child::run(cfg);
    }
    let out = Out(std::io::stdout());
    let spec = PayloadSpec::varied(cfg.seed, cfg.max_len);
    let mut wal = match handle::open(&cfg.options(), &cfg.dir, cfg.shared) {
        Ok(w) => w,
        Err(e) => {
            out.fail("open", &e);
            return if cfg.mode == ChildMode::Kill { 2 } else { 0 };
        }
    };
    out.emit(Event::Ready {
        first: wal.first_lsn().0,
        next: wal.next_lsn().0,
        torn_at: match wal.tail_state() {
            TailState::Clean => None,
            TailState::TruncatedAt(o) => Some(o),
        },
    });
    match cfg.mode {
        ChildMode::Kill => kill_loop(cfg, &spec, wal.as_mut(), &out),
        ChildMode::Script => script(cfg, &spec, wal, &out),
    }
}

/// Append one frame of `count` entries at the next LSN, reporting `try` before and `ok` or
/// `fail` after. Returns whether it succeeded.
fn append(wal: &mut dyn Handle, spec: &PayloadSpec, count: u64, out: &Out) -> bool {
    let first = wal.next_lsn().0;
    let entries: Vec<Vec<u8>> = (first..first + count).map(|l| spec.payload(l)).collect();
    out.emit(Event::Try { first, count });
    let r = if count == 1 {
        wal.append(&entries[0]).map(|l| (l.0, l.0))
    } else {
        wal.append_batch(&entries).map(|r| (r.first.0, r.last.0))
    };
    match r {
        Ok((first, last)) => {
            out.emit(Event::Ok { first, last });
            true
        }
        Err(e) => {
            out.fail(if count == 1 { "append" } else { "batch" }, &e);
            false
        }
    }
}

fn checkpoint(wal: &mut dyn Handle, upto: u64, out: &Out) -> bool {
    out.emit(Event::Checkpoint { upto });
    match wal.checkpoint(Lsn(upto)) {
        Ok(n) => {
            out.emit(Event::Done {
                op: format!("checkpoint {n}"),
            });
            true
        }
        Err(e) => {
            out.fail("checkpoint", &e);
            false
        }
    }
}

fn rotate(wal: &mut dyn Handle, out: &Out) -> bool {
    match wal.rotate() {
        Ok(()) => {
            out.emit(Event::Done {
                op: "rotate".into(),
            });
            true
        }
        Err(e) => {
            out.fail("rotate", &e);
            false
        }
    }
}

fn kill_loop(cfg: &ChildConfig, spec: &PayloadSpec, wal: &mut dyn Handle, out: &Out) -> i32 {
    let mut rng = Rng::new(mix(cfg.seed, 0x4B49_4C4C ^ cfg.run));
    let deadline = Instant::now() + Duration::from_secs(60);
    for _ in 0..cfg.ops {
        if Instant::now() > deadline {
            break;
        }
        let next = wal.next_lsn().0;
        let ok = match rng.below(100) {
            0..70 => append(wal, spec, 1, out),
            70..85 => append(wal, spec, rng.range(2, 6), out),
            85..90 => rotate(wal, out),
            90..95 => checkpoint(wal, (next - 1).saturating_sub(rng.below(cfg.keep + 1)), out),
            _ => {
                let first = wal.first_lsn().0;
                if first < next {
                    let lsn = rng.range(first, next - 1);
                    match wal.read(Lsn(lsn)) {
                        Ok(d) if spec.matches(lsn, &d) => true,
                        Ok(_) => {
                            out.emit(Event::Bad { lsn });
                            return 3;
                        }
                        Err(e) => {
                            out.fail("read", &e);
                            false
                        }
                    }
                } else {
                    true
                }
            }
        };
        if !ok {
            return 2;
        }
    }
    0
}

fn script(cfg: &ChildConfig, spec: &PayloadSpec, mut wal: Box<dyn Handle>, out: &Out) -> i32 {
    let mut rng = Rng::new(mix(cfg.seed, 0x5343_5249_5054));
    for _ in 0..cfg.ops {
        let next = wal.next_lsn().0;
        // What the directory holds before the call, for the residue check after a failure.
        let before = Snapshot::take(&cfg.dir);
        let roll = rng.below(100);
        let ok = match roll {
            0..60 => append(wal.as_mut(), spec, 1, out),
            60..78 => append(wal.as_mut(), spec, rng.range(2, 4), out),
            78..88 => rotate(wal.as_mut(), out),
            _ => checkpoint(
                wal.as_mut(),
                (next - 1).saturating_sub(rng.below(cfg.keep + 1)),
                out,
            ),
        };
        if !ok {
            out.emit(Event::Residue {
                problem: residue_after(cfg, wal.as_ref(), before, next, roll >= 88),
            });
        }
    }
    out.emit(Event::State {
        poisoned: wal.is_poisoned(),
    });
    match wal.close() {
        Ok(()) => out.emit(Event::Done { op: "close".into() }),
        Err(e) => out.fail("close", &e),
    }
    0
}

/// What a failed call left behind: the segment files must hold what they held before it
/// (up to trailing zeros; segments may vanish only in a checkpoint) and `next_lsn()` must
/// not have moved. `None` when nothing was left.
fn residue_after(
    cfg: &ChildConfig,
    wal: &dyn Handle,
    before: std::io::Result<Snapshot>,
    next_before: u64,
    checkpoint: bool,
) -> Option<String> {
    let snapshots = before.and_then(|b| Ok((b, Snapshot::take(&cfg.dir)?)));
    let mut problems = Vec::new();
    match snapshots {
        Ok((b, a)) => {
            if let Err(r) = b.compare(&a, checkpoint) {
                problems.push(r.0);
            }
        }
        Err(e) => problems.push(format!("cannot read the directory: {e}")),
    }
    problems.extend(next_lsn_moved(next_before, wal.next_lsn().0));
    (!problems.is_empty()).then(|| problems.join(RESIDUE_SEPARATOR))
}
