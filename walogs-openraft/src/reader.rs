//! Reading entries by Raft index: [`WalogsLogReader`] (what openraft's replication tasks use)
//! and the one read routine the store shares with it.

use std::fmt::Debug;
use std::marker::PhantomData;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use openraft::{
    Entry, ErrorSubject, ErrorVerb, OptionalSend, RaftLogReader, RaftTypeConfig, StorageError,
};
use walogs_core::{Lsn, SharedWal, WalError};

use crate::codec::{self, Record};
use crate::error::StoreError;

/// Entries fetched per `read_range` call.
const READ_CHUNK_ENTRIES: usize = 1024;
/// Payload bytes fetched per `read_range` call (at least one entry is always returned).
const READ_CHUNK_BYTES: usize = 8 << 20;

/// A log reader sharing the store's walogs handle: reads run concurrently with appends and
/// with each other (walogs reads never wait for an append's I/O). Cloning is cheap. Once the
/// store is dropped or closed, reads fail with walogs' `Closed` error.
pub struct WalogsLogReader<C: RaftTypeConfig> {
    wal: Arc<SharedWal>,
    _c: PhantomData<fn() -> C>,
}

impl<C: RaftTypeConfig> Clone for WalogsLogReader<C> {
    fn clone(&self) -> Self {
        WalogsLogReader::new(self.wal.clone())
    }
}

impl<C: RaftTypeConfig> WalogsLogReader<C> {
    pub(crate) fn new(wal: Arc<SharedWal>) -> Self {
        WalogsLogReader {
            wal,
            _c: PhantomData,
        }
    }
}

impl<C> RaftLogReader<C> for WalogsLogReader<C>
where
    C: RaftTypeConfig<Entry = Entry<C>>,
{
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<C::Entry>, StorageError<C::NodeId>> {
        read_entries::<C>(&self.wal, range)
            .map_err(|e| e.into_storage(ErrorSubject::Logs, ErrorVerb::Read))
    }
}

/// The Raft index range `range` as an LSN range `[from, to)` (LSN = index + 1).
fn lsn_bounds(range: &impl RangeBounds<u64>) -> (u64, u64) {
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e.saturating_add(1),
        Bound::Excluded(&e) => e,
        Bound::Unbounded => u64::MAX,
    };
    (start.saturating_add(1), end.saturating_add(1))
}

/// Decode the record at `lsn`, checking that it records index `lsn - 1`.
pub(crate) fn decode_at<C: RaftTypeConfig>(
    lsn: u64,
    bytes: &[u8],
) -> Result<Record<C>, StoreError> {
    let bad = |reason: String| StoreError::BadRecord {
        lsn,
        index: lsn - 1,
        reason,
    };
    let rec = codec::decode::<C>(bytes).map_err(|e| bad(e.to_string()))?;
    let stored = match &rec {
        Record::Gap { index } => *index,
        Record::Entry(e) => e.log_id.index,
    };
    if stored != lsn - 1 {
        return Err(bad(format!("the record holds index {stored}")));
    }
    Ok(rec)
}

/// Every entry with its index in `range`, in order; indexes below the purge floor, past the
/// end, or holding a gap record are absent. Costs one `read_range` per 1024 entries (or 8 MiB)
/// and a decode per entry.
pub(crate) fn read_entries<C: RaftTypeConfig<Entry = Entry<C>>>(
    wal: &SharedWal,
    range: impl RangeBounds<u64>,
) -> Result<Vec<Entry<C>>, StoreError> {
    let (mut from, to) = lsn_bounds(&range);
    from = from.max(wal.first_lsn().0);
    let mut out = Vec::new();
    while from < to.min(wal.next_lsn().0) {
        let want = (to - from).min(READ_CHUNK_ENTRIES as u64) as usize;
        let got = match wal.read_range(Lsn(from), want, READ_CHUNK_BYTES) {
            Ok(g) => g,
            // A purge raced the read: go on from the new oldest entry.
            Err(WalError::LsnOutOfRange { lsn, first, .. }) if lsn < first => {
                from = first;
                continue;
            }
            // A truncation raced the read: the rest is gone.
            Err(WalError::LsnOutOfRange { .. }) => break,
            Err(e) => return Err(e.into()),
        };
        if got.is_empty() {
            break;
        }
        for (lsn, bytes) in &got {
            if let Record::Entry(e) = decode_at::<C>(lsn.0, bytes)? {
                out.push(e);
            }
        }
        from += got.len() as u64;
    }
    Ok(out)
}

/// An entry's LSN and log id.
pub(crate) type LastEntry<C> = (u64, openraft::LogId<<C as RaftTypeConfig>::NodeId>);

/// The last entry (not a gap) at or below `lsn` and above the floor: its LSN and log id.
/// Costs backward chunks of `read_range` over the gap records it skips (none, usually).
pub(crate) fn last_entry_at_or_below<C: RaftTypeConfig<Entry = Entry<C>>>(
    wal: &SharedWal,
    lsn: u64,
) -> Result<Option<LastEntry<C>>, StoreError> {
    let first = wal.first_lsn().0;
    let mut hi = lsn.min(wal.next_lsn().0.saturating_sub(1));
    while hi >= first && hi > 0 {
        let lo = hi.saturating_sub(READ_CHUNK_ENTRIES as u64 - 1).max(first);
        let got = wal.read_range(Lsn(lo), (hi - lo + 1) as usize, usize::MAX)?;
        for (l, bytes) in got.iter().rev() {
            if l.0 > hi {
                continue;
            }
            if let Record::Entry(e) = decode_at::<C>(l.0, bytes)? {
                return Ok(Some((l.0, e.log_id)));
            }
        }
        hi = lo - 1;
    }
    Ok(None)
}
