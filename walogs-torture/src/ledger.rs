//! The parent's bookkeeping of what a child reported, and the crash oracle: after a crash or
//! an injected failure, the directory must hold every acknowledged entry, at most the one
//! frame that was in flight (all of an atomic batch or none of it), dense LSNs, the right
//! bytes, and no LSN handed out twice.

use std::fmt;

use crate::protocol::{ErrKind, Event, RESIDUE_SEPARATOR};
use crate::verify::Recovered;

/// One broken promise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// An acknowledged entry is missing: the log ends at `recovered_last < acked`.
    AckLost {
        /// Highest acknowledged LSN.
        acked: u64,
        /// Highest LSN recovered.
        recovered_last: u64,
    },
    /// More than the in-flight frame came back, or only part of an atomic batch.
    BeyondInFlight {
        /// Highest acknowledged LSN.
        acked: u64,
        /// Ends the log may legitimately have beyond `acked` (one per in-flight frame).
        allowed: Vec<u64>,
        /// Highest LSN recovered.
        recovered_last: u64,
    },
    /// An entry's bytes are not its payload.
    PayloadMismatch {
        /// The entry.
        lsn: u64,
    },
    /// The LSNs read back are not dense.
    LsnGap {
        /// LSN that should have come next.
        expected: u64,
        /// LSN that came.
        got: u64,
    },
    /// The oldest entry is newer than any checkpoint allowed deleting.
    CheckpointOverreach {
        /// `first_lsn()` after recovery.
        first: u64,
        /// Highest `checkpoint` argument ever passed.
        checkpoint: u64,
    },
    /// An LSN was handed out twice, or one was skipped: an append or an open reported
    /// `got` where `expected` was the only correct next LSN.
    LsnReuse {
        /// The next LSN according to everything acknowledged so far.
        expected: u64,
        /// What the child reported.
        got: u64,
    },
    /// An entry whose append failed was acknowledged anyway: its LSN lies in the frame
    /// whose write or sync failed (as the shim reports it).
    AckedButFailed {
        /// The acknowledged LSN.
        lsn: u64,
        /// First LSN and entry count of the failed frame.
        frame: (u64, u64),
    },
    /// One entry is in the log twice.
    Duplicate {
        /// Which entry.
        what: String,
        /// Its first LSN.
        first: u64,
        /// Its second LSN.
        second: u64,
    },
    /// A failed call left something on disk (a partial frame, non-zero bytes in a new
    /// segment, a moved `next_lsn()`), seen before any reopen.
    Residue(String),
    /// Open or iteration failed, or a child misbehaved.
    Failure(String),
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::AckLost {
                acked,
                recovered_last,
            } => write!(
                f,
                "acknowledged entries lost: acked up to {acked}, recovered up to {recovered_last}"
            ),
            Violation::BeyondInFlight {
                acked,
                allowed,
                recovered_last,
            } => write!(
                f,
                "recovered up to {recovered_last}, but acked up to {acked} and the in-flight frames end at {allowed:?}"
            ),
            Violation::PayloadMismatch { lsn } => write!(f, "wrong payload at LSN {lsn}"),
            Violation::LsnGap { expected, got } => {
                write!(f, "LSN gap: expected {expected}, read {got}")
            }
            Violation::CheckpointOverreach { first, checkpoint } => write!(
                f,
                "first LSN {first} but nothing above checkpoint({checkpoint}) may be deleted"
            ),
            Violation::LsnReuse { expected, got } => {
                write!(f, "LSN handed out wrongly: expected {expected}, got {got}")
            }
            Violation::AckedButFailed { lsn, frame } => write!(
                f,
                "LSN {lsn} was acknowledged, but it belongs to the frame of LSNs {}..={} whose write or sync failed",
                frame.0,
                frame.0 + frame.1 - 1
            ),
            Violation::Duplicate {
                what,
                first,
                second,
            } => write!(f, "{what} is in the log twice, at LSN {first} and {second}"),
            Violation::Residue(s) => write!(f, "left behind by a failed call: {s}"),
            Violation::Failure(s) => write!(f, "{s}"),
        }
    }
}

