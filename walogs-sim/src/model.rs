//! The oracle: what a recovered WAL must contain, given what was acknowledged before the
//! crash, and the check of a recovered WAL against it.
//!
//! Under the default policy every acknowledged entry is durable. Under a relaxed policy
//! (`Durability::Interval`, `Manual`, `None`) an acknowledged entry is durable only once a
//! successful `sync()`, rotation, clean close or syncing append covered it (or the handle's
//! `durable_lsn()` said so); [`Model::durable`] is that watermark. A power loss may lose the
//! acknowledged entries above it, as a suffix, and their LSNs are then handed out again
//! (the documented cost of those policies); it may never lose one at or below it, return a
//! wrong payload, or hand out an LSN at or below it again.

use std::collections::BTreeMap;
use std::fmt;

use crate::handle::AnyWal;

/// What the driver knows: every acknowledged entry, and what was in flight.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Acknowledged entries by LSN (entries removed by an acknowledged `truncate_after` are
    /// dropped; checkpointed ones stay and may be missing from the front).
    pub entries: BTreeMap<u64, Vec<u8>>,
    /// Highest LSN ever acknowledged (or seen after a recovery) and not truncated away.
    pub max_acked: u64,
    /// Highest LSN known durable: acknowledged entries at or below it survive a power loss,
    /// and `next_lsn()` must stay above it. Equals `max_acked` under the default policy.
    pub durable: u64,
    /// Highest `checkpoint` argument issued (acknowledged or in flight): entries at or below
    /// it may be gone from the front of the log.
    pub ckpt: u64,
    /// The append or atomic batch in flight (not acknowledged): first LSN and payloads. It
    /// may be present, entirely, or absent, entirely.
    pub inflight: Option<(u64, Vec<Vec<u8>>)>,
    /// A `truncate_after(k)` in flight: entries after `k` may be missing, as a suffix.
    pub truncating: Option<u64>,
}

impl Model {
    /// Record an acknowledged, durable range of entries starting at `first` (an append
    /// under the default policy, or one that synced).
    pub fn ack(&mut self, first: u64, entries: &[Vec<u8>]) {
        self.ack_as(first, entries, true);
    }

    /// Record an acknowledged range of entries starting at `first`, durable or not (an
    /// append under a relaxed policy that did not sync).
    pub fn ack_as(&mut self, first: u64, entries: &[Vec<u8>], durable: bool) {
        for (i, e) in entries.iter().enumerate() {
            self.entries.insert(first + i as u64, e.clone());
        }
        let last = first + entries.len() as u64 - 1;
        self.max_acked = self.max_acked.max(last);
        if durable {
            self.durable = self.durable.max(last);
        }
        self.inflight = None;
    }

    /// Record that everything acknowledged up to `upto` is durable (a successful `sync()`,
    /// rotation or clean close, or the handle's `durable_lsn()`).
    pub fn synced(&mut self, upto: u64) {
        self.durable = self.durable.max(upto.min(self.max_acked));
    }

    /// Record an acknowledged `truncate_after(keep)`.
    pub fn truncated(&mut self, keep: u64) {
        self.entries.retain(|&l, _| l <= keep);
        self.max_acked = self.max_acked.min(keep);
        self.durable = self.durable.min(keep);
        self.truncating = None;
    }

    /// The LSN `next_lsn()` must stay above: the durable watermark, lowered by a truncation
    /// in flight.
    pub fn lsn_floor(&self) -> u64 {
        let floor = self.durable.min(self.max_acked);
        match self.truncating {
            Some(k) => floor.min(k),
            None => floor,
        }
    }

    /// After a checked recovery: what is in the log now is the new baseline (an entry seen
    /// after recovery is on disk and must stay).
    pub fn rebase(&mut self, rec: &Recovered) {
        // Checkpointed entries below the log's start stay known: a checkpoint whose unlink
        // never became durable (a failed directory fsync) may bring them back.
        self.entries
            .retain(|&l, _| l < rec.first_lsn && l <= self.ckpt);
        self.entries.extend(rec.entries.iter().cloned());
        // A checked recovery kept everything at or below the floor, so this only lowers
        // `max_acked` when a truncation in flight happened or a relaxed policy lost unsynced
        // entries (their LSNs are free again). A successful open makes what it found durable.
        self.max_acked = rec.next_lsn - 1;
        self.durable = rec.next_lsn - 1;
        self.inflight = None;
        self.truncating = None;
    }
}

/// What a recovered WAL holds.
#[derive(Debug, Clone)]
pub struct Recovered {
    /// Every entry, in order.
    pub entries: Vec<(u64, Vec<u8>)>,
    /// `first_lsn()`.
    pub first_lsn: u64,
    /// `next_lsn()`.
    pub next_lsn: u64,
}

/// A broken guarantee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// Open refused the directory (or returned an error).
    FailedOpen(String),
    /// An acknowledged entry is missing.
    AckLost(u64),
    /// An acknowledged entry is present with other bytes.
    WrongPayload(u64),
    /// `next_lsn()` is not above an acknowledged LSN (an LSN would be handed out twice).
    LsnReuse {
        /// `next_lsn()` after recovery.
        next: u64,
        /// The highest acknowledged LSN.
        max_acked: u64,
    },
    /// Anything else: LSNs not dense, an unexpected or partial extra, a read error, a
    /// handle that kept accepting writes after a failed sync.
    Other(String),
    /// A violation with what led to it (e.g. the injected fault), appended to its message.
    Context(Box<Violation>, String),
}

