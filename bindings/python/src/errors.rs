//! Turning a [`WalError`] or a [`StreamsError`] into the matching `walogs` Python exception.
//!
//! The exception classes are plain Python (`walogs/_errors.py`, so they can derive from both
//! `WalogsError` and a standard exception such as `ValueError` or `OSError`); they are looked
//! up once and cached. Each exception carries the core's message (which names the file and
//! byte offset where the core knows them) plus structured attributes read from the core's
//! typed error (never parsed from the message). The errno of an OS error is the core's
//! (`WalError::errno`, the one errno table of walogs).

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use walogs_core::{DamageKind, WalError, lock_holder};
use walogs_streams::{ConsumerMode, StreamsError};

const ERRORS_MODULE: &str = "walogs._errors";

/// One cached exception class of `walogs._errors`.
struct ErrorClass {
    name: &'static str,
    cell: PyOnceLock<Py<PyType>>,
}

impl ErrorClass {
    const fn new(name: &'static str) -> Self {
        ErrorClass {
            name,
            cell: PyOnceLock::new(),
        }
    }

    fn get<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyType>> {
        self.cell.import(py, ERRORS_MODULE, self.name)
    }
}

static OS_ERROR: ErrorClass = ErrorClass::new("WalogsOSError");
static ENTRY_TOO_LARGE: ErrorClass = ErrorClass::new("EntryTooLargeError");
static CORRUPT: ErrorClass = ErrorClass::new("CorruptError");
static LOCKED: ErrorClass = ErrorClass::new("LockedError");
static POISONED: ErrorClass = ErrorClass::new("PoisonedError");
static READ_ONLY: ErrorClass = ErrorClass::new("ReadOnlyError");
static CLOSED: ErrorClass = ErrorClass::new("ClosedError");
static OUT_OF_RANGE: ErrorClass = ErrorClass::new("LsnOutOfRangeError");
static INVALID: ErrorClass = ErrorClass::new("InvalidArgumentError");
static FORKED: ErrorClass = ErrorClass::new("ForkedError");
static TIMEOUT: ErrorClass = ErrorClass::new("WalogsTimeoutError");
static UNSAFE_FILE: ErrorClass = ErrorClass::new("UnsafeFileError");
static WALOGS_ERROR: ErrorClass = ErrorClass::new("WalogsError");
static UNKNOWN_TOPIC: ErrorClass = ErrorClass::new("UnknownTopicError");
static MODE_MISMATCH: ErrorClass = ErrorClass::new("ConsumerModeMismatchError");
static CONSUMER_IN_USE: ErrorClass = ErrorClass::new("ConsumerInUseError");
static NOT_A_STORE: ErrorClass = ErrorClass::new("NotAStoreError");
static STORE_FORMAT: ErrorClass = ErrorClass::new("StoreFormatError");

/// Build `class(*args)`, set `attrs` on it, and wrap it as a `PyErr`. If even that fails
/// (the `walogs` package is broken), the failure itself is returned so nothing is hidden.
fn build<'py, A>(
    py: Python<'py>,
    class: &ErrorClass,
    args: A,
    attrs: &[(&str, Bound<'py, PyAny>)],
) -> PyErr
where
    A: pyo3::call::PyCallArgs<'py>,
{
    let made = (|| -> PyResult<PyErr> {
        let exc = class.get(py)?.call1(args)?;
        for (name, value) in attrs {
            exc.setattr(*name, value)?;
        }
        Ok(PyErr::from_value(exc))
    })();
    made.unwrap_or_else(|e| {
        PyRuntimeError::new_err(format!(
            "walogs could not raise {} ({e}); is the walogs package installed whole?",
            class.name
        ))
    })
}

/// Convert anything into a Python object for an exception attribute.
fn obj<'py, T>(py: Python<'py>, value: T) -> Bound<'py, PyAny>
where
    T: IntoPyObject<'py>,
{
    value
        .into_bound_py_any(py)
        .unwrap_or_else(|_| py.None().into_bound(py))
}

/// The `EntryTooLargeError` for an entry of `size` bytes (checked before copying it).
pub(crate) fn too_large(py: Python<'_>, size: usize, max: usize) -> PyErr {
    to_pyerr(py, WalError::EntryTooLarge { size, max })
}

