//! Streams on one crash-safe walogs log: named topics with dense per-topic LSNs, records
//! with a header and a millisecond timestamp, persistent consumers (`strict` or
//! at-least-once), time and size retention, and tailing.
//!
//! A store is one walogs directory. Every topic's records, every topic definition and every
//! consumer position are entries of that one log, so appends to different topics from many
//! threads share fdatasyncs (group commit across topics), one lock guards the store, and
//! recovery is walogs recovery. `docs/streams.md` describes the layout and what each
//! guarantee costs.
//!
//! ```
//! use std::time::Duration;
//! use walogs_streams::{ConsumerMode, NewRecord, Streams};
//! # let scratch = tempfile::tempdir()?;
//! # let dir = scratch.path().join("store");
//!
//! let store = Streams::open(&dir)?;
//! store.append("orders", b"order 1")?; // durable when Ok; the topic is created
//! store.append_record("orders", NewRecord { data: b"order 2", header: b"customer=7", timestamp_ms: None })?;
//! let mut billing = store.consumer("orders", "billing", ConsumerMode::Strict)?;
//! while let Some(record) = billing.next(Some(Duration::ZERO))? {
//!     println!("{}: {:?}", record.lsn, record.data); // never returned twice, even after a crash
//! }
//! assert_eq!(billing.position(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Module map: `codec` (entry encoding), `topic` (one topic's in-memory index), `state`
//! (everything the store mutex guards; applying log entries), `store` (what the handles
//! share), `recover` (open, the recovery scan, `refresh`), `append`, `read`, `consumer`,
//! `retention` (`cleanup`), `reclaim` (purging the dead log prefix), `cleaner` (the
//! background thread). This file is the public surface only.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use walogs_core::vfs::FileSystem;

mod append;
mod batch;
mod cleaner;
mod codec;
mod consumer;
mod read;
mod reclaim;
mod recover;
mod retention;
mod state;
mod store;
mod topic;

pub use batch::{BatchIter, RecordBatch, RecordRef};
pub use walogs_core::{Durability, WalError};

/// Longest topic name, in bytes of UTF-8.
pub const MAX_TOPIC_NAME: usize = 255;
/// Longest consumer name, in bytes of UTF-8.
pub const MAX_CONSUMER_NAME: usize = 255;
/// Largest record header, in bytes.
pub const MAX_HEADER: usize = 64 * 1024;

/// Errors of the streams layer. More variants may be added: match with a wildcard arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamsError {
    /// An error of the underlying log (I/O, closed, poisoned, read-only, locked by another
    /// process, damage, entry too large, ...).
    #[error(transparent)]
    Wal(#[from] WalError),
    /// A topic or consumer name that is empty, too long, or contains a NUL byte.
    #[error("invalid {what} name: {reason}")]
    InvalidName {
        /// `"topic"` or `"consumer"`.
        what: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// A header over [`MAX_HEADER`] bytes. Nothing was written.
    #[error("header too large: {size} bytes, max is {max}")]
    HeaderTooLarge {
        /// Size of the refused header.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A read or consumer on a topic that has never been appended to.
    #[error("no topic named {topic:?}")]
    UnknownTopic {
        /// The topic asked for.
        topic: String,
    },
    /// An LSN outside the topic's live range `first..next` (purged by retention, or not
    /// appended yet).
    #[error("topic {topic:?}: LSN {lsn} is out of range (first {first}, next {next})")]
    LsnOutOfRange {
        /// The topic.
        topic: String,
        /// The LSN asked for.
        lsn: u64,
        /// The topic's oldest LSN still held.
        first: u64,
        /// The LSN its next record gets.
        next: u64,
    },
    /// A consumer opened with another mode than the one it was registered with.
    #[error(
        "consumer {consumer:?} of topic {topic:?} is registered as {existing}, not {requested}"
    )]
    ConsumerModeMismatch {
        /// The topic.
        topic: String,
        /// The consumer.
        consumer: String,
        /// Its registered mode.
        existing: ConsumerMode,
        /// The mode asked for.
        requested: ConsumerMode,
    },
    /// The consumer is open already (in this process) and not closed yet.
    #[error("consumer {consumer:?} of topic {topic:?} is already open")]
    ConsumerInUse {
        /// The topic.
        topic: String,
        /// The consumer.
        consumer: String,
    },
    /// A bad argument (for example `next_batch` with `max_bytes == 0`, an empty batch, a
    /// zero `persist_every`).
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What is wrong.
        reason: String,
    },
    /// The directory holds a walogs log that is not a streams store.
    #[error("{}: not a walogs streams store: {reason}", path.display())]
    NotAStore {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// An entry of the store's log that does not decode as a streams entry (the log's own
    /// checksums held, so this is a format problem, not a torn write).
    #[error("store entry at log LSN {log_lsn} is not valid: {reason}")]
    Format {
        /// The LSN of the entry in the underlying log.
        log_lsn: u64,
        /// What is wrong with it.
        reason: String,
    },
}

