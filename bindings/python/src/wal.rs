//! `walogs.Wal`: the Python handle over a thread-safe [`SharedWal`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyRange};
use walogs_core::{DEFAULT_MAX_SEGMENT_SIZE, Lsn, SharedWal, WalError, WalOptions};

use crate::convert::{
    DurabilityName, LsnArg, SegmentSize, bytes_arg, durability_arg, is_single_buffer, path_arg,
    type_name,
};
use crate::errors::{IntoPyResult, closed_error};
use crate::iter::WalIterator;
use crate::report;

/// A crash-safe write-ahead log in one directory.
///
/// Opening takes the directory's exclusive write lock (a second open, from this process or
/// another one, raises `LockedError` at once), verifies every frame and truncates a torn
/// final write. Every method may be called from any thread: each one releases the GIL
/// while it waits for the disk or for the log's internal locks, and concurrent appends
/// share one write and one fdatasync (group commit). After `close()` every method raises
/// `ClosedError`.
#[pyclass(frozen, module = "walogs", name = "Wal")]
pub struct Wal {
    inner: SharedWal,
    /// Set by `close()` (and on drop); shared with iterators.
    closed: Arc<AtomicBool>,
    path: PathBuf,
    read_only: bool,
}

impl Drop for Wal {
    /// A handle garbage-collected without `close()` closes here (iterators keep their WAL
    /// alive, so none is left behind). Closing writes and fdatasyncs, so the GIL is released
    /// around it like around every other blocking call; errors cannot be raised from a
    /// destructor and are dropped (call `close()` to see them).
    fn drop(&mut self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let wal = &self.inner;
        // `None`: the interpreter is shutting down; close without it.
        if Python::try_attach(|py| py.detach(|| wal.close())).is_none() {
            let _ = wal.close();
        }
    }
}

impl Wal {
    /// The core handle, or `ClosedError`.
    fn core(&self, py: Python<'_>) -> PyResult<&SharedWal> {
        if self.closed.load(Ordering::Acquire) {
            return Err(closed_error(py));
        }
        Ok(&self.inner)
    }

    /// An iterator from `from` (`None`: from the oldest entry) that keeps `slf` alive.
    fn iterator_from(slf: &Bound<'_, Self>, from: Option<u64>) -> PyResult<WalIterator> {
        let py = slf.py();
        let this = slf.get();
        let wal = this.core(py)?;
        let cursor = py.detach(|| match from {
            Some(lsn) => wal.cursor_from(Lsn(lsn)),
            None => {
                // A checkpoint racing with us may move the first LSN; start again then.
                let mut tries = 0;
                loop {
                    match wal.cursor_from(wal.first_lsn()) {
                        Err(WalError::LsnOutOfRange { .. }) if tries < 3 => tries += 1,
                        r => break r,
                    }
                }
            }
        });
        Ok(WalIterator::new(
            cursor.py_err(py)?,
            this.closed.clone(),
            slf.clone().unbind(),
        ))
    }
}

