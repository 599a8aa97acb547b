//! `walogs_streams_options`: the open-time settings of a streams store, as an opaque builder.

use std::time::Duration;

use walogs_streams::StreamsOptions;

use crate::args::{need_out, obj_mut, put};
use crate::boundary::guard;
use crate::last_error::Failure;
use crate::options::WalogsDurability;
use crate::status::WalogsStatus;

/// Open-time settings for `walogs_streams_open` (opaque; create with
/// `walogs_streams_options_new`, free with `walogs_streams_options_free`). The defaults:
/// every append durable (`WALOGS_DURABILITY_EVERY_APPEND`), no retention, no size cap, no
/// background cleaner, the walogs segment size, writable, private files (0600).
///
/// The setters only record values; `walogs_streams_open` checks them together (a refused
/// value, e.g. a zero durability interval or a file mode without owner read and write, is
/// `WALOGS_INVALID_ARGUMENT` there). `walogs_streams_open` copies what it needs: one
/// options object may serve any number of opens and may be freed right after. Not
/// synchronized: do not change it from one thread while another uses it.
#[derive(Debug, Default)]
pub struct WalogsStreamsOptions {
    pub(crate) inner: StreamsOptions,
}

/// Create an options object holding the defaults; `*out` receives it. Free it with
/// `walogs_streams_options_free`. Cost: one small allocation.
///
/// # Safety
/// `out` must be NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_options_new(
    out: *mut *mut WalogsStreamsOptions,
) -> WalogsStatus {
    guard("walogs_streams_options_new", || {
        need_out(out, "out")?;
        let boxed = Box::into_raw(Box::new(WalogsStreamsOptions::default()));
        // SAFETY: `out` is non-NULL (checked) and valid for a write (caller's contract).
        unsafe { put(out, boxed) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Free an options object. NULL is a no-op. Stores opened with it are not affected.
///
/// # Safety
/// `opts` must be NULL or a pointer from `walogs_streams_options_new` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_options_free(opts: *mut WalogsStreamsOptions) {
    // SAFETY: `opts` is NULL or a pointer this library handed out and not yet freed, used by
    // no other thread (the caller's contract above).
    unsafe { crate::boundary::free_boxed(opts) }
}

/// Replace the options behind `opts` with `f` of them, inside the panic boundary; a refused
/// value changes nothing.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
unsafe fn update(
    func: &str,
    opts: *mut WalogsStreamsOptions,
    f: impl FnOnce(StreamsOptions) -> Result<StreamsOptions, Failure>,
) -> WalogsStatus {
    guard(func, || {
        // SAFETY: forwarded from the caller.
        let o = unsafe { obj_mut(opts, "opts") }?;
        o.inner = f(o.inner.clone())?;
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// `Some(ms)` as a duration, 0 as `None` (the setting is off).
fn optional_ms(ms: u64) -> Option<Duration> {
    (ms != 0).then(|| Duration::from_millis(ms))
}

/// Choose when appends (and consumer positions) are fdatasync'd, as
/// `walogs_options_set_durability` does for a plain log: `kind` is one of the
/// `WALOGS_DURABILITY_*` values, `interval_ms` is used only with
/// `WALOGS_DURABILITY_INTERVAL`. An unknown kind is `WALOGS_INVALID_ARGUMENT` here; a zero
/// interval is refused by `walogs_streams_open`. Appends to different topics from many
/// threads share fdatasyncs (one log).
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_options_set_durability(
    opts: *mut WalogsStreamsOptions,
    kind: WalogsDurability,
    interval_ms: u64,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update("walogs_streams_options_set_durability", opts, |o| {
            Ok(o.durability(crate::options::durability(kind, interval_ms)?))
        })
    }
}

/// Cut the log's segments on clock-aligned windows of `ms` milliseconds (by record
/// timestamp), so that time retention frees whole files. 0: no time windows (the default).
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_options_set_segment_duration_ms(
    opts: *mut WalogsStreamsOptions,
    ms: u64,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update(
            "walogs_streams_options_set_segment_duration_ms",
            opts,
            |o| Ok(o.segment_duration(optional_ms(ms))),
        )
    }
}

/// Delete records whose window (of the segment duration, or the record's own timestamp
/// without one) ended more than `ms` milliseconds ago, at each cleanup. 0: keep records
/// regardless of age (the default).
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_options_set_retention_ms(
    opts: *mut WalogsStreamsOptions,
    ms: u64,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update("walogs_streams_options_set_retention_ms", opts, |o| {
            Ok(o.retention(optional_ms(ms)))
        })
    }
}

/// Cap each topic at `bytes` bytes of data and headers: a cleanup deletes its oldest
/// records beyond it, also records a strict consumer has not read yet (the cleanup report
/// counts such consumers). 0: no cap (the default).
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_options_set_max_topic_bytes(
    opts: *mut WalogsStreamsOptions,
    bytes: u64,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update("walogs_streams_options_set_max_topic_bytes", opts, |o| {
            Ok(o.max_topic_bytes((bytes != 0).then_some(bytes)))
        })
    }
}

/// Also delete, in each topic with consumers, the records every consumer has passed, at
/// each cleanup. Default false.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_options_set_delete_consumed(
    opts: *mut WalogsStreamsOptions,
    on: bool,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update("walogs_streams_options_set_delete_consumed", opts, |o| {
            Ok(o.delete_consumed(on))
        })
    }
}

/// Run a cleanup in a background thread of the store every `ms` milliseconds (the thread
/// is stopped by `walogs_streams_close`). 0: only `walogs_streams_cleanup` cleans (the
/// default).
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_options_set_cleanup_interval_ms(
    opts: *mut WalogsStreamsOptions,
    ms: u64,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update(
            "walogs_streams_options_set_cleanup_interval_ms",
            opts,
            |o| Ok(o.cleanup_interval(optional_ms(ms))),
        )
    }
}

/// Size of the log's segment files, in bytes. 0: the walogs default (64 MiB). Smaller
/// segments let retention free space in smaller steps.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_options_set_max_segment_size(
    opts: *mut WalogsStreamsOptions,
    bytes: u64,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update("walogs_streams_options_set_max_segment_size", opts, |o| {
            Ok(o.max_segment_size((bytes != 0).then_some(bytes)))
        })
    }
}

/// Open read-only: no lock, nothing written (another process may be writing). Reads,
/// `walogs_streams_topics`, `walogs_streams_consumers` and `walogs_streams_refresh` work;
/// appends, consumers, cleanup and sync return `WALOGS_READ_ONLY`. Default false.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_options_set_read_only(
    opts: *mut WalogsStreamsOptions,
    read_only: bool,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update("walogs_streams_options_set_read_only", opts, |o| {
            Ok(o.read_only(read_only))
        })
    }
}

/// Permission bits of the files the store creates, as `walogs_options_set_file_mode` (it
/// must grant the owner read and write and hold nothing beyond 0777; checked by
/// `walogs_streams_open`). Default 0600.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_streams_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_streams_options_set_file_mode(
    opts: *mut WalogsStreamsOptions,
    mode: u32,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update("walogs_streams_options_set_file_mode", opts, |o| {
            Ok(o.file_mode(mode))
        })
    }
}
