//! `walogs_consumer`: a persistent consumer of one topic (open, next, next batch, commit,
//! position getters, close, free).

use std::ffi::c_char;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use walogs_core::WalError;
use walogs_streams::{Consumer, ConsumerMode, RecordBatch};

use crate::args::{name, need_out, obj, put, timeout};
use crate::boundary::guard;
use crate::last_error::Failure;
use crate::records::{WalogsRecord, WalogsRecords, boxed_record, boxed_records};
use crate::status::WalogsStatus;
use crate::streams::WalogsStreams;

/// How a consumer keeps its position: one of the `WALOGS_CONSUMER_*` values.
pub type WalogsConsumerMode = u32;

/// The position is durable before a record is handed out: a record returned by
/// `walogs_consumer_next` is never returned again to this consumer, even after a crash.
/// Costs one durable log entry (a shared fdatasync) per next / next-batch call.
pub const WALOGS_CONSUMER_STRICT: WalogsConsumerMode = 0;
/// The position is persisted every `persist_every` delivered records and on
/// `walogs_consumer_commit` / `walogs_consumer_close`: after a crash the consumer resumes
/// at most `persist_every` records back, and never skips one.
pub const WALOGS_CONSUMER_AT_LEAST_ONCE: WalogsConsumerMode = 1;

/// A consumer of one topic (opaque; open with `walogs_streams_consumer`, free with
/// `walogs_consumer_free`). It delivers the topic's records in LSN order and keeps its
/// position in the store under its name.
///
/// Calls on one consumer are serialized: use it from one thread at a time (it may move
/// between threads; a call made while another thread's call runs, e.g. a
/// `walogs_consumer_next` waiting for a record, waits for it). It keeps the store's data
/// alive: after `walogs_streams_close` its calls return `WALOGS_CLOSED` (a waiting
/// `walogs_consumer_next` returns at once) and it may still be freed.
#[derive(Debug)]
pub struct WalogsConsumer {
    /// `None` once `walogs_consumer_close` released it.
    consumer: Mutex<Option<Consumer>>,
    /// The store's closed flag (see `WalogsStreams::closed`).
    store_closed: Arc<AtomicBool>,
}

/// Run `f` on the open consumer behind `c`: `WALOGS_CLOSED` when the consumer or its store
/// was closed.
///
/// # Safety
/// `c` NULL or a live consumer.
unsafe fn with<T>(
    c: *const WalogsConsumer,
    f: impl FnOnce(&mut Consumer) -> Result<T, Failure>,
) -> Result<T, Failure> {
    // SAFETY: forwarded from the caller.
    let c = unsafe { obj(c, "consumer") }?;
    if c.store_closed.load(Ordering::Acquire) {
        return Err(Failure::from(WalError::Closed));
    }
    // A panic in an earlier call cannot leave a half-updated consumer the core would
    // mind: its state lives in the store. Recover the guard.
    let mut slot = c.consumer.lock().unwrap_or_else(PoisonError::into_inner);
    match slot.as_mut() {
        Some(consumer) => f(consumer),
        None => Err(Failure::new(
            WalogsStatus::WALOGS_CLOSED,
            "the consumer is closed (walogs_consumer_close)",
        )),
    }
}

