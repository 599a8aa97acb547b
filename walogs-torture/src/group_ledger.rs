//! The oracle for concurrent children ([`crate::group_child`]): what their threads reported,
//! and the rules the reopened log must follow.
//!
//! Promises checked: every acknowledged entry is in the log at the LSN its append returned,
//! byte for byte, unless a later truncation or purge removed it; no LSN is handed to two
//! live entries; no entry is in the log twice; every entry in the log is one that was
//! appended (tried) and not removed by a truncation; no entry of a frame whose write or sync
//! failed was acknowledged (the leader's group: followers included); nothing at or below a
//! durable purge is served; the first LSN is no newer than a checkpoint or purge allowed; the
//! user data is the old or the new value; durability notifications follow
//! [`crate::notify`]'s rules. A truncation, purge or user-data change in flight at a kill (or
//! failed) may or may not have happened: the log must match one of the two. When the child
//! finished (the sweep), also: the acknowledged LSNs are dense, and entries whose append
//! returned an error are in the log only after every acknowledged one (as the failed frame,
//! all of it or none).
//!
//! Why this is a second oracle beside [`crate::ledger`]: a single-threaded child knows each
//! entry's LSN before it writes it, so that oracle keeps the log as LSN → payload epoch and
//! recomputes every byte; concurrent appenders learn their LSNs only from the result, so
//! this one keeps LSN → writer tag and recognises entries by tag wherever they landed. What
//! both compute alike (judging a recovery against the acknowledged log and its variants
//! with one uncertain call applied, [`crate::ledger::closest`]; the context of a
//! violation's text, [`crate::ledger::context_note`]; the violation kinds and the
//! notification rules) is shared.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::ledger::{Violation, changed_nothing, closest, context_note};
use crate::notify::Notifications;
use crate::payload::user_value;
use crate::protocol::{ErrKind, Event};
use crate::tagged::{Tag, TaggedLog};

/// A log-control operation of thread 0 whose effect may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Cut { keep: u64 },
    Purge { upto: u64 },
    User { key: u64, len: u64 },
}

/// What the parent knows about a directory written by concurrent children.
#[derive(Debug, Clone, Default)]
pub struct GroupLedger {
    /// Seed of the user-data values.
    seed: u64,
    /// Run number of the current child (the `run` of its tags).
    run: u32,
    /// The LSN the current child's open must report as next.
    expect_next: u64,
    /// The lowest LSN an entry of the current child may have (its first next LSN, lowered
    /// by its truncations).
    child_from: u64,
    /// The lowest LSN an acknowledgement may name now.
    ack_from: u64,
    /// Every entry of the log as last checked (from earlier children), less what was
    /// removed since: LSN → tag.
    settled: BTreeMap<u64, Tag>,
    /// Acknowledged to the current child and not removed: LSN → tag.
    acked: BTreeMap<u64, Tag>,
    /// Entries a truncation removed (they must not come back), with the truncation's keep.
    removed: HashMap<Tag, u64>,
    /// Tried by the current child, no result yet (in flight at a kill).
    pending: HashSet<Tag>,
    /// Tried by the current child and refused with an error.
    refused: HashMap<Tag, ErrKind>,
    /// The purge floor.
    floor: u64,
    /// The user data: value and length (`None`: empty).
    user: Option<(u64, u64)>,
    /// The log-control call announced and not finished.
    control: Option<Control>,
    /// Log-control calls that failed with an error that may have left their effect.
    uncertain: Vec<Control>,
    /// What the child was told about durability.
    pub notes: Notifications,
    /// Where the latest truncation cut the log: if the log still ends there, its last unit
    /// may lack members on purpose.
    pub cut_tail: Option<u64>,
    /// Highest `checkpoint` argument announced.
    pub checkpoint: u64,
    /// Entries acknowledged in total.
    pub acked_entries: u64,
    /// Atomic batches (of more than one entry) acknowledged in total.
    pub acked_batches: u64,
    /// Appends (single or batch) acknowledged in total.
    pub acked_appends: u64,
    /// Most appends in flight at once at a kill.
    pub max_in_flight: u64,
    /// Truncations done, and of those inside a multi-entry unit (announced).
    pub cuts_done: (u64, u64),
    /// Purges done, and of those past the end of the log.
    pub purges_done: (u64, u64),
    /// User data values set.
    pub users_done: u64,
}

