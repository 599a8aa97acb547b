//! The harnesses: each drives walogs-core through the simulator, checks the oracle after
//! every crash or fault, and returns a [`Tally`] that prints as one line.
//!
//! | harness | what it runs | what it checks after each crash or fault |
//! |---|---|---|
//! | [`power_loss`] | every crash point of every workload of a few operations, over the classic alphabet or the log-control one (`append_many`, truncations inside units and at boundaries, purges inside/at a segment boundary/past the end, user data), any durability policy (relaxed ones add `sync()` and durability notifications) | [`crate::model::check`]: acknowledged (under a relaxed policy: synced or notified) entries present and exact, dense LSNs, at most the in-flight call extra, a truncation or purge in flight done or not (never half), nothing at or below the purge floor, user data old or new, `next_lsn()` above the durable floor, the first append gets `next_lsn()`; also crashes inside the recovering open |
//! | [`random`] | long seeded runs of every operation, crashes piling up on one log, optionally under relaxed policies | the same oracle, carried from recovery to recovery |
//! | [`faults`] | EIO/ENOSPC at every call of every short workload (classic, and log control after a prefix) | errors only with a fault, poisoning, no partial frame and an unchanged `next_lsn()` right after the failed call, then the oracle after an in-place reopen and after power losses; fsyncgate |
//! | [`concurrent`] | many threads appending to one `SharedWal` (group-commit followers), a watcher waiting for durability, a truncation between the halves of the run, with power loss at every call or one fault | every append acknowledged before a crash point (by the simulator's call counter) survives every crash state from that point on, at its LSN, unless the truncation removed it; `durable_lsn()` claims and notifications likewise; the truncation old or new |
//! | [`bitrot`] | one bit or byte of an acknowledged, durable frame flipped in every crash state of every short workload (either alphabet) | `Corrupt`, or a torn-tail cut of exactly the rotted write (a whole unit) in the last segment (reported as salvaged when valid frames followed after a relaxed writer); never a wrong payload or a lost entry before the rot |
//!
//! [`frames`] reads segment files, `walogs.meta` and `walogs.user` independently of the
//! core (for the oracles), [`known`] lists the tolerated, reported core bugs with their
//! reproductions.

pub mod bitrot;
pub mod concurrent;
pub mod faults;
pub mod frames;
pub mod known;
pub mod power_loss;
pub mod random;

use std::collections::BTreeMap;
use std::fmt;

use walogs_core::WalOptions;

use crate::fs::SimFs;
use crate::model::{Model, Recovered, Violation, check};
use crate::workload::Setup;
use walogs_testkit::handle::{DynWal, HandleKind};

/// Reproduction lines kept per tally (the counters count everything).
pub const MAX_FAILURES: usize = 20;

/// Counters of one harness.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// States checked (crash states, or fault runs).
    pub states: u64,
    /// States in which an acknowledged entry was missing or wrong.
    pub lost: u64,
    /// States in which `next_lsn()` was not above an acknowledged LSN.
    pub reuse: u64,
    /// States in which the open failed.
    pub open: u64,
    /// Any other violation.
    pub other: u64,
    /// States (without violation) in which a relaxed durability policy lost acknowledged
    /// entries that no sync covered: allowed, counted to show the oracle was exercised.
    pub unsynced_lost: u64,
    /// The first [`MAX_FAILURES`] violations, each with its reproduction line.
    pub failures: Vec<String>,
    /// Every violation, grouped by its message with numbers replaced by `N`: the first
    /// reproduction line of each group and the group's count.
    pub groups: BTreeMap<String, (u64, String)>,
    /// Violations matching a known, reported core bug (see [`known`]), by bug id.
    pub known: BTreeMap<&'static str, u64>,
    /// One example (message and reproduction) per known bug.
    pub known_examples: BTreeMap<&'static str, String>,
}

/// A violation's message with every number replaced by `N` (to group alike failures).
pub fn normalize_message(s: &str) -> String {
    let mut out = String::new();
    let mut in_num = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_num {
                out.push('N');
            }
            in_num = true;
        } else {
            in_num = false;
            out.push(c);
        }
    }
    out.chars().take(200).collect()
}

impl Tally {
    /// Count one checked state; on a violation keep `repro()` (a one-line reproduction).
    pub fn record(&mut self, r: Result<(), Violation>, repro: impl FnOnce() -> String) {
        self.states += 1;
        if let Err(v) = r {
            let msg = v.to_string();
            if let Some(bug) = known::classify(&msg) {
                *self.known.entry(bug.id).or_insert(0) += 1;
                self.known_examples
                    .entry(bug.id)
                    .or_insert_with(|| format!("{msg}\n  reproduce: {}", repro()));
                return;
            }
            match v.bucket() {
                "lost" => self.lost += 1,
                "reuse" => self.reuse += 1,
                "open" => self.open += 1,
                _ => self.other += 1,
            }
            let line = repro();
            let g = self
                .groups
                .entry(normalize_message(&v.to_string()))
                .or_insert((0, line.clone()));
            g.0 += 1;
            if self.failures.len() < MAX_FAILURES {
                self.failures.push(format!("{v}\n  reproduce: {line}"));
            }
        }
    }