/// How a consumer's position is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerMode {
    /// The position is durable before a record is returned: a record returned by `next` is
    /// never returned again to this consumer, even after a crash at any point. Costs one
    /// durable log entry (a shared fdatasync) per `next`/`next_batch` call.
    Strict,
    /// The position is persisted every `persist_every` delivered records and on `commit`:
    /// after a crash the consumer resumes at most `persist_every` records back and never
    /// skips one.
    AtLeastOnce {
        /// Delivered records between automatic persists (at least 1).
        persist_every: u32,
    },
}

impl std::fmt::Display for ConsumerMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConsumerMode::Strict => f.write_str("strict"),
            ConsumerMode::AtLeastOnce { persist_every } => {
                write!(f, "at_least_once(persist_every={persist_every})")
            }
        }
    }
}

/// A record read back: its topic LSN, data, header and timestamp (all verified by the
/// log's checksum).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record's LSN in its topic (dense: 1, 2, 3, ...).
    pub lsn: u64,
    /// The payload.
    pub data: Vec<u8>,
    /// The header (empty when none was given).
    pub header: Vec<u8>,
    /// Milliseconds since the Unix epoch (the append's wall clock unless given).
    pub timestamp_ms: u64,
}

/// A record to append.
#[derive(Debug, Clone, Copy, Default)]
pub struct NewRecord<'a> {
    /// The payload.
    pub data: &'a [u8],
    /// The header (up to [`MAX_HEADER`] bytes; empty for none).
    pub header: &'a [u8],
    /// Milliseconds since the Unix epoch; `None` takes the wall clock at the append.
    pub timestamp_ms: Option<u64>,
}

/// The LSNs an atomic batch got: `first..=last` of its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicRange {
    /// LSN of the first record of the batch.
    pub first: u64,
    /// LSN of the last record of the batch.
    pub last: u64,
}

/// One topic as [`Streams::topics`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    /// The name.
    pub name: String,
    /// Its oldest LSN still held (`next_lsn` when it holds none).
    pub first_lsn: u64,
    /// The LSN its next record gets.
    pub next_lsn: u64,
    /// Bytes of data and headers of the records it holds.
    pub bytes: u64,
}

/// One registered consumer as [`Streams::consumers`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerInfo {
    /// Its topic.
    pub topic: String,
    /// Its name.
    pub name: String,
    /// Its mode.
    pub mode: ConsumerMode,
    /// Its persisted position: the LSN it reads next.
    pub position: u64,
}

/// What one topic lost to a cleanup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicCleanup {
    /// The topic.
    pub topic: String,
    /// Records deleted (by time, by the size cap, or as passed by every consumer).
    pub records_deleted: u64,
    /// The topic's oldest LSN after the cleanup.
    pub first_lsn: u64,
    /// Strict consumers whose unread records the size cap deleted (each resumes at
    /// `first_lsn` and reports the records it skipped).
    pub forced_past: Vec<String>,
}

