//! `walogs_record` and `walogs_records`: records read from a streams store (by LSN, by
//! range, or delivered to a consumer), owned by the caller until freed.

use std::ffi::c_char;

use walogs_streams::{Record, RecordBatch, RecordRef};

use crate::args::{need_out, obj, put};
use crate::boundary::guard;
use crate::last_error::Failure;
use crate::status::WalogsStatus;
use crate::streams::WalogsStreams;

/// One record (opaque; read its fields with `walogs_record_get`, free it with
/// `walogs_record_free`). It owns a copy of the record: it does not depend on its store,
/// which may be closed first. Immutable: any number of threads may read it at once.
#[derive(Debug)]
pub struct WalogsRecord {
    pub(crate) record: Record,
}

/// Consecutive records of one topic (opaque; `walogs_records_len`, `walogs_records_get`,
/// `walogs_records_free`). Owns copies, like `walogs_record`, all in one buffer (one
/// allocation per list, not per record); immutable.
#[derive(Debug)]
pub struct WalogsRecords {
    pub(crate) records: RecordBatch,
}

/// Hand `record` out through `walogs_record_get`'s outputs (each NULL or valid).
///
/// # Safety
/// Each output NULL or valid for a write.
unsafe fn fields(
    record: RecordRef<'_>,
    lsn_out: *mut u64,
    data_out: *mut *const u8,
    len_out: *mut usize,
    header_out: *mut *const u8,
    header_len_out: *mut usize,
    timestamp_out: *mut u64,
) {
    // SAFETY: each NULL (skipped) or valid for a write (caller's contract).
    unsafe {
        put(lsn_out, record.lsn);
        put(data_out, record.data.as_ptr());
        put(len_out, record.data.len());
        put(header_out, record.header.as_ptr());
        put(header_len_out, record.header.len());
        put(timestamp_out, record.timestamp_ms);
    }
}

/// Box `record` for C.
pub(crate) fn boxed_record(record: Record) -> *mut WalogsRecord {
    Box::into_raw(Box::new(WalogsRecord { record }))
}

/// Box `records` for C.
pub(crate) fn boxed_records(records: RecordBatch) -> *mut WalogsRecords {
    Box::into_raw(Box::new(WalogsRecords { records }))
}

