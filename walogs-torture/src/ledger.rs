//! The parent's bookkeeping of what a single-threaded child reported, and the crash oracle.
//!
//! The reports define a [`Model`] of the log: its last LSN, the purge floor, which payload
//! epoch each LSN holds (a truncation starts a new epoch for the LSNs it hands out again),
//! and the user data. An operation whose effect is uncertain (in flight at a kill, or
//! failed with an I/O error) gives a second model with it applied. After a crash or an
//! injected failure the directory must match one of the models exactly: every acknowledged
//! entry above the floor, byte for byte, nothing more than the uncertain operation (an
//! in-flight write all or nothing, a truncation or purge done or not), nothing at or below a
//! durable purge, the user data the old or the new value, and every entry the child was told
//! is durable (`on_durable`, `wait_durable`, `sync`, `set_user_data`) still there unless it
//! truncated it away itself.

use std::collections::BTreeMap;
use std::fmt;

use crate::notify::Notifications;
use crate::payload::{PayloadSpec, user_value};
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
        /// What was going on (the calls in flight or failed, a deliberate cut ending the
        /// log), `""` when nothing.
        context: String,
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
    /// The oldest entry is newer than any checkpoint or purge allowed deleting.
    CheckpointOverreach {
        /// `first_lsn()` after recovery.
        first: u64,
        /// Highest `checkpoint` argument (or purge floor) ever passed.
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
    /// An entry at or below a durable purge floor was served again (or the next LSN went
    /// back below it).
    PurgedServed {
        /// The floor.
        floor: u64,
        /// `first_lsn()` and `next_lsn()` after recovery.
        first: u64,
        /// `next_lsn()` after recovery.
        next: u64,
    },
    /// An entry the child had been told is durable is gone.
    DurableLost {
        /// The durable LSN.
        durable: u64,
        /// Highest LSN recovered.
        recovered_last: u64,
    },
    /// The user data is neither the old nor the new value.
    UserData(String),
    /// A durability wait or callback ended wrongly (an error for an entry that was never
    /// removed, a callback run twice or never).
    Notification(String),
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
                context,
            } => write!(
                f,
                "acknowledged entries lost: acked up to {acked}, recovered up to {recovered_last}{context}"
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
            Violation::PurgedServed { floor, first, next } => write!(
                f,
                "purged up to {floor}, but the log serves LSNs {first}..{next}"
            ),
            Violation::DurableLost {
                durable,
                recovered_last,
            } => write!(
                f,
                "LSN {durable} was reported durable, but the log ends at {recovered_last}"
            ),
            Violation::UserData(s) => write!(f, "user data: {s}"),
            Violation::Notification(s) => write!(f, "durability notification: {s}"),
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
            Violation::PurgedServed { .. } => "purged served",
            Violation::DurableLost { .. } => "durable lost",
            Violation::UserData(_) => "user data",
            Violation::Notification(_) => "notifications",
            Violation::Residue(_) => "residues",
            Violation::Failure(_) => "failures",
        }
    }
}

/// Whether an operation that failed with `kind` certainly changed nothing (it was refused
/// before any I/O, or the handle was already poisoned or closed).
pub fn changed_nothing(kind: &ErrKind) -> bool {
    match kind {
        ErrKind::Poisoned => true,
        ErrKind::Other(n) => matches!(
            n.as_str(),
            "EntryTooLarge" | "LsnOutOfRange" | "InvalidArgument" | "Closed" | "ReadOnly"
        ),
        ErrKind::Io(_) | ErrKind::Corrupt => false,
    }
}

/// Whether a failure of `op` with `kind` is one the workloads provoke on purpose (user data
/// one byte over the limit): not a failure of the log.
pub fn provoked(op: &str, kind: &ErrKind) -> bool {
    op == "user" && matches!(kind, ErrKind::Other(n) if n == "EntryTooLarge")
}

