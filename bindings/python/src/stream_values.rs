//! The streams value types returned to Python: `walogs.Record`, `walogs.TopicInfo`,
//! `walogs.ConsumerInfo`, `walogs.CleanupReport`, `walogs.TopicCleanup` (frozen dataclasses
//! defined in `walogs/_streams.py`, built here from the core's structs field by field).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyType};
use walogs_streams::{
    CleanupReport, ConsumerInfo, ConsumerMode, RecordBatch, RecordRef, TopicCleanup, TopicInfo,
};

use crate::errors::mode_name;

const STREAMS_MODULE: &str = "walogs._streams";

static RECORD: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TOPIC_INFO: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static CONSUMER_INFO: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TOPIC_CLEANUP: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static CLEANUP_REPORT: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `walogs.Record(lsn, data, header, timestamp_ms)`. Cost: one copy of data and header each
/// into new `bytes`.
pub(crate) fn record<'py>(py: Python<'py>, r: RecordRef<'_>) -> PyResult<Bound<'py, PyAny>> {
    RECORD.import(py, STREAMS_MODULE, "Record")?.call1((
        r.lsn,
        PyBytes::new(py, r.data),
        PyBytes::new(py, r.header),
        r.timestamp_ms,
    ))
}

/// A `list` of `walogs.Record`, one per record of `batch`.
pub(crate) fn records<'py>(py: Python<'py>, batch: &RecordBatch) -> PyResult<Bound<'py, PyList>> {
    let items = batch
        .iter()
        .map(|r| record(py, r))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// `walogs.TopicInfo(name, first_lsn, next_lsn, bytes)`.
pub(crate) fn topic_info<'py>(py: Python<'py>, t: &TopicInfo) -> PyResult<Bound<'py, PyAny>> {
    TOPIC_INFO.import(py, STREAMS_MODULE, "TopicInfo")?.call1((
        &t.name,
        t.first_lsn,
        t.next_lsn,
        t.bytes,
    ))
}

/// The `persist_every` of a mode (`None` for a strict consumer).
pub(crate) fn persist_every(mode: ConsumerMode) -> Option<u32> {
    match mode {
        ConsumerMode::Strict => None,
        ConsumerMode::AtLeastOnce { persist_every } => Some(persist_every),
    }
}

/// `walogs.ConsumerInfo(topic, name, mode, position, persist_every)`.
pub(crate) fn consumer_info<'py>(py: Python<'py>, c: &ConsumerInfo) -> PyResult<Bound<'py, PyAny>> {
    CONSUMER_INFO
        .import(py, STREAMS_MODULE, "ConsumerInfo")?
        .call1((
            &c.topic,
            &c.name,
            mode_name(c.mode),
            c.position,
            persist_every(c.mode),
        ))
}

fn topic_cleanup<'py>(py: Python<'py>, t: &TopicCleanup) -> PyResult<Bound<'py, PyAny>> {
    TOPIC_CLEANUP
        .import(py, STREAMS_MODULE, "TopicCleanup")?
        .call1((
            &t.topic,
            t.records_deleted,
            t.first_lsn,
            PyList::new(py, &t.forced_past)?,
        ))
}

/// `walogs.CleanupReport(records_deleted, bytes_reclaimed, segments_deleted, topics)`.
pub(crate) fn cleanup_report<'py>(
    py: Python<'py>,
    r: &CleanupReport,
) -> PyResult<Bound<'py, PyAny>> {
    let topics = r
        .topics
        .iter()
        .map(|t| topic_cleanup(py, t))
        .collect::<PyResult<Vec<_>>>()?;
    CLEANUP_REPORT
        .import(py, STREAMS_MODULE, "CleanupReport")?
        .call1((
            r.records_deleted,
            r.bytes_reclaimed,
            r.segments_deleted,
            PyList::new(py, topics)?,
        ))
}
