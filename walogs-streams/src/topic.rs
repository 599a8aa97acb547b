//! The in-memory index of one topic: one [`Slot`] per live record (its log LSN, timestamp,
//! running maximum timestamp and size), in topic-LSN order, which is also log order. A
//! topic's records are found without scanning the log or the other topics.

use std::collections::VecDeque;

/// Where one live record is, and what retention and `seek_time` need to know of it
/// (32 bytes per record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    /// The record's LSN in the underlying log.
    pub log_lsn: u64,
    /// Its timestamp (milliseconds since the Unix epoch).
    pub timestamp_ms: u64,
    /// The largest timestamp of the topic's live records up to and including this one, so
    /// that "the first record with a timestamp `>= t`" is a binary search even when
    /// timestamps are out of order.
    pub max_ts: u64,
    /// Bytes of data and header.
    pub size: u32,
}

/// One topic: its name, its LSN bounds and the index of its live records.
#[derive(Debug, Clone)]
pub(crate) struct Topic {
    /// Its id in the log's entries.
    pub id: u32,
    /// Its name (`None` only while recovery has not met its definition yet).
    pub name: Option<String>,
    /// Records with `lsn <= floor` are deleted.
    pub floor: u64,
    /// The LSN its next record gets.
    pub next: u64,
    /// The live records, LSNs `next - slots.len() .. next`.
    pub slots: VecDeque<Slot>,
    /// Sum of the sizes of `slots`.
    pub bytes: u64,
    /// Recovery: the lowest LSN from which the scan met every record (`None`: neither a
    /// record nor a definition met yet, so `next` is not known).
    pub known_from: Option<u64>,
    /// Recovery: the log LSN of the first entry naming this topic (for error reports).
    pub first_seen: u64,
}

impl Topic {
    /// A topic created by this process's first append to it.
    pub fn new(id: u32, name: String) -> Topic {
        Topic {
            id,
            name: Some(name),
            floor: 0,
            next: 1,
            slots: VecDeque::new(),
            bytes: 0,
            known_from: Some(1),
            first_seen: 0,
        }
    }

    /// A topic recovery met first in an entry at `log_lsn` (name and bounds come later).
    pub fn unknown(id: u32, log_lsn: u64) -> Topic {
        Topic {
            id,
            name: None,
            floor: 0,
            next: 1,
            slots: VecDeque::new(),
            bytes: 0,
            known_from: None,
            first_seen: log_lsn,
        }
    }

    /// The name (empty while unknown, which recovery refuses before anyone sees it).
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }

    /// The oldest LSN held (`next` when none is).
    pub fn first(&self) -> u64 {
        self.next - self.slots.len() as u64
    }

    /// Index a new record `self.next` (the caller checked the LSN).
    pub fn push(&mut self, log_lsn: u64, timestamp_ms: u64, size: u32) {
        let max_ts = self
            .slots
            .back()
            .map_or(timestamp_ms, |s| s.max_ts.max(timestamp_ms));
        self.slots.push_back(Slot {
            log_lsn,
            timestamp_ms,
            max_ts,
            size,
        });
        self.bytes += u64::from(size);
        self.next += 1;
    }

    /// The slot of record `lsn`, if it is live.
    pub fn slot(&self, lsn: u64) -> Option<&Slot> {
        let first = self.first();
        if lsn < first || lsn >= self.next {
            return None;
        }
        self.slots.get((lsn - first) as usize)
    }

    /// The first LSN not visible yet: records whose log LSN is `<= visible_log` are.
    pub fn visible_end(&self, visible_log: u64) -> u64 {
        self.first() + self.slots.partition_point(|s| s.log_lsn <= visible_log) as u64
    }

    /// Raise the floor to `floor` (never lowers it), dropping the records at or below it;
    /// returns how many were dropped. Costs O(live records) for the running maximum when
    /// any is dropped.
    pub fn raise_floor(&mut self, floor: u64) -> u64 {
        if floor <= self.floor {
            return 0;
        }
        self.floor = floor;
        let mut dropped = 0;
        while !self.slots.is_empty() && self.first() <= floor {
            if let Some(s) = self.slots.pop_front() {
                self.bytes -= u64::from(s.size);
                dropped += 1;
            }
        }
        if dropped > 0 {
            let mut max = 0;
            for s in self.slots.iter_mut() {
                max = max.max(s.timestamp_ms);
                s.max_ts = max;
            }
        }
        dropped
    }

    /// The first live LSN whose timestamp is `>= t_ms` (`next` when none is): a binary
    /// search on the running maximum.
    pub fn seek_time(&self, t_ms: u64) -> u64 {
        self.first() + self.slots.partition_point(|s| s.max_ts < t_ms) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seek_time_finds_the_first_late_enough_record_out_of_order() {
        let mut t = Topic::new(1, "t".into());
        for (i, ts) in [10u64, 30, 20, 40, 25].into_iter().enumerate() {
            t.push(i as u64 + 1, ts, 1);
        }
        assert_eq!(t.seek_time(0), 1);
        assert_eq!(t.seek_time(15), 2);
        assert_eq!(t.seek_time(31), 4);
        assert_eq!(t.seek_time(41), 6);
        assert_eq!(t.raise_floor(2), 2);
        // Running maximum recomputed from the new first record (20, 40, 25).
        assert_eq!(t.seek_time(21), 4);
        assert_eq!(t.seek_time(20), 3);
        assert_eq!(t.first(), 3);
        assert_eq!(t.bytes, 3);
    }

    #[test]
    fn visibility_is_a_prefix_by_log_lsn() {
        let mut t = Topic::new(1, "t".into());
        t.push(5, 0, 1);
        t.push(9, 0, 1);
        assert_eq!(t.visible_end(4), 1);
        assert_eq!(t.visible_end(5), 2);
        assert_eq!(t.visible_end(100), 3);
    }
}
