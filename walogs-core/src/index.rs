//! What walogs keeps in memory about each segment: its LSN range, its data length, and a
//! sparse index (one LSN → offset point per 2 KiB of frames) that makes reads by LSN cheap: a
//! point read fetches the span between two points (about 2 KiB plus one frame). Memory: 8
//! bytes per point while a segment's offsets and LSN spread fit 32 bits (segments up to
//! 4 GiB), 16 beyond: at most 4 MiB per GiB of log (less with entries over 2 KiB: one point
//! per frame at most); a sealed or scanned segment's index is trimmed to its size, so only
//! the active segment's carries spare room. (A point per 1 KiB would read a 1 KiB entry as
//! exactly its frame, but cost 8 MiB per GiB, the whole memory budget of recovery.)

use crate::frame::{FRAME_HEADER_SIZE, Header};

/// Distance in bytes between two sparse-index points.
pub(crate) const INDEX_STRIDE: u64 = 2 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct SegmentInfo {
    pub seq: u64,
    /// File name (normally `segment_filename(seq)`; `wal.log` for a read-only v1 directory),
    /// shared with every reader's plan.
    pub name: std::sync::Arc<str>,
    /// LSN of the first entry (meaningless while `first_lsn == next_lsn`, i.e. empty).
    pub first_lsn: u64,
    /// LSN following the last entry.
    pub next_lsn: u64,
    /// Bytes of valid frames.
    pub len: u64,
    /// Sparse index: (first LSN of a frame, its offset), ascending.
    pub index: SparseIndex,
}

/// Index points `(first LSN of a frame, its offset)`, ascending, stored as 32-bit
/// differences from the first point while they fit.
#[derive(Debug, Clone, Default)]
pub(crate) struct SparseIndex {
    base_lsn: u64,
    narrow: Vec<(u32, u32)>,
    /// Points past what 32 bits hold (segments over 4 GiB).
    wide: Vec<(u64, u64)>,
}

impl SparseIndex {
    pub fn len(&self) -> usize {
        self.narrow.len() + self.wide.len()
    }

    fn get(&self, i: usize) -> (u64, u64) {
        match self.narrow.get(i) {
            Some(&(l, o)) => (self.base_lsn + u64::from(l), u64::from(o)),
            None => self.wide[i - self.narrow.len()],
        }
    }

    pub fn last(&self) -> Option<(u64, u64)> {
        self.len().checked_sub(1).map(|i| self.get(i))
    }

    pub fn push(&mut self, lsn: u64, offset: u64) {
        if self.narrow.is_empty() && self.wide.is_empty() {
            self.base_lsn = lsn;
        }
        match (u32::try_from(lsn - self.base_lsn), u32::try_from(offset)) {
            (Ok(l), Ok(o)) if self.wide.is_empty() => self.narrow.push((l, o)),
            _ => self.wide.push((lsn, offset)),
        }
    }

