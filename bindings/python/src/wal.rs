//! `walogs.Wal`: the Python handle over a thread-safe [`SharedWal`].
//!
//! Each method converts its arguments (`convert`), calls the core with the GIL released
//! when the call can block, and translates the outcome (`errors`, `report`). Whether a call
//! is allowed (closed, forked child, read-only, ...) is the core's rule: the infallible core
//! getters are preceded by `ensure_usable`, so they raise like every other call.

use std::path::PathBuf;

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyRange};
use walogs_core::{
    DEFAULT_FILE_MODE, DEFAULT_MAX_SEGMENT_SIZE, Lsn, MAX_ENTRY_SIZE, MAX_USER_DATA, SharedWal,
    WalError, WalOptions,
};

use crate::convert::{
    DurabilityName, FileMode, LsnArg, SegmentSize, bytes_arg, count_arg, durability_arg,
    is_single_buffer, path_arg, seconds_arg, type_name, u64_arg,
};
use crate::durable;
use crate::errors::{IntoPyResult, to_pyerr};
use crate::iter::WalIterator;
use crate::report;

/// A crash-safe write-ahead log in one directory.
///
/// Opening takes the directory's exclusive write lock (a second open, from this process or
/// another one, raises `LockedError` at once), verifies every frame and truncates a torn
/// final write. Every method may be called from any thread: each one releases the GIL
/// while it waits for the disk or for the log's internal locks, and concurrent appends
/// share one write and one fdatasync (group commit). After `close()` every method raises
/// `ClosedError`. A `Wal` inherited by a child of `os.fork()` belongs to the parent: every
/// call in the child raises `ForkedError`, and closing or finalizing it there writes
/// nothing.
///
/// `Wal(path, *, max_segment_size=64 MiB, durability="every_append", interval=None,
/// read_only=False, salvage=False, preallocate=True, file_mode=0o600)` opens (or creates)
/// the WAL in `path` (a `str`, `bytes` or `os.PathLike`; missing directories are created).
/// Keyword-only options: `max_segment_size` (bytes; `None`: never rotate automatically);
/// `durability` (a `walogs.Durability` or its string: `"every_append"`, `"interval"`,
/// `"manual"`, `"none"`) with `interval` (seconds or a `timedelta`, only with
/// `"interval"`); `read_only` (no lock, nothing changed); `salvage` (cut mid-log damage in
/// the last segment instead of refusing); `preallocate` (reserve segment space ahead; applies to
/// `"every_append"` only: the relaxed policies extend the file);
/// `file_mode` (permission bits of the files walogs creates, applied exactly whatever the
/// umask; directories it creates get search permission wherever read is granted: `0o640`
/// gives directories `0o750`; default `0o600`, directories `0o700`; existing files keep
/// theirs).
///
/// Raises `LockedError` (another handle holds the directory), `CorruptError` (damage
/// walogs will not repair silently), `InvalidArgumentError` (a zero `interval`, a
/// `file_mode` without owner read and write or with bits beyond `0o777`),
/// `UnsafeFileError`, `WalogsOSError`; `TypeError`/`ValueError` for arguments of the wrong
/// type or sign. Cost: reads and verifies every segment (the GIL is released).
#[pyclass(frozen, module = "walogs", name = "Wal")]
pub struct Wal {
    inner: SharedWal,
    /// The path as given to the constructor (after `os.fspath`).
    path: PathBuf,
}

impl Drop for Wal {
    /// A handle garbage-collected without `close()` closes here (iterators keep their WAL
    /// alive, so none is left behind). Closing writes and fdatasyncs, so the GIL is released
    /// around it like around every other blocking call; errors cannot be raised from a
    /// destructor and are dropped (call `close()` to see them). A closed handle, or one
    /// inherited across `fork()`, has nothing to close: nothing is done and nothing reported.
    fn drop(&mut self) {
        if self.inner.ensure_usable().is_err() {
            return;
        }
        let wal = &self.inner;
        // `None`: the interpreter cannot be attached to; close without it.
        if Python::try_attach(|py| py.detach(|| wal.close())).is_none() {
            let _ = wal.close();
        }
    }
}

impl Wal {
    /// The core handle, once the core says it takes calls (else `ClosedError` or
    /// `ForkedError`): for the core's infallible getters.
    fn usable(&self, py: Python<'_>) -> PyResult<&SharedWal> {
        self.inner.ensure_usable().py_err(py)?;
        Ok(&self.inner)
    }
}