impl GroupLedger {
    /// A ledger for a directory whose next LSN is `next` and whose entries (if any) are
    /// not tagged (an empty directory: `next == 1`); user-data values of `seed`.
    pub fn starting_at(seed: u64, next: u64) -> Self {
        GroupLedger {
            seed,
            expect_next: next,
            child_from: next,
            ack_from: next,
            ..GroupLedger::default()
        }
    }

    /// Start following child `run`.
    pub fn begin(&mut self, run: u32) {
        self.run = run;
        self.child_from = self.expect_next;
        self.ack_from = self.expect_next;
        self.acked.clear();
        self.pending.clear();
        self.refused.clear();
        self.control = None;
        self.uncertain.clear();
    }

    /// Appends tried and not finished (in flight at a kill).
    pub fn in_flight(&self) -> u64 {
        self.pending.len() as u64
    }

    /// Whether an append or a log-control call was in flight, or failed uncertainly.
    pub fn has_uncertain(&self) -> bool {
        !self.pending.is_empty() || self.control.is_some() || !self.uncertain.is_empty()
    }

    /// Highest live LSN acknowledged to the current child, or the log's last LSN before it.
    pub fn max_acked(&self) -> u64 {
        self.acked
            .keys()
            .next_back()
            .copied()
            .unwrap_or(self.ack_from - 1)
    }

    /// The log's last LSN as acknowledged: the newest live entry, or the floor, or what
    /// the current child started from.
    fn last(&self) -> u64 {
        let settled = self.settled.keys().next_back().copied().unwrap_or(0);
        self.max_acked().max(settled).max(self.floor)
    }

    /// Entries of `log` the current child wrote but had not seen acknowledged (appends in
    /// flight at a kill that reached the kernel).
    pub fn recovered_unacked(&self, log: &TaggedLog) -> u64 {
        log.entries
            .iter()
            .filter(|(l, _)| {
                *l >= self.child_from
                    && !self.acked.contains_key(l)
                    && !self.settled.contains_key(l)
            })
            .count() as u64
    }

    /// Remove every entry after `keep` (a truncation done).
    fn cut(&mut self, keep: u64) {
        for (_, t) in self
            .settled
            .split_off(&(keep + 1))
            .into_iter()
            .chain(self.acked.split_off(&(keep + 1)))
        {
            self.removed.insert(t, keep);
        }
        self.child_from = self.child_from.min(keep + 1);
        self.ack_from = keep + 1;
    }

    /// Remove every entry up to `upto` (a purge done); past the end, LSNs jump past it.
    fn purge(&mut self, upto: u64) {
        self.floor = self.floor.max(upto);
        self.settled = self.settled.split_off(&(upto + 1));
        self.acked = self.acked.split_off(&(upto + 1));
        self.ack_from = self.ack_from.max(upto + 1);
    }

    fn apply_control(&mut self, c: Control) {
        match c {
            Control::Cut { keep } => {
                self.cut(keep);
                self.cut_tail = Some(keep);
            }
            Control::Purge { upto } => self.purge(upto),
            Control::User { key, len } => self.user = Some((key, len)),
        }
    }

