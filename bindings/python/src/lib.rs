//! The native half of the `walogs` Python package: the module `walogs._walogs`.
//!
//! It wraps the thread-safe [`walogs_core::SharedWal`] as `walogs.Wal` and the streams store
//! [`walogs_streams::Streams`] as `walogs.Streams` (with `walogs.Consumer`), and releases the GIL
//! around every call that can block (disk I/O, the log's internal locks), so appends from
//! many Python threads share fdatasyncs (group commit). It translates only: what a call does
//! and when it fails is the core's. The exception classes and small value types live in the
//! pure-Python half (`python/walogs/`).
//!
//! Module map (each depends only on those after it): `wal` (the `Wal` class), `iter`
//! (`WalIterator`), `durable` (`on_durable` callbacks on the notifier thread), `streams`
//! (the `Streams` class), `consumer` (`Consumer`), `stream_args` (streams argument
//! checking), `stream_values` (streams value types), `convert` (argument checking),
//! `report` (value types), `errors` (core and streams errors to Python exceptions).

mod consumer;
mod convert;
mod durable;
mod errors;
mod iter;
mod report;
mod stream_args;
mod stream_values;
mod streams;
mod wal;

use pyo3::prelude::*;

/// `walogs._walogs`: `Wal`, `WalIterator`, `Streams`, `Consumer` and the size limits.
#[pymodule]
fn _walogs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<wal::Wal>()?;
    m.add_class::<iter::WalIterator>()?;
    m.add_class::<streams::Streams>()?;
    m.add_class::<consumer::Consumer>()?;
    m.add("MAX_HEADER", walogs_streams::MAX_HEADER)?;
    m.add("MAX_TOPIC_NAME", walogs_streams::MAX_TOPIC_NAME)?;
    m.add("MAX_CONSUMER_NAME", walogs_streams::MAX_CONSUMER_NAME)?;
    m.add("MAX_ENTRY_SIZE", walogs_core::MAX_ENTRY_SIZE)?;
    m.add("MAX_BATCH_SIZE", walogs_core::MAX_BATCH_SIZE)?;
    m.add("MAX_USER_DATA", walogs_core::MAX_USER_DATA)?;
    m.add(
        "DEFAULT_MAX_SEGMENT_SIZE",
        walogs_core::DEFAULT_MAX_SEGMENT_SIZE,
    )?;
    durable::install_hooks(m)?;
    Ok(())
}