/// An operation whose effect on the directory a crash or a failure leaves open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// An append of `count` entries from `first` (one unit: all or nothing).
    Append {
        /// First LSN.
        first: u64,
        /// Entries.
        count: u64,
    },
    /// `truncate_after(keep)`, after which the appends use `epoch`.
    Cut {
        /// Kept up to.
        keep: u64,
        /// Epoch after it.
        epoch: u64,
    },
    /// `purge_up_to(upto)`.
    Purge {
        /// The floor.
        upto: u64,
    },
    /// `set_user_data` with value `key` of `len` bytes.
    User {
        /// Which value.
        key: u64,
        /// Its length.
        len: u64,
    },
}

/// The log as the reports define it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// Last LSN handed out and kept (`next_lsn - 1`).
    pub last: u64,
    /// The purge floor: nothing at or below it is served.
    pub floor: u64,
    /// Payload epochs: from each key on (up to the next key), entries are of that epoch.
    pub epochs: BTreeMap<u64, u64>,
    /// The user data: which value, and its length (`None`: never set, empty).
    pub user: Option<(u64, u64)>,
}

impl Model {
    /// The payload epoch of the entry at `lsn`.
    pub fn epoch_at(&self, lsn: u64) -> u64 {
        self.epochs
            .range(..=lsn)
            .next_back()
            .map_or(crate::payload::FIRST_EPOCH, |(_, e)| *e)
    }

    /// This model with `op` done.
    pub fn with(&self, op: Op) -> Model {
        let mut m = self.clone();
        match op {
            Op::Append { first, count } => {
                if first == m.last + 1 {
                    m.last += count;
                }
            }
            Op::Cut { keep, epoch } => {
                if keep < m.last {
                    m.last = keep;
                    m.epochs.split_off(&(keep + 1));
                    m.epochs.insert(keep + 1, epoch);
                }
            }
            Op::Purge { upto } => {
                m.floor = m.floor.max(upto);
                m.last = m.last.max(upto);
            }
            Op::User { key, len } => m.user = Some((key, len)),
        }
        m
    }
}

/// What the parent knows about a WAL directory, from the child's reports.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// Payload seed and lengths.
    pub spec: PayloadSpec,
    /// The acknowledged log.
    pub model: Model,
    /// Highest `checkpoint` argument announced.
    pub checkpoint: u64,
    /// What the child was told about durability.
    pub notes: Notifications,
    /// Acknowledged entries may be lost above the durable mark (a relaxed durability policy
    /// whose fdatasync failed: the core cuts back to the last sync, by design).
    pub lossy: bool,
    /// The operation announced and not finished (in flight at a kill).
    pending: Option<Op>,
    /// Operations that failed with an error that may have left their effect on disk.
    uncertain: Vec<Op>,
    /// The child's current payload epoch.
    epoch: u64,
    /// Where the latest truncation cut the log: if the log still ends there, its last unit
    /// may lack members on purpose.
    pub cut_tail: Option<u64>,
    /// Entries acknowledged.
    pub acked_entries: u64,
    /// Writes (appends, batches, `append_many`) acknowledged.
    pub acked_frames: u64,
    /// Multi-entry writes acknowledged.
    pub acked_batches: u64,
    /// Truncations done, and of those inside a multi-entry unit.
    pub cuts_done: (u64, u64),
    /// Purges done, and of those past the end of the log.
    pub purges_done: (u64, u64),
    /// User data values set.
    pub users_done: u64,
}

impl Ledger {
    /// A ledger for a directory that holds `..next` (all durable) written with `spec` in
    /// the first epoch.
    pub fn starting_at(spec: PayloadSpec, next: u64) -> Self {
        Ledger {
            spec,
            model: Model {
                last: next.saturating_sub(1),
                floor: 0,
                epochs: BTreeMap::new(),
                user: None,
            },
            checkpoint: 0,
            notes: Notifications::starting_at(next.saturating_sub(1)),
            lossy: false,
            pending: None,
            uncertain: Vec::new(),
            cut_tail: None,
            epoch: crate::payload::FIRST_EPOCH,
            acked_entries: 0,
            acked_frames: 0,
            acked_batches: 0,
            cuts_done: (0, 0),
            purges_done: (0, 0),
            users_done: 0,
        }
    }

