//! The real-kill harness: a child process appends (payloads of 1 B to 1 MiB, tiny segments so
//! that rotation and checkpoint happen) and reports each LSN only after `Ok`; the parent
//! kills it with `SIGKILL` at a random time, checks the directory, and starts the next child
//! on the same directory.
//!
//! What this proves and what it does not: a `SIGKILL` stops the process between any two
//! instructions, so it tests that every acknowledged entry was handed to the kernel, that
//! recovery copes with whatever a half-finished operation left (a partial frame, a created
//! but empty segment, a metadata file mid-rename), and that no LSN is reused. It does **not**
//! test `fdatasync`: the page cache survives the kill, so a WAL that never synced would pass
//! too. Power loss is the simulator's job (`walogs-sim`); failed syncs are the shim's.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::ledger::{Ledger, Violation, tally};
use crate::payload::PayloadSpec;
use crate::protocol::Event;
use crate::rng::{Rng, mix};
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
}

/// What a kill run saw.
#[derive(Debug, Clone, Default)]
pub struct KillReport {
    /// Children killed by `SIGKILL`.
    pub kills: u64,
    /// Kills that landed before the child reported its open done.
    pub during_open: u64,
    /// Kills with an append tried but not acknowledged.
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
    /// Largest log (in bytes of payload) verified after a kill.
    pub max_log_bytes: u64,
    /// Smallest and largest entry verified after a kill.
    pub entry_sizes: (u64, u64),
    /// Every broken promise, with the run that showed it.
    pub violations: Vec<(u64, Violation)>,
    /// Wall time.
    pub elapsed: Duration,
}

impl KillReport {
    /// The one-line figure.
    pub fn figure(&self) -> String {
        let vs: Vec<Violation> = self.violations.iter().map(|(_, v)| v.clone()).collect();
        format!(
            "kill: {} SIGKILLs (half on Wal, half on SharedWal; {} during open/recovery, {} with an append in flight, {} in-flight frames recovered, {} torn tails cut), \
             {} acknowledged entries in {} frames ({} atomic batches, entries of {}..={} bytes verified), {} checkpoints: {} ({:.1} kills/s)",
            self.kills,
            self.during_open,
            self.in_flight,
            self.in_flight_recovered,
            self.torn_tails,
            self.acked_entries,
            self.acked_frames,
            self.acked_batches,
            self.entry_sizes.0,
            self.entry_sizes.1,
            self.checkpoints,
            tally(&vs),
            self.kills as f64 / self.elapsed.as_secs_f64().max(1e-9),
        )
    }
}

/// Run `cfg.kills` kill cycles. Stops early after 10 violations. Calls `progress` after
/// every cycle.
pub fn run(cfg: &KillConfig, mut progress: impl FnMut(&KillReport)) -> KillReport {
    let spec = PayloadSpec::varied(cfg.seed, cfg.max_len);
    let start = Instant::now();
    let mut rng = Rng::new(mix(cfg.seed, 0xDE1A7));
    let mut ledger = Ledger::starting_at(1);
    let mut rep = KillReport::default();
    let max_us = cfg.max_delay.as_micros() as u64;
    for run in 0..cfg.kills {
        // One kill in five is timed from the spawn, within a sixteenth of the maximum delay
        // (so it tends to land in exec, open and recovery); the others from the end of the
        // open.
        let after_ready = rng.below(5) != 0;
        let span = if after_ready { max_us } else { max_us / 16 };
        let delay = Duration::from_micros(rng.below(span + 1));
        let before = (
            ledger.acked_entries,
            ledger.acked_frames,
            ledger.acked_batches,
        );
        match cycle(cfg, run, delay, after_ready, &mut ledger) {
            Ok(c) => {
                rep.kills += u64::from(c.killed);
                rep.during_open += u64::from(c.killed && !c.ready);
                rep.torn_tails += u64::from(c.torn);
                rep.checkpoints += c.checkpoints;
                rep.in_flight += u64::from(c.in_flight);
                for v in c.violations {
                    rep.violations.push((run, v));
                }
            }
            Err(v) => rep.violations.push((run, v)),
        }
        rep.acked_entries += ledger.acked_entries - before.0;
        rep.acked_frames += ledger.acked_frames - before.1;
        rep.acked_batches += ledger.acked_batches - before.2;
        // Check what the directory holds now, without changing it.
        let had_in_flight = !ledger.candidates().is_empty();
        match inspect(&cfg.dir, &spec, false) {
            Ok(rec) => {
                if had_in_flight && rec.last() > ledger.acked {
                    rep.in_flight_recovered += 1;
                }
                rep.max_log_bytes = rep.max_log_bytes.max(rec.bytes);
                if rec.entries > 0 {
                    rep.entry_sizes = if rep.entry_sizes == (0, 0) {
                        rec.entry_sizes
                    } else {
                        (
                            rep.entry_sizes.0.min(rec.entry_sizes.0),
                            rep.entry_sizes.1.max(rec.entry_sizes.1),
                        )
                    };
                }
                for v in ledger.check(&rec) {
                    rep.violations.push((run, v));
                }
                ledger.settle(&rec);
            }
            Err(e) => rep.violations.push((
                run,
                Violation::Failure(format!(
                    "open after kill {run} failed: {e} (reproduce: seed {} run {run})",
                    cfg.seed
                )),
            )),
        }
        rep.elapsed = start.elapsed();
        progress(&rep);
        if rep.violations.len() >= 10 {
            break;
        }
    }
    // A last writable open, as the next user would do, must agree.
    match inspect(&cfg.dir, &spec, true) {
        Ok(rec) => {
            for v in ledger.check(&rec) {
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
}

fn cycle(
    cfg: &KillConfig,
    run: u64,
    delay: Duration,
    after_ready: bool,
    ledger: &mut Ledger,
) -> Result<Cycle, Violation> {
    let mut child = Command::new(&cfg.exe)
        .args(["child", "kill", "--dir"])
        .arg(&cfg.dir)
        .args(["--seed", &cfg.seed.to_string()])
        .args(["--run", &run.to_string()])
        .args(["--segment", &cfg.segment.to_string()])
        .args(["--max-len", &cfg.max_len.to_string()])
        .args(["--keep", &cfg.keep.to_string()])
        // Odd runs use the group-commit handle: both handles on one directory.
        .args(["--shared", if run % 2 == 1 { "1" } else { "0" }])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Violation::Failure(format!("cannot spawn {}: {e}", cfg.exe.display())))?;
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
    let mut c = Cycle {
        killed: status.code().is_none(),
        ready: false,
        torn: false,
        in_flight: false,
        checkpoints: 0,
        violations: Vec::new(),
    };
    if let Some(code) = status.code()
        && code != 0
    {
        c.violations.push(Violation::Failure(format!(
            "child {run} exited with {code} before the kill; last lines: {:?} (seed {})",
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
            }
            Event::Checkpoint { .. } => c.checkpoints += 1,
            _ => {}
        }
        if let Some(v) = ledger.apply(&ev) {
            c.violations.push(v);
        }
    }
    c.in_flight = !ledger.candidates().is_empty();
    Ok(c)
}
