//! The real-kill harness: a child process appends (payloads of 1 B to 1 MiB, tiny segments so
//! that rotation and checkpoint happen) and runs the log control (truncations, purges, user
//! data, durability callbacks and waits), reporting each result only after the call
//! returned; the parent kills it with `SIGKILL` at a random time, checks the directory
//! against [`Ledger`], and starts the next child on the same directory.
//!
//! What this proves and what it does not: a `SIGKILL` stops the process between any two
//! instructions, so it tests that every acknowledged entry was handed to the kernel, that
//! recovery copes with whatever a half-finished operation left (a partial frame, a created
//! but empty segment, a metadata file mid-rename), and that no LSN is reused. It does **not**
//! test `fdatasync`: the page cache survives the kill, so a WAL that never synced would pass
//! too. Power loss is the simulator's job (`walogs-sim`); failed syncs are the shim's. That is
//! also why every durability policy ([`Policy`]) makes the same promise here, and children
//! cycle through all of them.
//!
//! Beyond the recovered log, the parent checks the tail: the next child's open must report
//! the tail to cut (or its absence) the parent's read-only open saw, and after a kill anything
//! but preallocated zeros behind the last frame must be explained by an append in flight (or
//! by a kill inside an open that had that tail to cut): a completed operation never leaves a
//! partial frame behind.
//!
//! With `threads > 1` every child is [`crate::group_child`]'s: several threads appending to
//! one `SharedWal` (see [`crate::group_kill`]).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use walogs_core::TailState;

use walogs_testkit::Rng;

use crate::draw;
use crate::known::KNOWN;
use crate::ledger::{Ledger, Violation, tally};
use crate::payload::PayloadSpec;
use crate::policy::Policy;
use crate::protocol::Event;
use crate::residue::scan_tail;
use crate::verify::inspect;

/// Settings of a kill run.
#[derive(Debug, Clone)]
pub struct KillConfig {
    /// The `walogs-torture` binary (run as `walogs-torture child kill ...`).
    pub exe: PathBuf,
    /// The WAL directory, reused by every child.
    pub dir: PathBuf,
    /// Seed of payloads, workloads and kill times.
    pub seed: u64,
    /// How many children to kill.
    pub kills: u64,
    /// Each child is killed after a delay uniform in `0..max_delay` counted from the end of
    /// its open, except one child in five, killed within `max_delay / 16` of its spawn (so
    /// those kills tend to land in exec, open and recovery).
    pub max_delay: Duration,
    /// `max_segment_size` of the child.
    pub segment: u64,
    /// Largest payload (1 MiB for the real run).
    pub max_len: usize,
    /// Checkpoints keep up to this many newest entries.
    pub keep: u64,
    /// Appending threads per child: 1 alternates `Wal` and `SharedWal` children; more run
    /// concurrent appenders on one `SharedWal` ([`crate::group_kill`]).
    pub threads: u32,
    /// Durability policies the children cycle through.
    pub policies: Vec<Policy>,
}

impl KillConfig {
    /// The defaults of the CI run: 80 ms, 256 KiB segments, entries up to 1 MiB, every
    /// policy, single-threaded children.
    pub fn new(exe: PathBuf, dir: PathBuf, seed: u64, kills: u64) -> KillConfig {
        KillConfig {
            exe,
            dir,
            seed,
            kills,
            max_delay: Duration::from_millis(80),
            segment: 256 * 1024,
            max_len: crate::payload::MAX_KILL_PAYLOAD,
            keep: 8,
            threads: 1,
            policies: Policy::ALL.to_vec(),
        }
    }

    /// The policy of child `run` (the second of each pair of runs, for single-threaded
    /// children, since those alternate handles).
    pub fn policy(&self, run: u64) -> Policy {
        let n = self.policies.len().max(1) as u64;
        let step = if self.threads > 1 { run } else { run / 2 };
        self.policies
            .get((step % n) as usize)
            .copied()
            .unwrap_or(Policy::EveryAppend)
    }

