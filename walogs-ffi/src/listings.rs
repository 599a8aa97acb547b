//! `walogs_topics` and `walogs_consumers`: snapshots of a store's topics and registered
//! consumers, owned by the caller until freed.

use std::ffi::{CString, c_char};

use walogs_streams::ConsumerMode;

use crate::args::{need_out, obj, put};
use crate::boundary::guard;
use crate::consumer::{WALOGS_CONSUMER_AT_LEAST_ONCE, WALOGS_CONSUMER_STRICT, WalogsConsumerMode};
use crate::last_error::Failure;
use crate::status::WalogsStatus;
use crate::streams::WalogsStreams;

/// A C copy of a name (topic and consumer names never hold NUL: the store refuses them).
pub(crate) fn c_name(s: &str) -> Result<CString, Failure> {
    CString::new(s).map_err(|_| Failure::invalid(format!("name {s:?} holds a NUL byte")))
}

/// One topic of a `walogs_topics` list.
#[derive(Debug)]
struct TopicRow {
    name: CString,
    first_lsn: u64,
    next_lsn: u64,
    bytes: u64,
}

/// The topics of a store when `walogs_streams_topics` was called, by name (opaque;
/// `walogs_topics_len`, `walogs_topics_get`, `walogs_topics_free`). Immutable; does not
/// depend on the store.
#[derive(Debug)]
pub struct WalogsTopics {
    rows: Vec<TopicRow>,
}

/// One consumer of a `walogs_consumers` list.
#[derive(Debug)]
struct ConsumerRow {
    topic: CString,
    name: CString,
    mode: WalogsConsumerMode,
    persist_every: u32,
    position: u64,
}

/// The consumers registered in a store when `walogs_streams_consumers` was called (opaque;
/// `walogs_consumers_len`, `walogs_consumers_get`, `walogs_consumers_free`). Immutable;
/// does not depend on the store.
#[derive(Debug)]
pub struct WalogsConsumers {
    rows: Vec<ConsumerRow>,
}