impl Violation {
    /// Short category name, for the counts of a figure line.
    pub fn category(&self) -> &'static str {
        match self {
            Violation::AckLost { .. } => "acknowledged lost",
            Violation::BeyondInFlight { .. } => "beyond in-flight",
            Violation::PayloadMismatch { .. } => "payload mismatches",
            Violation::LsnGap { .. } => "LSN gaps",
            Violation::CheckpointOverreach { .. } => "checkpoint overreach",
            Violation::LsnReuse { .. } => "LSN reuse",
            Violation::AckedButFailed { .. } => "acknowledged but failed",
            Violation::Duplicate { .. } => "duplicates",
            Violation::Residue(_) => "residues",
            Violation::Failure(_) => "failures",
        }
    }
}

/// What the parent knows about a WAL directory, from the child's reports.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Highest LSN that must survive: acknowledged, or recovered and then re-synced by an
    /// open.
    pub acked: u64,
    /// Highest `checkpoint` argument announced.
    pub checkpoint: u64,
    /// Frames `(first, count)` starting at `acked + 1` whose append was tried but not
    /// acknowledged and may have reached the disk.
    pub in_flight: Vec<(u64, u64)>,
    /// The frame being tried right now (not yet known to have failed or succeeded).
    tentative: Option<(u64, u64)>,
    /// Entries acknowledged.
    pub acked_entries: u64,
    /// Frames acknowledged.
    pub acked_frames: u64,
    /// Atomic batches (frames of more than one entry) acknowledged.
    pub acked_batches: u64,
}

impl Ledger {
    /// A ledger for a directory that already holds `first..next` (all durable).
    pub fn starting_at(next: u64) -> Self {
        Ledger {
            acked: next.saturating_sub(1),
            ..Ledger::default()
        }
    }

    /// Frames that may be on disk beyond `acked`, including the one being tried.
    pub fn candidates(&self) -> Vec<(u64, u64)> {
        self.in_flight
            .iter()
            .copied()
            .chain(self.tentative)
            .collect()
    }

    /// Take one event into account; returns the violations the event itself shows (an LSN
    /// skipped or handed out twice, something a failed call left behind).
    pub fn apply(&mut self, e: &Event) -> Vec<Violation> {
        if let Event::Residue { problem: Some(p) } = e {
            return residues(p);
        }
        self.apply_one(e).into_iter().collect()
    }

    fn apply_one(&mut self, e: &Event) -> Option<Violation> {
        match e {
            Event::Ready { next, .. } if *next != self.acked + 1 => {
                return Some(Violation::LsnReuse {
                    expected: self.acked + 1,
                    got: *next,
                });
            }
            // A try announces the LSN the handle expects to use; only an acknowledgement
            // hands it out (checked below), so a poisoned handle announcing a stale or
            // skipped LSN for an append that then fails is no violation.
            Event::Try { first, count } => self.tentative = Some((*first, *count)),
            Event::Ok { first, last } => {
                self.tentative = None;
                self.in_flight.clear();
                let expected = self.acked + 1;
                let n = last + 1 - first;
                self.acked_entries += n;
                self.acked_frames += 1;
                if n > 1 {
                    self.acked_batches += 1;
                }
                self.acked = self.acked.max(*last);
                if *first != expected {
                    return Some(Violation::LsnReuse {
                        expected,
                        got: *first,
                    });
                }
            }
            Event::Fail { op, kind, .. } if op == "append" || op == "batch" => {
                if let Some(t) = self.tentative.take()
                    && *kind != ErrKind::Poisoned
                {
                    self.in_flight.push(t);
                }
            }
            Event::Checkpoint { upto } => self.checkpoint = self.checkpoint.max(*upto),
            _ => {}
        }
        None
    }

    /// Check a recovered directory against what was reported.
    pub fn check(&self, rec: &Recovered) -> Vec<Violation> {
        let mut v = Vec::new();
        if let Some(e) = &rec.read_error {
            v.push(Violation::Failure(format!("iteration failed: {e}")));
        }
        for &(expected, got) in &rec.gaps {
            v.push(Violation::LsnGap { expected, got });
        }
        for &lsn in &rec.mismatches {
            v.push(Violation::PayloadMismatch { lsn });
        }
        let last = rec.last();
        if last < self.acked {
            v.push(Violation::AckLost {
                acked: self.acked,
                recovered_last: last,
            });
        } else if last > self.acked {
            let allowed: Vec<u64> = self
                .candidates()
                .iter()
                .filter(|(f, _)| *f == self.acked + 1)
                .map(|(f, c)| f + c - 1)
                .collect();
            if !allowed.contains(&last) {
                v.push(Violation::BeyondInFlight {
                    acked: self.acked,
                    allowed,
                    recovered_last: last,
                });
            }
        }
        let must_keep_from = self.checkpoint + 1;
        if rec.first > must_keep_from && must_keep_from <= last {
            v.push(Violation::CheckpointOverreach {
                first: rec.first,
                checkpoint: self.checkpoint,
            });
        }
        v
    }

