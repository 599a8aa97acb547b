//! The value types returned to Python: `walogs.TailState`, `walogs.RecoveryReport`,
//! `walogs.SalvageReport` (frozen dataclasses defined in `walogs/_types.py`).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};
use walogs_core::{RecoveryReport, SalvageReport, TailState};

const TYPES_MODULE: &str = "walogs._types";

static TAIL_STATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static RECOVERY_REPORT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SALVAGE_REPORT: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `walogs.TailState(truncated_at=None | offset)`.
pub(crate) fn tail_state(py: Python<'_>, tail: TailState) -> PyResult<Bound<'_, PyAny>> {
    let offset = match tail {
        TailState::Clean => None,
        TailState::TruncatedAt(off) => Some(off),
    };
    TAIL_STATE
        .import(py, TYPES_MODULE, "TailState")?
        .call1((offset,))
}

fn salvage_report<'py>(py: Python<'py>, s: &SalvageReport) -> PyResult<Bound<'py, PyAny>> {
    let kw = PyDict::new(py);
    kw.set_item("file", &s.file)?;
    kw.set_item("offset", s.offset)?;
    kw.set_item("bytes_cut", s.bytes_cut)?;
    kw.set_item("valid_frames_cut", s.valid_frames_cut)?;
    kw.set_item("first_lsn_cut", s.first_lsn_cut.0)?;
    SALVAGE_REPORT
        .import(py, TYPES_MODULE, "SalvageReport")?
        .call((), Some(&kw))
}

/// `walogs.RecoveryReport(...)` with every field of the core's report.
pub(crate) fn recovery_report<'py>(
    py: Python<'py>,
    r: &RecoveryReport,
) -> PyResult<Bound<'py, PyAny>> {
    let kw = PyDict::new(py);
    kw.set_item("tail", tail_state(py, r.tail)?)?;
    kw.set_item("bytes_truncated", r.bytes_truncated)?;
    let salvaged = match &r.salvaged {
        Some(s) => Some(salvage_report(py, s)?),
        None => None,
    };
    kw.set_item("salvaged", salvaged)?;
    kw.set_item("migrated_v1", r.migrated_v1)?;
    kw.set_item("segments", r.segments)?;
    kw.set_item("first_lsn", r.first_lsn.0)?;
    kw.set_item("next_lsn", r.next_lsn.0)?;
    kw.set_item("read_only", r.read_only)?;
    RECOVERY_REPORT
        .import(py, TYPES_MODULE, "RecoveryReport")?
        .call((), Some(&kw))
}
