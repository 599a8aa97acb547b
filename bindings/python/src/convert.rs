//! Checking and converting Python arguments: bytes-like data, paths, LSNs, counts, file
//! modes, durations, the durability policy, streams' names, timestamps and consumer modes.
//! Every wrong type is a `TypeError` naming the argument and the type received; every value
//! that cannot even be handed to the core (a negative count, a non-finite duration, an
//! unknown mode string) is an `InvalidArgumentError` (a `ValueError`), the class the core
//! raises for the values it refuses itself, which are left to the core. None of these touch
//! the disk.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyInt, PyMemoryView, PyString};
use walogs_core::Durability;

use crate::errors::{invalid_argument, too_large};

/// The name of `obj`'s type, for error messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_string())
}

/// Whether `obj` is a single bytes-like object or a string (what `entries` must not be).
pub(crate) fn is_single_buffer(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyBytes>()
        || obj.is_instance_of::<PyByteArray>()
        || obj.is_instance_of::<PyMemoryView>()
        || obj.is_instance_of::<PyString>()
}

/// The bytes of a bytes-like argument, as a `bytes` object whose contents stay fixed while
/// the GIL is released.
///
/// `bytes` is used as is (no copy; the core checks its size). Any other object supporting
/// the buffer protocol (`bytearray`, `memoryview`, `array.array`, numpy arrays, `mmap`, ...)
/// is copied once, in C order, after its size was checked against `max` (the core's limit
/// for this argument, raising the error the core would raise) so that an oversize buffer is
/// refused without copying it. `what` names the argument in error messages.
pub(crate) fn bytes_arg<'py>(
    obj: &Bound<'py, PyAny>,
    what: &str,
    max: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    buffer_arg(obj, what, max, too_large)
}

/// [`bytes_arg`] with the error for an oversize buffer made by `over(py, size, max)` (for a
/// limit whose error is not the core's `EntryTooLarge`, such as a streams header's).
pub(crate) fn buffer_arg<'py>(
    obj: &Bound<'py, PyAny>,
    what: &str,
    max: usize,
    over: fn(Python<'py>, usize, usize) -> PyErr,
) -> PyResult<Bound<'py, PyBytes>> {
    let py = obj.py();
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.clone());
    }
    if obj.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a bytes-like object, not str (encode it first, e.g. s.encode())"
        )));
    }
    let view = PyMemoryView::from(obj).map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a bytes-like object (bytes, bytearray, memoryview, ...), not {}",
            type_name(obj)
        ))
    })?;
    let size: usize = view.getattr("nbytes")?.extract()?;
    if size > max {
        return Err(over(py, size, max));
    }
    Ok(view.call_method0("tobytes")?.cast_into::<PyBytes>()?)
}

/// A path argument: `str`, `bytes` or any `os.PathLike` (resolved with `os.fspath`).
///
/// An object that is none of these is a `TypeError` naming its type; an empty path or one
/// holding a NUL byte is `InvalidArgumentError`. An exception raised
/// by the object's own `__fspath__` (or `os.fspath`'s complaint about what it returned)
/// propagates unchanged, as it does from `open()`.
pub(crate) fn path_arg(obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    static FSPATH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let py = obj.py();
    let path_like = obj.is_instance_of::<PyString>()
        || obj.is_instance_of::<PyBytes>()
        || obj.get_type().hasattr(intern!(py, "__fspath__"))?;
    if !path_like {
        return Err(PyTypeError::new_err(format!(
            "path must be a str, bytes or os.PathLike object, not {}",
            type_name(obj)
        )));
    }
    let resolved = FSPATH.import(py, "os", "fspath")?.call1((obj,))?;
    #[cfg(unix)]
    if let Ok(b) = resolved.cast::<PyBytes>() {
        use std::os::unix::ffi::OsStrExt;
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(b.as_bytes()));
        return checked_path(py, path);
    }
    checked_path(py, resolved.extract()?)
}

/// `path` when it names something: not empty, and without a NUL byte (which no system call
/// takes; Python's own `os` functions raise `ValueError` for it, Go's binding
/// `ErrInvalidArgument`).
fn checked_path(py: Python<'_>, path: PathBuf) -> PyResult<PathBuf> {
    if path.as_os_str().is_empty() {
        return Err(invalid_argument(py, "path must not be empty".to_string()));
    }
    if path.as_os_str().as_encoded_bytes().contains(&0) {
        return Err(invalid_argument(
            py,
            format!("path contains a NUL byte: {path:?}"),
        ));
    }
    Ok(path)
}

