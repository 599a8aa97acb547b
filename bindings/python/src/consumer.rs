//! `walogs.Consumer`: the Python handle over a [`walogs_streams::Consumer`].
//!
//! The core consumer is used by one caller at a time (`&mut self`): it sits in a mutex that
//! is only ever tried (taken while attached to the interpreter and never waited for, so a
//! thread waiting for records with the GIL released cannot deadlock with one holding the
//! GIL); a second thread using it meanwhile gets `RuntimeError`, like a generator already
//! executing. `close()` hands the core consumer back to the core, after which every call
//! raises `ClosedError`.

use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyList;
use walogs_streams::{ConsumerMode, RecordBatch};

use crate::errors::{IntoPyResult, closed, mode_name};
use crate::stream_args::{MaxBytes, Timeout};
use crate::stream_values;
use crate::streams::Streams;

/// Largest batch buffer a consumer keeps between `next_batch` calls.
const KEEP_BATCH_BYTES: usize = 16 << 20;

/// A persistent consumer of one topic (made by `Streams.consumer`).
///
/// It delivers the topic's records in LSN order and keeps its position in the store: a
/// `"strict"` consumer never delivers a record twice, even across a crash; an
/// `"at_least_once"` consumer may deliver up to `persist_every` records again after a
/// crash and never skips one. Waiting calls release the GIL. Use it from one thread at a
/// time (a call while another thread's call is in progress raises `RuntimeError`). `with`
/// closes it; `for rec in consumer:` delivers the records available now, without waiting.
/// It keeps its store alive (not open: `Streams.close()` still closes it, and then its
/// calls raise `ClosedError`).
#[pyclass(frozen, module = "walogs", name = "Consumer")]
pub struct Consumer {
    /// `None` once closed.
    inner: Mutex<Option<walogs_streams::Consumer>>,
    /// Where `next_batch` reads, kept between calls so a steady reader allocates nothing but
    /// the Python objects; only used while the consumer's turn is held.
    batch: Mutex<RecordBatch>,
    topic: String,
    name: String,
    mode: ConsumerMode,
    /// The store's Python object: a store collected while a consumer lives would close.
    _store: Py<Streams>,
}

impl Drop for Consumer {
    /// A consumer collected without `close()` releases its name (without a commit: an
    /// at-least-once consumer resumes at its last persisted position). The GIL is released
    /// around it, as the core takes the store's lock.
    fn drop(&mut self) {
        let slot = match self.inner.get_mut() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut held = slot.take();
        if held.is_none() {
            return;
        }
        // Released inside the closure; if the interpreter cannot be attached to, `held`
        // still holds it and it is released when this function returns.
        let _ = Python::try_attach(|py| {
            py.detach(|| {
                let _released = held.take();
            })
        });
    }
}

/// The consumer in use by this call; `ClosedError` once closed, `RuntimeError` while
/// another thread's call is in progress.
struct InUse<'a>(MutexGuard<'a, Option<walogs_streams::Consumer>>);

impl Consumer {
    /// A Python consumer over `inner`, keeping `store` alive.
    pub(crate) fn new(
        inner: walogs_streams::Consumer,
        topic: String,
        name: String,
        mode: ConsumerMode,
        store: Py<Streams>,
    ) -> Self {
        Consumer {
            inner: Mutex::new(Some(inner)),
            batch: Mutex::new(RecordBatch::new()),
            topic,
            name,
            mode,
            _store: store,
        }
    }

    fn take_turn(&self, py: Python<'_>) -> PyResult<InUse<'_>> {
        let guard = match self.inner.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return Err(PyRuntimeError::new_err(
                    "this walogs consumer is in use by another thread",
                ));
            }
        };
        if guard.is_none() {
            return Err(closed(py));
        }
        Ok(InUse(guard))
    }
}

impl InUse<'_> {
    fn get(&mut self) -> &mut walogs_streams::Consumer {
        // `take_turn` checked that it is there, and the guard is held since.
        self.0
            .as_mut()
            .expect("a consumer in use is not closed (checked by take_turn)")
    }
}