impl Violation {
    /// Counter bucket: `lost`, `reuse`, `open`, `other`.
    pub fn bucket(&self) -> &'static str {
        match self {
            Violation::AckLost(_) | Violation::WrongPayload(_) => "lost",
            Violation::LsnReuse { .. } => "reuse",
            Violation::FailedOpen(_) => "open",
            Violation::Other(_) => "other",
            Violation::Context(v, _) => v.bucket(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::FailedOpen(e) => write!(f, "open failed: {e}"),
            Violation::AckLost(l) => write!(f, "acknowledged LSN {l} lost"),
            Violation::WrongPayload(l) => write!(f, "acknowledged LSN {l} has the wrong payload"),
            Violation::LsnReuse { next, max_acked } => write!(
                f,
                "next_lsn {next} is not above acknowledged LSN {max_acked} (LSN reuse)"
            ),
            Violation::Other(s) => f.write_str(s),
            Violation::Context(v, c) => write!(f, "{v} [{c}]"),
        }
    }
}

/// Whether a recovery that passed [`check_recovered`] lost acknowledged entries (the
/// unsynced ones a relaxed policy may lose, or a suffix an in-flight truncation cut).
pub fn lost_unsynced(rec: &Recovered, m: &Model) -> bool {
    m.entries
        .range(rec.next_lsn..)
        .any(|(&l, _)| l > m.durable && m.truncating.is_none_or(|k| l <= k))
}

/// Read everything a recovered WAL holds.
pub fn read_all(wal: &AnyWal) -> Result<Recovered, Violation> {
    let mut entries = Vec::new();
    for item in wal.iter() {
        let (lsn, data) = item.map_err(|e| Violation::Other(format!("iteration failed: {e}")))?;
        entries.push((lsn.0, data));
    }
    Ok(Recovered {
        entries,
        first_lsn: wal.first_lsn().0,
        next_lsn: wal.next_lsn().0,
    })
}

/// Check a recovered WAL against the model: every acknowledged entry present and
/// byte-identical (except checkpointed ones at the front, a suffix cut by an in-flight
/// truncation, and a suffix of unsynced entries under a relaxed policy), LSNs dense, at most
/// the in-flight append or batch beyond them (entirely or not at all), and `next_lsn()`
/// above every durable acknowledged LSN ([`Model::lsn_floor`]).
pub fn check(wal: &AnyWal, m: &Model) -> Result<Recovered, Violation> {
    let rec = read_all(wal)?;
    check_recovered(&rec, m)?;
    Ok(rec)
}

/// [`check`] on entries already read.
pub fn check_recovered(rec: &Recovered, m: &Model) -> Result<(), Violation> {
    let (first, next) = (rec.first_lsn, rec.next_lsn);
    if next < first || rec.entries.len() as u64 != next - first {
        return Err(Violation::Other(format!(
            "first_lsn {first}, next_lsn {next}, but {} entries iterate",
            rec.entries.len()
        )));
    }
    for (i, (lsn, _)) in rec.entries.iter().enumerate() {
        if *lsn != first + i as u64 {
            return Err(Violation::Other(format!(
                "LSNs not dense: entry {i} has LSN {lsn}, expected {}",
                first + i as u64
            )));
        }
    }
    let cut_after = m.truncating.unwrap_or(u64::MAX);
    for (&lsn, data) in &m.entries {
        if lsn < first {
            if lsn > m.ckpt {
                return Err(Violation::AckLost(lsn));
            }
        } else if lsn >= next {
            if lsn <= cut_after && lsn <= m.durable {
                return Err(Violation::AckLost(lsn));
            }
        } else if rec.entries[(lsn - first) as usize].1 != *data {
            return Err(Violation::WrongPayload(lsn));
        }
    }
    let extras: Vec<u64> = (first..next)
        .filter(|l| !m.entries.contains_key(l))
        .collect();
    if !extras.is_empty() {
        let Some((ifirst, ientries)) = &m.inflight else {
            return Err(Violation::Other(format!(
                "unacknowledged LSNs {extras:?} present with nothing in flight"
            )));
        };
        let range = *ifirst..*ifirst + ientries.len() as u64;
        if extras.iter().any(|l| !range.contains(l)) {
            return Err(Violation::Other(format!(
                "unacknowledged LSNs {extras:?} present beyond the in-flight LSNs {range:?}"
            )));
        }
        if extras.len() != ientries.len() {
            return Err(Violation::Other(format!(
                "atomic batch {range:?} partially present: {extras:?}"
            )));
        }
        for &l in &extras {
            if rec.entries[(l - first) as usize].1 != ientries[(l - ifirst) as usize] {
                return Err(Violation::Other(format!(
                    "in-flight LSN {l} present with bytes that were never written"
                )));
            }
        }
    }
    let floor = m.lsn_floor();
    if next <= floor {
        return Err(Violation::LsnReuse {
            next,
            max_acked: floor,
        });
    }
    Ok(())
}
