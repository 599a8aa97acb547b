//! The set of segments of an open WAL (what is where), and read planning over it.

use std::sync::Arc;

use crate::error::WalError;
use crate::files::ReadFiles;
use crate::index::SegmentInfo;
use crate::reader::{Live, ReadPlan, SegRef};

/// What readers see of the log: the segments and the next LSN. Shared between the writer
/// (which updates it right after each write succeeds, never across I/O) and readers (which
/// take a plan from it), so a reader never waits for an fdatasync.
#[derive(Debug)]
pub(crate) struct View {
    pub segs: SegmentSet,
    pub next_lsn: u64,
    /// Every LSN at or below this was purged.
    pub floor: u64,
    /// The durable user data (empty before the first set).
    pub user_data: Arc<[u8]>,
}

impl View {
    /// The oldest LSN readable: past the purge floor and the deleted segments
    /// (`next_lsn` when the log is empty).
    pub fn first_lsn(&self) -> u64 {
        self.segs
            .first_lsn(self.next_lsn)
            .max(self.floor + 1)
            .min(self.next_lsn)
    }

    fn out_of_range(&self, lsn: u64) -> WalError {
        WalError::LsnOutOfRange {
            lsn,
            first: self.first_lsn(),
            next: self.next_lsn,
        }
    }

    /// A snapshot plan from `from` (see [`SegmentSet::plan`]).
    pub fn plan(
        &self,
        files: &Arc<ReadFiles>,
        live: &Arc<Live>,
        from: u64,
    ) -> Result<ReadPlan, WalError> {
        if from < self.first_lsn() || from > self.next_lsn {
            return Err(self.out_of_range(from));
        }
        self.segs.plan(files, live, from, self.next_lsn)
    }

    /// Where the entry `lsn` is: its segment and the span of bytes that holds its frame.
    pub fn locate(&self, lsn: u64) -> Result<(SegRef, u64), WalError> {
        if lsn < self.first_lsn() || lsn >= self.next_lsn {
            return Err(self.out_of_range(lsn));
        }
        let s = self.segs.find(lsn).ok_or_else(|| self.out_of_range(lsn))?;
        let (start, end) = s.span(lsn);
        Ok((SegmentSet::seg_ref_from(s, start), end))
    }
}

/// Every segment of the log, oldest first; the last one is the active segment.
#[derive(Debug)]
pub(crate) struct SegmentSet {
    /// Completed (sealed) segments, oldest first.
    pub completed: Vec<SegmentInfo>,
    /// The active segment. For a read-only open of a directory with no segment, a virtual
    /// empty segment with `seq == 0`.
    pub active: SegmentInfo,
}

impl SegmentSet {
    /// Split recovered segments (oldest first) into completed + active. With none (a
    /// read-only open of an empty directory), the active segment is virtual and empty.
    pub fn new(mut segments: Vec<SegmentInfo>, next_lsn: u64) -> SegmentSet {
        for s in &mut segments {
            s.shrink_index();
        }
        let active = segments
            .pop()
            .unwrap_or_else(|| SegmentInfo::new(0, String::new(), next_lsn));
        SegmentSet {
            completed: segments,
            active,
        }
    }

    /// Every real segment, oldest first.
    pub fn all(&self) -> impl Iterator<Item = &SegmentInfo> {
        self.completed
            .iter()
            .chain(std::iter::once(&self.active).filter(|a| a.seq != 0))
    }

    /// Number of segment files.
    pub fn count(&self) -> usize {
        self.all().count()
    }

    /// Oldest LSN held (`next_lsn` when there is none).
    pub fn first_lsn(&self, next_lsn: u64) -> u64 {
        self.all()
            .find(|s| !s.is_empty())
            .map_or(next_lsn, |s| s.first_lsn)
    }

    /// The segment holding `lsn`.
    pub fn find(&self, lsn: u64) -> Option<&SegmentInfo> {
        self.all().find(|s| s.contains(lsn))
    }

    /// Index into `completed` of the segment holding `lsn`.
    pub fn completed_index(&self, lsn: u64) -> Option<usize> {
        self.completed.iter().position(|s| s.contains(lsn))
    }

    pub(crate) fn seg_ref(s: &SegmentInfo, from: u64) -> SegRef {
        let start = if s.contains(from) {
            s.seek_offset(from)
        } else {
            0
        };
        SegmentSet::seg_ref_from(s, start)
    }

    /// `s` read from byte `start` (an index point).
    pub(crate) fn seg_ref_from(s: &SegmentInfo, start: u64) -> SegRef {
        SegRef {
            name: s.name.clone(),
            next_lsn: s.next_lsn,
            start,
            len: s.len,
        }
    }

    /// A snapshot of where entries `from..next_lsn` are, for an iterator;
    /// [`WalError::LsnOutOfRange`] outside `first..=next`. Called under the view lock, so
    /// the cut generation it records goes with the segments it lists.
    pub fn plan(
        &self,
        files: &Arc<ReadFiles>,
        live: &Arc<Live>,
        from: u64,
        next_lsn: u64,
    ) -> Result<ReadPlan, WalError> {
        let first = self.first_lsn(next_lsn);
        if from < first || from > next_lsn {
            return Err(WalError::LsnOutOfRange {
                lsn: from,
                first,
                next: next_lsn,
            });
        }
        let segments = self
            .all()
            .filter(|s| !s.is_empty() && s.next_lsn > from)
            .map(|s| Self::seg_ref(s, from))
            .collect();
        Ok(ReadPlan {
            files: files.clone(),
            cuts_seen: live.cut_generation(),
            live: live.clone(),
            segments,
            from,
            from_oldest: false,
        })
    }
}