#[pymethods]
impl Consumer {
    /// The next record; returns a `Record`, or `None` when none came within `timeout`.
    ///
    /// `timeout`: seconds (or a `timedelta`) to wait for a record to be appended; `0` (the
    /// default) does not wait; `None` waits as long as it takes (only `Streams.close()` ends
    /// that wait; a signal does not). The GIL is released while waiting. A strict consumer
    /// persists its new position before returning the record. Records deleted by retention
    /// before they were read are skipped (counted in `skipped`). Raises `ClosedError` (this
    /// consumer or its store closed, also while waiting), `PoisonedError`, `WalogsOSError`,
    /// `RuntimeError` (another thread is using it). Cost: one log read; strict: one durable
    /// log entry (a shared fdatasync).
    #[pyo3(signature = (timeout = Timeout(Some(std::time::Duration::ZERO))))]
    fn next<'py>(&self, py: Python<'py>, timeout: Timeout) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut turn = self.take_turn(py)?;
        let consumer = turn.get();
        let record = py.detach(|| consumer.next(timeout.0)).py_err(py)?;
        record
            .map(|r| stream_values::record(py, r.as_record_ref()))
            .transpose()
    }

    /// The next records; returns a `list` of `Record` (empty when none came within
    /// `timeout`).
    ///
    /// At least one record if any is available (waiting as `next` does), then as many more
    /// as fit `max_bytes` of data and headers. Raises `InvalidArgumentError` for
    /// `max_bytes=0`, and what `next` raises. Cost: one log read per record; strict: one
    /// durable log entry for the whole batch.
    #[pyo3(signature = (max_bytes = MaxBytes(1 << 20), timeout = Timeout(Some(std::time::Duration::ZERO))))]
    fn next_batch<'py>(
        &self,
        py: Python<'py>,
        max_bytes: MaxBytes,
        timeout: Timeout,
    ) -> PyResult<Bound<'py, PyList>> {
        let max_bytes = max_bytes.0;
        let mut turn = self.take_turn(py)?;
        let consumer = turn.get();
        let mut batch = self.batch.lock().unwrap_or_else(PoisonError::into_inner);
        let batch = &mut *batch;
        py.detach(|| consumer.next_batch_into(batch, max_bytes, timeout.0))
            .py_err(py)?;
        let list = stream_values::records(py, batch);
        if batch.bytes() > KEEP_BATCH_BYTES {
            // A batch far larger than usual is not kept for the next call.
            *batch = RecordBatch::new();
        }
        list
    }

    /// Persist the position durably now (a strict consumer's always is: nothing to do).
    ///
    /// Raises `ClosedError`, `PoisonedError`, `WalogsOSError`, `RuntimeError`. Cost: one
    /// durable log entry (a shared fdatasync) for an at-least-once consumer.
    fn commit(&self, py: Python<'_>) -> PyResult<()> {
        let mut turn = self.take_turn(py)?;
        let consumer = turn.get();
        py.detach(|| consumer.commit()).py_err(py)
    }

    /// Commit (an at-least-once consumer) and release the consumer's name, so it can be
    /// opened again. Idempotent; afterwards its calls raise `ClosedError`.
    ///
    /// Raises what `commit` raises, `ClosedError` too when the store was closed first while
    /// an at-least-once consumer had delivered records it had not persisted (they come again
    /// after a reopen; the consumer is closed anyway), and `RuntimeError` while another
    /// thread uses it. Cost: what `commit` costs, then a lookup under the store's lock.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let consumer = match self.take_turn(py) {
            Ok(mut turn) => turn.0.take(),
            // Closed already: nothing to do.
            Err(e) if e.is_instance_of::<PyRuntimeError>(py) => return Err(e),
            Err(_) => return Ok(()),
        };
        match consumer {
            Some(c) => py.detach(|| c.close()).py_err(py),
            None => Ok(()),
        }
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        match self.take_turn(py) {
            Ok(_) => Ok(false),
            Err(e) if e.is_instance_of::<PyRuntimeError>(py) => Err(e),
            Err(_) => Ok(true),
        }
    }

    /// The LSN of the record the next delivery returns. Raises `ClosedError`.
    #[getter]
    fn position(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.take_turn(py)?.get().position())
    }

    /// The position persisted in the store (a strict consumer's equals `position`). Raises
    /// `ClosedError`.
    #[getter]
    fn committed(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.take_turn(py)?.get().committed())
    }

    /// Records this consumer skipped because retention deleted them before it read them
    /// (since this `Consumer` was opened). Raises `ClosedError`.
    #[getter]
    fn skipped(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.take_turn(py)?.get().skipped())
    }

    /// Its topic's name.
    #[getter]
    fn topic(&self) -> &str {
        &self.topic
    }

    /// Its name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// Its mode: `"strict"` or `"at_least_once"`.
    #[getter]
    fn mode(&self) -> &'static str {
        mode_name(self.mode)
    }

    /// Delivered records between automatic persists of an `"at_least_once"` consumer
    /// (`None` for a strict one).
    #[getter]
    fn persist_every(&self) -> Option<u32> {
        stream_values::persist_every(self.mode)
    }

    /// `with store.consumer(...) as c:` returns the consumer; leaving the block closes it.
    fn __enter__(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<Self>> {
        slf.get().take_turn(py)?;
        Ok(slf)
    }

    /// Close the consumer (whether or not an exception is propagating; never swallows it).
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

    /// `iter(consumer)` is the consumer itself: `for rec in consumer:` delivers the
    /// records available now.
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next record available now (`next(timeout=0)`); the iteration ends when there is
    /// none.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.next(py, Timeout(Some(std::time::Duration::ZERO)))
    }

    /// `<walogs.Consumer NAME of topic TOPIC MODE position=N>` (or `closed`, or `(busy)`
    /// while another thread uses it).
    fn __repr__(&self) -> String {
        let state = match self.inner.try_lock() {
            Ok(g) => match g.as_ref() {
                Some(c) => format!(" position={}", c.position()),
                None => " closed".to_string(),
            },
            Err(_) => " (busy)".to_string(),
        };
        format!(
            "<walogs.Consumer {:?} of topic {:?} {}{state}>",
            self.name,
            self.topic,
            mode_name(self.mode)
        )
    }
}
