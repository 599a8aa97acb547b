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
///
/// A handle belongs to the process that opened it: in a child made by `fork()` every call on
/// the inherited handle returns `WALOGS_FORKED` and changes nothing (see `walogs_close`).
#[derive(Debug)]
pub struct WalogsWal {
    pub(crate) wal: SharedWal,
}

/// Open or create the WAL in directory `dir` (a NUL-terminated path; any bytes but NUL,
/// UTF-8 not required). `opts` may be NULL for the defaults; it is not consumed. On success
/// `*out` receives the handle, to be released with `walogs_close`.
///
/// A writable open creates `dir` (and missing parents, mode 0700 by default), takes the
/// directory's write lock, verifies every frame of every segment, truncates a torn final
/// write, and fdatasyncs: it costs a read of the whole log. `dir` is resolved once, here: a
/// relative path names a directory under the working directory of this call, and the
/// handle keeps using that directory after a `chdir`. Files inside are never followed
/// through symbolic links.
///
/// Returns `WALOGS_LOCKED` when another handle holds the directory, `WALOGS_CORRUPT` for
/// damage that is not a torn final write (see the salvage option; `walogs_last_damage`
/// says what and where), `WALOGS_UNSAFE_FILE` when a walogs file name in the directory is
/// a symbolic link, FIFO, socket, device or directory, or a file walogs would write has
/// other hard links (nothing is touched), `WALOGS_IO` for OS errors (a missing directory
/// opened read-only is `WALOGS_IO` with errno `ENOENT`; the message names the file),
/// `WALOGS_INVALID_ARGUMENT` for an empty path.
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

/// Shut the WAL down without freeing the handle: stop the INTERVAL flusher, write what
/// concurrent appends queued, cut the preallocated tail, fdatasync, release the directory
/// lock, then run every `walogs_on_durable` callback still pending (with `WALOGS_OK` for
/// the entries durable by then) and stop the notifier thread. Afterwards every call on the
/// handle, getters included, returns `WALOGS_CLOSED` (and iterators made from it return
/// `WALOGS_CLOSED` at their next `walogs_iter_next`) until `walogs_close` frees it.
///
/// Unlike `walogs_close`, this may be called while other threads use the handle (they get
/// `WALOGS_CLOSED` from then on), from a `walogs_on_durable` callback, and more than once
/// (later calls return `WALOGS_OK`). Returns the error of the final write or fdatasync, if
/// any (`WALOGS_IO`); the lock is released either way. In a forked child: `WALOGS_FORKED`,
/// nothing done. Cost: one fdatasync.
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
/// anyway under `WALOGS_DURABILITY_EVERY_APPEND`). When it returns, every callback
/// registered with `walogs_on_durable` has run. Must not be called while another thread
/// uses the handle, nor twice on the same pointer, nor from a `walogs_on_durable` callback
/// of this handle. Iterators created from the handle may still be freed (their next
/// `walogs_iter_next` returns `WALOGS_CLOSED`). Cost: one fdatasync.
///
/// In a process that inherited the handle across `fork()`: frees the handle's memory and
/// releases its copies of the descriptors, writes, truncates and syncs nothing (the
/// parent's log and lock are untouched), and returns `WALOGS_FORKED`.
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
