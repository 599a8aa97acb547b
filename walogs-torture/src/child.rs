//! The child process: opens a WAL and runs a workload, reporting every step on stdout
//! ([`crate::protocol`]). The parent kills it, or runs it under the fault-injection shim,
//! and then checks the directory against what the child reported. With more than one
//! thread the workload is [`crate::group_child`]'s: concurrent appenders on one
//! [`walogs_core::SharedWal`].
//!
//! The single-threaded workload mixes appends (single entries, atomic batches,
//! `append_many`), rotations and checkpoints with the log control of the core: truncations
//! (inside the last multi-entry unit, near the end, anywhere back across segments, or of
//! everything), purges (inside the log, at its end, past it), user data (up to and just over
//! the 64 KiB limit), `on_durable` callbacks and `wait_durable` waits (each reporting what it
//! proved durable), `sync`, and reads checked against the payloads the child wrote.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use walogs_core::{Lsn, MAX_USER_DATA, TailState, WalError, WalOptions};
use walogs_testkit::Rng;

use crate::draw::{self, between, percent};
use crate::ledger::changed_nothing;
use crate::payload::{PayloadSpec, epoch_of, user_value};
use crate::policy::Policy;
use crate::protocol::{ErrKind, Event, RESIDUE_SEPARATOR};
use crate::residue::{Removal, Rule, Snapshot, next_lsn_moved};
use walogs_testkit::handle::{DynWal, HandleKind};

/// Which workload the child runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildMode {
    /// Random operations until killed (or until `ops` operations or 60 s, whichever comes
    /// first). Stops at the first error (exit 2) other than the refusals it provokes on
    /// purpose (user data over the limit, a timed wait that times out).
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
    /// Run number: varies the operation stream between runs and names the child's epochs.
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
    /// A failed fdatasync may cut the active segment back to the last sync (a relaxed
    /// policy under a sync fault): the residue checks then allow a cut at a frame boundary.
    pub cut_back: bool,
}

impl ChildConfig {
    /// The options every workload opens its WAL with.
    pub fn options(&self) -> WalOptions {
        WalOptions::new()
            .max_segment_size(Some(self.segment))
            .preallocate(self.preallocate)
            .durability(self.policy.durability())
    }

    /// How long a `wait_durable` may block: no limit where something makes every entry
    /// durable by itself (every append syncs, or the interval flusher does), a few
    /// milliseconds where only an explicit sync would (a timeout is then expected).
    pub fn wait_timeout(&self) -> Option<Duration> {
        match self.policy {
            Policy::EveryAppend | Policy::Interval => None,
            Policy::Manual | Policy::None => Some(Duration::from_millis(3)),
        }
    }
}

/// Writes events to stdout, one `write` + flush per line under the stdout lock (so lines of
/// concurrent threads never mix). If the parent is gone, exits.
pub(crate) struct Out(pub(crate) std::io::Stdout);

impl Out {
    pub(crate) fn new() -> Out {
        Out(std::io::stdout())
    }

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

/// The `ready` line of a freshly opened handle.
pub(crate) fn ready(first: Lsn, next: Lsn, tail: TailState) -> Event {
    Event::Ready {
        first: first.0,
        next: next.0,
        torn_at: match tail {
            TailState::Clean => None,
            TailState::TruncatedAt(o) => Some(o),
        },
    }
}

/// Run the child; returns the process exit code (0 done, 2 an operation failed in
/// [`ChildMode::Kill`], 3 a read returned wrong bytes).
pub fn run(cfg: &ChildConfig) -> i32 {
    if cfg.threads > 1 {
        return crate::group_child::run(cfg);
    }
    let out = Out::new();
    let wal = match HandleKind::shared_if(cfg.shared).open(&cfg.options(), &cfg.dir) {
        Ok(w) => w,
        Err(e) => {
            out.fail("open", &e);
            return if cfg.mode == ChildMode::Kill { 2 } else { 0 };
        }
    };
    out.emit(ready(wal.first_lsn(), wal.next_lsn(), wal.tail_state()));
    let next = wal.next_lsn().0;
    let epoch = epoch_of(cfg.run, 0);
    out.emit(Event::Epoch { from: next, epoch });
    let user = wal.user_data().unwrap_or_default();
    let mut c = Child {
        cfg,
        spec: PayloadSpec::varied(cfg.seed, cfg.max_len),
        wal,
        out,
        epoch,
        cuts: 0,
        users: 0,
        user,
        mine: BTreeMap::from([(next, epoch)]),
        last_unit: None,
    };
    match cfg.mode {
        ChildMode::Kill => c.kill_loop(),
        ChildMode::Script => c.script(),
    }
}

/// The first rolls of a scripted workload: every kind of call once (an append, an atomic
/// batch, a truncation inside it, an append, a purge, user data, a callback, a wait, a sync,
/// `append_many`, a rotation, a checkpoint).
const TOUR: [u64; 12] = [0, 45, 70, 0, 76, 80, 86, 92, 96, 52, 58, 64];

/// What an operation came to.
enum Outcome {
    /// Succeeded (or failed in a way the workload provoked on purpose).
    Fine,
    /// Failed: `(operation, rule for the residue check, next_lsn() allowed after a
    /// purge that took effect)`.
    Failed(Rule, Option<u64>),
    /// A read returned wrong bytes.
    BadRead,
}

/// Which append call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Single,
    Batch,
    Many,
}

