//! `walogs_streams`: opening and closing a streams store, appending records, store-wide
//! calls (sync, refresh, cleanup, seek by time, one topic's state).

use std::ffi::c_char;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use walogs_core::WalError;
use walogs_streams::{NewRecord, Streams, StreamsOptions, TopicRange};

use crate::args::{array, bytes, entry, name, need_out, obj, path, put};
use crate::boundary::guard;
use crate::last_error::Failure;
use crate::status::WalogsStatus;
use crate::streams_options::WalogsStreamsOptions;

/// The largest record header, in bytes: 64 KiB. A longer one gets `WALOGS_ENTRY_TOO_LARGE`.
pub const WALOGS_MAX_HEADER: usize = 65536;
/// The longest topic or consumer name, in bytes of UTF-8.
pub const WALOGS_MAX_NAME: usize = 255;
/// A timestamp argument meaning "the wall clock at the append" (any negative value does).
pub const WALOGS_TIMESTAMP_NOW: i64 = -1;

const _: () = assert!(WALOGS_MAX_HEADER == walogs_streams::MAX_HEADER);
const _: () = assert!(WALOGS_MAX_NAME == walogs_streams::MAX_TOPIC_NAME);
const _: () = assert!(WALOGS_MAX_NAME == walogs_streams::MAX_CONSUMER_NAME);

/// An open streams store (opaque): named topics with dense per-topic LSNs, records with a
/// header and a millisecond timestamp, persistent consumers, retention. One walogs log in
/// one directory: a writable store holds its lock (a second open, in this process or
/// another, gets `WALOGS_LOCKED`).
///
/// Thread-safe: every function taking a `walogs_streams *` may be called from any number of
/// threads at once (appends to any topics share fdatasyncs), except `walogs_streams_close`,
/// which must be its last call. Consumers made from it are separate objects (see
/// `walogs_consumer`); they keep working until the store is closed, then return
/// `WALOGS_CLOSED`, and may be freed after the store.
#[derive(Debug)]
pub struct WalogsStreams {
    pub(crate) streams: Streams,
    /// Set by `walogs_streams_close`; consumers share it, so that their getters (which the
    /// core answers without looking at the store) also return `WALOGS_CLOSED` afterwards.
    pub(crate) closed: Arc<AtomicBool>,
}

impl WalogsStreams {
    /// The store, or `WALOGS_CLOSED` once `walogs_streams_close` began.
    pub(crate) fn store(&self) -> Result<&Streams, Failure> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Failure::from(WalError::Closed));
        }
        Ok(&self.streams)
    }
}