    /// The highest acknowledged LSN that must survive.
    pub fn acked(&self) -> u64 {
        self.model.last
    }

    /// Whether an operation was in flight or failed uncertainly.
    pub fn has_uncertain(&self) -> bool {
        self.pending.is_some() || !self.uncertain.is_empty()
    }

    /// Whether the bytes at `lsn` are what the log must hold there.
    pub fn matches(&self, lsn: u64, data: &[u8]) -> bool {
        self.spec.matches(self.model.epoch_at(lsn), lsn, data)
    }

    /// The bytes of user-data value `(key, len)` (`None`: empty).
    pub fn user_bytes(&self, v: Option<(u64, u64)>) -> Vec<u8> {
        v.map_or_else(Vec::new, |(k, l)| user_value(self.spec.seed, k, l as usize))
    }

    /// Take one event into account; returns the violations the event itself shows (an LSN
    /// skipped or handed out twice, something a failed call left behind, a wrong
    /// notification).
    pub fn apply(&mut self, e: &Event) -> Vec<Violation> {
        if let Event::Residue { problem: Some(p) } = e {
            return residues(p);
        }
        self.apply_one(e).into_iter().collect()
    }

    fn apply_one(&mut self, e: &Event) -> Option<Violation> {
        match e {
            Event::Ready { next, .. } if *next != self.model.last + 1 => {
                return Some(Violation::LsnReuse {
                    expected: self.model.last + 1,
                    got: *next,
                });
            }
            Event::Epoch { from, epoch } => {
                self.epoch = *epoch;
                self.model.epochs.insert(*from, *epoch);
            }
            // A try announces the LSN the handle expects to use; only an acknowledgement
            // hands it out (checked below), so a poisoned handle announcing a stale or
            // skipped LSN for an append that then fails is no violation.
            Event::Try { first, count } => {
                self.pending = Some(Op::Append {
                    first: *first,
                    count: *count,
                });
            }
            Event::Ok { first, last } => {
                self.pending = None;
                self.uncertain.retain(|o| !matches!(o, Op::Append { .. }));
                let expected = self.model.last + 1;
                let n = last + 1 - first;
                self.acked_entries += n;
                self.acked_frames += 1;
                self.acked_batches += u64::from(n > 1);
                self.model.last = self.model.last.max(*last);
                if *first != expected {
                    return Some(Violation::LsnReuse {
                        expected,
                        got: *first,
                    });
                }
            }
            Event::Checkpoint { upto } => self.checkpoint = self.checkpoint.max(*upto),
            Event::Cut {
                keep,
                epoch,
                in_unit,
            } => {
                self.notes.cut_announced(*epoch, *keep);
                self.cuts_done.1 += u64::from(*in_unit);
                self.pending = Some(Op::Cut {
                    keep: *keep,
                    epoch: *epoch,
                });
            }
            Event::Purge { upto } => self.pending = Some(Op::Purge { upto: *upto }),
            Event::User { key, len } => {
                self.pending = Some(Op::User {
                    key: *key,
                    len: *len,
                });
            }
            Event::Done { op } => {
                let what = op.split(' ').next().unwrap_or("");
                match (what, self.pending.take()) {
                    ("truncate", Some(Op::Cut { keep, epoch })) => {
                        self.cuts_done.0 += 1;
                        self.epoch = epoch;
                        self.model = self.model.with(Op::Cut { keep, epoch });
                        // The cut starts the epoch even when it removed nothing.
                        self.model.epochs.split_off(&(self.model.last + 1));
                        self.model.epochs.insert(self.model.last + 1, epoch);
                        self.notes.cut_done(keep);
                        self.cut_tail = Some(self.model.last);
                    }
                    ("purge", Some(op @ Op::Purge { upto })) => {
                        self.purges_done.0 += 1;
                        self.purges_done.1 += u64::from(upto > self.model.last);
                        self.model = self.model.with(op);
                    }
                    ("user", Some(op @ Op::User { .. })) => {
                        self.users_done += 1;
                        self.model = self.model.with(op);
                    }
                    (_, p) => self.pending = p,
                }
            }
            Event::Fail { kind, .. } => {
                if let Some(op) = self.pending.take()
                    && !changed_nothing(kind)
                {
                    self.uncertain.push(op);
                }
            }
            Event::Watch { lsn, epoch } => self.notes.watch(*lsn, *epoch),
            Event::Durable {
                lsn,
                epoch,
                how,
                outcome,
            } => {
                return self
                    .notes
                    .report(*lsn, *epoch, how, outcome.as_ref(), self.model.last);
            }
            _ => {}
        }
        None
    }