struct Child<'a> {
    cfg: &'a ChildConfig,
    spec: PayloadSpec,
    wal: Box<dyn DynWal>,
    out: Out,
    /// The payload epoch of the next appends.
    epoch: u64,
    /// Truncations made (each starts an epoch).
    cuts: u64,
    /// User data values set (names the next one).
    users: u64,
    /// The user data as this child last saw it set (or found it at open).
    user: Vec<u8>,
    /// Epochs of the entries this child appended, from each key on.
    mine: BTreeMap<u64, u64>,
    /// LSNs of the last multi-entry write acknowledged (a unit to cut inside).
    last_unit: Option<(u64, u64)>,
}

impl Child<'_> {
    fn rule(&self, base: Rule) -> Rule {
        // Under a relaxed policy any call may meet a failed fdatasync (its own, or the
        // interval flusher's), which cuts the segment back to the last sync by design.
        Rule {
            may_cut: base.may_cut || self.cfg.cut_back,
            ..base
        }
    }

    fn kill_loop(&mut self) -> i32 {
        let mut rng = draw::stream(self.cfg.seed, 0x4B49_4C4C ^ (self.cfg.run << 20));
        let deadline = Instant::now() + Duration::from_secs(60);
        for _ in 0..self.cfg.ops {
            if Instant::now() > deadline {
                break;
            }
            let o = match rng.below(100) {
                0..52 => self.append(How::Single, 1),
                52..62 => {
                    let n = between(&mut rng, 2, 6);
                    self.append(How::Batch, n)
                }
                62..68 => {
                    let n = between(&mut rng, 2, 6);
                    self.append(How::Many, n)
                }
                68..72 => self.rotate(),
                72..76 => self.checkpoint(&mut rng),
                76..81 => self.truncate(&mut rng, false),
                81..84 => self.purge(&mut rng),
                84..87 => self.set_user(&mut rng, MAX_USER_DATA as u64),
                87..91 => self.watch(&mut rng),
                91..93 => self.wait(),
                93..95 => self.sync(),
                _ => self.read_check(&mut rng),
            };
            match o {
                Outcome::Fine => {}
                Outcome::Failed(..) => return 2,
                Outcome::BadRead => return 3,
            }
        }
        0
    }

    fn script(mut self) -> i32 {
        let mut rng = draw::stream(self.cfg.seed, 0x5343_5249_5054);
        for i in 0..self.cfg.ops {
            let next = self.wal.next_lsn().0;
            // Every kind of call once (a cut inside the batch just written among them), then
            // a random mix.
            let roll = TOUR
                .get(i as usize)
                .copied()
                .unwrap_or_else(|| rng.below(100));
            // What the directory holds before the call, for the residue check after a
            // failure (every segment before a truncation, which may cut an old one).
            let before = Snapshot::take_newest(
                &self.cfg.dir,
                if (67..74).contains(&roll) {
                    usize::MAX
                } else {
                    crate::residue::READ_NEWEST
                },
            );
            let user_before = self.user.clone();
            let o = match roll {
                0..40 => self.append(How::Single, 1),
                40..50 => {
                    let n = between(&mut rng, 2, 4);
                    self.append(How::Batch, n)
                }
                50..55 => {
                    let n = between(&mut rng, 2, 4);
                    self.append(How::Many, n)
                }
                55..61 => self.rotate(),
                61..67 => self.checkpoint(&mut rng),
                67..74 => self.truncate(&mut rng, i == 2),
                74..79 => self.purge(&mut rng),
                79..84 => self.set_user(&mut rng, 4096),
                84..90 => self.watch(&mut rng),
                90..94 => self.wait(),
                _ => self.sync(),
            };
            if let Outcome::Failed(rule, purged_next) = o {
                let problem = self.residue_after(before, rule, next, purged_next, &user_before);
                self.out.emit(Event::Residue { problem });
            }
        }
        self.out.emit(Event::State {
            poisoned: self.wal.is_poisoned(),
        });
        match self.wal.close() {
            Ok(()) => self.out.emit(Event::Done { op: "close".into() }),
            Err(e) => self.out.fail("close", &e),
        }
        0
    }

    /// Append one write of `count` entries at the next LSN, reporting `try` before and `ok`
    /// or `fail` after.
    fn append(&mut self, how: How, count: u64) -> Outcome {
        let first = self.wal.next_lsn().0;
        let entries: Vec<Vec<u8>> = (first..first + count)
            .map(|l| self.spec.payload(self.epoch, l))
            .collect();
        self.out.emit(Event::Try { first, count });
        let (op, r) = match how {
            How::Single => ("append", self.wal.append(&entries[0]).map(|l| (l.0, l.0))),
            How::Batch => (
                "batch",
                self.wal
                    .append_batch(&entries)
                    .map(|r| (r.first.0, r.last.0)),
            ),
            How::Many => (
                "many",
                self.wal
                    .append_many(&entries)
                    .map(|r| (r.first.0, r.last.0)),
            ),
        };
        match r {
            Ok((first, last)) => {
                self.out.emit(Event::Ok { first, last });
                if last > first {
                    self.last_unit = Some((first, last));
                }
                Outcome::Fine
            }
            Err(e) => {
                self.out.fail(op, &e);
                Outcome::Failed(self.rule(Rule::UNCHANGED), None)
            }
        }
    }

    fn rotate(&mut self) -> Outcome {
        match self.wal.rotate() {
            Ok(()) => {
                self.out.emit(Event::Done {
                    op: "rotate".into(),
                });
                Outcome::Fine
            }
            Err(e) => {
                self.out.fail("rotate", &e);
                Outcome::Failed(self.rule(Rule::UNCHANGED), None)
            }
        }
    }

    fn checkpoint(&mut self, rng: &mut Rng) -> Outcome {
        let next = self.wal.next_lsn().0;
        let upto = (next - 1).saturating_sub(rng.below(self.cfg.keep + 1));
        self.out.emit(Event::Checkpoint { upto });
        match self.wal.checkpoint(Lsn(upto)) {
            Ok(n) => {
                self.out.emit(Event::Done {
                    op: format!("checkpoint {n}"),
                });
                Outcome::Fine
            }
            Err(e) => {
                self.out.fail("checkpoint", &e);
                Outcome::Failed(
                    self.rule(Rule {
                        may_cut: false,
                        may_remove: Removal::Oldest,
                    }),
                    None,
                )
            }
        }
    }

    /// `truncate_after` at a drawn place: inside the last multi-entry unit (always, when
    /// `prefer_unit` and there is one), near the end, anywhere back (across segments), or before
    /// the oldest entry (everything).
    fn truncate(&mut self, rng: &mut Rng, prefer_unit: bool) -> Outcome {
        let first = self.wal.first_lsn().0;
        let next = self.wal.next_lsn().0;
        if next <= first {
            return self.append(How::Single, 1);
        }
        let roll = if prefer_unit { 0 } else { rng.below(100) };
        let keep = match (roll, self.last_unit) {
            (0..40, Some((a, b))) if a >= first && b < next => between(rng, a, b - 1),
            (0..70, _) => (next - 1).saturating_sub(rng.below(3)).max(first - 1),
            (70..93, _) => between(rng, first - 1, next - 1),
            _ => first - 1,
        };
        let in_unit = self.splits_unit(keep + 1);
        let epoch = epoch_of(self.cfg.run, self.cuts + 1);
        self.out.emit(Event::Cut {
            keep,
            epoch,
            in_unit,
        });
        let segments = self.wal.segment_count();
        match self.wal.truncate_after(Lsn(keep)) {
            Ok(removed) => {
                self.cuts += 1;
                self.epoch = epoch;
                self.mine.split_off(&(keep + 1));
                self.mine.insert(keep + 1, epoch);
                if self.last_unit.is_some_and(|(_, b)| b > keep) {
                    self.last_unit = None;
                }
                self.out.emit(Event::Done {
                    op: format!(
                        "truncate {removed} {}",
                        segments.saturating_sub(self.wal.segment_count())
                    ),
                });
                Outcome::Fine
            }
            Err(e) => {
                self.out.fail("truncate", &e);
                Outcome::Failed(
                    Rule {
                        may_cut: true,
                        may_remove: Removal::Newest,
                    },
                    None,
                )
            }
        }
    }

    /// Whether entry `lsn` is a later member of a multi-entry unit (read from the newest
    /// segments; a unit further back counts as not split).
    fn splits_unit(&self, lsn: u64) -> bool {
        Snapshot::take(&self.cfg.dir).is_ok_and(|s| {
            s.segments
                .iter()
                .filter_map(|(_, b)| b.as_deref())
                .any(|b| crate::unit::splits_unit(b, lsn))
        })
    }

    /// `purge_up_to` inside the log, at its end, or past it.
    fn purge(&mut self, rng: &mut Rng) -> Outcome {
        let first = self.wal.first_lsn().0;
        let next = self.wal.next_lsn().0;
        let upto = match rng.below(100) {
            0..55 if next > first => between(rng, first, next - 1),
            0..80 => next - 1,
            _ => next - 1 + between(rng, 1, 5),
        };
        self.out.emit(Event::Purge { upto });
        match self.wal.purge_up_to(Lsn(upto)) {
            Ok(n) => {
                self.out.emit(Event::Done {
                    op: format!("purge {n}"),
                });
                Outcome::Fine
            }
            Err(e) => {
                self.out.fail("purge", &e);
                // The floor may be durable (the purge took effect) before a later step
                // (rotation, deletion) failed: then the next LSN is past it.
                let took = self.wal.purged_up_to().0 >= upto;
                Outcome::Failed(
                    self.rule(Rule {
                        may_cut: false,
                        may_remove: Removal::Oldest,
                    }),
                    took.then_some(next.max(upto + 1)),
                )
            }
        }
    }

    /// `set_user_data` with a fresh value of up to `max` bytes, or (one time in twenty)
    /// one byte over the limit (refused, nothing changed).
    fn set_user(&mut self, rng: &mut Rng, max: u64) -> Outcome {
        self.users += 1;
        let key = (self.cfg.run << 24) | self.users;
        let len = if percent(rng, 5) {
            MAX_USER_DATA as u64 + 1
        } else {
            draw::log_uniform(rng, 0, max)
        };
        let value = user_value(self.cfg.seed, key, len as usize);
        let covered = self.wal.next_lsn().0 - 1;
        self.out.emit(Event::User { key, len });
        match self.wal.set_user_data(&value) {
            Ok(()) => {
                self.user = value;
                self.out.emit(Event::Done { op: "user".into() });
                if covered > 0 {
                    self.out.emit(Event::Durable {
                        lsn: covered,
                        epoch: self.epoch,
                        how: "user".into(),
                        outcome: None,
                    });
                }
                Outcome::Fine
            }
            Err(e) => {
                self.out.fail("user", &e);
                if len > MAX_USER_DATA as u64 && matches!(e, WalError::EntryTooLarge { .. }) {
                    Outcome::Fine
                } else {
                    Outcome::Failed(self.rule(Rule::UNCHANGED), None)
                }
            }
        }
    }

    /// `on_durable` for a recent entry; the callback reports its outcome.
    fn watch(&mut self, rng: &mut Rng) -> Outcome {
        let first = self.wal.first_lsn().0;
        let next = self.wal.next_lsn().0;
        if next <= first.max(1) {
            return Outcome::Fine;
        }
        let lsn = between(rng, first.max(next.saturating_sub(8)).max(1), next - 1);
        let epoch = self.epoch;
        self.out.emit(Event::Watch { lsn, epoch });
        let report = move |r: Result<(), WalError>| {
            Out::new().emit(Event::Durable {
                lsn,
                epoch,
                how: "callback".into(),
                outcome: r.err().map(|e| ErrKind::of(&e)),
            });
        };
        if let Err(e) = self.wal.on_durable(Lsn(lsn), Box::new(report)) {
            self.out.emit(Event::Durable {
                lsn,
                epoch,
                how: "callback".into(),
                outcome: Some(ErrKind::of(&e)),
            });
        }
        Outcome::Fine
    }

    /// `wait_durable` for the newest entry (no limit, or a few milliseconds under the
    /// policies where nothing but a sync makes it durable).
    fn wait(&mut self) -> Outcome {
        let lsn = self.wal.next_lsn().0 - 1;
        if lsn == 0 || lsn < self.wal.first_lsn().0 {
            return Outcome::Fine;
        }
        let r = self.wal.wait_durable(Lsn(lsn), self.cfg.wait_timeout());
        self.out.emit(Event::Durable {
            lsn,
            epoch: self.epoch,
            how: "wait".into(),
            outcome: r.err().map(|e| ErrKind::of(&e)),
        });
        Outcome::Fine
    }

    fn sync(&mut self) -> Outcome {
        match self.wal.sync() {
            Ok(lsn) => {
                self.out.emit(Event::Done { op: "sync".into() });
                if lsn.0 > 0 {
                    self.out.emit(Event::Durable {
                        lsn: lsn.0,
                        epoch: self.epoch,
                        how: "sync".into(),
                        outcome: None,
                    });
                }
                Outcome::Fine
            }
            Err(e) => {
                self.out.fail("sync", &e);
                Outcome::Failed(self.rule(Rule::UNCHANGED), None)
            }
        }
    }

    /// Read back entries this child wrote (`read` or `read_range`) and check their bytes.
    fn read_check(&mut self, rng: &mut Rng) -> Outcome {
        let next = self.wal.next_lsn().0;
        let from = self
            .wal
            .first_lsn()
            .0
            .max(*self.mine.keys().next().unwrap_or(&next));
        if from >= next {
            return Outcome::Fine;
        }
        let lsn = between(rng, from, next - 1);
        let epoch_at = |l: u64| *self.mine.range(..=l).next_back().map_or(&0, |(_, e)| e);
        let got = if percent(rng, 50) {
            self.wal.read(Lsn(lsn)).map(|d| vec![(Lsn(lsn), d)])
        } else {
            let n = between(rng, 1, 5) as usize;
            let bytes = between(rng, 1, 2 * self.cfg.max_len as u64) as usize;
            self.wal.read_range(Lsn(lsn), n, bytes)
        };
        match got {
            Ok(entries) => {
                let dense = entries.iter().zip(lsn..).all(|((l, _), e)| l.0 == e);
                for (l, d) in &entries {
                    if !self.spec.matches(epoch_at(l.0), l.0, d) || !dense {
                        self.out.emit(Event::Bad { lsn: l.0 });
                        return Outcome::BadRead;
                    }
                }
                if entries.is_empty() {
                    self.out.emit(Event::Bad { lsn });
                    return Outcome::BadRead;
                }
                Outcome::Fine
            }
            Err(e) => {
                self.out.fail("read", &e);
                Outcome::Failed(Rule::UNCHANGED, None)
            }
        }
    }

    /// What a failed call left behind: the segment files must hold what `rule` allows,
    /// `next_lsn()` must not have moved (a purge whose floor became durable before a later
    /// step failed may have moved it to `purged_next`), and the user data must be unchanged.
    /// `None` when nothing was left.
    fn residue_after(
        &self,
        before: std::io::Result<Snapshot>,
        rule: Rule,
        next_before: u64,
        purged_next: Option<u64>,
        user_before: &[u8],
    ) -> Option<String> {
        let after = Snapshot::take_newest(&self.cfg.dir, usize::MAX);
        let mut problems = Vec::new();
        match before.and_then(|b| Ok((b, after?))) {
            Ok((b, a)) => {
                if let Err(r) = b.compare(&a, rule) {
                    problems.push(r.0);
                }
            }
            Err(e) => problems.push(format!("cannot read the directory: {e}")),
        }
        let now = self.wal.next_lsn().0;
        if purged_next != Some(now) {
            problems.extend(next_lsn_moved(next_before, now));
        }
        match self.wal.user_data() {
            Ok(u) if u != user_before => problems.push(format!(
                "user_data() changed to {} bytes although the call failed",
                u.len()
            )),
            Err(e) if !changed_nothing(&ErrKind::of(&e)) => {
                problems.push(format!("user_data() failed: {e}"));
            }
            _ => {}
        }
        (!problems.is_empty()).then(|| problems.join(RESIDUE_SEPARATOR))
    }
}