/// What [`Streams::cleanup`] deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Records deleted, all topics.
    pub records_deleted: u64,
    /// Bytes of segment files removed from the disk.
    pub bytes_reclaimed: u64,
    /// Segment files removed.
    pub segments_deleted: u64,
    /// Per topic that lost records.
    pub topics: Vec<TopicCleanup>,
}

/// How to open a store. Every setting has a default; see each method.
#[derive(Debug, Clone, Default)]
pub struct StreamsOptions {
    durability: Durability,
    segment_duration: Option<Duration>,
    retention: Option<Duration>,
    max_topic_bytes: Option<u64>,
    delete_consumed: bool,
    cleanup_interval: Option<Duration>,
    max_segment_size: Option<u64>,
    read_only: bool,
    file_mode: Option<u32>,
    file_system: Option<Arc<dyn FileSystem>>,
}

impl StreamsOptions {
    /// The defaults: every append durable, no retention, no background cleaner.
    pub fn new() -> StreamsOptions {
        StreamsOptions::default()
    }
    /// When appends are durable (as for a plain walogs log; default `EveryAppend`).
    pub fn durability(mut self, d: Durability) -> Self {
        self.durability = d;
        self
    }
    /// Cut the log's segments on clock-aligned windows of this length (by record
    /// timestamp), so time retention frees whole files.
    pub fn segment_duration(mut self, d: Option<Duration>) -> Self {
        self.segment_duration = d;
        self
    }
    /// Delete records whose window (of `segment_duration`, or the record's own timestamp
    /// without one) ended more than this long ago.
    pub fn retention(mut self, d: Option<Duration>) -> Self {
        self.retention = d;
        self
    }
    /// Cap each topic at this many bytes of data and headers: a cleanup deletes its oldest
    /// records beyond it.
    pub fn max_topic_bytes(mut self, b: Option<u64>) -> Self {
        self.max_topic_bytes = b;
        self
    }
    /// Also delete, in each topic with consumers, what every consumer has passed.
    pub fn delete_consumed(mut self, on: bool) -> Self {
        self.delete_consumed = on;
        self
    }
    /// Run `cleanup` in a background thread this often (`None`: only on demand).
    pub fn cleanup_interval(mut self, d: Option<Duration>) -> Self {
        self.cleanup_interval = d;
        self
    }
    /// Size of the log's segment files (the walogs default when `None`).
    pub fn max_segment_size(mut self, b: Option<u64>) -> Self {
        self.max_segment_size = b;
        self
    }
    /// Open without writing (another process may be writing): reads, `topics`,
    /// `consumers`, `refresh`; appends and consumers are refused.
    pub fn read_only(mut self, on: bool) -> Self {
        self.read_only = on;
        self
    }
    /// Mode of the files the store creates (default 0600).
    pub fn file_mode(mut self, mode: u32) -> Self {
        self.file_mode = Some(mode);
        self
    }
    /// Route the log's I/O through another file system (the power-loss simulator of the
    /// tests). Not part of the supported API.
    #[doc(hidden)]
    pub fn file_system(mut self, fs: Arc<dyn FileSystem>) -> Self {
        self.file_system = Some(fs);
        self
    }
    /// Open (or create) the store in `dir`: opens the log (taking its write lock unless
    /// read-only: a second writable open fails with `Wal(WalError::Locked)`), checks the
    /// store marker (a log with entries but no marker is [`StreamsError::NotAStore`]; an
    /// empty one becomes a store), and reads the whole log once to rebuild the index
    /// (cost: one sequential read of the log, 32 bytes of memory per live record).
    /// `cleanup_interval` or `segment_duration` of zero is `InvalidArgument`.
    pub fn open(&self, dir: impl AsRef<Path>) -> Result<Streams, StreamsError> {
        Ok(Streams {
            shared: recover::open(self, dir.as_ref())?,
        })
    }
}