    /// The kill delay of run `n` (drawn from `rng`) and whether it counts from the end of
    /// the child's open (else from its spawn, within a sixteenth of the maximum, so that
    /// those kills tend to land in exec, open and recovery).
    pub(crate) fn draw_delay(&self, rng: &mut Rng) -> (Duration, bool) {
        let max_us = self.max_delay.as_micros() as u64;
        let after_ready = rng.below(5) != 0;
        let span = if after_ready { max_us } else { max_us / 16 };
        (Duration::from_micros(rng.below(span + 1)), after_ready)
    }
}

/// Counts of the log-control calls that succeeded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Control {
    /// Truncations, and of those announced inside a multi-entry unit.
    pub cuts: (u64, u64),
    /// Purges, and of those past the end of the log.
    pub purges: (u64, u64),
    /// User data values set.
    pub users: u64,
}

impl Control {
    /// `self` plus `other`.
    pub fn add(&mut self, other: Control) {
        self.cuts.0 += other.cuts.0;
        self.cuts.1 += other.cuts.1;
        self.purges.0 += other.purges.0;
        self.purges.1 += other.purges.1;
        self.users += other.users;
    }

    /// `self` minus an earlier reading `before` of the same counters.
    pub fn since(self, before: Control) -> Control {
        Control {
            cuts: (self.cuts.0 - before.cuts.0, self.cuts.1 - before.cuts.1),
            purges: (
                self.purges.0 - before.purges.0,
                self.purges.1 - before.purges.1,
            ),
            users: self.users - before.users,
        }
    }

    /// For figure lines.
    pub fn describe(&self) -> String {
        format!(
            "{} truncations ({} inside a unit), {} purges ({} past the end), {} user-data sets",
            self.cuts.0, self.cuts.1, self.purges.0, self.purges.1, self.users
        )
    }
}

/// What a kill run saw.
#[derive(Debug, Clone, Default)]
pub struct KillReport {
    /// Children killed by `SIGKILL`.
    pub kills: u64,
    /// Kills that landed before the child reported its open done.
    pub during_open: u64,
    /// Kills with a call (an append, a truncation, a purge, a user-data change) announced
    /// but not finished.
    pub in_flight: u64,
    /// Of those, how many had the in-flight frame come back.
    pub in_flight_recovered: u64,
    /// Opens that cut a torn tail.
    pub torn_tails: u64,
    /// Entries, frames and atomic batches acknowledged in total, and their payload bytes.
    pub acked_entries: u64,
    /// Frames acknowledged.
    pub acked_frames: u64,
    /// Atomic batches acknowledged.
    pub acked_batches: u64,
    /// Checkpoints announced.
    pub checkpoints: u64,
    /// Log control: truncations done (of those inside a multi-entry unit), purges done (of
    /// those past the end), user data values set.
    pub control: Control,
    /// Durability reports (`durable ... ok`) counted, and callbacks run.
    pub durable_reports: (u64, u64),
    /// Largest log (in bytes of payload) verified after a kill.
    pub max_log_bytes: u64,
    /// Smallest and largest entry verified after a kill.
    pub entry_sizes: (u64, u64),
    /// Kills per policy, in the order of [`Policy::ALL`].
    pub per_policy: Vec<(Policy, u64)>,
    /// Appending threads per child (1: alternating `Wal` and `SharedWal`).
    pub threads: u32,
    /// Concurrent children: most appends in flight at one kill.
    pub max_in_flight: u64,
    /// Concurrent children: entries recovered whose append had not returned at the kill.
    pub in_flight_entries_recovered: u64,
    /// Opens whose reported tail (torn or clean) was checked against the parent's view.
    pub tails_checked: u64,
    /// Times the run went on with a fresh directory because the old one no longer opened
    /// (each time is a violation).
    pub restarts: u64,
    /// Every broken promise, with the run that showed it.
    pub violations: Vec<(u64, Violation)>,
    /// Wall time.
    pub elapsed: Duration,
}