    /// After a recovery was checked: what it holds is what must survive from now on (the
    /// next writable open syncs it).
    pub fn settle(&mut self, rec: &Recovered) {
        self.acked = rec.last();
        self.in_flight.clear();
        self.tentative = None;
    }
}

/// One [`Violation::Residue`] per problem of a residue line.
pub fn residues(problem: &str) -> Vec<Violation> {
    problem
        .split(RESIDUE_SEPARATOR)
        .map(|p| Violation::Residue(p.to_string()))
        .collect()
}

/// Counts of violations by category, in a stable order, for figure lines.
pub fn tally(vs: &[Violation]) -> String {
    const CATS: [&str; 10] = [
        "acknowledged lost",
        "acknowledged but failed",
        "beyond in-flight",
        "payload mismatches",
        "LSN gaps",
        "LSN reuse",
        "duplicates",
        "checkpoint overreach",
        "residues",
        "failures",
    ];
    CATS.iter()
        .map(|c| format!("{} {c}", vs.iter().filter(|v| v.category() == *c).count()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use walogs_core::TailState;

    fn rec(first: u64, next: u64) -> Recovered {
        Recovered {
            first,
            next,
            tail: TailState::Clean,
            entries: next - first,
            bytes: 0,
            entry_sizes: (0, 0),
            gaps: vec![],
            mismatches: vec![],
            read_error: None,
        }
    }

    #[test]
    fn oracle_accepts_acked_plus_whole_in_flight_batch_only() {
        let mut l = Ledger::starting_at(1);
        assert!(l.apply(&Event::Try { first: 1, count: 1 }).is_empty());
        assert!(l.apply(&Event::Ok { first: 1, last: 1 }).is_empty());
        assert!(l.apply(&Event::Try { first: 2, count: 3 }).is_empty());
        assert!(l.check(&rec(1, 2)).is_empty());
        assert!(l.check(&rec(1, 5)).is_empty());
        assert!(matches!(
            l.check(&rec(1, 3))[..],
            [Violation::BeyondInFlight { .. }]
        ));
        assert!(matches!(
            l.check(&rec(1, 1))[..],
            [Violation::AckLost { .. }]
        ));
        assert!(matches!(
            l.check(&rec(1, 6))[..],
            [Violation::BeyondInFlight { .. }]
        ));
    }

    #[test]
    fn oracle_flags_reuse_and_overreach() {
        let mut l = Ledger::starting_at(5);
        assert!(matches!(
            l.apply(&Event::Ok { first: 4, last: 4 })[..],
            [Violation::LsnReuse { .. }]
        ));
        // Each problem of a residue line is its own violation.
        assert_eq!(
            l.apply(&Event::Residue {
                problem: Some(format!("a{RESIDUE_SEPARATOR}b")),
            }),
            vec![
                Violation::Residue("a".into()),
                Violation::Residue("b".into())
            ]
        );
        let mut l = Ledger::starting_at(5);
        l.apply(&Event::Checkpoint { upto: 2 });
        assert!(matches!(
            l.check(&rec(4, 5))[..],
            [Violation::CheckpointOverreach { .. }]
        ));
        assert!(l.check(&rec(3, 5)).is_empty());
        // A poisoned retry does not replace the frame that really failed.
        let mut l = Ledger::starting_at(1);
        l.apply(&Event::Try { first: 1, count: 3 });
        l.apply(&Event::Fail {
            op: "batch".into(),
            kind: ErrKind::Io(Some(5)),
            msg: String::new(),
        });
        l.apply(&Event::Try { first: 1, count: 1 });
        l.apply(&Event::Fail {
            op: "append".into(),
            kind: ErrKind::Poisoned,
            msg: String::new(),
        });
        assert!(l.check(&rec(1, 4)).is_empty());
        assert!(!l.check(&rec(1, 2)).is_empty());
    }
}