    /// The models a recovered directory may match: the acknowledged one, and each
    /// uncertain operation applied to it.
    pub fn models(&self) -> Vec<Model> {
        let mut out = vec![self.model.clone()];
        for op in self.uncertain.iter().chain(self.pending.as_ref()) {
            out.push(self.model.with(*op));
        }
        out
    }

    /// What was going on, for a violation's text: the calls in flight or failed, and
    /// whether the log ended where a truncation cut it inside a unit.
    fn context(&self) -> String {
        let calls = self
            .uncertain
            .iter()
            .chain(self.pending.as_ref())
            .map(|op| match op {
                Op::Append { first, count } => format!("an append of {first}..+{count}"),
                Op::Cut { keep, .. } => format!("truncate_after({keep})"),
                Op::Purge { upto } => format!("purge_up_to({upto})"),
                Op::User { .. } => "set_user_data".to_string(),
            });
        let ended_at_cut = (self.cut_tail == Some(self.model.last)).then_some(self.model.last);
        context_note(calls, ended_at_cut)
    }

    /// Check a recovered directory: it must match one of [`Ledger::models`]. Returns the
    /// violations against the closest model (none if one matches) and that model.
    pub fn check(&self, rec: &Recovered) -> (Vec<Violation>, Model) {
        closest(self.models(), |m| self.check_model(m, rec))
    }

    fn check_model(&self, m: &Model, rec: &Recovered) -> Vec<Violation> {
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
        let lowest = if self.lossy {
            self.notes.durable.max(m.floor).min(m.last)
        } else {
            m.last
        };
        if last < lowest {
            v.push(Violation::AckLost {
                acked: lowest,
                recovered_last: last,
                context: self.context(),
            });
        } else if last > m.last {
            v.push(Violation::BeyondInFlight {
                acked: self.model.last,
                allowed: self
                    .models()
                    .iter()
                    .map(|m| m.last)
                    .filter(|&l| l != self.model.last)
                    .collect(),
                recovered_last: last,
            });
        }
        let durable = self.notes.durable.min(m.last);
        if last < durable {
            v.push(Violation::DurableLost {
                durable,
                recovered_last: last,
            });
        }
        if rec.first <= m.floor || rec.next <= m.floor {
            v.push(Violation::PurgedServed {
                floor: m.floor,
                first: rec.first,
                next: rec.next,
            });
        }
        let must_keep_from = self.checkpoint.max(m.floor) + 1;
        if rec.first > must_keep_from && must_keep_from <= last {
            v.push(Violation::CheckpointOverreach {
                first: rec.first,
                checkpoint: self.checkpoint.max(m.floor),
            });
        }
        match &rec.user {
            Err(e) => v.push(Violation::UserData(format!("user_data() failed: {e}"))),
            Ok(got) if *got != self.user_bytes(m.user) => v.push(Violation::UserData(format!(
                "{} bytes, expected value {:?} (key, length)",
                got.len(),
                m.user
            ))),
            Ok(_) => {}
        }
        v
    }