impl KillReport {
    /// The one-line figure.
    pub fn figure(&self) -> String {
        // The seed is not part of what a known bug's signature matches.
        let (tolerated, vs) = KNOWN.partition(
            self.messages(0)
                .into_iter()
                .zip(self.violations.iter().map(|(_, v)| v.clone())),
        );
        let policies: Vec<String> = self
            .per_policy
            .iter()
            .map(|(p, n)| format!("{n} {p}"))
            .collect();
        let (who, flight) = if self.threads > 1 {
            (
                format!(
                    "kill ({} threads on one SharedWal): {} SIGKILLs (",
                    self.threads, self.kills
                ),
                format!(
                    "{} with appends in flight (up to {} at once), {} in-flight entries recovered",
                    self.in_flight, self.max_in_flight, self.in_flight_entries_recovered
                ),
            )
        } else {
            (
                format!(
                    "kill: {} SIGKILLs (half on Wal, half on SharedWal; ",
                    self.kills
                ),
                format!(
                    "{} with a call in flight, {} in-flight writes recovered",
                    self.in_flight, self.in_flight_recovered
                ),
            )
        };
        let restarts = if self.restarts > 0 {
            format!(
                ", {} fresh directories after one no longer opened",
                self.restarts
            )
        } else {
            String::new()
        };
        format!(
            "{who}policies {}; {} during open/recovery, {flight}, {} opens cut a tail (a torn frame or preallocated zeros), {} open tails checked{restarts}), \
             {} acknowledged entries in {} appends ({} multi-entry, entries of {}..={} bytes verified), {} checkpoints, {}, {} durability reports ({} callbacks run): {}{} ({:.1} kills/s)",
            policies.join(", "),
            self.during_open,
            self.torn_tails,
            self.tails_checked,
            self.acked_entries,
            self.acked_frames,
            self.acked_batches,
            self.entry_sizes.0,
            self.entry_sizes.1,
            self.checkpoints,
            self.control.describe(),
            self.durable_reports.0,
            self.durable_reports.1,
            tally(&vs),
            walogs_testkit::known::tolerated_note(&tolerated),
            self.kills as f64 / self.elapsed.as_secs_f64().max(1e-9),
        )
    }

    /// Every violation as one line naming its run and seed.
    pub fn messages(&self, seed: u64) -> Vec<String> {
        self.violations
            .iter()
            .map(|(run, v)| {
                format!(
                    "kill run {run} (seed {seed}, {} threads): {v}",
                    self.threads
                )
            })
            .collect()
    }

    /// Count a kill of a child under `policy`.
    pub(crate) fn count_policy(&mut self, policy: Policy) {
        if self.per_policy.is_empty() {
            self.per_policy = Policy::ALL.iter().map(|&p| (p, 0)).collect();
        }
        if let Some((_, n)) = self.per_policy.iter_mut().find(|(p, _)| *p == policy) {
            *n += 1;
        }
    }

    /// Widen the verified entry-size range by `sizes`.
    pub(crate) fn add_sizes(&mut self, sizes: (u64, u64)) {
        self.entry_sizes = if self.entry_sizes == (0, 0) {
            sizes
        } else {
            (
                self.entry_sizes.0.min(sizes.0),
                self.entry_sizes.1.max(sizes.1),
            )
        };
    }
}

/// The parent's view of the tail of the last segment, to hold each child's open and each
/// kill's leftovers to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TailWatch {
    /// What the last read-only open reported.
    pub(crate) last: TailState,
}

impl TailWatch {
    /// The child's open reported `torn_at`: it must be what the parent saw.
    pub(crate) fn check_open(&self, torn_at: Option<u64>) -> Option<Violation> {
        let seen = match self.last {
            TailState::Clean => None,
            TailState::TruncatedAt(o) => Some(o),
        };
        (seen != torn_at).then(|| {
            Violation::Failure(format!(
                "the child's open reported the tail {torn_at:?} (torn at), but the directory held {seen:?}"
            ))
        })
    }