/// The `InvalidArgumentError` (a `ValueError`) for an argument value the binding cannot
/// hand to the core at all (a negative count, a non-finite duration, an unknown mode
/// string); `reason` is the whole message.
pub(crate) fn invalid_argument(py: Python<'_>, reason: String) -> PyErr {
    build(
        py,
        &INVALID,
        (reason.clone(),),
        &[("reason", obj(py, reason))],
    )
}

/// The `ClosedError` of a call on a closed handle.
pub(crate) fn closed(py: Python<'_>) -> PyErr {
    to_pyerr(py, WalError::Closed)
}

/// The Python name of a damage kind (`CorruptError.kind`).
fn damage_kind(kind: DamageKind) -> &'static str {
    match kind {
        DamageKind::CompletedSegment => "completed_segment",
        DamageKind::MidLog => "mid_log",
        DamageKind::LsnDiscontinuity => "lsn_discontinuity",
        DamageKind::SegmentGap => "segment_gap",
        DamageKind::EmptyCompletedSegment => "empty_completed_segment",
        DamageKind::SealMismatch => "seal_mismatch",
        DamageKind::BelowSeal => "below_seal",
        DamageKind::Metadata => "metadata",
        DamageKind::MixedLayout => "mixed_layout",
        DamageKind::ChangedWhileReading => "changed_while_reading",
        DamageKind::UserData => "user_data",
        // A kind added to the core later: still a `CorruptError`, with every other field.
        _ => "other",
    }
}

/// Convert a core error into the matching `walogs` exception.
pub(crate) fn to_pyerr(py: Python<'_>, err: WalError) -> PyErr {
    let message = err.to_string();
    let errno = err.errno();
    match err {
        WalError::Io(_) => {
            // `OSError(errno, strerror, filename)` sets `.errno`, `.strerror` and `.filename`.
            let file = err.io_path().map(|p| p.as_os_str().to_owned());
            match (errno, file) {
                (Some(code), Some(file)) => build(py, &OS_ERROR, (code, message, file), &[]),
                (Some(code), None) => build(py, &OS_ERROR, (code, message), &[]),
                (None, file) => build(py, &OS_ERROR, (message,), &[("filename", obj(py, file))]),
            }
        }
        WalError::EntryTooLarge { size, max } => build(
            py,
            &ENTRY_TOO_LARGE,
            (message,),
            &[("size", obj(py, size)), ("max", obj(py, max))],
        ),
        WalError::Corrupt { reason: d } => build(
            py,
            &CORRUPT,
            (message,),
            &[
                ("reason", obj(py, d.message())),
                ("kind", obj(py, damage_kind(d.kind))),
                ("file", obj(py, d.file.clone())),
                ("offset", obj(py, d.offset)),
                ("last_good_lsn", obj(py, d.last_good_lsn.map(|l| l.0))),
                ("first_lsn_after", obj(py, d.first_lsn_after.map(|l| l.0))),
                ("frames_after", obj(py, d.frames_after)),
                ("salvageable", obj(py, d.kind.salvageable())),
            ],
        ),
        WalError::Locked { path } => {
            let holder = lock_holder(&path).ok().flatten();
            let message = match &holder {
                Some(pid) if !pid.is_empty() => format!("{message} (process {pid})"),
                _ => message,
            };
            let path = path.to_string_lossy().into_owned();
            build(
                py,
                &LOCKED,
                (message,),
                &[("path", obj(py, path)), ("holder", obj(py, holder))],
            )
        }
        WalError::Poisoned { reason } => {
            build(py, &POISONED, (message,), &[("reason", obj(py, reason))])
        }
        WalError::ReadOnly => build(py, &READ_ONLY, (message,), &[]),
        WalError::Closed => build(py, &CLOSED, (message,), &[]),
        WalError::LsnOutOfRange { lsn, first, next } => build(
            py,
            &OUT_OF_RANGE,
            (message,),
            &[
                ("lsn", obj(py, lsn)),
                ("first", obj(py, first)),
                ("next", obj(py, next)),
            ],
        ),
        WalError::InvalidArgument { reason } => {
            build(py, &INVALID, (message,), &[("reason", obj(py, reason))])
        }
        WalError::Forked { opened_by } => build(
            py,
            &FORKED,
            (message,),
            &[("opened_by", obj(py, opened_by))],
        ),
        WalError::Timeout { lsn, durable } => build(
            py,
            &TIMEOUT,
            (message,),
            &[("lsn", obj(py, lsn)), ("durable", obj(py, durable))],
        ),
        WalError::UnsafeFile { path, problem } => build(
            py,
            &UNSAFE_FILE,
            (message,),
            &[
                ("path", obj(py, path.to_string_lossy().into_owned())),
                ("problem", obj(py, problem.to_string())),
            ],
        ),
        _ => build(py, &WALOGS_ERROR, (message,), &[]),
    }
}