/// A streams store (`Send + Sync`: share it between threads by reference or `Arc`).
///
/// Dropping it without `close` closes the log once the last consumer is dropped too.
///
/// # Examples
///
/// ```
/// use walogs_streams::{NewRecord, Streams};
/// # let scratch = tempfile::tempdir()?;
/// # let dir = scratch.path().join("store");
///
/// let store = Streams::open(&dir)?; // creates the store; one writer per directory
/// assert_eq!(store.append("orders", b"order 1")?, 1); // dense LSNs per topic
/// assert_eq!(store.append("audit", b"login")?, 1);
/// let records = [b"order 2", b"order 3"].map(|data| NewRecord { data, ..NewRecord::default() });
/// let batch = store.append_batch("orders", &records)?; // atomic: both or neither after a crash
/// assert_eq!((batch.first, batch.last), (2, 3));
/// store.append_record("orders", NewRecord { data: b"order 4", header: b"customer=7", timestamp_ms: Some(4_000_000_000_000) })?;
///
/// assert_eq!(store.read("orders", 2)?.data, b"order 2");
/// let page = store.read_range("orders", 1, 10, 1 << 20)?;
/// assert_eq!(page.len(), 4);
/// assert_eq!(page[3].header, b"customer=7");
/// assert_eq!(store.seek_time("orders", 4_000_000_000_000)?, 4); // the first record at or after a time
/// let names: Vec<String> = store.topics().into_iter().map(|t| t.name).collect();
/// assert_eq!(names, ["audit", "orders"]);
/// store.close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Streams {
    shared: Arc<store::Shared>,
}

impl Streams {
    /// Open (or create) the store in `dir` with the default options.
    pub fn open(dir: impl AsRef<Path>) -> Result<Streams, StreamsError> {
        StreamsOptions::new().open(dir)
    }
    /// Append one record to `topic` (created on first append); returns its topic LSN.
    pub fn append(&self, topic: &str, data: &[u8]) -> Result<u64, StreamsError> {
        self.append_record(
            topic,
            NewRecord {
                data,
                ..NewRecord::default()
            },
        )
    }
    /// Append one record with a header and/or a timestamp; returns its topic LSN.
    pub fn append_record(&self, topic: &str, record: NewRecord<'_>) -> Result<u64, StreamsError> {
        self.shared.check_fork()?;
        append::append(&self.shared, topic, record)
    }
    /// Append records to one topic atomically: after a crash all of them or none.
    pub fn append_batch(
        &self,
        topic: &str,
        records: &[NewRecord<'_>],
    ) -> Result<TopicRange, StreamsError> {
        self.shared.check_fork()?;
        append::append_batch(&self.shared, topic, records)
    }
    /// The record `lsn` of `topic`.
    pub fn read(&self, topic: &str, lsn: u64) -> Result<Record, StreamsError> {
        self.shared.check_fork()?;
        read::read(&self.shared, topic, lsn)
    }
    /// Up to `max_records` consecutive records from `from`, stopping before their data and
    /// headers would exceed `max_bytes`, but at least one when `from` holds one.
    pub fn read_range(
        &self,
        topic: &str,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Vec<Record>, StreamsError> {
        self.shared.check_fork()?;
        let mut out = Vec::new();
        read::read_range(&self.shared, topic, from, max_records, max_bytes, &mut out)?;
        Ok(out)
    }
    /// [`read_range`](Streams::read_range) into `batch` (emptied first), whose memory is
    /// reused from call to call: no allocation per record. Returns how many records it
    /// holds; on error it holds none.
    pub fn read_range_into(
        &self,
        topic: &str,
        from: u64,
        max_records: usize,
        max_bytes: usize,
        batch: &mut RecordBatch,
    ) -> Result<usize, StreamsError> {
        batch.clear();
        self.shared.check_fork()?;
        read::read_range(&self.shared, topic, from, max_records, max_bytes, batch)?;
        Ok(batch.len())
    }
    /// Every topic, by name.
    pub fn topics(&self) -> Vec<TopicInfo> {
        read::topics(&self.shared.lock())
    }
    /// One topic.
    pub fn topic(&self, name: &str) -> Result<TopicInfo, StreamsError> {
        self.shared.check_fork()?;
        let st = self.shared.lock();
        self.shared.ensure_open()?;
        Ok(read::info(st.known(name)?))
    }
    /// The first LSN of `topic` whose timestamp is `>= t_ms` (its next LSN when none is).
    pub fn seek_time(&self, topic: &str, t_ms: u64) -> Result<u64, StreamsError> {
        self.shared.check_fork()?;
        read::seek_time(&self.shared, topic, t_ms)
    }
    /// Open consumer `name` of `topic`, registering it at the topic's oldest record the
    /// first time.
    pub fn consumer(
        &self,
        topic: &str,
        name: &str,
        mode: ConsumerMode,
    ) -> Result<Consumer, StreamsError> {
        self.shared.check_fork()?;
        Ok(Consumer {
            open: consumer::open(&self.shared, topic, name, mode)?,
        })
    }
    /// Every registered consumer.
    pub fn consumers(&self) -> Vec<ConsumerInfo> {
        read::consumers(&self.shared.lock())
    }
    /// Run retention now.
    pub fn cleanup(&self) -> Result<CleanupReport, StreamsError> {
        self.shared.check_fork()?;
        retention::cleanup(&self.shared)
    }
    /// Make every appended record durable (needed only under relaxed durability).
    pub fn sync(&self) -> Result<(), StreamsError> {
        self.shared.ensure_open()?;
        self.shared.wal().sync()?;
        Ok(())
    }
    /// Read-only stores: see what a writer appended since the open or the last refresh.
    pub fn refresh(&self) -> Result<(), StreamsError> {
        self.shared.check_fork()?;
        recover::refresh(&self.shared)
    }
    /// Stop the cleaner, make everything durable, release the directory. Idempotent;
    /// afterwards every call (of consumers too) fails with `WalError::Closed`.
    pub fn close(&self) -> Result<(), StreamsError> {
        self.shared.close()
    }
    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }
    /// Whether the store was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.shared.opts.read_only
    }
    /// Whether [`Streams::close`] ran (on this handle or through another path).
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }
}