    /// After a kill the read-only open of `dir` found `now`. A tail to cut is fine when it
    /// is only preallocated zeros (after whole units, or after the unit a deliberate cut at
    /// LSN `cut` ended); anything else needs an operation in flight, or a kill inside an
    /// open that had this very tail to cut.
    pub(crate) fn check_kill(
        &mut self,
        dir: &Path,
        now: TailState,
        in_flight: bool,
        ready: bool,
        cut: Option<u64>,
    ) -> Option<Violation> {
        let cuts: Vec<u64> = cut.into_iter().collect();
        let before = self.last;
        self.last = now;
        match now {
            TailState::TruncatedAt(o) if !in_flight && (ready || before != now) => {
                match scan_tail(dir, &cuts) {
                    Ok(_) => None, // whole frames, then preallocated zeros
                    Err(r) => Some(Violation::Residue(format!(
                        "a tail to cut at offset {o} after a kill with no append in flight: {r}"
                    ))),
                }
            }
            _ => None,
        }
    }
}

/// The debugging aid `WALOGS_TORTURE_KEEP=DIR`: the run stops at its first violation and
/// leaves `DIR/before` (the directory as the failing child found it) and `DIR/after` (as
/// the kill left it), with `DIR/violations` saying what was wrong.
pub(crate) struct Keep(Option<PathBuf>);

impl Keep {
    pub(crate) fn from_env() -> Keep {
        Keep(std::env::var_os("WALOGS_TORTURE_KEEP").map(PathBuf::from))
    }

    /// Before a cycle: keep the directory as it is.
    pub(crate) fn before(&self, dir: &Path) {
        if let Some(k) = &self.0 {
            let _ = std::fs::remove_dir_all(k.join("before"));
            if dir.exists() {
                let _ = crate::util::copy_dir(dir, &k.join("before"));
            }
        }
    }

    /// After a cycle: whether to stop (a violation was found), keeping the directory.
    pub(crate) fn after(&self, dir: &Path, run: u64, violations: &[(u64, Violation)]) -> bool {
        let Some(k) = &self.0 else { return false };
        if violations.is_empty() {
            return false;
        }
        if dir.exists() {
            let _ = std::fs::remove_dir_all(k.join("after"));
            let _ = crate::util::copy_dir(dir, &k.join("after"));
        }
        let text: Vec<String> = violations
            .iter()
            .map(|(r, v)| format!("run {r}: {v}"))
            .collect();
        let _ = std::fs::write(
            k.join("violations"),
            format!("stopped after run {run}\n{}\n", text.join("\n")),
        );
        true
    }
}

/// How a killed child ended and what it printed.
pub(crate) struct Killed {
    pub(crate) status: ExitStatus,
    pub(crate) lines: Vec<String>,
}

/// Spawn `cmd` (a child printing the [`crate::protocol`]), wait for its `ready` line if
/// `after_ready`, sleep `delay`, `SIGKILL` it and collect every line it printed.
pub(crate) fn spawn_and_kill(
    mut cmd: Command,
    delay: Duration,
    after_ready: bool,
) -> Result<Killed, Violation> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Violation::Failure(format!("cannot spawn the child: {e}")))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    if after_ready {
        // Wait for the open to finish, then kill during the workload.
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            let ready = line.starts_with("ready ");
            lines.push(line);
            if ready {
                break;
            }
        }
    }
    std::thread::sleep(delay);
    let _ = child.kill();
    let status = child
        .wait()
        .map_err(|e| Violation::Failure(format!("wait: {e}")))?;
    let _ = reader.join();
    lines.extend(rx.try_iter());
    Ok(Killed { status, lines })
}

/// The lines of a child's output that report an error (`fail`, `refused`, `bad`): what
/// made a child stop before its kill.
pub(crate) fn error_lines(lines: &[String]) -> Vec<&str> {
    lines
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("fail ") || l.starts_with("refused ") || l.starts_with("bad "))
        .collect()
}