/// A non-negative integer argument that fits `u64` (a `bool` is refused as a likely
/// mistake). `what` names it in error messages.
pub(crate) fn u64_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    if !obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an int, not {}",
            type_name(obj)
        )));
    }
    obj.extract::<u64>().map_err(|_| {
        invalid_argument(
            obj.py(),
            format!(
                "{what} must be between 0 and 2**64-1, got {}",
                obj.str().map(|s| s.to_string()).unwrap_or_default()
            ),
        )
    })
}

/// An LSN argument (`int`, 0 ..= 2**64-1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LsnArg(pub u64);

impl FromPyObject<'_, '_> for LsnArg {
    type Error = PyErr;

    fn extract(ob: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        u64_arg(&ob, "lsn").map(LsnArg)
    }
}

/// A count argument (`int`, 0 ..= the largest `usize`); `what` names it in error messages.
pub(crate) fn count_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<usize> {
    let n = u64_arg(obj, what)?;
    usize::try_from(n).map_err(|_| {
        invalid_argument(
            obj.py(),
            format!("{what} must fit this machine's usize, got {n}"),
        )
    })
}

/// The `file_mode` argument: permission bits as an `int` (e.g. `0o640`). Which modes are
/// acceptable is the core's rule (`InvalidArgumentError` at open); here only a value that is
/// not a 32-bit mode at all is a `ValueError`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileMode(pub u32);

impl FromPyObject<'_, '_> for FileMode {
    type Error = PyErr;

    fn extract(ob: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        let n = u64_arg(&ob, "file_mode")?;
        u32::try_from(n).map(FileMode).map_err(|_| {
            invalid_argument(
                ob.py(),
                format!("file_mode must be permission bits such as 0o600 or 0o640, got {n:#o}"),
            )
        })
    }
}

/// The `max_segment_size` argument: `None` (never rotate automatically) or an `int` >= 1.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SegmentSize(pub Option<u64>);

impl FromPyObject<'_, '_> for SegmentSize {
    type Error = PyErr;

    fn extract(ob: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        if ob.is_none() {
            return Ok(SegmentSize(None));
        }
        match u64_arg(&ob, "max_segment_size")? {
            0 => Err(invalid_argument(
                ob.py(),
                "max_segment_size must be >= 1 (use None to never rotate automatically)"
                    .to_string(),
            )),
            n => Ok(SegmentSize(Some(n))),
        }
    }
}

/// The `durability` argument: a `walogs.Durability` (a `str` enum) or its string value.
#[derive(Debug, Clone)]
pub(crate) struct DurabilityName(pub String);

impl FromPyObject<'_, '_> for DurabilityName {
    type Error = PyErr;

    fn extract(ob: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        // A `walogs.Durability` member is a `str` whose contents are its value.
        let Ok(s) = ob.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "durability must be a walogs.Durability or one of the strings \
                 'every_append', 'interval', 'manual', 'none'; not {}",
                type_name(&ob)
            )));
        };
        Ok(DurabilityName(s.to_cow()?.into_owned()))
    }
}

/// The durability policy from `durability` and `interval` (seconds, only with
/// `"interval"`).
pub(crate) fn durability_arg(
    py: Python<'_>,
    durability: &DurabilityName,
    interval: Option<&Bound<'_, PyAny>>,
) -> PyResult<Durability> {
    let interval = interval.filter(|i| !i.is_none());
    let name = durability.0.as_str();
    let policy = match name {
        "every_append" => Durability::EveryAppend,
        "manual" => Durability::Manual,
        "none" => Durability::None,
        "interval" => {
            let Some(i) = interval else {
                return Err(invalid_argument(
                    py,
                    "durability='interval' needs interval=<seconds between fdatasyncs>".to_string(),
                ));
            };
            return Ok(Durability::Interval(seconds_arg(i, "interval")?));
        }
        other => {
            return Err(invalid_argument(
                py,
                format!(
                    "unknown durability '{other}': use 'every_append', 'interval', 'manual' or 'none'"
                ),
            ));
        }
    };
    if interval.is_some() {
        return Err(invalid_argument(
            py,
            format!("interval is only meaningful with durability='interval', not '{name}'"),
        ));
    }
    Ok(policy)
}

/// A duration in seconds: an `int`/`float` >= 0, or a `datetime.timedelta`; `what` names it
/// in error messages. Zero is a duration like any other (whether it is acceptable is the
/// core's rule).
pub(crate) fn seconds_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Duration> {
    let secs: f64 = if let Ok(total) = obj.call_method0("total_seconds") {
        total.extract()?
    } else if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a number of seconds, not bool"
        )));
    } else {
        obj.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "{what} must be a number of seconds or a datetime.timedelta, not {}",
                type_name(obj)
            ))
        })?
    };
    Duration::try_from_secs_f64(secs).map_err(|_| {
        invalid_argument(
            obj.py(),
            format!("{what} must be a finite number of seconds >= 0, got {secs}"),
        )
    })
}
