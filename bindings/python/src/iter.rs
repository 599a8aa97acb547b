//! `walogs.WalIterator`: the entries of a WAL in LSN order, as `(lsn, bytes)` tuples.
//!
//! It knows nothing of `walogs.Wal`: it steps a core reader and keeps an owner object alive.
//! What a step does after the WAL closed, was forked, truncated or purged is the core's rule;
//! this module only translates the outcome.

use std::sync::{Mutex, TryLockError};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use walogs_core::WalCursor;

use crate::errors::to_pyerr;

/// An iterator over `(lsn, data)` tuples in LSN order, returned by `iter(wal)` and
/// `wal.iter_from(lsn)`.
///
/// It sees the entries that existed when it was created (a snapshot of the segment list)
/// and reads them through its own file handles, so it never blocks appends. Each step
/// releases the GIL while it reads and costs one copy of the entry into a new `bytes`. An
/// error ends the iterator: the step raises it and later steps raise `StopIteration`.
/// Damage met while reading raises `CorruptError`; the first step after
/// the WAL was closed raises `ClosedError` (in a forked child: `ForkedError`); a step
/// reaching entries truncated after the iterator was created raises `LsnOutOfRangeError`,
/// and so does one reaching entries purged meanwhile when the iterator was made by
/// `iter_from` (one made by `iter(wal)` goes on from the new oldest entry instead). The
/// iterator keeps its WAL alive (not open: `close()` still closes it). One iterator must
/// not be advanced from two threads at once (that raises `RuntimeError`, like a generator
/// already executing).
#[pyclass(frozen, module = "walogs", name = "WalIterator")]
pub struct WalIterator {
    cursor: Mutex<WalCursor>,
    /// Keeps the object that made the iterator (the WAL) alive while the iterator lives,
    /// so `iter(Wal(path))` works.
    _owner: Py<PyAny>,
}

impl WalIterator {
    /// An iterator over `cursor` that keeps `owner` alive.
    pub(crate) fn new(cursor: WalCursor, owner: Py<PyAny>) -> Self {
        WalIterator {
            cursor: Mutex::new(cursor),
            _owner: owner,
        }
    }
}

#[pymethods]
impl WalIterator {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<(u64, Bound<'py, PyBytes>)>> {
        // The lock is taken while attached and never waited for, so a thread that holds it
        // and waits to re-attach can never deadlock with one that holds the GIL.
        let mut guard = match self.cursor.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return Err(PyRuntimeError::new_err(
                    "this walogs iterator is already being advanced by another thread",
                ));
            }
        };
        let cursor: &mut WalCursor = &mut guard;
        let step = py.detach(move || {
            cursor
                .next_entry()
                .map(|r| r.map(|(lsn, data)| (lsn.0, data)))
        });
        match step {
            None => Ok(None),
            Some(Ok((lsn, data))) => Ok(Some((lsn, PyBytes::new(py, data)))),
            Some(Err(e)) => Err(to_pyerr(py, e)),
        }
    }

    /// The LSN of the entry the next step returns, if there is one (for an iterator made by
    /// `iter(wal)`, a purge racing it may move it further on).
    #[getter]
    fn next_lsn(&self) -> PyResult<u64> {
        match self.cursor.try_lock() {
            Ok(g) => Ok(g.next_lsn().0),
            Err(TryLockError::Poisoned(p)) => Ok(p.into_inner().next_lsn().0),
            Err(TryLockError::WouldBlock) => Err(PyRuntimeError::new_err(
                "this walogs iterator is being advanced by another thread",
            )),
        }
    }

    fn __repr__(&self) -> String {
        match self.cursor.try_lock() {
            Ok(g) => format!("<walogs.WalIterator next_lsn={}>", g.next_lsn()),
            Err(_) => "<walogs.WalIterator (busy)>".to_string(),
        }
    }
}
