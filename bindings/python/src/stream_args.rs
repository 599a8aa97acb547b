//! Checking and converting the arguments of `walogs.Streams` and `walogs.Consumer`: topic
//! and consumer names, headers, timestamps, the items of a batch, the consumer mode,
//! timeouts and the store's optional sizes and durations. Wrong types are `TypeError`s;
//! values that cannot even be handed to the core are `InvalidArgumentError`s (built by
//! `convert`); what the core refuses (an empty or over-long name, a name with a NUL, a zero
//! `persist_every`, ...) is left to the core. None of these touch the disk.

use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};
use walogs_core::MAX_ENTRY_SIZE;
use walogs_streams::{ConsumerMode, MAX_HEADER, StreamsError};

use crate::convert::{
    buffer_arg, bytes_arg, count_arg, is_single_buffer, seconds_arg, type_name, u64_arg,
};
use crate::errors::{invalid_argument, streams_to_pyerr};

/// A topic or consumer name: a `str` (whether it is a valid name is the core's rule).
/// `what` names the argument in error messages.
pub(crate) fn name_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    let Ok(s) = obj.cast::<PyString>() else {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a str, not {}",
            type_name(obj)
        )));
    };
    Ok(s.to_cow()?.into_owned())
}

/// The streams `HeaderTooLarge` error, as `EntryTooLargeError`.
fn header_too_large(py: Python<'_>, size: usize, max: usize) -> PyErr {
    streams_to_pyerr(py, StreamsError::HeaderTooLarge { size, max })
}

/// A record's header: `None` (no header) or a bytes-like object of at most [`MAX_HEADER`]
/// bytes (a buffer other than `bytes` over the limit is refused before it is copied).
pub(crate) fn header_arg<'py>(
    obj: Option<&Bound<'py, PyAny>>,
    what: &str,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(None),
        Some(o) => buffer_arg(o, what, MAX_HEADER, header_too_large).map(Some),
    }
}

/// A timestamp in milliseconds since the Unix epoch: `None` (the append's wall clock) or an
/// `int` >= 0.
pub(crate) fn timestamp_arg(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<u64>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(None),
        Some(o) => u64_arg(o, what).map(Some),
    }
}

/// One record to append, its buffers held (so their bytes stay put while the GIL is
/// released).
pub(crate) struct HeldRecord<'py> {
    /// The payload.
    pub data: Bound<'py, PyBytes>,
    /// The header, if any.
    pub header: Option<Bound<'py, PyBytes>>,
    /// The timestamp, if one was given.
    pub timestamp_ms: Option<u64>,
}

impl HeldRecord<'_> {
    /// The core's view of it.
    pub(crate) fn as_new_record(&self) -> walogs_streams::NewRecord<'_> {
        walogs_streams::NewRecord {
            data: self.data.as_bytes(),
            header: self.header.as_ref().map_or(&[], |h| h.as_bytes()),
            timestamp_ms: self.timestamp_ms,
        }
    }
}

/// The items of `append_batch`: an iterable whose items are each a bytes-like object (the
/// data), or a tuple `(data, header)` or `(data, header, timestamp_ms)` (`header` and
/// `timestamp_ms` may be `None`). `timestamp_ms` is given to the items that give none.
pub(crate) fn batch_arg<'py>(
    items: &Bound<'py, PyAny>,
    timestamp_ms: Option<u64>,
) -> PyResult<Vec<HeldRecord<'py>>> {
    const SHAPE: &str = "bytes-like objects or (data, header[, timestamp_ms]) tuples";
    if is_single_buffer(items) {
        return Err(PyTypeError::new_err(format!(
            "items must be an iterable of {SHAPE}, not a single {} (wrap it in a list, or use \
             append())",
            type_name(items)
        )));
    }
    let iter = items.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "items must be an iterable of {SHAPE}, not {}",
            type_name(items)
        ))
    })?;
    let mut held = Vec::new();
    for (i, item) in iter.enumerate() {
        let item = item?;
        let Ok(tuple) = item.cast::<PyTuple>() else {
            held.push(HeldRecord {
                data: bytes_arg(&item, &format!("items[{i}]"), MAX_ENTRY_SIZE)?,
                header: None,
                timestamp_ms,
            });
            continue;
        };
        if !(2..=3).contains(&tuple.len()) {
            return Err(PyTypeError::new_err(format!(
                "items[{i}] must be (data, header) or (data, header, timestamp_ms), not a tuple \
                 of {}",
                tuple.len()
            )));
        }
        let ts = match tuple.len() {
            3 => timestamp_arg(Some(&tuple.get_item(2)?), &format!("items[{i}][2]"))?,
            _ => None,
        };
        held.push(HeldRecord {
            data: bytes_arg(
                &tuple.get_item(0)?,
                &format!("items[{i}][0]"),
                MAX_ENTRY_SIZE,
            )?,
            header: header_arg(Some(&tuple.get_item(1)?), &format!("items[{i}][1]"))?,
            timestamp_ms: ts.or(timestamp_ms),
        });
    }
    Ok(held)
}