/// A consumer of one topic: it delivers records in LSN order and keeps its position in the
/// store. It holds the store alive; it is `Send`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use walogs_streams::{ConsumerMode, Streams};
/// # let scratch = tempfile::tempdir()?;
/// # let dir = scratch.path().join("store");
///
/// let store = Streams::open(&dir)?;
/// for i in 1..=5 {
///     store.append("events", format!("event {i}").as_bytes())?;
/// }
/// // At-least-once: the position is persisted every 2 records and on commit/close.
/// let mut indexer = store.consumer("events", "indexer", ConsumerMode::AtLeastOnce { persist_every: 2 })?;
/// let first = indexer.next(Some(Duration::ZERO))?.expect("a record");
/// assert_eq!((first.lsn, first.data.as_slice()), (1, b"event 1".as_slice()));
/// let rest = indexer.next_batch(1 << 20, Some(Duration::ZERO))?; // what is there, up to 1 MiB
/// assert_eq!(rest.len(), 4);
/// assert!(indexer.next(Some(Duration::ZERO))?.is_none()); // nothing new: no wait
/// indexer.close()?; // commits position 6
///
/// let indexer = store.consumer("events", "indexer", ConsumerMode::AtLeastOnce { persist_every: 2 })?;
/// assert_eq!(indexer.position(), 6); // resumes after what it read
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Consumer {
    open: consumer::Open,
}