    /// [`Tally::record`] for a recovery whose `Ok` says whether it lost unsynced
    /// acknowledged entries (see [`Tally::unsynced_lost`]).
    pub fn record_recovery(&mut self, r: Result<bool, Violation>, repro: impl FnOnce() -> String) {
        if r == Ok(true) {
            self.unsynced_lost += 1;
        }
        self.record(r.map(drop), repro);
    }

    /// Add another tally's counts.
    pub fn merge(&mut self, o: Tally) {
        self.states += o.states;
        self.lost += o.lost;
        self.reuse += o.reuse;
        self.open += o.open;
        self.other += o.other;
        self.unsynced_lost += o.unsynced_lost;
        for f in o.failures {
            if self.failures.len() < MAX_FAILURES {
                self.failures.push(f);
            }
        }
        for (k, n) in o.known {
            *self.known.entry(k).or_insert(0) += n;
        }
        for (k, e) in o.known_examples {
            self.known_examples.entry(k).or_insert(e);
        }
        for (k, (n, line)) in o.groups {
            self.groups.entry(k).or_insert((0, line)).0 += n;
        }
    }

    /// Total violations.
    pub fn violations(&self) -> u64 {
        self.lost + self.reuse + self.open + self.other
    }

    /// The one-line figure, e.g.
    /// `power-loss: 1234 crash states, 0 acknowledged lost, 0 LSN reuse, 0 failed opens, 0 other violations`.
    pub fn line(&self, name: &str, unit: &str) -> String {
        let mut s = format!(
            "{name}: {} {unit}, {} acknowledged lost, {} LSN reuse, {} failed opens, {} other violations",
            self.states, self.lost, self.reuse, self.open, self.other
        );
        if self.unsynced_lost > 0 {
            s.push_str(&format!(
                " ({} states lost unsynced acknowledged entries, as the policy allows)",
                self.unsynced_lost
            ));
        }
        if !self.known.is_empty() {
            let k: Vec<String> = self
                .known
                .iter()
                .map(|(id, n)| format!("{id} x{n}"))
                .collect();
            s.push_str(&format!(
                " (plus known core bugs, reported, not counted above: {})",
                k.join(", ")
            ));
        }
        s
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.failures {
            writeln!(f, "VIOLATION: {line}")?;
        }
        for (msg, (n, line)) in &self.groups {
            writeln!(f, "GROUP x{n}: {msg}\n  first: {line}")?;
        }
        for (id, ex) in &self.known_examples {
            writeln!(
                f,
                "KNOWN {id} x{}: {ex}",
                self.known.get(id).copied().unwrap_or(0)
            )?;
        }
        Ok(())
    }
}

/// Options of every harness WAL: tiny segments, the simulated file system.
pub fn options(fs: &SimFs, segment_size: u64, preallocate: bool) -> WalOptions {
    WalOptions::new()
        .max_segment_size(Some(segment_size))
        .preallocate(preallocate)
        .file_system(fs.handle())
}

/// Open the WAL and check it against `model`; then check that it accepts a write
/// at `next_lsn()`. Returns the open handle and what it holds.
pub fn open_and_check(
    setup: &Setup,
    model: &Model,
) -> Result<(Box<dyn DynWal>, Recovered), Violation> {
    let notes = frames::open_notes(&setup.fs.disk());
    let mut wal = setup
        .open()
        .map_err(|e| Violation::FailedOpen(format!("{e}{notes}")))?;
    let rec = check(&*wal, model)?;
    match wal.append(b"after-recovery") {
        Ok(l) if l.0 == rec.next_lsn => {}
        Ok(l) => {
            return Err(Violation::Other(format!(
                "first append after recovery got LSN {l}, next_lsn() said {}",
                rec.next_lsn
            )));
        }
        Err(e) => {
            return Err(Violation::Other(format!(
                "append after recovery failed: {e}"
            )));
        }
    }
    Ok((wal, rec))
}

/// A [`Setup`] for `fs` under the default durability policy (see
/// [`Setup::with_durability`]).
pub fn setup(fs: &SimFs, segment_size: u64, preallocate: bool, kind: HandleKind) -> Setup {
    Setup {
        fs: fs.clone(),
        opts: options(fs, segment_size, preallocate),
        kind,
        durability: walogs_core::Durability::EveryAppend,
    }
}

/// FNV-1a of a string, to derive per-workload seeds.
pub fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}
