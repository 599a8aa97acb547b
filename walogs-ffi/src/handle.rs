//! `walogs_wal`: opening, shutting down and closing a WAL handle.

use std::ffi::c_char;

use walogs_core::{SharedWal, WalOptions};

use crate::args::{need_out, obj, path, put};
use crate::boundary::guard;
use crate::options::WalogsOptions;
use crate::status::WalogsStatus;

/// An open WAL (opaque). It owns its directory: while it is open no other handle, in this
/// process or another, can open the directory for writing (`WALOGS_LOCKED`).
///
/// Every function taking a `walogs_wal *` may be called concurrently from any number of
/// threads on one handle, except `walogs_close`, which must be the last call. Concurrent
/// appends share writes and fdatasyncs (group commit); each still returns only once its own
/// entry is durable under `WALOGS_DURABILITY_EVERY_APPEND`.
#[derive(Debug)]
pub struct WalogsWal {
    pub(crate) wal: SharedWal,
}

/// Open or create the WAL in directory `dir` (a NUL-terminated path; any bytes but NUL,
/// UTF-8 not required). `opts` may be NULL for the defaults; it is not consumed. On success
/// `*out` receives the handle, to be released with `walogs_close`.
///
/// A writable open creates `dir` (and missing parents), takes the directory's write lock,
/// verifies every frame of every segment, truncates a torn final write, and fdatasyncs:
/// it costs a read of the whole log. Returns `WALOGS_LOCKED` when another handle holds the
/// directory, `WALOGS_CORRUPT` for damage that is not a torn final write (see the salvage
/// option), `WALOGS_IO` for OS errors (a missing directory opened read-only is `WALOGS_IO`
/// with errno `ENOENT`), `WALOGS_INVALID_ARGUMENT` for an empty path.
///
/// # Safety
/// `dir` must be NULL or a NUL-terminated string; `opts` NULL or a live options object;
/// `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_open(
    dir: *const c_char,
    opts: *const WalogsOptions,
    out: *mut *mut WalogsWal,
) -> WalogsStatus {
    guard("walogs_open", || {
        need_out(out, "out")?;
        // SAFETY: forwarded from the caller.
        let dir = unsafe { path(dir, "dir") }?;
        let options = if opts.is_null() {
            WalOptions::new()
        } else {
            // SAFETY: non-NULL and live (caller's contract).
            unsafe { obj(opts, "opts") }?.inner.clone()
        };
        let wal = options.open_shared(dir)?;
        let handle = Box::into_raw(Box::new(WalogsWal { wal }));
        // SAFETY: `out` is non-NULL (checked) and valid for a write.
        unsafe { put(out, handle) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Shut the WAL down without freeing the handle: write what concurrent appends queued, cut
/// the preallocated tail, fdatasync, release the directory lock. Afterwards every call on
/// the handle returns `WALOGS_CLOSED` (the getters keep answering with the last values)
/// until `walogs_close` frees it.
///
/// Unlike `walogs_close`, this may be called while other threads use the handle (they get
/// `WALOGS_CLOSED` from then on), and more than once (later calls return `WALOGS_OK`).
/// Returns the error of the final write or fdatasync, if any (`WALOGS_IO`); the lock is
/// released either way. Cost: one fdatasync.
///
/// # Safety
/// `wal` must be NULL or a live handle from `walogs_open`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_shutdown(wal: *mut WalogsWal) -> WalogsStatus {
    guard("walogs_shutdown", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        h.wal.close()?;
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Close the WAL and free the handle. NULL is a no-op returning `WALOGS_OK`.
///
/// Does what `walogs_shutdown` does (if it was not done already), then frees the handle,
/// which is gone even when the status is an error: the status only reports whether the
/// final write or fdatasync failed (`WALOGS_IO`; entries acknowledged earlier are durable
/// anyway under `WALOGS_DURABILITY_EVERY_APPEND`). Must not be called while another thread
/// uses the handle, nor twice on the same pointer. Iterators created from the handle stay
/// valid. Cost: one fdatasync.
///
/// # Safety
/// `wal` must be NULL or a handle from `walogs_open` not yet closed, used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_close(wal: *mut WalogsWal) -> WalogsStatus {
    if wal.is_null() {
        return WalogsStatus::WALOGS_OK;
    }
    // SAFETY: from Box::into_raw in walogs_open, closed once (caller's contract). Taken
    // outside the closure so that the handle is freed even if closing panics.
    let handle = unsafe { Box::from_raw(wal) };
    guard("walogs_close", move || {
        let r = handle.wal.close();
        drop(handle);
        r?;
        Ok(WalogsStatus::WALOGS_OK)
    })
}