/// The LSNs `first..=last` as a Python `range`.
fn lsn_range(py: Python<'_>, first: Lsn, last: Lsn) -> PyResult<Bound<'_, PyRange>> {
    match (isize::try_from(first.0), isize::try_from(last.0 + 1)) {
        (Ok(a), Ok(b)) => PyRange::new(py, a, b),
        _ => Err(PyOverflowError::new_err(
            "LSN range does not fit a Python range",
        )),
    }
}

#[pymethods]
impl Wal {
    /// Open (or create) the WAL in `path`: documented on the class, whose docstring is what
    /// Python shows for the constructor.
    #[new]
    #[pyo3(signature = (
        path,
        *,
        max_segment_size = SegmentSize(Some(DEFAULT_MAX_SEGMENT_SIZE)),
        durability = DurabilityName("every_append".to_string()),
        interval = None,
        read_only = false,
        salvage = false,
        preallocate = true,
        file_mode = FileMode(DEFAULT_FILE_MODE),
    ))]
    #[pyo3(
        text_signature = "(path, *, max_segment_size=67108864, durability='every_append', \
                             interval=None, read_only=False, salvage=False, preallocate=True, \
                             file_mode=0o600)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        max_segment_size: SegmentSize,
        durability: DurabilityName,
        interval: Option<&Bound<'_, PyAny>>,
        read_only: bool,
        salvage: bool,
        preallocate: bool,
        file_mode: FileMode,
    ) -> PyResult<Self> {
        let path = path_arg(path)?;
        let options = WalOptions::new()
            .max_segment_size(max_segment_size.0)
            .durability(durability_arg(py, &durability, interval)?)
            .read_only(read_only)
            .salvage(salvage)
            .preallocate(preallocate)
            .file_mode(file_mode.0);
        let inner = py.detach(|| options.open_shared(&path)).py_err(py)?;
        Ok(Wal { inner, path })
    }

    /// Append one entry; returns its LSN once it is durable (under the default policy).
    ///
    /// `data` is any bytes-like object (`bytes` is used as is; other buffers are copied
    /// once). Raises `EntryTooLargeError` over `MAX_ENTRY_SIZE` (nothing written),
    /// `PoisonedError`, `ReadOnlyError`, `WalogsOSError` (which poisons). Cost: one write
    /// and one fdatasync, shared with concurrent appends from other threads.
    fn append(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<u64> {
        let data = bytes_arg(data, "data", MAX_ENTRY_SIZE)?;
        let bytes: &[u8] = data.as_bytes();
        let wal = &self.inner;
        Ok(py.detach(|| wal.append(bytes)).py_err(py)?.0)
    }

    /// Append several entries; returns their LSNs as a `range`.
    ///
    /// `atomic=True`: one write and one fdatasync, and after a crash all of them
    /// are in the log or none is (at most `MAX_BATCH_SIZE` bytes in total). `atomic=False`: any
    /// number and size, in as few writes as possible; after a crash a prefix of them may survive.
    /// Each entry is its own frame on disk either way (so `truncate_after` may cut inside a batch
    /// later). `entries`: an iterable of bytes-like objects (not a single one: that raises
    /// `TypeError`). Raises `InvalidArgumentError` for no entries, `EntryTooLargeError` (nothing
    /// written), and what `append` raises. Cost: one copy of each entry that is not `bytes`;
    /// atomic: one write and one fdatasync; otherwise as few frames of up to `MAX_BATCH_SIZE` bytes
    /// as possible, each one write and one fdatasync.
    #[pyo3(signature = (entries, *, atomic = true))]
    fn append_batch<'py>(
        &self,
        py: Python<'py>,
        entries: &Bound<'py, PyAny>,
        atomic: bool,
    ) -> PyResult<Bound<'py, PyRange>> {
        if is_single_buffer(entries) {
            return Err(PyTypeError::new_err(format!(
                "entries must be an iterable of bytes-like objects, not a single {} \
                 (wrap it in a list, or use append())",
                type_name(entries)
            )));
        }
        let iter = entries.try_iter().map_err(|_| {
            PyTypeError::new_err(format!(
                "entries must be an iterable of bytes-like objects, not {}",
                type_name(entries)
            ))
        })?;
        let mut held: Vec<Bound<'py, PyBytes>> = Vec::new();
        for (i, item) in iter.enumerate() {
            held.push(bytes_arg(&item?, &format!("entries[{i}]"), MAX_ENTRY_SIZE)?);
        }
        let slices: Vec<&[u8]> = held.iter().map(|b| b.as_bytes()).collect();
        let wal = &self.inner;
        let range = py
            .detach(|| {
                if atomic {
                    wal.append_batch(&slices)
                } else {
                    wal.append_many(&slices)
                }
            })
            .py_err(py)?;
        lsn_range(py, range.first, range.last)
    }

    /// Make every appended entry durable; returns the durable LSN.
    ///
    /// Needed only under the `interval`, `manual` and `none` policies. Raises
    /// `ReadOnlyError` on a read-only handle, `PoisonedError`, `WalogsOSError` (which
    /// poisons). Cost: one fdatasync if anything is pending.
    fn sync(&self, py: Python<'_>) -> PyResult<u64> {
        let wal = &self.inner;
        Ok(py.detach(|| wal.sync()).py_err(py)?.0)
    }

    /// Returns the highest LSN known to be durable (0: none).
    ///
    /// Raises `ClosedError` after `close()`, `ForkedError` in a forked child. Cost: one atomic load
    /// (lock-free; the GIL is kept).
    fn durable_lsn(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.usable(py)?.durable_lsn().0)
    }

    /// `iter(wal)`: a `WalIterator` from the oldest entry, over the entries that exist now.
    ///
    /// Raises `ClosedError` after `close()`, `ForkedError` in a forked child. Cost: a snapshot of
    /// the segment list.
    fn __iter__(slf: &Bound<'_, Self>) -> PyResult<WalIterator> {
        let py = slf.py();
        let wal = &slf.get().inner;
        let cursor = py.detach(|| wal.cursor()).py_err(py)?;
        Ok(WalIterator::new(cursor, slf.clone().into_any().unbind()))
    }

    /// Iterate `(lsn, data)` from `lsn` (inclusive).
    ///
    /// Returns a `WalIterator` over the entries that exist now. `lsn` may equal `next_lsn()` (an
    /// empty iterator). Raises `LsnOutOfRangeError` outside `first_lsn()..=next_lsn()`,
    /// `ClosedError` after `close()`, `ForkedError` in a forked child. Cost: an index lookup; no
    /// scan from the start; each step then reads one entry (see `WalIterator`).
    fn iter_from(slf: &Bound<'_, Self>, lsn: LsnArg) -> PyResult<WalIterator> {
        let py = slf.py();
        let wal = &slf.get().inner;
        let cursor = py.detach(|| wal.cursor_from(Lsn(lsn.0))).py_err(py)?;
        Ok(WalIterator::new(cursor, slf.clone().into_any().unbind()))
    }

    /// Read one entry; returns its `bytes`.
    ///
    /// `lsn`: the entry's LSN. Raises `LsnOutOfRangeError` for an LSN the WAL does not hold,
    /// `CorruptError` for damage found while reading. Cost: one open and reads of at most ~64 KiB
    /// plus the entry; never waits for an append.
    fn read<'py>(&self, py: Python<'py>, lsn: LsnArg) -> PyResult<Bound<'py, PyBytes>> {
        let wal = &self.inner;
        let data = py.detach(|| wal.read(Lsn(lsn.0))).py_err(py)?;
        Ok(PyBytes::new(py, &data))
    }

    /// Read consecutive entries; returns a list of `(lsn, data)`.
    ///
    /// Up to `max_entries` entries from `from_lsn`, stopping before their total size would
    /// exceed `max_bytes`, but at least one when `from_lsn` holds one (even if it alone is
    /// larger). `from_lsn == next_lsn()` gives `[]`. Raises `LsnOutOfRangeError` outside
    /// `first_lsn()..=next_lsn()`, `InvalidArgumentError` for `max_entries=0`,
    /// `CorruptError` for damage found while reading. Cost: an index lookup, then sequential
    /// reads; each entry is copied twice (into the core's buffer, then into its `bytes`).
    fn read_range<'py>(
        &self,
        py: Python<'py>,
        from_lsn: &Bound<'py, PyAny>,
        max_entries: &Bound<'py, PyAny>,
        max_bytes: &Bound<'py, PyAny>,
    ) -> PyResult<Vec<(u64, Bound<'py, PyBytes>)>> {
        let from = Lsn(u64_arg(from_lsn, "from_lsn")?);
        let max_entries = count_arg(max_entries, "max_entries")?;
        let max_bytes = count_arg(max_bytes, "max_bytes")?;
        let wal = &self.inner;
        let entries = py
            .detach(|| wal.read_range(from, max_entries, max_bytes))
            .py_err(py)?;
        Ok(entries
            .into_iter()
            .map(|(lsn, data)| (lsn.0, PyBytes::new(py, &data)))
            .collect())
    }

    /// Seal the active segment and start the next one (no-op when it is empty).
    ///
    /// Everything appended before it is durable when it returns. Raises `ReadOnlyError`,
    /// `PoisonedError`, `WalogsOSError` (which poisons), `ClosedError` after `close()`,
    /// `ForkedError` in a forked child. Cost: one fdatasync, the metadata file update
    /// (write, fdatasync, rename), a file creation and two directory fsyncs.
    fn rotate(&self, py: Python<'_>) -> PyResult<()> {
        let wal = &self.inner;
        py.detach(|| wal.rotate()).py_err(py)
    }

    /// Delete completed segments whose entries are all `<= lsn`; returns how many.
    ///
    /// `lsn`: the LSN up to which the application no longer needs the log (say, what its
    /// latest snapshot covers). Oldest first; never the active segment (`rotate()` first to
    /// include it); `lsn=0` deletes nothing. Raises `ReadOnlyError`, `PoisonedError`, `WalogsOSError`,
    /// `ClosedError` after `close()`, `ForkedError` in a forked child. Cost: one unlink and
    /// one directory fsync per deleted segment.
    fn checkpoint(&self, py: Python<'_>, lsn: LsnArg) -> PyResult<usize> {
        let wal = &self.inner;
        py.detach(|| wal.checkpoint(Lsn(lsn.0))).py_err(py)
    }

    /// Remove every entry after `lsn`, durably; returns how many were removed.
    ///
    /// Works at any LSN of the log, inside an atomic batch too; the next append gets
    /// `lsn + 1`. At or past the last entry: 0. Raises `LsnOutOfRangeError` below the oldest
    /// entry, `ReadOnlyError`, `PoisonedError`, `WalogsOSError`; waits and callbacks for
    /// removed LSNs end with `LsnOutOfRangeError`. Cost: a truncate and an fdatasync (under
    /// a relaxed policy the kept entries are synced first); a cut inside a multi-entry
    /// write first records it in the metadata file (write, fdatasync, rename, directory
    /// fsync); an unlink and a directory fsync per removed segment.
    fn truncate_after(&self, py: Python<'_>, lsn: LsnArg) -> PyResult<u64> {
        let wal = &self.inner;
        py.detach(|| wal.truncate_after(Lsn(lsn.0))).py_err(py)
    }

    /// Purge every entry up to and including `lsn`; returns how many segment files were
    /// deleted.
    ///
    /// At once and for good (also after a reopen or a crash), the oldest entry is `lsn + 1`
    /// and reading below it raises `LsnOutOfRangeError`. `lsn` may be at or past the end of
    /// the log: the log is then empty and the next append gets `lsn + 1` (a Raft log
    /// restarting after a snapshot). Below `purged_up_to()` it does nothing; LSNs are never
    /// reused. Raises `ReadOnlyError`, `PoisonedError`, `WalogsOSError`. Cost: the metadata
    /// file (write, fdatasync, rename, directory fsync), a rotation when the active segment
    /// holds only purged entries, an unlink and a directory fsync per deleted segment.
    fn purge_up_to(&self, py: Python<'_>, lsn: LsnArg) -> PyResult<usize> {
        let wal = &self.inner;
        py.detach(|| wal.purge_up_to(Lsn(lsn.0))).py_err(py)
    }

    /// Returns the purge floor: every LSN at or below it is gone (0: nothing purged).
    ///
    /// Raises `ClosedError` after `close()`, `ForkedError` in a forked child. Cost: one atomic load
    /// (lock-free; the GIL is kept).
    fn purged_up_to(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.usable(py)?.purged_up_to().0)
    }

    /// Replace the durable user data with `data` (any bytes-like object).
    ///
    /// A blob of up to `MAX_USER_DATA` bytes (64 KiB) kept beside the log, replaced
    /// atomically (after a crash it is the old or the new value) and durable when this
    /// returns. Every entry appended before the call is made durable first. Raises
    /// `EntryTooLargeError` over the limit (nothing changed), `ReadOnlyError`,
    /// `PoisonedError`, `WalogsOSError` (which poisons). Cost: an fdatasync of the log if
    /// anything is pending, then one write and one fdatasync of `walogs.user`.
    fn set_user_data(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let data = bytes_arg(data, "data", MAX_USER_DATA)?;
        let bytes: &[u8] = data.as_bytes();
        let wal = &self.inner;
        py.detach(|| wal.set_user_data(bytes)).py_err(py)
    }

    /// The durable user data as `bytes` (`b""` before the first `set_user_data`).
    ///
    /// Returns a copy of what the last `set_user_data` stored. Survives reopen; a read-only handle
    /// sees the value at open. Raises `ClosedError` after `close()`, `ForkedError` in a forked
    /// child. Cost: one copy.
    fn user_data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let wal = &self.inner;
        let data = py.detach(|| wal.user_data()).py_err(py)?;
        Ok(PyBytes::new(py, &data))
    }

    /// Block until entry `lsn` is durable; returns `None`.
    ///
    /// `timeout`: seconds (or a `timedelta`) to wait at most; `None` waits without limit
    /// (and cannot be interrupted by a signal: pass a timeout to stay responsive). The GIL
    /// is released while waiting. `lsn=0` returns at once. Raises `WalogsTimeoutError` (a
    /// `TimeoutError`) when the time is up (the entry may still become durable later),
    /// `LsnOutOfRangeError` for an LSN never handed out or truncated meanwhile,
    /// `PoisonedError` (the error that poisoned the log), `ClosedError` if the WAL closes
    /// first. Under the relaxed policies an entry becomes durable by `sync()`, a rotation,
    /// the `interval` flusher or `close()`. Cost: nothing when already durable, else a wait
    /// on a condition variable.
    #[pyo3(signature = (lsn, timeout = None))]
    fn wait_durable(
        &self,
        py: Python<'_>,
        lsn: LsnArg,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let timeout = match timeout.filter(|t| !t.is_none()) {
            Some(t) => Some(seconds_arg(t, "timeout")?),
            None => None,
        };
        let wal = &self.inner;
        py.detach(|| wal.wait_durable(Lsn(lsn.0), timeout))
            .py_err(py)
    }

    /// Call `callback` once entry `lsn` is durable; returns `None` at once.
    ///
    /// `callback(None)` when the entry is durable; `callback(exc)` with the `walogs` exception that
    /// ends the wait (`PoisonedError`, `ClosedError`, or `LsnOutOfRangeError` when the entry was
    /// truncated away). It runs once, with the GIL taken, on the WAL's notifier thread (only if the
    /// OS refuses that thread, on the thread registering it or closing the WAL), never with a
    /// walogs lock held: it may call the WAL. `close()` runs the callbacks still pending before it
    /// returns. An exception raised by `callback` goes to `sys.unraisablehook` and changes nothing
    /// else. The WAL holds `callback` until it has run (so a callback referring to the WAL, or to a
    /// module holding it, keeps the WAL open until then). A callback that becomes due while the
    /// interpreter exits is not called. Raises `LsnOutOfRangeError` at once (and never calls
    /// `callback`) for an LSN never handed out, `TypeError` if `callback` is not callable. Cost: a
    /// registration; the first one starts the notifier thread.
    fn on_durable(&self, py: Python<'_>, lsn: LsnArg, callback: &Bound<'_, PyAny>) -> PyResult<()> {
        if !callback.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "callback must be callable, not {}",
                type_name(callback)
            )));
        }
        let callback = durable::callback(callback.clone().unbind());
        let wal = &self.inner;
        py.detach(|| wal.on_durable(Lsn(lsn.0), callback))
            .py_err(py)
    }

    /// What the open found at the end of the last segment; returns a `walogs.TailState`.
    ///
    /// Its `truncated_at` is `None` when the segment ended after its last valid frame, else
    /// the offset where the torn final write the open cut (a read-only open: would cut)
    /// started. Raises `ClosedError` after `close()`, `ForkedError` in a forked child. Cost:
    /// none (kept since the open).
    fn tail_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let wal = self.usable(py)?;
        let tail = py.detach(|| wal.tail_state());
        report::tail_state(py, tail)
    }

    /// What the open found and did; returns a `walogs.RecoveryReport`.
    ///
    /// The tail state, bytes truncated, what `salvage=True` cut, a 0.1 migration, the
    /// segments and LSN range found. Raises `ClosedError` after `close()`, `ForkedError` in
    /// a forked child. Cost: a copy of the report kept since the open.
    fn recovery_report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let wal = self.usable(py)?;
        let r = py.detach(|| wal.recovery_report());
        report::recovery_report(py, &r)
    }

    /// Returns the LSN the next append gets.
    ///
    /// Raises `ClosedError` after `close()`, `ForkedError` in a forked child. Cost: an in-memory
    /// read (no I/O).
    fn next_lsn(&self, py: Python<'_>) -> PyResult<u64> {
        let wal = self.usable(py)?;
        Ok(py.detach(|| wal.next_lsn()).0)
    }

    /// Returns the oldest LSN still in the log (`next_lsn()` when it is empty).
    ///
    /// Raises `ClosedError` after `close()`, `ForkedError` in a forked child. Cost: an in-memory
    /// read (no I/O).
    fn first_lsn(&self, py: Python<'_>) -> PyResult<u64> {
        let wal = self.usable(py)?;
        Ok(py.detach(|| wal.first_lsn()).0)
    }

    /// Returns how many segment files are in use (completed + active).
    ///
    /// Raises `ClosedError` after `close()`, `ForkedError` in a forked child. Cost: an in-memory
    /// read (no I/O).
    fn segment_count(&self, py: Python<'_>) -> PyResult<usize> {
        let wal = self.usable(py)?;
        Ok(py.detach(|| wal.segment_count()))
    }

    /// Close: write what is queued, fdatasync, release the lock, run the pending
    /// `on_durable` callbacks. Idempotent.
    ///
    /// Raises `WalogsOSError` or `PoisonedError` when the final write or fdatasync fails,
    /// `ForkedError` in a forked child (where it writes nothing). Cost: one write and one
    /// fdatasync if anything is pending, then the pending callbacks.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let wal = &self.inner;
        py.detach(|| wal.close()).py_err(py)
    }

    /// Whether `close()` was called (`ForkedError` in a forked child).
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        match self.inner.ensure_usable() {
            Ok(()) => Ok(false),
            Err(WalError::Closed) => Ok(true),
            Err(e) => Err(to_pyerr(py, e)),
        }
    }

    /// Whether the WAL was opened with `read_only=True`.
    #[getter]
    fn read_only(&self) -> bool {
        self.inner.is_read_only()
    }

    /// Whether an earlier failed write or sync poisoned the handle (every later write
    /// raises `PoisonedError`; reopen to recover). Raises `ClosedError`, `ForkedError`.
    #[getter]
    fn poisoned(&self, py: Python<'_>) -> PyResult<bool> {
        let wal = self.usable(py)?;
        Ok(py.detach(|| wal.is_poisoned()))
    }

    /// The WAL directory, as given to the constructor (after `os.fspath`).
    #[getter]
    fn path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.path.as_os_str().into_bound_py_any(py)
    }

    /// `with wal:` returns the WAL itself; entering a closed WAL raises `ClosedError`.
    fn __enter__(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<Self>> {
        slf.get().usable(py)?;
        Ok(slf)
    }

    #[pyo3(signature = (exc_type = None, exc = None, tb = None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        exc: Option<&Bound<'_, PyAny>>,
        tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        // Close whether or not an exception is propagating; never swallow it.
        let _ = (exc_type, exc, tb);
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let path = self.path.display();
        match self.inner.ensure_usable() {
            Ok(()) => {
                let wal = &self.inner;
                let next = py.detach(|| wal.next_lsn());
                let mode = if wal.is_read_only() { " read-only" } else { "" };
                format!("<walogs.Wal {path:?}{mode} next_lsn={next}>")
            }
            Err(WalError::Closed) => format!("<walogs.Wal {path:?} closed>"),
            Err(WalError::Forked { opened_by }) => {
                format!("<walogs.Wal {path:?} of process {opened_by} (inherited across fork)>")
            }
            Err(e) => format!("<walogs.Wal {path:?} ({e})>"),
        }
    }
}