    /// Number of points with LSN `<= lsn`.
    ///
    /// Within the 32-bit points the search starts where `lsn` would be if entries were
    /// spread evenly (the common case: entries of similar sizes), then gallops outwards and
    /// finishes with a binary search between the bounds it found: a few probes on
    /// neighbouring cache lines instead of a binary search whose every step misses the cache
    /// (which cost microseconds per read on a log of many segments).
    fn partition(&self, lsn: u64) -> usize {
        if self.wide.is_empty() {
            let Some(rel) = lsn.checked_sub(self.base_lsn) else {
                return 0;
            };
            return gallop_partition(&self.narrow, rel);
        }
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.get(mid).0 <= lsn {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Give back the spare room of the point vectors (a segment that takes no more points).
    fn shrink(&mut self) {
        self.narrow.shrink_to_fit();
        self.wide.shrink_to_fit();
    }

    /// Drop the points at or after `offset`.
    fn cut(&mut self, offset: u64) {
        let keep = (0..self.len())
            .position(|i| self.get(i).1 >= offset)
            .unwrap_or(self.len());
        if keep <= self.narrow.len() {
            self.narrow.truncate(keep);
            self.wide.clear();
        } else {
            self.wide.truncate(keep - self.narrow.len());
        }
    }

    /// Every point, ascending (tests).
    #[cfg(test)]
    pub fn points(&self) -> Vec<(u64, u64)> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }
}

/// Number of points of `v` (strictly ascending LSNs) whose LSN is `<= rel`: interpolation
/// guess, exponential search from it, binary search inside the bracket.
fn gallop_partition(v: &[(u32, u32)], rel: u64) -> usize {
    let key = |i: usize| u64::from(v[i].0);
    let n = v.len();
    let Some(last) = n.checked_sub(1) else {
        return 0;
    };
    if rel >= key(last) {
        return n;
    }
    // key(last) > rel >= 0 = key(0)'s lower bound, so key(last) > 0 here.
    let guess = (u128::from(rel) * last as u128 / u128::from(key(last))) as usize;
    let guess = guess.min(last);
    // Find [lo, hi] with every point before lo at or below `rel` and every point from hi on
    // above it; the answer lies in between.
    let (lo, hi) = if key(guess) <= rel {
        let (mut lo, mut step) = (guess + 1, 1usize);
        loop {
            let probe = guess.saturating_add(step);
            if probe >= n {
                break (lo, n);
            }
            if key(probe) > rel {
                break (lo, probe);
            }
            lo = probe + 1;
            step = step.saturating_mul(2);
        }
    } else {
        let (mut hi, mut step) = (guess, 1usize);
        loop {
            let Some(probe) = guess.checked_sub(step) else {
                break (0, hi);
            };
            if key(probe) <= rel {
                break (probe + 1, hi);
            }
            hi = probe;
            step = step.saturating_mul(2);
        }
    };
    lo + v[lo..hi].partition_point(|&(l, _)| u64::from(l) <= rel)
}

impl SegmentInfo {
    pub fn new(seq: u64, name: String, start_lsn: u64) -> Self {
        SegmentInfo {
            seq,
            name: name.into(),
            first_lsn: start_lsn,
            next_lsn: start_lsn,
            len: 0,
            index: SparseIndex::default(),
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
            Some((_, off)) => offset >= off + INDEX_STRIDE,
        };
        if due {
            self.index.push(first_lsn, offset);
        }
        self.next_lsn = first_lsn + count;
        self.len = offset + frame_len;
    }

    /// Record the frames of one write: `buf` (whole frames, the first holding `first_lsn`)
    /// written at `offset`. Walks the frame headers so that index points fall inside a big
    /// unit too (a point read then never scans a whole batch).
    pub fn record_write(&mut self, buf: &[u8], first_lsn: u64, offset: u64) {
        let mut at = 0usize;
        let mut lsn = first_lsn;
        while at + FRAME_HEADER_SIZE <= buf.len() {
            let h = Header::parse(&buf[at..at + FRAME_HEADER_SIZE]);
            let count = if h.is_batch() {
                // A legacy batch frame is one frame; it is never written any more.
                u64::from(u32::from_le_bytes(
                    buf[at + FRAME_HEADER_SIZE..at + FRAME_HEADER_SIZE + 4]
                        .try_into()
                        .expect("4 bytes"),
                ))
            } else {
                1
            };
            let len = h.frame_len();
            self.record(lsn, count, offset + at as u64, len);
            lsn += count;
            at += len as usize;
        }
        debug_assert_eq!(at, buf.len());
    }

    /// Whether `lsn` is stored in this segment.
    pub fn contains(&self, lsn: u64) -> bool {
        lsn >= self.first_lsn && lsn < self.next_lsn
    }

    /// Offset of an indexed frame at or before `lsn`, from which a forward scan finds it.
    pub fn seek_offset(&self, lsn: u64) -> u64 {
        self.span(lsn).0
    }

