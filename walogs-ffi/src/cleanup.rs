//! `walogs_streams_cleanup` and `walogs_streams_cleanup_topics`: run a store's retention
//! and report what it deleted, as counts (`walogs_cleanup_report`) and per topic
//! (`walogs_topic_cleanups`, with the strict consumers the size cap forced past unread
//! records).

use std::ffi::{CString, c_char};

use walogs_streams::CleanupReport;

use crate::args::{declared_size, need_out, obj, put};
use crate::boundary::guard;
use crate::last_error::Failure;
use crate::listings::c_name;
use crate::status::WalogsStatus;
use crate::streams::WalogsStreams;

/// What `walogs_streams_cleanup` deleted, as counts.
///
/// Versioned by size like `walogs_report`: set `struct_size` to
/// `sizeof(walogs_cleanup_report)` before the call; later versions only append fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct WalogsCleanupReport {
    /// Set by the caller: `sizeof(walogs_cleanup_report)` as the caller knows it.
    pub struct_size: usize,
    /// Records deleted, all topics.
    pub records_deleted: u64,
    /// Bytes of segment files removed from the disk.
    pub bytes_reclaimed: u64,
    /// Segment files removed.
    pub segments_deleted: u64,
    /// Topics that lost records.
    pub topics_cleaned: u64,
    /// Strict consumers (over all topics) whose unread records the size cap deleted; each
    /// resumes at its topic's new oldest record and counts what it skipped
    /// (`walogs_consumer_skipped`). `walogs_streams_cleanup_topics` names them.
    pub strict_consumers_forced: u64,
}

/// One topic of a `walogs_topic_cleanups` list.
#[derive(Debug)]
struct CleanupRow {
    topic: CString,
    records_deleted: u64,
    first_lsn: u64,
    forced_past: Vec<CString>,
}

/// The topics one cleanup deleted records of, by name (opaque;
/// `walogs_topic_cleanups_len`, `walogs_topic_cleanups_get`,
/// `walogs_topic_cleanups_forced`, `walogs_topic_cleanups_free`). Immutable; does not
/// depend on the store.
#[derive(Debug)]
pub struct WalogsTopicCleanups {
    rows: Vec<CleanupRow>,
}

/// The size the caller set in `report` (0 when NULL), refused when below ours.
///
/// # Safety
/// `report` NULL or valid for a read of its first field.
unsafe fn report_size(report: *const WalogsCleanupReport) -> Result<usize, Failure> {
    if report.is_null() {
        return Ok(0);
    }
    // SAFETY: non-NULL (checked) and its first field is readable (caller's contract).
    unsafe { declared_size(report, "report", "walogs_cleanup_report") }
}

/// The counts of `r`, for a caller that declared `struct_size`.
fn counts(r: &CleanupReport, struct_size: usize) -> WalogsCleanupReport {
    WalogsCleanupReport {
        struct_size,
        records_deleted: r.records_deleted,
        bytes_reclaimed: r.bytes_reclaimed,
        segments_deleted: r.segments_deleted,
        topics_cleaned: r.topics.len() as u64,
        strict_consumers_forced: r.topics.iter().map(|t| t.forced_past.len() as u64).sum(),
    }
}