/// The Python name of a consumer mode (`Consumer.mode`, `ConsumerModeMismatchError.existing`).
pub(crate) fn mode_name(mode: ConsumerMode) -> &'static str {
    match mode {
        ConsumerMode::Strict => "strict",
        ConsumerMode::AtLeastOnce { .. } => "at_least_once",
    }
}

/// Convert a streams error into the matching `walogs` exception: an error of the log is
/// [`to_pyerr`]'s; a bad name or argument is `InvalidArgumentError`; a header over the limit
/// is `EntryTooLargeError`; an LSN outside a topic is `LsnOutOfRangeError` (with `topic`
/// set); the rest have their own classes.
pub(crate) fn streams_to_pyerr(py: Python<'_>, err: StreamsError) -> PyErr {
    let message = err.to_string();
    match err {
        StreamsError::Wal(e) => to_pyerr(py, e),
        StreamsError::InvalidName { reason, .. } | StreamsError::InvalidArgument { reason } => {
            build(py, &INVALID, (message,), &[("reason", obj(py, reason))])
        }
        StreamsError::HeaderTooLarge { size, max } => build(
            py,
            &ENTRY_TOO_LARGE,
            (message,),
            &[("size", obj(py, size)), ("max", obj(py, max))],
        ),
        StreamsError::UnknownTopic { topic } => {
            build(py, &UNKNOWN_TOPIC, (message,), &[("topic", obj(py, topic))])
        }
        StreamsError::LsnOutOfRange {
            topic,
            lsn,
            first,
            next,
        } => build(
            py,
            &OUT_OF_RANGE,
            (message,),
            &[
                ("topic", obj(py, topic)),
                ("lsn", obj(py, lsn)),
                ("first", obj(py, first)),
                ("next", obj(py, next)),
            ],
        ),
        StreamsError::ConsumerModeMismatch {
            topic,
            consumer,
            existing,
            requested,
        } => build(
            py,
            &MODE_MISMATCH,
            (message,),
            &[
                ("topic", obj(py, topic)),
                ("consumer", obj(py, consumer)),
                ("existing", obj(py, mode_name(existing))),
                ("requested", obj(py, mode_name(requested))),
            ],
        ),
        StreamsError::ConsumerInUse { topic, consumer } => build(
            py,
            &CONSUMER_IN_USE,
            (message,),
            &[("topic", obj(py, topic)), ("consumer", obj(py, consumer))],
        ),
        StreamsError::NotAStore { path, reason } => build(
            py,
            &NOT_A_STORE,
            (message,),
            &[
                ("path", obj(py, path.to_string_lossy().into_owned())),
                ("reason", obj(py, reason)),
            ],
        ),
        StreamsError::Format { log_lsn, reason } => build(
            py,
            &STORE_FORMAT,
            (message,),
            &[("log_lsn", obj(py, log_lsn)), ("reason", obj(py, reason))],
        ),
        // A kind added to the streams layer later: still a `WalogsError` with its message.
        _ => build(py, &WALOGS_ERROR, (message,), &[]),
    }
}

/// `Result<T, WalError>` → `PyResult<T>`.
pub(crate) trait IntoPyResult<T> {
    /// Map the error with [`to_pyerr`].
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, WalError> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_pyerr(py, e))
    }
}

impl<T> IntoPyResult<T> for Result<T, StreamsError> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| streams_to_pyerr(py, e))
    }
}