/// Open or create the store in directory `dir` (a NUL-terminated path). `opts` may be NULL
/// for the defaults; it is not consumed. On success `*out` receives the store, to be
/// released with `walogs_streams_close`.
///
/// Costs a walogs open (a read of the whole log: every record, topic and consumer position
/// is an entry of it) plus rebuilding the per-topic indexes. Fails with `WALOGS_LOCKED`
/// (another writer), `WALOGS_NOT_A_STORE` (a plain walogs log), `WALOGS_CORRUPT`,
/// `WALOGS_STORE_FORMAT`, `WALOGS_INVALID_ARGUMENT` (an empty path, an option value the
/// store refuses), `WALOGS_IO`.
///
/// # Safety
/// `dir` NULL or a NUL-terminated string; `opts` NULL or live; `out` NULL or valid for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_open(
    dir: *const c_char,
    opts: *const WalogsStreamsOptions,
    out: *mut *mut WalogsStreams,
) -> WalogsStatus {
    guard("walogs_streams_open", || {
        need_out(out, "out")?;
        // SAFETY: forwarded from the caller.
        let dir = unsafe { path(dir, "dir") }?;
        let options = if opts.is_null() {
            StreamsOptions::new()
        } else {
            // SAFETY: non-NULL and live (caller's contract).
            unsafe { obj(opts, "opts") }?.inner.clone()
        };
        let streams = options.open(dir)?;
        let handle = Box::into_raw(Box::new(WalogsStreams {
            streams,
            closed: Arc::new(AtomicBool::new(false)),
        }));
        // SAFETY: `out` is non-NULL (checked) and valid for a write.
        unsafe { put(out, handle) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Close the store and free it. NULL is a no-op returning `WALOGS_OK`.
///
/// Stops the background cleaner, makes everything durable, releases the directory; every
/// consumer made from the store then returns `WALOGS_CLOSED` (a `walogs_consumer_next`
/// waiting in another thread returns it at once) and only `walogs_consumer_free` is left
/// to do with it. The store is freed even when the status is an error (the final fdatasync
/// failed: `WALOGS_IO`). Must be the store's last call: no other thread may use the
/// `walogs_streams *` during or after it (its consumers may). Cost: one fdatasync.
///
/// # Safety
/// `streams` NULL or a store from `walogs_streams_open` not yet closed, used by no other
/// thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_close(streams: *mut WalogsStreams) -> WalogsStatus {
    if streams.is_null() {
        return WalogsStatus::WALOGS_OK;
    }
    // SAFETY: from Box::into_raw in walogs_streams_open, closed once (caller's contract).
    // Taken outside the closure so that the store is freed even if closing panics.
    let handle = unsafe { Box::from_raw(streams) };
    guard("walogs_streams_close", move || {
        handle.closed.store(true, Ordering::Release);
        let r = handle.streams.close();
        drop(handle);
        r?;
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// The record timestamp of a C argument: below 0 takes the wall clock at the append.
fn timestamp(ms: i64) -> Option<u64> {
    u64::try_from(ms).ok()
}

/// Append one record to `topic` (a NUL-terminated UTF-8 name, 1 to `WALOGS_MAX_NAME`
/// bytes; the topic is created by its first append): `len` bytes of data at `data`, a
/// header of `header_len` bytes at `header` (NULL and 0 for none; at most
/// `WALOGS_MAX_HEADER`), a timestamp in milliseconds since the Unix epoch (negative, e.g.
/// `WALOGS_TIMESTAMP_NOW`: the wall clock). `*lsn_out` (optional) receives the record's
/// LSN in its topic (1, 2, 3, ... per topic).
///
/// Under `WALOGS_DURABILITY_EVERY_APPEND` the record is durable when this returns
/// `WALOGS_OK`; appends from many threads share fdatasyncs. Consumers waiting on the topic
/// wake up. The bytes are copied. `WALOGS_INVALID_ARGUMENT` for a bad topic name,
/// `WALOGS_ENTRY_TOO_LARGE` for a header over `WALOGS_MAX_HEADER` or data over
/// `WALOGS_MAX_ENTRY_SIZE` (nothing written), `WALOGS_READ_ONLY`, `WALOGS_CLOSED`, and the
/// log's write failures (`WALOGS_IO`, `WALOGS_POISONED`).
///
/// # Safety
/// `streams` NULL or a live store; `topic` NULL or NUL-terminated; `data` NULL or valid for
/// `len` bytes; `header` NULL or valid for `header_len` bytes; `lsn_out` NULL or valid for
/// a write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn walogs_streams_append(
    streams: *const WalogsStreams,
    topic: *const c_char,
    data: *const u8,
    len: usize,
    header: *const u8,
    header_len: usize,
    timestamp_ms: i64,
    lsn_out: *mut u64,
) -> WalogsStatus {
    guard("walogs_streams_append", || {
        // SAFETY: forwarded from the caller.
        let s = unsafe { obj(streams, "streams") }?.store()?;
        // SAFETY: forwarded from the caller.
        let topic = unsafe { name(topic, "topic") }?;
        // SAFETY: forwarded from the caller.
        let data = unsafe { entry(data, len, "data") }?;
        // SAFETY: forwarded from the caller.
        let header = unsafe { bytes(header, header_len, WALOGS_MAX_HEADER, "header") }?;
        let lsn = s.append_record(
            topic,
            NewRecord {
                data,
                header,
                timestamp_ms: timestamp(timestamp_ms),
            },
        )?;
        // SAFETY: forwarded from the caller.
        unsafe { put(lsn_out, lsn) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Gather the `count` records of a batch argument.
///
/// # Safety
/// As for [`walogs_streams_append_batch`].
unsafe fn batch_records<'a>(
    datas: *const *const u8,
    lens: *const usize,
    headers: *const *const u8,
    header_lens: *const usize,
    timestamps_ms: *const i64,
    count: usize,
) -> Result<Vec<NewRecord<'a>>, Failure> {
    if count == 0 {
        return Err(Failure::invalid(
            "a batch must hold at least one record (count is 0)",
        ));
    }
    // SAFETY: forwarded from the caller.
    let datas = unsafe { array(datas, count, "datas") }?;
    // SAFETY: forwarded from the caller.
    let lens = unsafe { array(lens, count, "lens") }?;
    let headers = match (headers.is_null(), header_lens.is_null()) {
        (true, true) => None,
        // SAFETY: forwarded from the caller.
        (false, false) => Some(unsafe {
            (
                array(headers, count, "headers")?,
                array(header_lens, count, "header_lens")?,
            )
        }),
        (true, false) => return Err(Failure::null("headers")),
        (false, true) => return Err(Failure::null("header_lens")),
    };
    let timestamps = if timestamps_ms.is_null() {
        None
    } else {
        // SAFETY: forwarded from the caller.
        Some(unsafe { array(timestamps_ms, count, "timestamps_ms") }?)
    };
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        // SAFETY: forwarded from the caller.
        let data = unsafe { entry(datas[i], lens[i], &format!("datas[{i}]")) }?;
        let header = match headers {
            Some((h, hl)) => {
                // SAFETY: forwarded from the caller.
                unsafe { bytes(h[i], hl[i], WALOGS_MAX_HEADER, &format!("headers[{i}]")) }?
            }
            None => &[],
        };
        out.push(NewRecord {
            data,
            header,
            timestamp_ms: timestamps.and_then(|t| timestamp(t[i])),
        });
    }
    Ok(out)
}

/// Append `count` records to `topic` atomically (after a crash all of them or none), with
/// consecutive LSNs; `*first_out` and `*last_out` (optional) receive the first and last.
/// Record `i` is `lens[i]` bytes at `datas[i]` (NULL allowed for 0), with the header
/// `header_lens[i]` bytes at `headers[i]` (`headers` and `header_lens` both NULL: no
/// headers; one NULL without the other is `WALOGS_NULL_ARGUMENT`) and the timestamp
/// `timestamps_ms[i]` (`timestamps_ms` NULL, or a negative element: the wall clock).
///
/// One log unit, one write, one fdatasync. `count` 0 is `WALOGS_INVALID_ARGUMENT`; a
/// header over `WALOGS_MAX_HEADER`, an entry over `WALOGS_MAX_ENTRY_SIZE` or a batch over
/// `WALOGS_MAX_BATCH_SIZE` is `WALOGS_ENTRY_TOO_LARGE` (nothing written). Other statuses as
/// `walogs_streams_append`.
///
/// # Safety
/// `streams` NULL or a live store; `topic` NULL or NUL-terminated; `datas`, `lens`,
/// `headers`, `header_lens`, `timestamps_ms` NULL or valid for `count` reads, each
/// `datas[i]`/`headers[i]` NULL or valid for its length; the outputs NULL or valid for a
/// write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn walogs_streams_append_batch(
    streams: *const WalogsStreams,
    topic: *const c_char,
    datas: *const *const u8,
    lens: *const usize,
    headers: *const *const u8,
    header_lens: *const usize,
    timestamps_ms: *const i64,
    count: usize,
    first_out: *mut u64,
    last_out: *mut u64,
) -> WalogsStatus {
    guard("walogs_streams_append_batch", || {
        // SAFETY: forwarded from the caller.
        let s = unsafe { obj(streams, "streams") }?.store()?;
        // SAFETY: forwarded from the caller.
        let topic = unsafe { name(topic, "topic") }?;
        // SAFETY: forwarded from the caller.
        let records =
            unsafe { batch_records(datas, lens, headers, header_lens, timestamps_ms, count) }?;
        let TopicRange { first, last } = s.append_batch(topic, &records)?;
        // SAFETY: forwarded from the caller.
        unsafe {
            put(first_out, first);
            put(last_out, last);
        }
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Make every appended record and consumer position durable (one fdatasync if anything is
/// pending). Needed only under the relaxed durability policies. `WALOGS_READ_ONLY` on a
/// read-only store; a failed fdatasync is `WALOGS_IO`.
///
/// # Safety
/// `streams` NULL or a live store.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_sync(streams: *const WalogsStreams) -> WalogsStatus {
    guard("walogs_streams_sync", || {
        // SAFETY: forwarded from the caller.
        let s = unsafe { obj(streams, "streams") }?.store()?;
        s.sync()?;
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Read-only stores: take in what a writer (another process) appended since the open or
/// the last refresh: new topics, records and consumer positions. Cost: reading the new
/// part of the log.
///
/// # Safety
/// `streams` NULL or a live store.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_refresh(streams: *const WalogsStreams) -> WalogsStatus {
    guard("walogs_streams_refresh", || {
        // SAFETY: forwarded from the caller.
        let s = unsafe { obj(streams, "streams") }?.store()?;
        s.refresh()?;
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// `*out` = whether the store was opened read-only. `WALOGS_CLOSED` after close.
///
/// # Safety
/// `streams` NULL or a live store; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_is_read_only(
    streams: *const WalogsStreams,
    out: *mut bool,
) -> WalogsStatus {
    guard("walogs_streams_is_read_only", || {
        // SAFETY: forwarded from the caller.
        let s = unsafe { obj(streams, "streams") }?.store()?;
        need_out(out, "out")?;
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(out, s.is_read_only()) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// `*lsn_out` = the first LSN of `topic` whose record timestamp is at or after `t_ms`
/// (milliseconds since the Unix epoch), or the topic's next LSN when none is: the place to
/// start reading "since t". `WALOGS_UNKNOWN_TOPIC` for a topic never appended to. Cost: a
/// binary search of the topic's index.
///
/// # Safety
/// `streams` NULL or a live store; `topic` NULL or NUL-terminated; `lsn_out` NULL or valid
/// for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_seek_time(
    streams: *const WalogsStreams,
    topic: *const c_char,
    t_ms: u64,
    lsn_out: *mut u64,
) -> WalogsStatus {
    guard("walogs_streams_seek_time", || {
        // SAFETY: forwarded from the caller.
        let s = unsafe { obj(streams, "streams") }?.store()?;
        // SAFETY: forwarded from the caller.
        let topic = unsafe { name(topic, "topic") }?;
        need_out(lsn_out, "lsn_out")?;
        let lsn = s.seek_time(topic, t_ms)?;
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(lsn_out, lsn) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// One topic's state: `*first_out` its oldest LSN still held (its next LSN when it holds
/// none), `*next_out` the LSN its next record gets, `*bytes_out` the bytes of data and
/// headers it holds. Each output optional. `WALOGS_UNKNOWN_TOPIC` for a topic never
/// appended to.
///
/// # Safety
/// `streams` NULL or a live store; `topic` NULL or NUL-terminated; the outputs NULL or
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_topic_info(
    streams: *const WalogsStreams,
    topic: *const c_char,
    first_out: *mut u64,
    next_out: *mut u64,
    bytes_out: *mut u64,
) -> WalogsStatus {
    guard("walogs_streams_topic_info", || {
        // SAFETY: forwarded from the caller.
        let s = unsafe { obj(streams, "streams") }?.store()?;
        // SAFETY: forwarded from the caller.
        let topic = unsafe { name(topic, "topic") }?;
        let info = s.topic(topic)?;
        // SAFETY: each NULL or valid for a write (caller's contract).
        unsafe {
            put(first_out, info.first_lsn);
            put(next_out, info.next_lsn);
            put(bytes_out, info.bytes);
        }
        Ok(WalogsStatus::WALOGS_OK)
    })
}