#[pymethods]
impl Wal {
    /// Open (or create) the WAL in `path`.
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
    ))]
    #[pyo3(
        text_signature = "(path, *, max_segment_size=67108864, durability='every_append', \
                             interval=None, read_only=False, salvage=False, preallocate=True)"
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
    ) -> PyResult<Self> {
        let path = path_arg(path)?;
        let options = WalOptions::new()
            .max_segment_size(max_segment_size.0)
            .durability(durability_arg(&durability, interval)?)
            .read_only(read_only)
            .salvage(salvage)
            .preallocate(preallocate);
        let inner = py.detach(|| options.open_shared(&path)).py_err(py)?;
        Ok(Wal {
            inner,
            closed: Arc::new(AtomicBool::new(false)),
            path,
            read_only,
        })
    }

    /// Append one entry; returns its LSN once it is durable.
    fn append(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<u64> {
        let data = bytes_arg(data, "data")?;
        let bytes: &[u8] = data.as_bytes();
        let wal = self.core(py)?;
        Ok(py.detach(|| wal.append(bytes)).py_err(py)?.0)
    }

    /// Append several entries; returns their LSNs as a `range`.
    #[pyo3(signature = (entries, *, atomic = true))]
    fn append_batch<'py>(
        &self,
        py: Python<'py>,
        entries: &Bound<'py, PyAny>,
        atomic: bool,
    ) -> PyResult<Bound<'py, PyRange>> {
        if is_single_buffer(entries) {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "entries must be an iterable of bytes-like objects, not a single {} \
                 (wrap it in a list, or use append())",
                type_name(entries)
            )));
        }
        let iter = entries.try_iter().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "entries must be an iterable of bytes-like objects, not {}",
                type_name(entries)
            ))
        })?;
        let mut held: Vec<Bound<'py, PyBytes>> = Vec::new();
        for (i, item) in iter.enumerate() {
            held.push(bytes_arg(&item?, &format!("entries[{i}]"))?);
        }
        let slices: Vec<&[u8]> = held.iter().map(|b| b.as_bytes()).collect();
        let wal = self.core(py)?;
        let range = py
            .detach(|| {
                if atomic {
                    wal.append_batch(&slices)
                } else {
                    wal.append_many(&slices)
                }
            })
            .py_err(py)?;
        let start = isize::try_from(range.first.0);
        let stop = isize::try_from(range.last.0 + 1);
        match (start, stop) {
            (Ok(a), Ok(b)) => PyRange::new(py, a, b),
            _ => Err(pyo3::exceptions::PyOverflowError::new_err(
                "LSN range does not fit a Python range",
            )),
        }
    }

    /// Make every appended entry durable; returns the durable LSN.
    fn sync(&self, py: Python<'_>) -> PyResult<u64> {
        let wal = self.core(py)?;
        if self.read_only {
            // Nothing to make durable (as `walogs_core::Wal::sync` on a read-only handle).
            return Ok(wal.durable_lsn().0);
        }
        Ok(py.detach(|| wal.sync()).py_err(py)?.0)
    }

    /// The highest LSN known to be durable (0: none).
    fn durable_lsn(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.core(py)?.durable_lsn().0)
    }

    fn __iter__(slf: &Bound<'_, Self>) -> PyResult<WalIterator> {
        Self::iterator_from(slf, None)
    }

    /// Iterate `(lsn, data)` from `lsn` (inclusive).
    fn iter_from(slf: &Bound<'_, Self>, lsn: LsnArg) -> PyResult<WalIterator> {
        Self::iterator_from(slf, Some(lsn.0))
    }

    /// Read one entry.
    fn read<'py>(&self, py: Python<'py>, lsn: LsnArg) -> PyResult<Bound<'py, PyBytes>> {
        let wal = self.core(py)?;
        let data = py.detach(|| wal.read(Lsn(lsn.0))).py_err(py)?;
        Ok(PyBytes::new(py, &data))
    }

    /// Seal the active segment and start the next one (no-op when it is empty).
    fn rotate(&self, py: Python<'_>) -> PyResult<()> {
        let wal = self.core(py)?;
        py.detach(|| wal.rotate()).py_err(py)
    }

    /// Delete completed segments whose entries are all `<= lsn`; returns how many.
    fn checkpoint(&self, py: Python<'_>, lsn: LsnArg) -> PyResult<usize> {
        let wal = self.core(py)?;
        py.detach(|| wal.checkpoint(Lsn(lsn.0))).py_err(py)
    }

    /// Remove every entry after `lsn`, durably; returns how many were removed.
    fn truncate_after(&self, py: Python<'_>, lsn: LsnArg) -> PyResult<u64> {
        let wal = self.core(py)?;
        py.detach(|| wal.truncate_after(Lsn(lsn.0))).py_err(py)
    }

    /// What the open found at the end of the last segment.
    fn tail_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let wal = self.core(py)?;
        let tail = py.detach(|| wal.tail_state());
        report::tail_state(py, tail)
    }

    /// What the open found and did.
    fn recovery_report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let wal = self.core(py)?;
        let r = py.detach(|| wal.recovery_report());
        report::recovery_report(py, &r)
    }

    /// The LSN the next append gets.
    fn next_lsn(&self, py: Python<'_>) -> PyResult<u64> {
        let wal = self.core(py)?;
        Ok(py.detach(|| wal.next_lsn()).0)
    }

    /// The oldest LSN still in the log (`next_lsn()` when it is empty).
    fn first_lsn(&self, py: Python<'_>) -> PyResult<u64> {
        let wal = self.core(py)?;
        Ok(py.detach(|| wal.first_lsn()).0)
    }

    /// Segment files in use (completed + active).
    fn segment_count(&self, py: Python<'_>) -> PyResult<usize> {
        let wal = self.core(py)?;
        Ok(py.detach(|| wal.segment_count()))
    }

    /// Close: write what is queued, fdatasync, release the lock. Idempotent.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let wal = &self.inner;
        py.detach(|| wal.close()).py_err(py)
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Whether the WAL was opened with `read_only=True`.
    #[getter]
    fn read_only(&self) -> bool {
        self.read_only
    }

    /// Whether an earlier failed write or sync poisoned the handle.
    #[getter]
    fn poisoned(&self, py: Python<'_>) -> PyResult<bool> {
        let wal = self.core(py)?;
        Ok(py.detach(|| wal.is_poisoned()))
    }

    /// The WAL directory, as given to the constructor (after `os.fspath`).
    #[getter]
    fn path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.path.as_os_str().into_bound_py_any(py)
    }

    /// `with wal:` returns the WAL itself; entering a closed WAL raises `ClosedError`.
    fn __enter__(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<Self>> {
        slf.get().core(py)?;
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
        if self.closed.load(Ordering::Acquire) {
            return format!("<walogs.Wal {path:?} closed>");
        }
        let wal = &self.inner;
        let next = py.detach(|| wal.next_lsn());
        let mode = if self.read_only { " read-only" } else { "" };
        format!("<walogs.Wal {path:?}{mode} next_lsn={next}>")
    }
}