impl Consumer {
    /// The next record, waiting up to `timeout` for one to be appended (`None`: as long as
    /// it takes; `Some(Duration::ZERO)`: not at all). `Ok(None)` on timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use walogs_streams::{ConsumerMode, Streams};
    /// # let scratch = tempfile::tempdir()?;
    /// # let dir = scratch.path().join("store");
    ///
    /// let store = Streams::open(&dir)?;
    /// store.append("orders", b"order 1")?; // a consumer needs an existing topic
    /// let mut billing = store.consumer("orders", "billing", ConsumerMode::Strict)?;
    /// assert_eq!(billing.next(None)?.map(|r| r.data), Some(b"order 1".to_vec()));
    /// assert!(billing.next(Some(Duration::from_millis(1)))?.is_none()); // timed out
    /// std::thread::scope(|s| {
    ///     s.spawn(|| store.append("orders", b"order 2").unwrap());
    ///     // Waits (without a time limit) until the append above lands.
    ///     let record = billing.next(None).unwrap().unwrap();
    ///     assert_eq!((record.lsn, record.data.as_slice()), (2, b"order 2".as_slice()));
    /// });
    /// assert_eq!(billing.committed(), 3); // strict: durable before the record was returned
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next(&mut self, timeout: Option<Duration>) -> Result<Option<Record>, StreamsError> {
        self.open.shared.check_fork()?;
        let mut out = Vec::with_capacity(1);
        self.open.deliver(1, usize::MAX, timeout, &mut out)?;
        Ok(out.pop())
    }
    /// The next records, at least one if any is available (waiting as `next` does), then
    /// as many as fit `max_bytes` of data and headers. `max_bytes == 0` is refused.
    pub fn next_batch(
        &mut self,
        max_bytes: usize,
        timeout: Option<Duration>,
    ) -> Result<Vec<Record>, StreamsError> {
        if max_bytes == 0 {
            return Err(StreamsError::InvalidArgument {
                reason: "next_batch needs max_bytes of at least 1".into(),
            });
        }
        self.open.shared.check_fork()?;
        let mut out = Vec::new();
        self.open
            .deliver(usize::MAX, max_bytes, timeout, &mut out)?;
        Ok(out)
    }
    /// [`next_batch`](Consumer::next_batch) into `batch` (emptied first), whose memory is
    /// reused from call to call: after the first calls no allocation per record or per call
    /// (`next_batch` makes one per record and per header, and a busy allocator returns that
    /// memory to the OS and faults it back in on every call). Cost otherwise as
    /// `next_batch`: one `pread` per run of the topic's records, a CRC check and one copy of
    /// each record. Returns how many records were delivered (0 on timeout); on error the
    /// batch holds none and the position has not moved (except past records retention
    /// deleted meanwhile, which are skipped and counted as `next` does).
    pub fn next_batch_into(
        &mut self,
        batch: &mut RecordBatch,
        max_bytes: usize,
        timeout: Option<Duration>,
    ) -> Result<usize, StreamsError> {
        batch.clear();
        if max_bytes == 0 {
            return Err(StreamsError::InvalidArgument {
                reason: "next_batch needs max_bytes of at least 1".into(),
            });
        }
        self.open.shared.check_fork()?;
        self.open.deliver(usize::MAX, max_bytes, timeout, batch)
    }
    /// Persist the position durably now (a no-op for a strict consumer, always persisted).
    pub fn commit(&mut self) -> Result<(), StreamsError> {
        self.open.commit()
    }
    /// The LSN the next delivered record will have.
    pub fn position(&self) -> u64 {
        self.open.position
    }
    /// The position persisted in the store.
    pub fn committed(&self) -> u64 {
        self.open.committed
    }
    /// Records this consumer skipped because retention deleted them before it read them
    /// (since this handle was opened).
    pub fn skipped(&self) -> u64 {
        self.open.skipped
    }
    /// Its topic.
    pub fn topic(&self) -> &str {
        &self.open.topic
    }
    /// Its name.
    pub fn name(&self) -> &str {
        &self.open.name
    }
    /// Its mode.
    pub fn mode(&self) -> ConsumerMode {
        self.open.mode
    }
    /// Commit (at-least-once) and release the consumer so it can be opened again.
    ///
    /// After the store was closed: `Ok` when there was nothing to commit (a strict
    /// consumer, or an at-least-once one whose position is persisted), `Wal(Closed)`
    /// otherwise (the position it had not persisted is lost; it resumes from the persisted
    /// one). The consumer is released either way.
    pub fn close(self) -> Result<(), StreamsError> {
        let mut open = self.open;
        let r = if open.position == open.committed || open.mode == ConsumerMode::Strict {
            Ok(())
        } else {
            open.commit()
        };
        open.release();
        r
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn handles_can_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<super::Streams>();
        send::<super::Consumer>();
    }
}