    /// The bytes `[start, end)` holding the frame of `lsn` and the frames before it back to
    /// an index point: from the indexed frame at or before `lsn` to the next index point (whose
    /// frame starts after `lsn`'s ends) or the end of the frames.
    pub fn span(&self, lsn: u64) -> (u64, u64) {
        let i = self.index.partition(lsn);
        let start = if i == 0 { 0 } else { self.index.get(i - 1).1 };
        let end = if i < self.index.len() {
            self.index.get(i).1
        } else {
            self.len
        };
        (start, end)
    }

    /// Trim the index's memory to its points (the segment was sealed or fully scanned).
    pub fn shrink_index(&mut self) {
        self.index.shrink();
    }

    /// Forget everything at or after `offset` (after a truncation), ending at `next_lsn`.
    pub fn cut(&mut self, offset: u64, next_lsn: u64) {
        self.index.cut(offset);
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
        // One point per stride: about 1 MB of frames / 2 KiB.
        assert!(s.index.len() <= (999_000 / INDEX_STRIDE as usize) + 1);
        for lsn in [10, 11, 700, 5000, 9999] {
            let o = s.seek_offset(lsn);
            assert!(o <= (lsn - 10) * 100);
            assert!((lsn - 10) * 100 - o < INDEX_STRIDE + 100);
        }
        s.cut(50_000, 510);
        assert_eq!(s.last_lsn(), 509);
        assert!(s.index.points().iter().all(|&(_, o)| o < 50_000));
    }
}

#[cfg(test)]
mod search_tests {
    use super::*;

    /// The galloping search agrees with a plain binary search for every LSN, on points
    /// spread evenly, unevenly and in clusters.
    #[test]
    fn gallop_partition_matches_a_binary_search() {
        let layouts: Vec<Vec<u32>> = vec![
            vec![],
            vec![0],
            vec![0, 1],
            (0..1000).map(|i| i * 3).collect(),
            (0..500).map(|i| i * i).collect(),
            (0..300)
                .map(|i| if i < 250 { i } else { 10_000 + i * 97 })
                .collect(),
            (0..64).map(|i| (1u32 << (i / 2)) + i).collect::<Vec<_>>(),
        ];
        for keys in layouts {
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            sorted.dedup();
            let v: Vec<(u32, u32)> = sorted.iter().map(|&k| (k, k)).collect();
            let max = sorted.last().map_or(5, |&k| u64::from(k) + 5);
            for rel in 0..=max.min(200_000) {
                let want = v.partition_point(|&(l, _)| u64::from(l) <= rel);
                assert_eq!(gallop_partition(&v, rel), want, "rel {rel} of {sorted:?}");
            }
            for &k in &sorted {
                for rel in [
                    u64::from(k).saturating_sub(1),
                    u64::from(k),
                    u64::from(k) + 1,
                ] {
                    let want = v.partition_point(|&(l, _)| u64::from(l) <= rel);
                    assert_eq!(gallop_partition(&v, rel), want, "rel {rel} of {sorted:?}");
                }
            }
            assert_eq!(gallop_partition(&v, u64::MAX), v.len());
        }
    }
}

#[cfg(test)]
mod wide_tests {
    use super::*;

    #[test]
    fn points_past_32_bits_are_kept_wide() {
        let mut ix = SparseIndex::default();
        ix.push(10, 0);
        ix.push(20, 1 << 31);
        ix.push(30, 5 << 30);
        ix.push(40, 6 << 30);
        assert_eq!(ix.narrow.len(), 2);
        assert_eq!(ix.wide.len(), 2);
        assert_eq!(ix.partition(35), 3);
        assert_eq!(ix.get(2), (30, 5 << 30));
        ix.cut(5 << 30);
        assert_eq!(ix.points(), vec![(10, 0), (20, 1 << 31)]);
    }
}