/// Read record `lsn` of `topic`; `*out` receives it (free it with `walogs_record_free`).
/// `WALOGS_UNKNOWN_TOPIC` for a topic never appended to, `WALOGS_LSN_OUT_OF_RANGE` for an
/// LSN outside the topic's live records (deleted by retention, or not appended yet). Works
/// on read-only stores. Cost: an index lookup, one read and one copy of the record.
///
/// # Safety
/// `streams` NULL or a live store; `topic` NULL or NUL-terminated; `out` NULL or valid for
/// a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_read(
    streams: *const WalogsStreams,
    topic: *const c_char,
    lsn: u64,
    out: *mut *mut WalogsRecord,
) -> WalogsStatus {
    guard("walogs_streams_read", || {
        // SAFETY: forwarded from the caller.
        let s = unsafe { obj(streams, "streams") }?.store()?;
        // SAFETY: forwarded from the caller.
        let topic = unsafe { crate::args::name(topic, "topic") }?;
        need_out(out, "out")?;
        let record = s.read(topic, lsn)?;
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(out, boxed_record(record)) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Read up to `max_records` consecutive records of `topic` from `from`, stopping before
/// their data and headers would exceed `max_bytes`, but at least one when `from` holds
/// one; `*out` receives them (free with `walogs_records_free`). `from` equal to the topic's
/// next LSN gives an empty list; `max_records` 0 is `WALOGS_INVALID_ARGUMENT`; other
/// failures as `walogs_streams_read`. Cost: sequential reads and one copy of each record.
///
/// # Safety
/// `streams` NULL or a live store; `topic` NULL or NUL-terminated; `out` NULL or valid for
/// a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_read_range(
    streams: *const WalogsStreams,
    topic: *const c_char,
    from: u64,
    max_records: usize,
    max_bytes: usize,
    out: *mut *mut WalogsRecords,
) -> WalogsStatus {
    guard("walogs_streams_read_range", || {
        // SAFETY: forwarded from the caller.
        let s = unsafe { obj(streams, "streams") }?.store()?;
        // SAFETY: forwarded from the caller.
        let topic = unsafe { crate::args::name(topic, "topic") }?;
        need_out(out, "out")?;
        let mut records = RecordBatch::new();
        s.read_range_into(topic, from, max_records, max_bytes, &mut records)?;
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(out, boxed_records(records)) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// The fields of `record`, each output optional (NULL: not wanted): `*lsn_out` its LSN in
/// its topic, `*data_out`/`*len_out` its data, `*header_out`/`*header_len_out` its header
/// (length 0 when it has none), `*timestamp_out` its timestamp (milliseconds since the
/// Unix epoch). The bytes belong to the record: valid and unchanged until
/// `walogs_record_free`, not to be freed or written; for a length of 0 the pointer is
/// non-NULL and not to be read. Never fails for a live record.
///
/// # Safety
/// `record` NULL or a live record; the outputs NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_record_get(
    record: *const WalogsRecord,
    lsn_out: *mut u64,
    data_out: *mut *const u8,
    len_out: *mut usize,
    header_out: *mut *const u8,
    header_len_out: *mut usize,
    timestamp_out: *mut u64,
) -> WalogsStatus {
    guard("walogs_record_get", || {
        // SAFETY: forwarded from the caller.
        let r = unsafe { obj(record, "record") }?;
        // SAFETY: forwarded from the caller.
        unsafe {
            fields(
                r.record.as_record_ref(),
                lsn_out,
                data_out,
                len_out,
                header_out,
                header_len_out,
                timestamp_out,
            )
        };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Free a record and the bytes it lent. NULL is a no-op.
///
/// # Safety
/// `record` NULL or a pointer from `walogs_streams_read` or `walogs_consumer_next` not yet
/// freed, read by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_record_free(record: *mut WalogsRecord) {
    // SAFETY: `record` is NULL or a pointer this library handed out and not yet freed, used by
    // no other thread (the caller's contract above).
    unsafe { crate::boundary::free_boxed(record) }
}

/// `*out` = how many records `records` holds (0 for an empty list). Their LSNs are
/// consecutive.
///
/// # Safety
/// `records` NULL or a live list; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_records_len(
    records: *const WalogsRecords,
    out: *mut usize,
) -> WalogsStatus {
    guard("walogs_records_len", || {
        // SAFETY: forwarded from the caller.
        let r = unsafe { obj(records, "records") }?;
        need_out(out, "out")?;
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(out, r.records.len()) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// The fields of record `index` (0-based) of `records`, as `walogs_record_get` gives them
/// (each output optional; the bytes belong to the list, valid until `walogs_records_free`).
/// An `index` at or past `walogs_records_len` is `WALOGS_INVALID_ARGUMENT` (nothing
/// written).
///
/// # Safety
/// `records` NULL or a live list; the outputs NULL or valid for a write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn walogs_records_get(
    records: *const WalogsRecords,
    index: usize,
    lsn_out: *mut u64,
    data_out: *mut *const u8,
    len_out: *mut usize,
    header_out: *mut *const u8,
    header_len_out: *mut usize,
    timestamp_out: *mut u64,
) -> WalogsStatus {
    guard("walogs_records_get", || {
        // SAFETY: forwarded from the caller.
        let r = unsafe { obj(records, "records") }?;
        let Some(record) = r.records.get(index) else {
            return Err(Failure::invalid(format!(
                "index {index} is past the end of a list of {} records",
                r.records.len()
            )));
        };
        // SAFETY: forwarded from the caller.
        unsafe {
            fields(
                record,
                lsn_out,
                data_out,
                len_out,
                header_out,
                header_len_out,
                timestamp_out,
            )
        };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Free a list of records and the bytes it lent. NULL is a no-op.
///
/// # Safety
/// `records` NULL or a pointer from `walogs_streams_read_range` or
/// `walogs_consumer_next_batch` not yet freed, read by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_records_free(records: *mut WalogsRecords) {
    // SAFETY: `records` is NULL or a pointer this library handed out and not yet freed, used by
    // no other thread (the caller's contract above).
    unsafe { crate::boundary::free_boxed(records) }
}
