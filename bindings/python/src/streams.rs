//! `walogs.Streams`: the Python handle over a [`walogs_streams::Streams`] store.
//!
//! Each method converts its arguments (`stream_args`, `convert`), calls the core with the
//! GIL released (every store call may wait for the store's lock or the disk), and
//! translates the outcome (`errors`, `stream_values`). The one thing kept here is whether
//! `close()` was called, so that the core's infallible listings (`topics`, `consumers`)
//! raise `ClosedError` afterwards like every other call.

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyRange};
use walogs_core::MAX_ENTRY_SIZE;
use walogs_streams::{NewRecord, RecordBatch, StreamsOptions};

use crate::consumer::Consumer;
use crate::convert::{DurabilityName, FileMode, bytes_arg, durability_arg, path_arg, u64_arg};
use crate::errors::{IntoPyResult, closed};
use crate::stream_args::{
    MaxBytes, MaxRecords, ModeName, batch_arg, header_arg, mode_arg, name_arg, optional_seconds,
    optional_size, timestamp_arg,
};
use crate::stream_values;

/// Topics of records on one crash-safe walogs log, with persistent consumers and retention.
///
/// A store is one directory. Each topic's records get dense LSNs 1, 2, 3, ...; a record has
/// data, an optional header and a millisecond timestamp. Appends to any topics from many
/// threads share fdatasyncs (group commit): every method releases the GIL while it waits
/// for the disk or the store's lock. Opening takes the directory's exclusive write lock (a
/// second writable open, from this process or another one, raises `LockedError`); a
/// `read_only=True` open takes no lock and may sit beside a writer (`refresh()` shows what
/// it appended since). After `close()` every method (of the store's consumers too) raises
/// `ClosedError`.
///
/// `Streams(path, *, ...)` opens (or creates) the store in `path` (`str`, `bytes` or `os.PathLike`;
/// missing directories are created). Keyword-only: `durability` and `interval` exactly as
/// `walogs.Wal` takes them (default `"every_append"`: each append is durable when it returns);
/// `segment_duration` (seconds or a `timedelta`: cut the log's segment files on clock-aligned
/// windows of record timestamps, so time retention frees whole files); `retention` (seconds or a
/// `timedelta`: `cleanup()` deletes records whose window ended longer ago); `max_topic_bytes` (cap
/// each topic's data and headers; `cleanup()` deletes its oldest records beyond it);
/// `delete_consumed` (`cleanup()` also deletes what every consumer of a topic has passed);
/// `cleanup_interval` (seconds or a `timedelta`: run `cleanup()` in a background thread this often;
/// `None`: only on demand); `max_segment_size` (bytes per segment file; `None`: the walogs
/// default); `read_only` (no lock, nothing written: reads, listings and `refresh()` only);
/// `file_mode` (permission bits of the files the store creates; `None`: `0o600`).
///
/// Raises `LockedError` (another handle holds the directory for writing),
/// `NotAStoreError` (a plain walogs log is there), `StoreFormatError` or `CorruptError`
/// (damage or an entry that does not decode), `InvalidArgumentError` (a `ValueError`:
/// a negative duration or size, an unknown durability, a value the core refuses),
/// `UnsafeFileError`, `WalogsOSError`; `TypeError` for arguments of the wrong type.
/// Cost: reads the whole log once to index every topic (the GIL is released).
#[pyclass(frozen, module = "walogs", name = "Streams")]
pub struct Streams {
    inner: walogs_streams::Streams,
}

impl Drop for Streams {
    /// A store garbage-collected without `close()` closes here (its consumers keep it
    /// alive, so none is left behind). Closing fdatasyncs, so the GIL is released around it;
    /// its errors cannot be raised from a destructor and are dropped (call `close()` to see
    /// them).
    fn drop(&mut self) {
        if self.inner.is_closed() {
            return;
        }
        let inner = &self.inner;
        // `None`: the interpreter cannot be attached to; close without it.
        if Python::try_attach(|py| py.detach(|| inner.close())).is_none() {
            let _ = inner.close();
        }
    }
}

impl Streams {
    /// The core store, or `ClosedError` once `close()` was called (for the core's calls that
    /// cannot fail themselves).
    fn open_store(&self, py: Python<'_>) -> PyResult<&walogs_streams::Streams> {
        if self.inner.is_closed() {
            return Err(closed(py));
        }
        Ok(&self.inner)
    }
}