/// Open consumer `name` of `topic` (NUL-terminated UTF-8 names, 1 to `WALOGS_MAX_NAME`
/// bytes); `*out` receives it. The first open registers it at the topic's oldest record,
/// with `mode` (`WALOGS_CONSUMER_STRICT`, or `WALOGS_CONSUMER_AT_LEAST_ONCE` with
/// `persist_every` >= 1 delivered records between automatic persists; `persist_every` is
/// ignored for strict); later opens resume at its persisted position.
///
/// `WALOGS_UNKNOWN_TOPIC` for a topic never appended to, `WALOGS_CONSUMER_MODE_MISMATCH`
/// when it is registered with the other mode, `WALOGS_CONSUMER_IN_USE` while it is open
/// (not yet closed or freed), `WALOGS_INVALID_ARGUMENT` for a bad name, an unknown mode or
/// a zero `persist_every`, `WALOGS_READ_ONLY` on a read-only store. Registering costs one
/// durable log entry.
///
/// # Safety
/// `streams` NULL or a live store; `topic`, `consumer_name` NULL or NUL-terminated; `out`
/// NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_consumer(
    streams: *const WalogsStreams,
    topic: *const c_char,
    consumer_name: *const c_char,
    mode: WalogsConsumerMode,
    persist_every: u32,
    out: *mut *mut WalogsConsumer,
) -> WalogsStatus {
    guard("walogs_streams_consumer", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(streams, "streams") }?;
        let s = h.store()?;
        // SAFETY: forwarded from the caller.
        let topic = unsafe { name(topic, "topic") }?;
        // SAFETY: forwarded from the caller.
        let consumer_name = unsafe { name(consumer_name, "consumer_name") }?;
        need_out(out, "out")?;
        let mode = match mode {
            WALOGS_CONSUMER_STRICT => ConsumerMode::Strict,
            WALOGS_CONSUMER_AT_LEAST_ONCE => ConsumerMode::AtLeastOnce { persist_every },
            other => {
                return Err(Failure::invalid(format!(
                    "unknown consumer mode {other} (expected 0..=1, see WALOGS_CONSUMER_*)"
                )));
            }
        };
        let consumer = s.consumer(topic, consumer_name, mode)?;
        let handle = Box::into_raw(Box::new(WalogsConsumer {
            consumer: Mutex::new(Some(consumer)),
            store_closed: Arc::clone(&h.closed),
        }));
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(out, handle) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// The next record: `*record` receives it (free with `walogs_record_free`), or NULL when
/// none was appended within `timeout_ms` (that is `WALOGS_OK` too). `timeout_ms` below 0
/// waits without limit, 0 only looks. A strict consumer's position is durable before the
/// record is handed out. Records retention deleted before this consumer read them are
/// skipped (counted by `walogs_consumer_skipped`). `WALOGS_CLOSED` when the consumer or
/// the store is closed (also during the wait). Cost while waiting: the calling thread
/// sleeps on a condition variable.
///
/// # Safety
/// `consumer` NULL or a live consumer; `record` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_consumer_next(
    consumer: *const WalogsConsumer,
    timeout_ms: i64,
    record: *mut *mut WalogsRecord,
) -> WalogsStatus {
    guard("walogs_consumer_next", || {
        need_out(record, "record")?;
        // SAFETY: forwarded from the caller.
        let next = unsafe { with(consumer, |c| Ok(c.next(timeout(timeout_ms))?)) }?;
        let out = next.map_or(std::ptr::null_mut(), boxed_record);
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(record, out) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// The next records: at least one if any is available (waiting as `walogs_consumer_next`
/// does), then as many more as fit `max_bytes` of data and headers; `*records` receives
/// them (free with `walogs_records_free`), an empty list on timeout. `max_bytes` 0 is
/// `WALOGS_INVALID_ARGUMENT`. A strict consumer persists its position once per call.
///
/// # Safety
/// `consumer` NULL or a live consumer; `records` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_consumer_next_batch(
    consumer: *const WalogsConsumer,
    max_bytes: usize,
    timeout_ms: i64,
    records: *mut *mut WalogsRecords,
) -> WalogsStatus {
    guard("walogs_consumer_next_batch", || {
        need_out(records, "records")?;
        // SAFETY: forwarded from the caller.
        let batch = unsafe {
            with(consumer, |c| {
                let mut batch = RecordBatch::new();
                c.next_batch_into(&mut batch, max_bytes, timeout(timeout_ms))?;
                Ok(batch)
            })
        }?;
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(records, boxed_records(batch)) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Persist the consumer's position durably now (one durable log entry; a no-op for a
/// strict consumer, whose position is always persisted).
///
/// # Safety
/// `consumer` NULL or a live consumer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_consumer_commit(consumer: *const WalogsConsumer) -> WalogsStatus {
    guard("walogs_consumer_commit", || {
        // SAFETY: forwarded from the caller.
        unsafe { with(consumer, |c| Ok(c.commit()?)) }?;
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Answer a consumer getter.
///
/// # Safety
/// `consumer` NULL or a live consumer; `out` NULL or valid for a write.
unsafe fn get(
    func: &str,
    consumer: *const WalogsConsumer,
    out: *mut u64,
    f: impl FnOnce(&Consumer) -> u64,
) -> WalogsStatus {
    guard(func, || {
        need_out(out, "out")?;
        // SAFETY: forwarded from the caller.
        let v = unsafe { with(consumer, |c| Ok(f(c))) }?;
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(out, v) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// `*out` = the LSN the next delivered record will have. `WALOGS_CLOSED` once the consumer
/// or its store is closed.
///
/// # Safety
/// `consumer` NULL or a live consumer; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_consumer_position(
    consumer: *const WalogsConsumer,
    out: *mut u64,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        get(
            "walogs_consumer_position",
            consumer,
            out,
            Consumer::position,
        )
    }
}

/// `*out` = the position persisted in the store (what a reopen after a crash resumes at).
///
/// # Safety
/// `consumer` NULL or a live consumer; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_consumer_committed(
    consumer: *const WalogsConsumer,
    out: *mut u64,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        get(
            "walogs_consumer_committed",
            consumer,
            out,
            Consumer::committed,
        )
    }
}

/// `*out` = records this consumer skipped because retention deleted them before it read
/// them, since it was opened.
///
/// # Safety
/// `consumer` NULL or a live consumer; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_consumer_skipped(
    consumer: *const WalogsConsumer,
    out: *mut u64,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe { get("walogs_consumer_skipped", consumer, out, Consumer::skipped) }
}

/// Commit the position (at-least-once) and release the consumer, so that it can be opened
/// again; the object stays allocated until `walogs_consumer_free`, and its other calls
/// return `WALOGS_CLOSED`. A second close returns `WALOGS_OK`. The consumer is released
/// even when the commit fails (the status says so: `WALOGS_CLOSED` when the store was
/// closed while an at-least-once consumer had delivered records it had not persisted,
/// `WALOGS_IO`, ...). After the store was closed, a consumer with nothing to persist (a
/// strict one, or an at-least-once one whose position is persisted) closes with
/// `WALOGS_OK`.
///
/// # Safety
/// `consumer` NULL or a live consumer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_consumer_close(consumer: *const WalogsConsumer) -> WalogsStatus {
    guard("walogs_consumer_close", || {
        // SAFETY: forwarded from the caller.
        let c = unsafe { obj(consumer, "consumer") }?;
        let taken = c
            .consumer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(open) = taken {
            open.close()?;
        }
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Free a consumer (releasing it if `walogs_consumer_close` did not). NULL is a no-op.
/// Freeing does not commit: an at-least-once consumer freed without close resumes at its
/// last persisted position. Fine after `walogs_streams_close`.
///
/// # Safety
/// `consumer` NULL or a pointer from `walogs_streams_consumer` not yet freed, used by no
/// other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_consumer_free(consumer: *mut WalogsConsumer) {
    // SAFETY: `consumer` is NULL or a pointer this library handed out and not yet freed, used by
    // no other thread (the caller's contract above).
    unsafe { crate::boundary::free_boxed(consumer) }
}