/// The command line of child `run` of `cfg`.
pub(crate) fn child_command(cfg: &KillConfig, run: u64, shared: bool) -> Command {
    let mut cmd = Command::new(&cfg.exe);
    cmd.args(["child", "kill", "--dir"])
        .arg(&cfg.dir)
        .args(["--seed", &cfg.seed.to_string()])
        .args(["--run", &run.to_string()])
        .args(["--segment", &cfg.segment.to_string()])
        .args(["--max-len", &cfg.max_len.to_string()])
        .args(["--keep", &cfg.keep.to_string()])
        .args(["--shared", if shared { "1" } else { "0" }])
        .args(["--threads", &cfg.threads.to_string()])
        .args(["--policy", cfg.policy(run).name()]);
    cmd
}

/// Run `cfg.kills` kill cycles. Stops early after 10 violations. Calls `progress` after
/// every cycle.
pub fn run(cfg: &KillConfig, mut progress: impl FnMut(&KillReport)) -> KillReport {
    if cfg.threads > 1 {
        return crate::group_kill::run(cfg, progress);
    }
    let spec = PayloadSpec::varied(cfg.seed, cfg.max_len);
    let start = Instant::now();
    let mut rng = draw::stream(cfg.seed, 0xDE1A7);
    let mut ledger = Ledger::starting_at(spec, 1);
    let mut tail = TailWatch {
        last: TailState::Clean,
    };
    let mut rep = KillReport {
        threads: 1,
        ..KillReport::default()
    };
    let keep = Keep::from_env();
    for run in 0..cfg.kills {
        keep.before(&cfg.dir);
        let (delay, after_ready) = cfg.draw_delay(&mut rng);
        let before = (
            ledger.acked_entries,
            ledger.acked_frames,
            ledger.acked_batches,
        );
        let control_before = control_of(&ledger);
        let notes_before = (ledger.notes.reports, ledger.notes.callbacks);
        let mut ready = false;
        let mut last_lines = Vec::new();
        match cycle(cfg, run, delay, after_ready, &mut ledger, &tail) {
            Ok(c) => {
                rep.kills += u64::from(c.killed);
                if c.killed {
                    rep.count_policy(cfg.policy(run));
                }
                rep.during_open += u64::from(c.killed && !c.ready);
                rep.torn_tails += u64::from(c.torn);
                rep.tails_checked += u64::from(c.ready);
                rep.checkpoints += c.checkpoints;
                rep.in_flight += u64::from(c.in_flight);
                ready = c.ready;
                last_lines = c.last_lines;
                for v in c.violations {
                    rep.violations.push((run, v));
                }
            }
            Err(v) => rep.violations.push((run, v)),
        }
        rep.acked_entries += ledger.acked_entries - before.0;
        rep.acked_frames += ledger.acked_frames - before.1;
        rep.acked_batches += ledger.acked_batches - before.2;
        rep.control.add(control_of(&ledger).since(control_before));
        rep.durable_reports.0 += ledger.notes.reports - notes_before.0;
        rep.durable_reports.1 += ledger.notes.callbacks - notes_before.1;
        // Check what the directory holds now, without changing it.
        let had_in_flight = ledger.has_uncertain();
        if never_created(&cfg.dir, ledger.acked()) {
            // The first child died before its open created the directory.
            rep.elapsed = start.elapsed();
            progress(&rep);
            continue;
        }
        match inspect(&cfg.dir, false, |l, d| ledger.matches(l, d)) {
            Ok(rec) => {
                if had_in_flight && rec.last() > ledger.acked() {
                    rep.in_flight_recovered += 1;
                }
                rep.max_log_bytes = rep.max_log_bytes.max(rec.bytes);
                if rec.entries > 0 {
                    rep.add_sizes(rec.entry_sizes);
                }
                let (vs, matched) = ledger.check(&rec);
                for v in vs {
                    rep.violations.push((run, v));
                }
                if let Some(v) =
                    tail.check_kill(&cfg.dir, rec.tail, had_in_flight, ready, ledger.cut_tail)
                {
                    rep.violations.push((
                        run,
                        Violation::Residue(format!(
                            "{} (the child ran under {}; its last lines: {last_lines:?})",
                            match v {
                                Violation::Residue(r) => r,
                                other => other.to_string(),
                            },
                            cfg.policy(run)
                        )),
                    ));
                }
                ledger.settle(&rec, matched);
            }
            Err(e) => {
                rep.violations.push((
                    run,
                    Violation::Failure(format!(
                        "open after kill {run} failed: {e} (the child ran under {}; its last lines: {last_lines:?}; reproduce: seed {} run {run})",
                        cfg.policy(run),
                        cfg.seed
                    )),
                ));
                // One finding per directory that no longer opens: go on with a fresh one.
                keep.after(&cfg.dir, run, &rep.violations);
                restart(&cfg.dir, &mut rep.restarts);
                ledger = Ledger::starting_at(spec, 1);
                tail.last = TailState::Clean;
            }
        }
        rep.elapsed = start.elapsed();
        progress(&rep);
        if rep.violations.len() >= 10 || keep.after(&cfg.dir, run, &rep.violations) {
            break;
        }
    }
    // A last writable open, as the next user would do, must agree.
    match inspect(&cfg.dir, true, |l, d| ledger.matches(l, d)) {
        Ok(rec) => {
            for v in ledger.check(&rec).0 {
                rep.violations.push((cfg.kills, v));
            }
        }
        Err(e) => rep.violations.push((
            cfg.kills,
            Violation::Failure(format!("final writable open failed: {e}")),
        )),
    }
    rep.elapsed = start.elapsed();
    rep
}

