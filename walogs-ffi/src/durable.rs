//! Being told when an entry is durable: block for it, or register a callback.

use std::ffi::c_void;
use std::time::Duration;

use walogs_core::Lsn;

use crate::args::obj;
use crate::boundary::guard;
use crate::handle::WalogsWal;
use crate::last_error::{Failure, record};
use crate::status::WalogsStatus;

/// Block until entry `lsn` is durable (fdatasync'd): `WALOGS_OK`. `timeout_ms` below 0
/// waits without limit; 0 only looks. Works from any number of threads at once.
///
/// `WALOGS_TIMEOUT` when the entry was not durable within `timeout_ms` (it may still become
/// durable later); `WALOGS_POISONED` with the error that poisoned the handle, before or
/// during the wait; `WALOGS_CLOSED` when the handle is shut down first (an entry the
/// shutdown itself made durable is `WALOGS_OK`); `WALOGS_LSN_OUT_OF_RANGE` for an LSN never
/// handed out, or truncated away during the wait. `lsn` 0 is durable at once. Under the
/// relaxed policies an entry becomes durable by `walogs_sync`, a rotation, the INTERVAL
/// flusher or the shutdown.
///
/// Cost: nothing when the entry is already durable; otherwise the calling thread sleeps on a
/// condition variable (a Go caller blocks an OS thread for that long).
///
/// # Safety
/// `wal` NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_wait_durable(
    wal: *const WalogsWal,
    lsn: u64,
    timeout_ms: i64,
) -> WalogsStatus {
    guard("walogs_wait_durable", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        let timeout = u64::try_from(timeout_ms).ok().map(Duration::from_millis);
        h.wal.wait_durable(Lsn(lsn), timeout)?;
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// A callback of `walogs_on_durable`: called once with the caller's `ctx` and `WALOGS_OK`
/// (the entry is durable) or the failure status that ended the wait.
pub type WalogsDurableCallback =
    Option<unsafe extern "C" fn(ctx: *mut c_void, status: WalogsStatus)>;

/// The caller's context pointer, carried to the notifier thread.
struct Context(*mut c_void);

// SAFETY: walogs never dereferences the pointer; it only hands it back, once, to the
// caller's callback on the notifier thread, and `walogs_on_durable` documents that the
// callback runs on another thread (the caller vouches that its `ctx` may be used there).
unsafe impl Send for Context {}

impl Context {
    fn get(self) -> *mut c_void {
        self.0
    }
}

/// Call `cb(ctx, status)` once entry `lsn` is durable, with `WALOGS_OK`, or with the failure
/// status that ends the wait (`WALOGS_POISONED`, `WALOGS_CLOSED` for an entry the shutdown
/// could not make durable, `WALOGS_LSN_OUT_OF_RANGE` when it was truncated away). Returns
/// at once.
///
/// Where it runs: on the handle's notifier thread (started by the first `walogs_on_durable`
/// of the handle; `walogs_shutdown`/`walogs_close` run every callback still pending and
/// stop it), never on the calling thread, never with a walogs lock held. (Only if the OS
/// refuses to start that thread does the callback run on the calling thread, before this
/// returns.) Callbacks of one handle run one after another on that one thread: keep them
/// short. For a failure status, `walogs_last_error`, `walogs_last_errno` and
/// `walogs_last_damage` called inside the callback (on the notifier thread) describe it.
/// An entry already durable is reported the same way, on the notifier thread.
///
/// A callback may call walogs functions, on this handle too (append, read, sync, even
/// `walogs_shutdown`), except `walogs_close` of this handle. It must return normally (no
/// `longjmp` out of it, no C++ exception through it).
///
/// `ctx` is handed back untouched (walogs never reads it). When this returns `WALOGS_OK`,
/// `cb` is called exactly once, at the latest before `walogs_shutdown`/`walogs_close` of
/// the handle returns: `ctx` must stay valid until then (the callback may free it). When
/// this returns a failure, `cb` is never called. Failures: `WALOGS_NULL_ARGUMENT` for a
/// NULL `wal` or `cb`, `WALOGS_LSN_OUT_OF_RANGE` for an LSN never handed out,
/// `WALOGS_CLOSED`, `WALOGS_FORKED` (a callback registered in the parent before a `fork`
/// never runs in the child). `lsn` 0 is durable at once. Cost: one small allocation per
/// callback; the first call starts a thread.
///
/// # Safety
/// `wal` NULL or a live handle; `cb` NULL or a function safe to call with `ctx` from
/// another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_on_durable(
    wal: *const WalogsWal,
    lsn: u64,
    cb: WalogsDurableCallback,
    ctx: *mut c_void,
) -> WalogsStatus {
    guard("walogs_on_durable", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        let cb = cb.ok_or_else(|| Failure::null("cb"))?;
        let ctx = Context(ctx);
        h.wal.on_durable(Lsn(lsn), move |outcome| {
            let ctx = ctx.get();
            let status = match outcome {
                Ok(()) => WalogsStatus::WALOGS_OK,
                Err(e) => {
                    let failure = Failure::from(e);
                    record("walogs_on_durable", &failure);
                    failure.status
                }
            };
            // SAFETY: `cb` is a non-NULL function the caller registered to be called with
            // `ctx` from this thread, once (the core runs this closure once).
            unsafe { cb(ctx, status) };
        })?;
        Ok(WalogsStatus::WALOGS_OK)
    })
}