    /// Take one event into account; returns the violations the event itself shows.
    pub fn apply(&mut self, e: &Event) -> Vec<Violation> {
        let mut v = Vec::new();
        let tags = |thread: u32, seq: u64, count: u64| {
            let run = self.run;
            (seq..seq + count).map(move |s| Tag {
                run,
                thread,
                seq: s,
            })
        };
        match e {
            Event::Ready { next, .. } if *next != self.expect_next => {
                v.push(Violation::LsnReuse {
                    expected: self.expect_next,
                    got: *next,
                });
            }
            Event::Tried { thread, seq, count } => {
                for t in tags(*thread, *seq, *count).collect::<Vec<_>>() {
                    if !self.pending.insert(t) {
                        v.push(Violation::Failure(format!("{t} tried twice")));
                    }
                }
            }
            Event::Acked {
                thread,
                seq,
                count,
                first,
            } => {
                for (i, t) in tags(*thread, *seq, *count).enumerate().collect::<Vec<_>>() {
                    let lsn = first + i as u64;
                    if !self.pending.remove(&t) {
                        v.push(Violation::Failure(format!(
                            "{t} acknowledged (LSN {lsn}) but not in flight"
                        )));
                    }
                    if lsn < self.ack_from {
                        v.push(Violation::LsnReuse {
                            expected: self.ack_from,
                            got: lsn,
                        });
                    }
                    if let Some(other) = self.acked.insert(lsn, t) {
                        v.push(Violation::Failure(format!(
                            "LSN {lsn} handed to two entries: {other} and {t}"
                        )));
                    }
                }
                self.acked_entries += count;
                self.acked_batches += u64::from(*count > 1);
                self.acked_appends += 1;
            }
            Event::Refused {
                thread,
                seq,
                count,
                kind,
                ..
            } => {
                for t in tags(*thread, *seq, *count).collect::<Vec<_>>() {
                    if !self.pending.remove(&t) {
                        v.push(Violation::Failure(format!("{t} refused but not in flight")));
                    }
                    self.refused.insert(t, kind.clone());
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
                self.control = Some(Control::Cut { keep: *keep });
            }
            Event::Purge { upto } => self.control = Some(Control::Purge { upto: *upto }),
            Event::User { key, len } => {
                self.control = Some(Control::User {
                    key: *key,
                    len: *len,
                });
            }
            Event::Done { op } => match (op.split(' ').next(), self.control.take()) {
                (Some("truncate"), Some(c @ Control::Cut { keep })) => {
                    self.cuts_done.0 += 1;
                    self.apply_control(c);
                    self.notes.cut_done(keep);
                }
                (Some("purge"), Some(c @ Control::Purge { upto })) => {
                    self.purges_done.0 += 1;
                    self.purges_done.1 += u64::from(upto > self.last());
                    self.apply_control(c);
                }
                (Some("user"), Some(c @ Control::User { .. })) => {
                    self.users_done += 1;
                    self.apply_control(c);
                }
                (_, c) => self.control = c,
            },
            Event::Fail { kind, .. } => {
                if let Some(c) = self.control.take()
                    && !changed_nothing(kind)
                {
                    self.uncertain.push(c);
                }
            }
            Event::Watch { lsn, epoch } => self.notes.watch(*lsn, *epoch),
            Event::Durable {
                lsn,
                epoch,
                how,
                outcome,
            } => {
                let last = self.last();
                v.extend(self.notes.report(*lsn, *epoch, how, outcome.as_ref(), last));
            }
            Event::Residue { problem: Some(p) } => v.extend(crate::ledger::residues(p)),
            _ => {}
        }
        v
    }

    /// What was going on, for a violation's text: the log-control calls in flight or
    /// failed, and whether the log ended where a truncation cut it.
    fn context(&self) -> String {
        let calls = self
            .uncertain
            .iter()
            .chain(self.control.as_ref())
            .map(|c| match c {
                Control::Cut { keep } => format!("truncate_after({keep})"),
                Control::Purge { upto } => format!("purge_up_to({upto})"),
                Control::User { .. } => "set_user_data".to_string(),
            });
        let ended_at_cut = (self.cut_tail == Some(self.last())).then_some(self.last());
        context_note(calls, ended_at_cut)
    }

    /// The ledgers a reopened log may match: this one, and each log-control call whose
    /// effect is open applied to it.
    fn models(&self) -> Vec<GroupLedger> {
        let mut out = vec![self.clone()];
        for c in self.uncertain.iter().chain(self.control.as_ref()) {
            let mut m = self.clone();
            m.apply_control(*c);
            out.push(m);
        }
        out
    }

    /// Check a reopened log. `finished`: the child ran to its end (every append has a
    /// result). `failed_frame`: first LSN and entry count of the frame whose write or sync
    /// was failed on purpose, when known. Returns the violations against the closest model
    /// (none if one matches) and that model, to settle on.
    pub fn check(
        &self,
        log: &TaggedLog,
        finished: bool,
        failed_frame: Option<(u64, u64)>,
    ) -> (Vec<Violation>, GroupLedger) {
        closest(self.models(), |m| {
            m.check_model(log, finished, failed_frame)
        })
    }

    fn check_model(
        &self,
        log: &TaggedLog,
        finished: bool,
        failed_frame: Option<(u64, u64)>,
    ) -> Vec<Violation> {
        let mut v = Vec::new();
        if let Some(e) = &log.read_error {
            v.push(Violation::Failure(format!("reading the log: {e}")));
        }
        // Every entry is a tagged payload, and none is there twice.
        let mut seen: HashMap<Tag, u64> = HashMap::new();
        for &(lsn, tag) in &log.entries {
            match tag {
                None => v.push(Violation::PayloadMismatch { lsn }),
                Some(t) => {
                    if let Some(first) = seen.insert(t, lsn) {
                        v.push(Violation::Duplicate {
                            what: t.to_string(),
                            first,
                            second: lsn,
                        });
                    }
                }
            }
        }
        if log.first <= self.floor || log.next <= self.floor {
            v.push(Violation::PurgedServed {
                floor: self.floor,
                first: log.first,
                next: log.next,
            });
        }
        // Everything settled or acknowledged is there, unless a checkpoint allowed its
        // deletion.
        let may_delete = self.checkpoint.max(self.floor);
        for (&lsn, &t) in self.settled.iter().chain(self.acked.iter()) {
            if lsn < log.first {
                if lsn > may_delete {
                    v.push(Violation::CheckpointOverreach {
                        first: log.first,
                        checkpoint: may_delete,
                    });
                    break;
                }
                continue;
            }
            match log.at(lsn) {
                None => {
                    v.push(Violation::AckLost {
                        acked: lsn,
                        recovered_last: log.last(),
                        context: self.context(),
                    });
                    break;
                }
                Some(got) if got != Some(t) => v.push(Violation::PayloadMismatch { lsn }),
                Some(_) => {}
            }
        }
        // Entries beyond the settled log are this child's: acknowledged at that LSN, or
        // tried without success.
        let max_acked = self.max_acked();
        let mut unacked = Vec::new();
        for &(lsn, tag) in log.entries.iter().filter(|(l, _)| *l >= self.child_from) {
            let Some(t) = tag else { continue };
            if self.acked.get(&lsn) == Some(&t) || self.settled.get(&lsn) == Some(&t) {
                continue;
            }
            if self.acked.values().any(|a| *a == t) || self.settled.values().any(|a| *a == t) {
                continue; // reported above as a mismatch at its acknowledged LSN
            }
            if let Some(keep) = self.removed.get(&t) {
                v.push(Violation::Failure(format!(
                    "LSN {lsn} holds {t}, which truncate_after({keep}) removed"
                )));
                continue;
            }
            if !self.pending.contains(&t) && !self.refused.contains_key(&t) {
                v.push(Violation::Failure(format!(
                    "LSN {lsn} holds {t}, which the child never appended"
                )));
                continue;
            }
            if finished && lsn <= max_acked {
                v.push(Violation::Failure(format!(
                    "LSN {lsn} holds {t}, whose append returned an error, below the acknowledged LSN {max_acked}"
                )));
            }
            unacked.push(lsn);
        }
        if finished {
            for lsn in self.child_from.max(self.floor + 1)..=max_acked {
                if !self.acked.contains_key(&lsn) && !self.settled.contains_key(&lsn) {
                    v.push(Violation::LsnGap {
                        expected: lsn,
                        got: lsn + 1,
                    });
                    break;
                }
            }
        }
        if let Some((first, count)) = failed_frame {
            let frame = first..first + count;
            for &lsn in self.acked.keys().filter(|l| frame.contains(l)) {
                v.push(Violation::AckedButFailed {
                    lsn,
                    frame: (first, count),
                });
            }
            if !unacked.is_empty() && unacked != frame.clone().collect::<Vec<_>>() {
                v.push(Violation::BeyondInFlight {
                    acked: max_acked,
                    allowed: vec![first + count - 1],
                    recovered_last: log.last(),
                });
            }
        }
        let durable = self.notes.durable.min(self.last());
        if log.last() < durable {
            v.push(Violation::DurableLost {
                durable,
                recovered_last: log.last(),
            });
        }
        let want = self
            .user
            .map_or_else(Vec::new, |(k, l)| user_value(self.seed, k, l as usize));
        match &log.user {
            Err(e) => v.push(Violation::UserData(format!("user_data() failed: {e}"))),
            Ok(got) if *got != want => v.push(Violation::UserData(format!(
                "{} bytes, expected value {:?} (key, length)",
                got.len(),
                self.user
            ))),
            Ok(_) => {}
        }
        v
    }

    /// After a log was checked against `matched` (from [`GroupLedger::check`]): it is what
    /// must survive from now on (the next writable open keeps it), and the next child's open
    /// must continue it.
    pub fn settle(&mut self, log: &TaggedLog, matched: &GroupLedger) {
        self.max_in_flight = self.max_in_flight.max(self.pending.len() as u64);
        if matched.cut_tail.is_some() && matched.last() == log.last() {
            self.cut_tail = matched.cut_tail;
        }
        self.floor = matched.floor.max(log.floor);
        self.user = matched.user;
        self.settled = log
            .entries
            .iter()
            .filter_map(|&(lsn, t)| Some((lsn, t?)))
            .collect();
        self.removed.clear();
        self.expect_next = log.next;
        self.notes.next_child(log.last());
        self.acked.clear();
        self.pending.clear();
        self.refused.clear();
        self.control = None;
        self.uncertain.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use walogs_core::TailState;

    fn tag(thread: u32, seq: u64) -> Tag {
        Tag {
            run: 0,
            thread,
            seq,
        }
    }

    fn log(first: u64, entries: &[Option<Tag>]) -> TaggedLog {
        TaggedLog {
            first,
            next: first + entries.len() as u64,
            floor: 0,
            tail: TailState::Clean,
            entries: (first..).zip(entries.iter().copied()).collect(),
            bytes: 0,
            read_error: None,
            user: Ok(Vec::new()),
        }
    }

    /// Threads 0 and 1 each acknowledged one entry (LSNs 1, 2); thread 2's append (LSN 3,
    /// with thread 3's as a follower at LSN 4) failed.
    fn ledger() -> GroupLedger {
        let mut l = GroupLedger::starting_at(1, 1);
        l.begin(0);
        for t in 0..4 {
            assert!(
                l.apply(&Event::Tried {
                    thread: t,
                    seq: 0,
                    count: 1
                })
                .is_empty()
            );
        }
        for (t, lsn) in [(0, 1), (1, 2)] {
            assert!(
                l.apply(&Event::Acked {
                    thread: t,
                    seq: 0,
                    count: 1,
                    first: lsn
                })
                .is_empty()
            );
        }
        for t in [2, 3] {
            l.apply(&Event::Refused {
                thread: t,
                seq: 0,
                count: 1,
                kind: ErrKind::Io(Some(5)),
                msg: String::new(),
            });
        }
        l
    }

    #[test]
    fn acknowledged_entries_must_be_there_and_failed_ones_only_as_the_whole_frame() {
        let l = ledger();
        let frame = Some((3, 2));
        assert!(
            l.check(&log(1, &[Some(tag(0, 0)), Some(tag(1, 0))]), true, frame)
                .0
                .is_empty()
        );
        let whole = [tag(0, 0), tag(1, 0), tag(2, 0), tag(3, 0)].map(Some);
        assert!(l.check(&log(1, &whole), true, frame).0.is_empty());
        // Half of the failed frame.
        assert!(matches!(
            l.check(&log(1, &whole[..3]), true, frame).0[..],
            [Violation::BeyondInFlight { .. }]
        ));
        // An acknowledged entry missing, or in the wrong place.
        assert!(matches!(
            l.check(&log(1, &whole[..1]), true, frame).0[..],
            [Violation::AckLost { .. }]
        ));
        let swapped = [Some(tag(1, 0)), Some(tag(0, 0))];
        assert!(!l.check(&log(1, &swapped), true, frame).0.is_empty());
        // Written twice; never appended; not a tagged payload.
        let twice = [Some(tag(0, 0)), Some(tag(1, 0)), Some(tag(1, 0))];
        assert!(matches!(
            l.check(&log(1, &twice), true, None).0[..],
            [Violation::Duplicate { .. }, ..]
        ));
        let alien = [Some(tag(0, 0)), Some(tag(1, 0)), Some(tag(7, 0))];
        assert!(!l.check(&log(1, &alien), true, None).0.is_empty());
        let junk = [Some(tag(0, 0)), Some(tag(1, 0)), None];
        assert!(matches!(
            l.check(&log(1, &junk), true, None).0[..],
            [Violation::PayloadMismatch { lsn: 3 }]
        ));
    }

    #[test]
    fn a_follower_acknowledged_inside_a_failed_frame_is_caught() {
        // As if a mutant core acknowledged the follower (thread 1, LSN 2) of the group
        // 1..=2 whose fdatasync failed (and cut the frame).
        let mut l = GroupLedger::starting_at(1, 1);
        l.begin(0);
        for t in 0..2 {
            l.apply(&Event::Tried {
                thread: t,
                seq: 0,
                count: 1,
            });
        }
        l.apply(&Event::Refused {
            thread: 0,
            seq: 0,
            count: 1,
            kind: ErrKind::Io(Some(5)),
            msg: String::new(),
        });
        l.apply(&Event::Acked {
            thread: 1,
            seq: 0,
            count: 1,
            first: 2,
        });
        let v = l.check(&log(1, &[]), true, Some((1, 2))).0;
        assert!(v.iter().any(|x| matches!(x, Violation::AckLost { .. })));
        assert!(
            v.iter()
                .any(|x| matches!(x, Violation::AckedButFailed { lsn: 2, .. }))
        );
        assert!(v.iter().any(|x| matches!(x, Violation::LsnGap { .. })));
        // Even if the frame had survived on disk, the acknowledgement is wrong.
        let v = l
            .check(
                &log(1, &[Some(tag(0, 0)), Some(tag(1, 0))]),
                true,
                Some((1, 2)),
            )
            .0;
        assert!(
            v.iter()
                .any(|x| matches!(x, Violation::AckedButFailed { lsn: 2, .. }))
        );
    }

    #[test]
    fn lsns_are_never_handed_out_twice() {
        let mut l = GroupLedger::starting_at(1, 5);
        l.begin(1);
        assert!(matches!(
            l.apply(&Event::Ready {
                first: 1,
                next: 4,
                torn_at: None
            })[..],
            [Violation::LsnReuse { .. }]
        ));
        for t in 0..2 {
            l.apply(&Event::Tried {
                thread: t,
                seq: 0,
                count: 1,
            });
        }
        assert!(
            l.apply(&Event::Acked {
                thread: 0,
                seq: 0,
                count: 1,
                first: 5
            })
            .is_empty()
        );
        assert!(matches!(
            l.apply(&Event::Acked {
                thread: 1,
                seq: 0,
                count: 1,
                first: 5
            })[..],
            [Violation::Failure(_)]
        ));
    }

    #[test]
    fn a_truncation_removes_acknowledged_entries_for_good_and_may_be_in_flight() {
        let mut l = ledger();
        // Entries 1 and 2 acknowledged; a cut to 1 is announced (in flight at a kill).
        l.apply(&Event::Cut {
            keep: 1,
            epoch: 7,
            in_unit: true,
        });
        let both = [Some(tag(0, 0)), Some(tag(1, 0))];
        assert!(l.check(&log(1, &both), false, None).0.is_empty());
        assert!(l.check(&log(1, &both[..1]), false, None).0.is_empty());
        l.apply(&Event::Done {
            op: "truncate 1 0".into(),
        });
        // Done: entry 2 must be gone, and LSN 2 goes to a new entry.
        assert!(!l.check(&log(1, &both), false, None).0.is_empty());
        l.apply(&Event::Tried {
            thread: 0,
            seq: 1,
            count: 1,
        });
        assert!(
            l.apply(&Event::Acked {
                thread: 0,
                seq: 1,
                count: 1,
                first: 2
            })
            .is_empty()
        );
        let after = [Some(tag(0, 0)), Some(tag(0, 1))];
        assert!(l.check(&log(1, &after), false, None).0.is_empty());
        // A purge past the end: nothing at or below it is served, the next LSN jumps.
        l.apply(&Event::Purge { upto: 9 });
        l.apply(&Event::Done {
            op: "purge 1".into(),
        });
        assert!(l.check(&log(10, &[]), false, None).0.is_empty());
        assert!(matches!(
            l.check(&log(2, &after[1..]), false, None).0[..],
            [Violation::PurgedServed { .. }, ..]
        ));
    }
}
