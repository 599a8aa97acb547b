//! `RecordBatch`: records read into one reusable buffer, lent out as [`RecordRef`]s, and
//! the `Sink` trait through which reads fill either it or a `Vec<Record>`.

use std::ops::Range;

use crate::Record;

/// Where a read puts the records it decodes, in LSN order.
pub(crate) trait Sink {
    /// Records held so far.
    fn count(&self) -> usize;
    /// Add one record (its bytes are copied).
    fn push(&mut self, lsn: u64, timestamp_ms: u64, header: &[u8], data: &[u8]);
    /// The LSN of the last record added.
    fn last_lsn(&self) -> Option<u64>;
    /// Drop the records after the first `n` (those of a read that failed).
    fn truncate(&mut self, n: usize);
}

impl Sink for Vec<Record> {
    fn count(&self) -> usize {
        self.len()
    }
    fn push(&mut self, lsn: u64, timestamp_ms: u64, header: &[u8], data: &[u8]) {
        Vec::push(
            self,
            Record {
                lsn,
                data: data.to_vec(),
                header: header.to_vec(),
                timestamp_ms,
            },
        );
    }
    fn last_lsn(&self) -> Option<u64> {
        self.last().map(|r| r.lsn)
    }
    fn truncate(&mut self, n: usize) {
        Vec::truncate(self, n);
    }
}

/// Where one record lies in a batch's buffer.
#[derive(Debug, Clone)]
struct Slot {
    lsn: u64,
    timestamp_ms: u64,
    header: Range<usize>,
    data: Range<usize>,
}

/// Records of one topic read into one buffer that is kept from call to call
/// ([`Consumer::next_batch_into`](crate::Consumer::next_batch_into),
/// [`Streams::read_range_into`](crate::Streams::read_range_into)).
///
/// Each read empties the batch and fills it again: the buffer grows to the largest batch
/// read and is then reused, so a reader that keeps one batch allocates nothing per record
/// and nothing per call once it has grown (a `Vec<Record>` costs one allocation per record
/// and per header). The records are lent as [`RecordRef`]s borrowing the batch; memory held:
/// the bytes of the largest batch read plus 48 bytes per record.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use walogs_streams::{ConsumerMode, RecordBatch, Streams};
/// # let scratch = tempfile::tempdir()?;
/// # let dir = scratch.path().join("store");
///
/// let store = Streams::open(&dir)?;
/// for i in 1..=3 {
///     store.append("events", format!("event {i}").as_bytes())?;
/// }
/// let mut consumer = store.consumer("events", "indexer", ConsumerMode::Strict)?;
/// let mut batch = RecordBatch::new();
/// while consumer.next_batch_into(&mut batch, 1 << 20, Some(Duration::ZERO))? > 0 {
///     for record in &batch {
///         println!("{}: {:?}", record.lsn, record.data);
///     }
/// }
/// assert_eq!(consumer.position(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct RecordBatch {
    bytes: Vec<u8>,
    slots: Vec<Slot>,
}

/// A record lent by a [`RecordBatch`]: the same fields as [`Record`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// The record's LSN in its topic.
    pub lsn: u64,
    /// The payload.
    pub data: &'a [u8],
    /// The header (empty when none was given).
    pub header: &'a [u8],
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

impl RecordRef<'_> {
    /// An owned copy.
    pub fn to_record(&self) -> Record {
        Record {
            lsn: self.lsn,
            data: self.data.to_vec(),
            header: self.header.to_vec(),
            timestamp_ms: self.timestamp_ms,
        }
    }
}

impl Record {
    /// The record's fields, borrowed.
    pub fn as_record_ref(&self) -> RecordRef<'_> {
        RecordRef {
            lsn: self.lsn,
            data: &self.data,
            header: &self.header,
            timestamp_ms: self.timestamp_ms,
        }
    }
}

impl RecordBatch {
    /// An empty batch (allocates nothing until a read fills it).
    pub fn new() -> RecordBatch {
        RecordBatch::default()
    }
    /// How many records the batch holds.
    pub fn len(&self) -> usize {
        self.slots.len()
    }
    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
    /// Record `index` (0-based, in LSN order), `None` past the end.
    pub fn get(&self, index: usize) -> Option<RecordRef<'_>> {
        self.slots.get(index).map(|s| self.lend(s))
    }
    /// The records in LSN order.
    pub fn iter(&self) -> BatchIter<'_> {
        BatchIter {
            batch: self,
            slots: self.slots.iter(),
        }
    }
    /// Bytes of data and headers held (what counted against the read's `max_bytes`).
    pub fn bytes(&self) -> usize {
        self.bytes.len()
    }
    /// Drop the records, keeping the memory for the next read.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.slots.clear();
    }
    /// Owned copies of the records.
    pub fn to_records(&self) -> Vec<Record> {
        self.iter().map(|r| r.to_record()).collect()
    }
    fn lend<'a>(&'a self, s: &Slot) -> RecordRef<'a> {
        RecordRef {
            lsn: s.lsn,
            data: &self.bytes[s.data.clone()],
            header: &self.bytes[s.header.clone()],
            timestamp_ms: s.timestamp_ms,
        }
    }
}

/// The records of a [`RecordBatch`], in LSN order ([`RecordBatch::iter`]).
#[derive(Debug, Clone)]
pub struct BatchIter<'a> {
    batch: &'a RecordBatch,
    slots: std::slice::Iter<'a, Slot>,
}

impl<'a> Iterator for BatchIter<'a> {
    type Item = RecordRef<'a>;
    fn next(&mut self) -> Option<RecordRef<'a>> {
        self.slots.next().map(|s| self.batch.lend(s))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.slots.size_hint()
    }
}

impl ExactSizeIterator for BatchIter<'_> {}

impl<'a> IntoIterator for &'a RecordBatch {
    type Item = RecordRef<'a>;
    type IntoIter = BatchIter<'a>;
    fn into_iter(self) -> BatchIter<'a> {
        self.iter()
    }
}

impl Sink for RecordBatch {
    fn count(&self) -> usize {
        self.slots.len()
    }
    fn push(&mut self, lsn: u64, timestamp_ms: u64, header: &[u8], data: &[u8]) {
        let h = self.bytes.len();
        self.bytes.extend_from_slice(header);
        let d = self.bytes.len();
        self.bytes.extend_from_slice(data);
        self.slots.push(Slot {
            lsn,
            timestamp_ms,
            header: h..d,
            data: d..self.bytes.len(),
        });
    }
    fn last_lsn(&self) -> Option<u64> {
        self.slots.last().map(|s| s.lsn)
    }
    fn truncate(&mut self, n: usize) {
        if let Some(s) = self.slots.get(n) {
            self.bytes.truncate(s.header.start);
        }
        self.slots.truncate(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lends_what_was_pushed_and_reuses_its_memory() {
        let mut b = RecordBatch::new();
        Sink::push(&mut b, 7, 100, b"h", b"data");
        Sink::push(&mut b, 8, 101, b"", b"");
        assert_eq!(b.len(), 2);
        assert_eq!(b.bytes(), 5);
        let r = b.get(0).unwrap();
        assert_eq!(
            (r.lsn, r.header, r.data, r.timestamp_ms),
            (7, &b"h"[..], &b"data"[..], 100)
        );
        assert_eq!(b.get(1).unwrap().data, b"");
        assert!(b.get(2).is_none());
        assert_eq!(b.to_records()[0], r.to_record());
        let cap = b.bytes.capacity();
        b.clear();
        assert!(b.is_empty());
        assert_eq!(b.bytes.capacity(), cap);
        assert_eq!((&b).into_iter().count(), 0);
    }
}
