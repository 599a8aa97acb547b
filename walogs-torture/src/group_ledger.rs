//! The oracle for concurrent children ([`crate::group_child`]): what their threads reported,
//! and the rules the reopened log must follow.
//!
//! Promises checked: every acknowledged entry is in the log at the LSN its append returned,
//! byte for byte; no LSN is handed to two entries; no entry is in the log twice; every entry
//! in the log is one that was appended (tried); no entry of a frame whose write or sync
//! failed was acknowledged (the leader's group: followers included); the first LSN is no
//! newer than a checkpoint allowed. When the child finished (the sweep), also: the
//! acknowledged LSNs are dense, and entries whose append returned an error are in the log
//! only after every acknowledged one (as the failed frame, all of it or none).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::ledger::Violation;
use crate::protocol::{ErrKind, Event};
use crate::tagged::{Tag, TaggedLog};

/// What the parent knows about a directory written by concurrent children.
#[derive(Debug, Clone, Default)]
pub struct GroupLedger {
    /// Run number of the current child (the `run` of its tags).
    run: u32,
    /// The LSN the current child's open must report as next.
    expect_next: u64,
    /// Every entry of the log as last checked (from earlier children): LSN → tag.
    settled: BTreeMap<u64, Tag>,
    /// Acknowledged to the current child: LSN → tag.
    acked: BTreeMap<u64, Tag>,
    /// Tried by the current child, no result yet (in flight at a kill).
    pending: HashSet<Tag>,
    /// Tried by the current child and refused with an error.
    refused: HashMap<Tag, ErrKind>,
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
}

impl GroupLedger {
    /// A ledger for a directory whose next LSN is `next` and whose entries (if any) are
    /// not tagged (an empty directory: `next == 1`).
    pub fn starting_at(next: u64) -> Self {
        GroupLedger {
            expect_next: next,
            ..GroupLedger::default()
        }
    }

    /// Start following child `run`.
    pub fn begin(&mut self, run: u32) {
        self.run = run;
        self.acked.clear();
        self.pending.clear();
        self.refused.clear();
    }

    /// Appends tried and not finished (in flight at a kill).
    pub fn in_flight(&self) -> u64 {
        self.pending.len() as u64
    }

    /// Highest LSN acknowledged to the current child, or the log's last LSN before it.
    pub fn max_acked(&self) -> u64 {
        self.acked
            .keys()
            .next_back()
            .copied()
            .unwrap_or(self.expect_next - 1)
    }

    /// Entries of `log` the current child wrote but had not seen acknowledged (appends in
    /// flight at a kill that reached the kernel).
    pub fn recovered_unacked(&self, log: &TaggedLog) -> u64 {
        log.entries
            .iter()
            .filter(|(l, _)| *l >= self.expect_next && !self.acked.contains_key(l))
            .count() as u64
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
                    if lsn < self.expect_next {
                        v.push(Violation::LsnReuse {
                            expected: self.expect_next,
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
            Event::Residue { problem: Some(p) } => v.extend(crate::ledger::residues(p)),
            _ => {}
        }
        v
    }

    /// Check a reopened log. `finished`: the child ran to its end (every append has a
    /// result). `failed_frame`: first LSN and entry count of the frame whose write or sync
    /// was failed on purpose, when known.
    pub fn check(
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
        // Everything settled or acknowledged is there, unless a checkpoint allowed its
        // deletion.
        for (&lsn, &t) in self.settled.iter().chain(self.acked.iter()) {
            if lsn < log.first {
                if lsn > self.checkpoint {
                    v.push(Violation::CheckpointOverreach {
                        first: log.first,
                        checkpoint: self.checkpoint,
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
        for &(lsn, tag) in log.entries.iter().filter(|(l, _)| *l >= self.expect_next) {
            let Some(t) = tag else { continue };
            if self.acked.get(&lsn) == Some(&t) {
                continue;
            }
            if self.acked.values().any(|a| *a == t) {
                continue; // reported above as a mismatch at its acknowledged LSN
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
            for lsn in self.expect_next..=max_acked {
                if !self.acked.contains_key(&lsn) {
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
        v
    }

    /// After a log was checked: it is what must survive from now on (the next writable
    /// open keeps it), and the next child's open must continue it.
    pub fn settle(&mut self, log: &TaggedLog) {
        self.max_in_flight = self.max_in_flight.max(self.pending.len() as u64);
        self.settled = log
            .entries
            .iter()
            .filter_map(|&(lsn, t)| Some((lsn, t?)))
            .collect();
        self.expect_next = log.next;
        self.acked.clear();
        self.pending.clear();
        self.refused.clear();
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
            tail: TailState::Clean,
            entries: (first..).zip(entries.iter().copied()).collect(),
            bytes: 0,
            read_error: None,
        }
    }

    /// Threads 0 and 1 each acknowledged one entry (LSNs 1, 2); thread 2's append (LSN 3,
    /// with thread 3's as a follower at LSN 4) failed.
    fn ledger() -> GroupLedger {
        let mut l = GroupLedger::starting_at(1);
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
                .is_empty()
        );
        let whole = [tag(0, 0), tag(1, 0), tag(2, 0), tag(3, 0)].map(Some);
        assert!(l.check(&log(1, &whole), true, frame).is_empty());
        // Half of the failed frame.
        assert!(matches!(
            l.check(&log(1, &whole[..3]), true, frame)[..],
            [Violation::BeyondInFlight { .. }]
        ));
        // An acknowledged entry missing, or in the wrong place.
        assert!(matches!(
            l.check(&log(1, &whole[..1]), true, frame)[..],
            [Violation::AckLost { .. }]
        ));
        let swapped = [Some(tag(1, 0)), Some(tag(0, 0))];
        assert!(!l.check(&log(1, &swapped), true, frame).is_empty());
        // Written twice; never appended; not a tagged payload.
        let twice = [Some(tag(0, 0)), Some(tag(1, 0)), Some(tag(1, 0))];
        assert!(matches!(
            l.check(&log(1, &twice), true, None)[..],
            [Violation::Duplicate { .. }, ..]
        ));
        let alien = [Some(tag(0, 0)), Some(tag(1, 0)), Some(tag(7, 0))];
        assert!(!l.check(&log(1, &alien), true, None).is_empty());
        let junk = [Some(tag(0, 0)), Some(tag(1, 0)), None];
        assert!(matches!(
            l.check(&log(1, &junk), true, None)[..],
            [Violation::PayloadMismatch { lsn: 3 }]
        ));
    }

    #[test]
    fn a_follower_acknowledged_inside_a_failed_frame_is_caught() {
        // As if a mutant core acknowledged the follower (thread 1, LSN 2) of the group
        // 1..=2 whose fdatasync failed (and cut the frame).
        let mut l = GroupLedger::starting_at(1);
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
        let v = l.check(&log(1, &[]), true, Some((1, 2)));
        assert!(v.iter().any(|x| matches!(x, Violation::AckLost { .. })));
        assert!(
            v.iter()
                .any(|x| matches!(x, Violation::AckedButFailed { lsn: 2, .. }))
        );
        assert!(v.iter().any(|x| matches!(x, Violation::LsnGap { .. })));
        // Even if the frame had survived on disk, the acknowledgement is wrong.
        let v = l.check(
            &log(1, &[Some(tag(0, 0)), Some(tag(1, 0))]),
            true,
            Some((1, 2)),
        );
        assert!(
            v.iter()
                .any(|x| matches!(x, Violation::AckedButFailed { lsn: 2, .. }))
        );
    }

    #[test]
    fn lsns_are_never_handed_out_twice() {
        let mut l = GroupLedger::starting_at(5);
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
}