/// The per-topic rows of `r`.
fn rows(r: &CleanupReport) -> Result<Vec<CleanupRow>, Failure> {
    r.topics
        .iter()
        .map(|t| {
            Ok(CleanupRow {
                topic: c_name(&t.topic)?,
                records_deleted: t.records_deleted,
                first_lsn: t.first_lsn,
                forced_past: t
                    .forced_past
                    .iter()
                    .map(|n| c_name(n))
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect()
}

/// Run retention now (time, size cap, consumed records, as the options say) and fill
/// `*report` (optional; when given, `report->struct_size` must be at least
/// `sizeof(walogs_cleanup_report)`, else `WALOGS_INVALID_ARGUMENT` and nothing is done).
/// `WALOGS_READ_ONLY` on a read-only store. Cost: deleting records writes a durable log
/// entry per topic cleaned and removes the segment files nothing live is in any more.
/// `walogs_streams_cleanup_topics` does the same and also says what each topic lost.
///
/// # Safety
/// `streams` NULL or a live store; `report` NULL or valid for reads and writes of
/// `report->struct_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_cleanup(
    streams: *const WalogsStreams,
    report: *mut WalogsCleanupReport,
) -> WalogsStatus {
    guard("walogs_streams_cleanup", || {
        // SAFETY: forwarded from the caller.
        let s = unsafe { obj(streams, "streams") }?.store()?;
        // SAFETY: forwarded from the caller.
        let size = unsafe { report_size(report) }?;
        let r = s.cleanup()?;
        // SAFETY: NULL (no write) or valid for a write of the struct (checked size plus
        // the caller's contract).
        unsafe { put(report, counts(&r, size)) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// `walogs_streams_cleanup`, also giving the topics it deleted records of: `*topics_out`
/// receives the list (required; free it with `walogs_topic_cleanups_free`; empty when
/// nothing was deleted), `*report` the counts as `walogs_streams_cleanup` gives them
/// (optional, same `struct_size` rule). Same failures and cost, plus a copy of the names.
///
/// # Safety
/// `streams` NULL or a live store; `report` NULL or valid for reads and writes of
/// `report->struct_size` bytes; `topics_out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_cleanup_topics(
    streams: *const WalogsStreams,
    report: *mut WalogsCleanupReport,
    topics_out: *mut *mut WalogsTopicCleanups,
) -> WalogsStatus {
    guard("walogs_streams_cleanup_topics", || {
        // SAFETY: forwarded from the caller.
        let s = unsafe { obj(streams, "streams") }?.store()?;
        need_out(topics_out, "topics_out")?;
        // SAFETY: forwarded from the caller.
        let size = unsafe { report_size(report) }?;
        let r = s.cleanup()?;
        let list = WalogsTopicCleanups { rows: rows(&r)? };
        // SAFETY: each NULL (no write) or valid for a write (checked above plus the
        // caller's contract).
        unsafe {
            put(report, counts(&r, size));
            put(topics_out, Box::into_raw(Box::new(list)));
        }
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// `*out` = how many topics `topics` holds.
///
/// # Safety
/// `topics` NULL or a live list; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_topic_cleanups_len(
    topics: *const WalogsTopicCleanups,
    out: *mut usize,
) -> WalogsStatus {
    guard("walogs_topic_cleanups_len", || {
        // SAFETY: forwarded from the caller.
        let t = unsafe { obj(topics, "topics") }?;
        need_out(out, "out")?;
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(out, t.rows.len()) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Topic `index` (0-based, by name) of `topics`, each output optional: `*topic_out` its
/// NUL-terminated name (owned by the list, valid until `walogs_topic_cleanups_free`),
/// `*records_deleted_out` the records the cleanup deleted of it (by time, by the size cap
/// or as read by every consumer), `*first_out` its oldest LSN afterwards, `*forced_out`
/// how many strict consumers the size cap forced past records they had not read
/// (`walogs_topic_cleanups_forced` names them). An `index` at or past
/// `walogs_topic_cleanups_len` is `WALOGS_INVALID_ARGUMENT`.
///
/// # Safety
/// `topics` NULL or a live list; the outputs NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_topic_cleanups_get(
    topics: *const WalogsTopicCleanups,
    index: usize,
    topic_out: *mut *const c_char,
    records_deleted_out: *mut u64,
    first_out: *mut u64,
    forced_out: *mut usize,
) -> WalogsStatus {
    guard("walogs_topic_cleanups_get", || {
        // SAFETY: forwarded from the caller.
        let t = unsafe { obj(topics, "topics") }?;
        let row = row(t, index)?;
        // SAFETY: each NULL or valid for a write (caller's contract).
        unsafe {
            put(topic_out, row.topic.as_ptr());
            put(records_deleted_out, row.records_deleted);
            put(first_out, row.first_lsn);
            put(forced_out, row.forced_past.len());
        }
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// `*name_out` = the NUL-terminated name (owned by the list) of strict consumer `forced`
/// (0-based, by name) of topic `index` that the size cap forced past unread records; it
/// resumes at the topic's new oldest record and counts what it skipped. An `index` or
/// `forced` out of range is `WALOGS_INVALID_ARGUMENT`.
///
/// # Safety
/// `topics` NULL or a live list; `name_out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_topic_cleanups_forced(
    topics: *const WalogsTopicCleanups,
    index: usize,
    forced: usize,
    name_out: *mut *const c_char,
) -> WalogsStatus {
    guard("walogs_topic_cleanups_forced", || {
        // SAFETY: forwarded from the caller.
        let t = unsafe { obj(topics, "topics") }?;
        need_out(name_out, "name_out")?;
        let row = row(t, index)?;
        let Some(name) = row.forced_past.get(forced) else {
            return Err(Failure::invalid(format!(
                "forced consumer {forced} is past the end of topic {index}'s {} forced consumers",
                row.forced_past.len()
            )));
        };
        // SAFETY: non-NULL (checked) and valid for a write.
        unsafe { put(name_out, name.as_ptr()) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Row `index` of `t`, or why not.
fn row(t: &WalogsTopicCleanups, index: usize) -> Result<&CleanupRow, Failure> {
    t.rows.get(index).ok_or_else(|| {
        Failure::invalid(format!(
            "index {index} is past the end of a list of {} topics",
            t.rows.len()
        ))
    })
}

/// Free a cleanup list and the names it lent. NULL is a no-op.
///
/// # Safety
/// `topics` NULL or a pointer from `walogs_streams_cleanup_topics` not yet freed, read by
/// no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_topic_cleanups_free(topics: *mut WalogsTopicCleanups) {
    // SAFETY: `topics` is NULL or a pointer this library handed out and not yet freed, used by
    // no other thread (the caller's contract above).
    unsafe { crate::boundary::free_boxed(topics) }
}