/// Every topic of the store, by name; `*out` receives the list. Works on read-only stores
/// (as of the open or the last `walogs_streams_refresh`). Cost: a copy of the topic table.
///
/// # Safety
/// `streams` NULL or a live store; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_topics(
    streams: *const WalogsStreams,
    out: *mut *mut WalogsTopics,
) -> WalogsStatus {
    guard("walogs_streams_topics", || {
        // SAFETY: forwarded from the caller.
        let s = unsafe { obj(streams, "streams") }?.store()?;
        need_out(out, "out")?;
        let rows = s
            .topics()
            .into_iter()
            .map(|t| {
                Ok(TopicRow {
                    name: c_name(&t.name)?,
                    first_lsn: t.first_lsn,
                    next_lsn: t.next_lsn,
                    bytes: t.bytes,
                })
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(out, Box::into_raw(Box::new(WalogsTopics { rows }))) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// `*out` = how many topics `topics` holds.
///
/// # Safety
/// `topics` NULL or a live list; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_topics_len(
    topics: *const WalogsTopics,
    out: *mut usize,
) -> WalogsStatus {
    guard("walogs_topics_len", || {
        // SAFETY: forwarded from the caller.
        let t = unsafe { obj(topics, "topics") }?;
        need_out(out, "out")?;
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(out, t.rows.len()) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Topic `index` (0-based, by name) of `topics`, each output optional: `*name_out` its
/// NUL-terminated name (owned by the list, valid until `walogs_topics_free`),
/// `*first_out` its oldest LSN held (its next LSN when it holds none), `*next_out` the LSN
/// its next record gets, `*bytes_out` the bytes of data and headers it holds. An `index`
/// at or past `walogs_topics_len` is `WALOGS_INVALID_ARGUMENT`.
///
/// # Safety
/// `topics` NULL or a live list; the outputs NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_topics_get(
    topics: *const WalogsTopics,
    index: usize,
    name_out: *mut *const c_char,
    first_out: *mut u64,
    next_out: *mut u64,
    bytes_out: *mut u64,
) -> WalogsStatus {
    guard("walogs_topics_get", || {
        // SAFETY: forwarded from the caller.
        let t = unsafe { obj(topics, "topics") }?;
        let Some(row) = t.rows.get(index) else {
            return Err(Failure::invalid(format!(
                "index {index} is past the end of a list of {} topics",
                t.rows.len()
            )));
        };
        // SAFETY: each NULL or valid for a write (caller's contract).
        unsafe {
            put(name_out, row.name.as_ptr());
            put(first_out, row.first_lsn);
            put(next_out, row.next_lsn);
            put(bytes_out, row.bytes);
        }
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Free a topic list and the names it lent. NULL is a no-op.
///
/// # Safety
/// `topics` NULL or a pointer from `walogs_streams_topics` not yet freed, read by no other
/// thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_topics_free(topics: *mut WalogsTopics) {
    // SAFETY: `topics` is NULL or a pointer this library handed out and not yet freed, used by
    // no other thread (the caller's contract above).
    unsafe { crate::boundary::free_boxed(topics) }
}

/// Every registered consumer of the store (by topic, then name) with its persisted
/// position; `*out` receives the list. Works on read-only stores. Cost: a copy of the
/// consumer table.
///
/// # Safety
/// `streams` NULL or a live store; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_consumers(
    streams: *const WalogsStreams,
    out: *mut *mut WalogsConsumers,
) -> WalogsStatus {
    guard("walogs_streams_consumers", || {
        // SAFETY: forwarded from the caller.
        let s = unsafe { obj(streams, "streams") }?.store()?;
        need_out(out, "out")?;
        let rows = s
            .consumers()
            .into_iter()
            .map(|c| {
                let (mode, persist_every) = match c.mode {
                    ConsumerMode::Strict => (WALOGS_CONSUMER_STRICT, 0),
                    ConsumerMode::AtLeastOnce { persist_every } => {
                        (WALOGS_CONSUMER_AT_LEAST_ONCE, persist_every)
                    }
                };
                Ok(ConsumerRow {
                    topic: c_name(&c.topic)?,
                    name: c_name(&c.name)?,
                    mode,
                    persist_every,
                    position: c.position,
                })
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(out, Box::into_raw(Box::new(WalogsConsumers { rows }))) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// `*out` = how many consumers `consumers` holds.
///
/// # Safety
/// `consumers` NULL or a live list; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_consumers_len(
    consumers: *const WalogsConsumers,
    out: *mut usize,
) -> WalogsStatus {
    guard("walogs_consumers_len", || {
        // SAFETY: forwarded from the caller.
        let c = unsafe { obj(consumers, "consumers") }?;
        need_out(out, "out")?;
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(out, c.rows.len()) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Consumer `index` (0-based) of `consumers`, each output optional: `*topic_out` and
/// `*name_out` NUL-terminated strings owned by the list (valid until
/// `walogs_consumers_free`), `*mode_out` a `WALOGS_CONSUMER_*` value, `*persist_every_out`
/// its persist interval (0 for strict), `*position_out` its persisted position (the LSN it
/// reads next). An `index` at or past `walogs_consumers_len` is `WALOGS_INVALID_ARGUMENT`.
///
/// # Safety
/// `consumers` NULL or a live list; the outputs NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_consumers_get(
    consumers: *const WalogsConsumers,
    index: usize,
    topic_out: *mut *const c_char,
    name_out: *mut *const c_char,
    mode_out: *mut WalogsConsumerMode,
    persist_every_out: *mut u32,
    position_out: *mut u64,
) -> WalogsStatus {
    guard("walogs_consumers_get", || {
        // SAFETY: forwarded from the caller.
        let c = unsafe { obj(consumers, "consumers") }?;
        let Some(row) = c.rows.get(index) else {
            return Err(Failure::invalid(format!(
                "index {index} is past the end of a list of {} consumers",
                c.rows.len()
            )));
        };
        // SAFETY: each NULL or valid for a write (caller's contract).
        unsafe {
            put(topic_out, row.topic.as_ptr());
            put(name_out, row.name.as_ptr());
            put(mode_out, row.mode);
            put(persist_every_out, row.persist_every);
            put(position_out, row.position);
        }
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Free a consumer list and the strings it lent. NULL is a no-op.
///
/// # Safety
/// `consumers` NULL or a pointer from `walogs_streams_consumers` not yet freed, read by no
/// other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_consumers_free(consumers: *mut WalogsConsumers) {
    // SAFETY: `consumers` is NULL or a pointer this library handed out and not yet freed, used by
    // no other thread (the caller's contract above).
    unsafe { crate::boundary::free_boxed(consumers) }
}