    /// After a recovery was checked against `matched`: what it holds is what must survive
    /// from now on (the next writable open syncs it), and the next child starts afresh.
    pub fn settle(&mut self, rec: &Recovered, matched: Model) {
        let last = rec.last();
        let open_cut = self
            .uncertain
            .iter()
            .chain(self.pending.as_ref())
            .any(|op| matches!(op, Op::Cut { keep, .. } if *keep == last));
        if open_cut {
            self.cut_tail = Some(last);
        }
        self.model = matched;
        self.model.last = last;
        self.model.epochs.split_off(&rec.next);
        self.notes.next_child(last);
        self.pending = None;
        self.uncertain.clear();
    }
}

/// The model a recovered log matches: the first of `models` (at least one) that `check`
/// finds no violation in, else the one with the fewest violations, with its violations.
/// Both oracles (this one and [`crate::group_ledger`]) judge a recovery this way: it must
/// match the acknowledged log or it with one uncertain call applied.
pub fn closest<M>(
    models: Vec<M>,
    mut check: impl FnMut(&M) -> Vec<Violation>,
) -> (Vec<Violation>, M) {
    let mut best: Option<(Vec<Violation>, M)> = None;
    for m in models {
        let v = check(&m);
        if v.is_empty() {
            return (v, m);
        }
        if best.as_ref().is_none_or(|(b, _)| v.len() < b.len()) {
            best = Some((v, m));
        }
    }
    best.expect("at least the acknowledged model")
}