/// The `mode` argument of `Streams.consumer`: a `str` (which strings are modes is
/// [`mode_arg`]'s rule).
#[derive(Debug, Clone)]
pub(crate) struct ModeName(pub String);

impl FromPyObject<'_, '_> for ModeName {
    type Error = PyErr;

    fn extract(ob: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        let Ok(s) = ob.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "mode must be 'strict' or 'at_least_once', not {}",
                type_name(&ob)
            )));
        };
        Ok(ModeName(s.to_cow()?.into_owned()))
    }
}

/// The consumer mode from `mode` (`"strict"` or `"at_least_once"`) and `persist_every`
/// (only with `"at_least_once"`; `None` there means 100). The core refuses a zero
/// `persist_every`.
pub(crate) fn mode_arg(
    py: Python<'_>,
    mode: &ModeName,
    persist_every: Option<&Bound<'_, PyAny>>,
) -> PyResult<ConsumerMode> {
    /// `persist_every` of an `"at_least_once"` consumer opened without one.
    const DEFAULT_PERSIST_EVERY: u32 = 100;
    let persist_every = persist_every.filter(|p| !p.is_none());
    match mode.0.as_str() {
        "strict" => match persist_every {
            None => Ok(ConsumerMode::Strict),
            Some(_) => Err(invalid_argument(
                py,
                "persist_every is only meaningful with mode='at_least_once'".to_string(),
            )),
        },
        "at_least_once" => {
            let persist_every = match persist_every {
                None => DEFAULT_PERSIST_EVERY,
                Some(p) => {
                    let n = u64_arg(p, "persist_every")?;
                    u32::try_from(n).map_err(|_| {
                        invalid_argument(
                            py,
                            format!("persist_every must be between 1 and 2**32-1, got {n}"),
                        )
                    })?
                }
            };
            Ok(ConsumerMode::AtLeastOnce { persist_every })
        }
        other => Err(invalid_argument(
            py,
            format!("unknown consumer mode '{other}': use 'strict' or 'at_least_once'"),
        )),
    }
}

/// How long a consumer waits: `None` as long as it takes, else seconds (an `int`/`float` >=
/// 0 or a `datetime.timedelta`; 0 does not wait).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeout(pub Option<Duration>);

impl FromPyObject<'_, '_> for Timeout {
    type Error = PyErr;

    fn extract(ob: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        if ob.is_none() {
            return Ok(Timeout(None));
        }
        seconds_arg(&ob, "timeout").map(|d| Timeout(Some(d)))
    }
}

/// An optional duration option of the store: `None`, or seconds as [`seconds_arg`] takes
/// them. `what` names it in error messages.
pub(crate) fn optional_seconds(
    obj: Option<&Bound<'_, PyAny>>,
    what: &str,
) -> PyResult<Option<Duration>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(None),
        Some(o) => seconds_arg(o, what).map(Some),
    }
}

/// An optional size option of the store: `None`, or an `int` >= `min` (`min` is 1 where
/// zero means nothing sensible, such as a segment size). `what` names it in error messages.
pub(crate) fn optional_size(
    obj: Option<&Bound<'_, PyAny>>,
    what: &str,
    min: u64,
) -> PyResult<Option<u64>> {
    let Some(o) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let n = u64_arg(o, what)?;
    if n < min {
        return Err(invalid_argument(
            o.py(),
            format!("{what} must be >= {min} (or None), got {n}"),
        ));
    }
    Ok(Some(n))
}

/// A `max_bytes` argument (an `int`, 0 ..= the largest `usize`; whether 0 is accepted is
/// the core's rule).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MaxBytes(pub usize);

impl FromPyObject<'_, '_> for MaxBytes {
    type Error = PyErr;

    fn extract(ob: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        count_arg(&ob, "max_bytes").map(MaxBytes)
    }
}

/// A `max_records` argument (an `int`, 0 ..= the largest `usize`; whether 0 is accepted is
/// the core's rule).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MaxRecords(pub usize);

impl FromPyObject<'_, '_> for MaxRecords {
    type Error = PyErr;

    fn extract(ob: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        count_arg(&ob, "max_records").map(MaxRecords)
    }
}