struct Cycle {
    killed: bool,
    ready: bool,
    torn: bool,
    in_flight: bool,
    checkpoints: u64,
    violations: Vec<Violation>,
    last_lines: Vec<String>,
}

fn cycle(
    cfg: &KillConfig,
    run: u64,
    delay: Duration,
    after_ready: bool,
    ledger: &mut Ledger,
    tail: &TailWatch,
) -> Result<Cycle, Violation> {
    // Odd runs use the group-commit handle: both handles on one directory.
    let Killed { status, lines } =
        spawn_and_kill(child_command(cfg, run, run % 2 == 1), delay, after_ready)?;
    let mut c = Cycle {
        killed: status.code().is_none(),
        ready: false,
        torn: false,
        in_flight: false,
        checkpoints: 0,
        violations: Vec::new(),
        last_lines: lines[lines.len().saturating_sub(6)..].to_vec(),
    };
    if let Some(code) = status.code()
        && code != 0
    {
        c.violations.push(Violation::Failure(format!(
            "child {run} exited with {code} before the kill; its errors: {:?}; last lines: {:?} (seed {})",
            error_lines(&lines),
            &lines[lines.len().saturating_sub(3)..],
            cfg.seed
        )));
    }
    for line in &lines {
        let Some(ev) = Event::parse(line) else {
            c.violations.push(Violation::Failure(format!(
                "child {run}: bad line {line:?}"
            )));
            continue;
        };
        match &ev {
            Event::Ready { torn_at, .. } => {
                c.ready = true;
                c.torn = torn_at.is_some();
                if let Some(v) = tail.check_open(*torn_at) {
                    c.violations.push(v);
                }
            }
            Event::Checkpoint { .. } => c.checkpoints += 1,
            _ => {}
        }
        c.violations.extend(ledger.apply(&ev));
    }
    c.in_flight = ledger.has_uncertain();
    Ok(c)
}

/// Remove the WAL directory `dir` (which no longer opens) so that the run goes on with a
/// fresh one.
pub(crate) fn restart(dir: &Path, restarts: &mut u64) {
    let _ = std::fs::remove_dir_all(dir);
    *restarts += 1;
}

/// Whether `dir` does not exist because no child got as far as creating it (nothing was
/// ever acknowledged in it).
pub(crate) fn never_created(dir: &Path, acked: u64) -> bool {
    acked == 0 && !dir.exists()
}

/// The log-control counters of `ledger`.
fn control_of(ledger: &Ledger) -> Control {
    Control {
        cuts: ledger.cuts_done,
        purges: ledger.purges_done,
        users: ledger.users_done,
    }
}