/// The context of a violation's text: ` (<call> in flight or failed; ...; the log ended
/// where an earlier truncation cut it, at N)`, or `""` when nothing was going on.
pub fn context_note(calls: impl IntoIterator<Item = String>, ended_at_cut: Option<u64>) -> String {
    let mut parts: Vec<String> = calls
        .into_iter()
        .map(|c| format!("{c} in flight or failed"))
        .collect();
    if let Some(at) = ended_at_cut {
        parts.push(format!(
            "the log ended where an earlier truncation cut it, at {at}"
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

/// One [`Violation::Residue`] per problem of a residue line.
pub fn residues(problem: &str) -> Vec<Violation> {
    problem
        .split(RESIDUE_SEPARATOR)
        .map(|p| Violation::Residue(p.to_string()))
        .collect()
}

/// Counts of violations by category, in a stable order, for figure lines (categories with
/// none are left out; "no violations" when there is none).
pub fn tally(vs: &[Violation]) -> String {
    const CATS: [&str; 14] = [
        "acknowledged lost",
        "acknowledged but failed",
        "beyond in-flight",
        "payload mismatches",
        "LSN gaps",
        "LSN reuse",
        "duplicates",
        "checkpoint overreach",
        "purged served",
        "durable lost",
        "user data",
        "notifications",
        "residues",
        "failures",
    ];
    let parts: Vec<String> = CATS
        .iter()
        .map(|c| (c, vs.iter().filter(|v| v.category() == *c).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| format!("{n} {c}"))
        .collect();
    if parts.is_empty() {
        "no violations".to_string()
    } else {
        format!("VIOLATIONS: {}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::epoch_of;

    fn spec() -> PayloadSpec {
        PayloadSpec::varied(1, 100)
    }

    #[test]
    fn oracle_accepts_acked_plus_whole_in_flight_batch_only() {
        let mut l = Ledger::starting_at(spec(), 1);
        assert!(l.apply(&Event::Try { first: 1, count: 1 }).is_empty());
        assert!(l.apply(&Event::Ok { first: 1, last: 1 }).is_empty());
        assert!(l.apply(&Event::Try { first: 2, count: 3 }).is_empty());
        assert!(l.check(&Recovered::clean(1, 2)).0.is_empty());
        assert!(l.check(&Recovered::clean(1, 5)).0.is_empty());
        assert!(matches!(
            l.check(&Recovered::clean(1, 3)).0[..],
            [Violation::BeyondInFlight { .. }]
        ));
        assert!(matches!(
            l.check(&Recovered::clean(1, 1)).0[..],
            [Violation::AckLost { .. }]
        ));
        assert!(matches!(
            l.check(&Recovered::clean(1, 6)).0[..],
            [Violation::BeyondInFlight { .. }]
        ));
    }

    #[test]
    fn oracle_flags_reuse_and_overreach() {
        let mut l = Ledger::starting_at(spec(), 5);
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
        let mut l = Ledger::starting_at(spec(), 5);
        l.apply(&Event::Checkpoint { upto: 2 });
        assert!(matches!(
            l.check(&Recovered::clean(4, 5)).0[..],
            [Violation::CheckpointOverreach { .. }]
        ));
        assert!(l.check(&Recovered::clean(3, 5)).0.is_empty());
        // A poisoned retry does not replace the frame that really failed.
        let mut l = Ledger::starting_at(spec(), 1);
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
        assert!(l.check(&Recovered::clean(1, 4)).0.is_empty());
        assert!(!l.check(&Recovered::clean(1, 2)).0.is_empty());
    }

    #[test]
    fn truncation_purge_and_user_data_are_old_or_new_and_new_epochs_are_checked() {
        let mut l = Ledger::starting_at(spec(), 11);
        let e1 = epoch_of(0, 1);
        l.apply(&Event::Cut {
            keep: 6,
            epoch: e1,
            in_unit: true,
        });
        // In flight: the old log or the cut one, nothing else.
        assert!(l.check(&Recovered::clean(1, 11)).0.is_empty());
        assert!(l.check(&Recovered::clean(1, 7)).0.is_empty());
        assert!(!l.check(&Recovered::clean(1, 9)).0.is_empty());
        l.apply(&Event::Done {
            op: "truncate 4 0".into(),
        });
        assert_eq!(l.acked(), 6);
        assert_eq!(l.model.epoch_at(7), e1);
        assert_eq!(l.model.epoch_at(6), crate::payload::FIRST_EPOCH);
        assert!(!l.check(&Recovered::clean(1, 11)).0.is_empty());
        // A purge past the end: the next LSN jumps, nothing at or below is served.
        l.apply(&Event::Purge { upto: 20 });
        l.apply(&Event::Done {
            op: "purge 2".into(),
        });
        assert_eq!(l.acked(), 20);
        assert!(l.check(&Recovered::clean(21, 21)).0.is_empty());
        assert!(matches!(
            l.check(&Recovered::clean(7, 21)).0[..],
            [Violation::PurgedServed { .. }]
        ));
        // User data: old or new while in flight, new once done.
        l.apply(&Event::User { key: 3, len: 40 });
        let mut rec = Recovered::clean(21, 21);
        assert!(l.check(&rec).0.is_empty());
        rec.user = Ok(user_value(1, 3, 40));
        assert!(l.check(&rec).0.is_empty());
        rec.user = Ok(user_value(1, 4, 40));
        assert!(matches!(l.check(&rec).0[..], [Violation::UserData(_)]));
    }

    #[test]
    fn a_lossy_log_may_lose_acknowledged_entries_above_the_durable_mark_only() {
        let mut l = Ledger::starting_at(spec(), 1);
        l.apply(&Event::Epoch {
            from: 1,
            epoch: epoch_of(0, 0),
        });
        l.apply(&Event::Try { first: 1, count: 4 });
        l.apply(&Event::Ok { first: 1, last: 4 });
        l.lossy = true;
        l.apply(&Event::Watch {
            lsn: 3,
            epoch: epoch_of(0, 0),
        });
        let ok = Event::Durable {
            lsn: 3,
            epoch: epoch_of(0, 0),
            how: "callback".into(),
            outcome: None,
        };
        assert!(l.apply(&ok).is_empty());
        assert!(matches!(l.apply(&ok)[..], [Violation::Notification(_)]));
        assert_eq!(l.notes.durable, 3);
        assert!(l.check(&Recovered::clean(1, 4)).0.is_empty());
        assert!(l.check(&Recovered::clean(1, 5)).0.is_empty());
        assert!(matches!(
            l.check(&Recovered::clean(1, 3)).0[..],
            [Violation::AckLost { .. }, Violation::DurableLost { .. }]
        ));
    }
}
