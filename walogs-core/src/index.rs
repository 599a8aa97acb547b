//! What walogs keeps in memory about each segment: its LSN range, its data length, and a
//! sparse index (one LSN → offset pair per 64 KiB) that makes reads by LSN cheap.

/// Distance in bytes between two sparse-index points.
pub(crate) const INDEX_STRIDE: u64 = 64 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct SegmentInfo {
    pub seq: u64,
    /// File name (normally `segment_filename(seq)`; `wal.log` for a read-only v1 directory).
    pub name: String,
    /// LSN of the first entry (meaningless while `first_lsn == next_lsn`, i.e. empty).
    pub first_lsn: u64,
    /// LSN following the last entry.
    pub next_lsn: u64,
    /// Bytes of valid frames.
    pub len: u64,
    /// Sparse index: (first LSN of a frame, its offset), ascending.
    pub index: Vec<(u64, u64)>,
}

impl SegmentInfo {
    pub fn new(seq: u64, name: String, start_lsn: u64) -> Self {
        SegmentInfo {
            seq,
            name,
            first_lsn: start_lsn,
            next_lsn: start_lsn,
            len: 0,
            index: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.first_lsn == self.next_lsn
    }

    /// Last LSN of the segment (`next_lsn - 1`).
    pub fn last_lsn(&self) -> u64 {
        self.next_lsn.saturating_sub(1)
    }

    /// Record a frame of `count` entries starting at `first_lsn`, written at `offset`.
    pub fn record(&mut self, first_lsn: u64, count: u64, offset: u64, frame_len: u64) {
        if self.is_empty() {
            self.first_lsn = first_lsn;
        }
        let due = match self.index.last() {
            None => true,
            Some(&(_, off)) => offset >= off + INDEX_STRIDE,
        };
        if due {
            self.index.push((first_lsn, offset));
        }
        self.next_lsn = first_lsn + count;
        self.len = offset + frame_len;
    }

    /// Whether `lsn` is stored in this segment.
    pub fn contains(&self, lsn: u64) -> bool {
        lsn >= self.first_lsn && lsn < self.next_lsn
    }

    /// Offset of an indexed frame at or before `lsn`, from which a forward scan finds it.
    pub fn seek_offset(&self, lsn: u64) -> u64 {
        let i = self.index.partition_point(|&(l, _)| l <= lsn);
        if i == 0 { 0 } else { self.index[i - 1].1 }
    }

    /// Forget everything at or after `offset` (after a truncation), ending at `next_lsn`.
    pub fn cut(&mut self, offset: u64, next_lsn: u64) {
        self.index.retain(|&(_, off)| off < offset);
        self.len = offset;
        self.next_lsn = next_lsn;
        if offset == 0 {
            self.first_lsn = next_lsn;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_index_finds_frames() {
        let mut s = SegmentInfo::new(1, "x".into(), 10);
        assert!(s.is_empty());
        let mut off = 0;
        for lsn in 10..10_000u64 {
            s.record(lsn, 1, off, 100);
            off += 100;
        }
        assert_eq!(s.first_lsn, 10);
        assert_eq!(s.next_lsn, 10_000);
        assert!(s.index.len() < 20);
        for lsn in [10, 11, 700, 5000, 9999] {
            let o = s.seek_offset(lsn);
            assert!(o <= (lsn - 10) * 100);
            assert!((lsn - 10) * 100 - o < INDEX_STRIDE + 100);
        }
        s.cut(50_000, 510);
        assert_eq!(s.last_lsn(), 509);
        assert!(s.index.iter().all(|&(_, o)| o < 50_000));
    }
}