/// The LSNs `first..=last` as a Python `range`.
fn lsn_range(py: Python<'_>, first: u64, last: u64) -> PyResult<Bound<'_, PyRange>> {
    match (
        isize::try_from(first),
        isize::try_from(last.saturating_add(1)),
    ) {
        (Ok(a), Ok(b)) => PyRange::new(py, a, b),
        _ => Err(PyOverflowError::new_err(
            "LSN range does not fit a Python range",
        )),
    }
}

#[pymethods]
impl Streams {
    /// Open (or create) the streams store in `path`: documented on the class, whose
    /// docstring is what Python shows for the constructor.
    #[new]
    #[pyo3(signature = (
        path,
        *,
        durability = DurabilityName("every_append".to_string()),
        interval = None,
        segment_duration = None,
        retention = None,
        max_topic_bytes = None,
        delete_consumed = false,
        cleanup_interval = None,
        max_segment_size = None,
        read_only = false,
        file_mode = None,
    ))]
    #[pyo3(
        text_signature = "(path, *, durability='every_append', interval=None, \
                          segment_duration=None, retention=None, max_topic_bytes=None, \
                          delete_consumed=False, cleanup_interval=None, max_segment_size=None, \
                          read_only=False, file_mode=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        durability: DurabilityName,
        interval: Option<&Bound<'_, PyAny>>,
        segment_duration: Option<&Bound<'_, PyAny>>,
        retention: Option<&Bound<'_, PyAny>>,
        max_topic_bytes: Option<&Bound<'_, PyAny>>,
        delete_consumed: bool,
        cleanup_interval: Option<&Bound<'_, PyAny>>,
        max_segment_size: Option<&Bound<'_, PyAny>>,
        read_only: bool,
        file_mode: Option<FileMode>,
    ) -> PyResult<Self> {
        let path = path_arg(path)?;
        let mut options = StreamsOptions::new()
            .durability(durability_arg(py, &durability, interval)?)
            .segment_duration(optional_seconds(segment_duration, "segment_duration")?)
            .retention(optional_seconds(retention, "retention")?)
            .max_topic_bytes(optional_size(max_topic_bytes, "max_topic_bytes", 0)?)
            .delete_consumed(delete_consumed)
            .cleanup_interval(optional_seconds(cleanup_interval, "cleanup_interval")?)
            .max_segment_size(optional_size(max_segment_size, "max_segment_size", 1)?)
            .read_only(read_only);
        if let Some(mode) = file_mode {
            options = options.file_mode(mode.0);
        }
        let inner = py.detach(|| options.open(&path)).py_err(py)?;
        Ok(Streams { inner })
    }

    /// Append one record to `topic` (created by its first append); returns its LSN (`int`).
    ///
    /// Parameters: `topic` (`str`, 1 to 255 bytes of UTF-8, no NUL); `data` (bytes-like);
    /// `header` (bytes-like, up to `MAX_HEADER` bytes, or `None`); `timestamp_ms` (`int`
    /// milliseconds since the Unix epoch, or `None` for the wall clock at the append). The
    /// record is durable when this returns under the default durability. Raises
    /// `InvalidArgumentError` (a bad topic name), `EntryTooLargeError` (header over
    /// `MAX_HEADER`, or data over `MAX_ENTRY_SIZE`; nothing written), `ReadOnlyError`,
    /// `PoisonedError`, `WalogsOSError`, `ClosedError`; `TypeError` for wrong types. Cost:
    /// one log entry (two for a new topic), its fdatasync shared with concurrent appends to
    /// any topic.
    #[pyo3(signature = (topic, data, header = None, timestamp_ms = None))]
    fn append(
        &self,
        py: Python<'_>,
        topic: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
        header: Option<&Bound<'_, PyAny>>,
        timestamp_ms: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let topic = name_arg(topic, "topic")?;
        let data = bytes_arg(data, "data", MAX_ENTRY_SIZE)?;
        let header = header_arg(header, "header")?;
        let record = NewRecord {
            data: data.as_bytes(),
            header: header.as_ref().map_or(&[], |h| h.as_bytes()),
            timestamp_ms: timestamp_arg(timestamp_ms, "timestamp_ms")?,
        };
        let store = &self.inner;
        py.detach(|| store.append_record(&topic, record)).py_err(py)
    }

    /// Append records to `topic` atomically; returns their LSNs as a `range`.
    ///
    /// `items`: an iterable of bytes-like objects (the data), or of `(data, header)` or
    /// `(data, header, timestamp_ms)` tuples (`header`/`timestamp_ms` may be `None`);
    /// `timestamp_ms` (keyword) is given to the items that give none. After a crash all of
    /// them are in the topic or none is. Raises `InvalidArgumentError` (no items, a bad
    /// topic name), `EntryTooLargeError` (a header over `MAX_HEADER`, or the batch over the
    /// log's `MAX_BATCH_SIZE`; nothing written), and what `append` raises. Cost: one write
    /// and one fdatasync for the whole batch; the store's lock is held across them, so
    /// other appends wait for the batch.
    #[pyo3(signature = (topic, items, *, timestamp_ms = None))]
    fn append_batch<'py>(
        &self,
        py: Python<'py>,
        topic: &Bound<'py, PyAny>,
        items: &Bound<'py, PyAny>,
        timestamp_ms: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyRange>> {
        let topic = name_arg(topic, "topic")?;
        let held = batch_arg(items, timestamp_arg(timestamp_ms, "timestamp_ms")?)?;
        let records: Vec<NewRecord<'_>> = held.iter().map(|h| h.as_new_record()).collect();
        let store = &self.inner;
        let range = py
            .detach(|| store.append_batch(&topic, &records))
            .py_err(py)?;
        lsn_range(py, range.first, range.last)
    }

    /// Read record `lsn` of `topic`; returns a `Record`.
    ///
    /// Raises `UnknownTopicError` (never appended to), `LsnOutOfRangeError` (deleted by
    /// retention, or not appended, or not visible yet; `topic`, `lsn`, `first`, `next` are
    /// set), `CorruptError`/`StoreFormatError` for damage met while reading, `ClosedError`.
    /// Cost: an index lookup and one read of the log; one copy of data and header into
    /// `bytes`.
    fn read<'py>(
        &self,
        py: Python<'py>,
        topic: &Bound<'py, PyAny>,
        lsn: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let topic = name_arg(topic, "topic")?;
        let lsn = u64_arg(lsn, "lsn")?;
        let store = &self.inner;
        let record = py.detach(|| store.read(&topic, lsn)).py_err(py)?;
        stream_values::record(py, record.as_record_ref())
    }

    /// Read consecutive records of `topic`; returns a `list` of `Record`.
    ///
    /// Up to `max_records` records from `from_lsn`, stopping before their data and headers
    /// would exceed `max_bytes`, but at least one when `from_lsn` holds one. `from_lsn ==
    /// next_lsn` gives `[]`. Raises `UnknownTopicError`, `LsnOutOfRangeError` (outside the
    /// topic's live range), `InvalidArgumentError` (a zero limit, if the core refuses it),
    /// `ClosedError`. Cost: index lookups, then one log read per record (records of other
    /// topics are not read).
    #[pyo3(signature = (topic, from_lsn, max_records = MaxRecords(1000), max_bytes = MaxBytes(1 << 20)))]
    fn read_range<'py>(
        &self,
        py: Python<'py>,
        topic: &Bound<'py, PyAny>,
        from_lsn: &Bound<'py, PyAny>,
        max_records: MaxRecords,
        max_bytes: MaxBytes,
    ) -> PyResult<Bound<'py, PyList>> {
        let topic = name_arg(topic, "topic")?;
        let from = u64_arg(from_lsn, "from_lsn")?;
        let (max_records, max_bytes) = (max_records.0, max_bytes.0);
        let store = &self.inner;
        let mut batch = RecordBatch::new();
        py.detach(|| store.read_range_into(&topic, from, max_records, max_bytes, &mut batch))
            .py_err(py)?;
        stream_values::records(py, &batch)
    }

    /// The names of every topic, sorted; returns a `list` of `str`.
    ///
    /// Raises `ClosedError`. Cost: a copy of the names under the store's lock.
    fn topics(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let store = self.open_store(py)?;
        let topics = py.detach(|| store.topics());
        Ok(topics.into_iter().map(|t| t.name).collect())
    }

    /// The state of `topic`; returns a `TopicInfo` (name, first_lsn, next_lsn, bytes).
    ///
    /// Raises `UnknownTopicError`, `ClosedError`. Cost: a lookup under the store's lock.
    fn topic_info<'py>(
        &self,
        py: Python<'py>,
        topic: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let topic = name_arg(topic, "topic")?;
        let store = self.open_store(py)?;
        let info = py.detach(|| store.topic(&topic)).py_err(py)?;
        stream_values::topic_info(py, &info)
    }

    /// The first LSN of `topic` whose timestamp is `>= t_ms`; returns it (the topic's next
    /// LSN when none is).
    ///
    /// `t_ms`: `int` milliseconds since the Unix epoch. Raises `UnknownTopicError`,
    /// `ClosedError`. Cost: a search of the topic's in-memory index (no disk reads).
    fn seek_time(
        &self,
        py: Python<'_>,
        topic: &Bound<'_, PyAny>,
        t_ms: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let topic = name_arg(topic, "topic")?;
        let t_ms = u64_arg(t_ms, "t_ms")?;
        let store = &self.inner;
        py.detach(|| store.seek_time(&topic, t_ms)).py_err(py)
    }

    /// Open consumer `name` of `topic`; returns a `Consumer`.
    ///
    /// The first open registers it (durably) at the topic's oldest record. `mode`:
    /// `"strict"` (its position is durable before a record is returned: never redelivered,
    /// even after a crash) or `"at_least_once"` (the position is persisted every
    /// `persist_every` records, default 100, and on `commit()`/`close()`: after a crash it
    /// resumes at most that many records back, never skipping one). Raises
    /// `UnknownTopicError` (no such topic yet), `ConsumerModeMismatchError` (registered with
    /// the other mode), `ConsumerInUseError` (open and not closed yet in this process),
    /// `InvalidArgumentError` (a bad name, an unknown mode, `persist_every` < 1 or with
    /// `"strict"`), `ReadOnlyError`, `ClosedError`. Cost: one durable log entry the first
    /// time, else a lookup.
    #[pyo3(signature = (topic, name, mode = ModeName("strict".to_string()), persist_every = None))]
    fn consumer(
        slf: &Bound<'_, Self>,
        topic: &Bound<'_, PyAny>,
        name: &Bound<'_, PyAny>,
        mode: ModeName,
        persist_every: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Consumer> {
        let py = slf.py();
        let topic = name_arg(topic, "topic")?;
        let name = name_arg(name, "name")?;
        let mode = mode_arg(py, &mode, persist_every)?;
        let store = &slf.get().inner;
        let consumer = py
            .detach(|| store.consumer(&topic, &name, mode))
            .py_err(py)?;
        Ok(Consumer::new(
            consumer,
            topic,
            name,
            mode,
            slf.clone().unbind(),
        ))
    }

    /// Every registered consumer; returns a `list` of `ConsumerInfo` (topic, name, mode,
    /// position).
    ///
    /// Raises `ClosedError`. Cost: a copy under the store's lock.
    fn consumers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let store = self.open_store(py)?;
        let consumers = py.detach(|| store.consumers());
        let items = consumers
            .iter()
            .map(|c| stream_values::consumer_info(py, c))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// Run retention now; returns a `CleanupReport`.
    ///
    /// Deletes by `retention`, `max_topic_bytes` and `delete_consumed` (as opened), then
    /// reclaims the log files every deleted record was in. Raises `ReadOnlyError`,
    /// `PoisonedError`, `WalogsOSError`, `ClosedError`. Cost: a pass over each topic's
    /// index, durable floor entries, and a purge of the log's dead prefix (segment
    /// unlinks).
    fn cleanup<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let store = &self.inner;
        let report = py.detach(|| store.cleanup()).py_err(py)?;
        stream_values::cleanup_report(py, &report)
    }

    /// Make every appended record durable (needed only under a relaxed `durability`).
    ///
    /// Returns `None`. Raises `ReadOnlyError`, `PoisonedError`, `WalogsOSError`,
    /// `ClosedError`. Cost: one fdatasync if anything is pending.
    fn sync(&self, py: Python<'_>) -> PyResult<()> {
        let store = &self.inner;
        py.detach(|| store.sync()).py_err(py)
    }

    /// A `read_only=True` store: index what a writer appended since the open or the last
    /// refresh.
    ///
    /// Raises `CorruptError`/`StoreFormatError`, `WalogsOSError`, `ClosedError`. Cost:
    /// reopens the log read-only and reads only what is new.
    fn refresh(&self, py: Python<'_>) -> PyResult<()> {
        let store = &self.inner;
        py.detach(|| store.refresh()).py_err(py)
    }

    /// Close: stop the background cleaner, wake waiting consumers (they raise
    /// `ClosedError`), make everything durable, release the directory. Idempotent.
    ///
    /// Raises `WalogsOSError` if the final fdatasync fails (the store is closed anyway).
    /// Cost: one fdatasync.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let store = &self.inner;
        py.detach(|| store.close()).py_err(py)
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The store's directory (`str`).
    #[getter]
    fn dir<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.dir().as_os_str().into_bound_py_any(py)
    }

    /// Whether the store was opened with `read_only=True`.
    #[getter]
    fn read_only(&self) -> bool {
        self.inner.is_read_only()
    }

    /// `with Streams(path) as s:` returns the store; leaving the block closes it. Entering
    /// a closed store raises `ClosedError`.
    fn __enter__(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<Self>> {
        slf.get().open_store(py)?;
        Ok(slf)
    }

    /// Close the store (whether or not an exception is propagating; never swallows it).
    #[pyo3(signature = (exc_type = None, exc = None, tb = None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        exc: Option<&Bound<'_, PyAny>>,
        tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let _ = (exc_type, exc, tb);
        self.close(py)?;
        Ok(false)
    }

    /// `<walogs.Streams DIR>`, with `read-only` or `closed` when so.
    fn __repr__(&self) -> String {
        let dir = self.inner.dir().display().to_string();
        let state = if self.inner.is_closed() {
            " closed"
        } else if self.inner.is_read_only() {
            " read-only"
        } else {
            ""
        };
        format!("<walogs.Streams {dir:?}{state}>")
    }
}
