//! Getters: LSN watermarks, purge floor, segment count, flags.
//!
//! The core's accessors cannot fail, but a C getter returns a status: each checks first that
//! the handle can take calls (`ensure_usable`), so that like every other call it returns
//! `WALOGS_CLOSED` after `walogs_shutdown` and `WALOGS_FORKED` in a forked child.

use walogs_core::SharedWal;

use crate::args::{need_out, obj, put};
use crate::boundary::guard;
use crate::handle::WalogsWal;
use crate::status::WalogsStatus;

/// Answer a getter: check `wal`, `out` and that the handle is usable, then write `f(wal)`
/// to `out`.
///
/// # Safety
/// `wal` NULL or a live handle; `out` NULL or valid for a write.
unsafe fn get<T>(
    func: &str,
    wal: *const WalogsWal,
    out: *mut T,
    f: impl FnOnce(&SharedWal) -> T,
) -> WalogsStatus {
    guard(func, || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        need_out(out, "out")?;
        h.wal.ensure_usable()?;
        let v = f(&h.wal);
        // SAFETY: `out` is non-NULL (checked) and valid for a write.
        unsafe { put(out, v) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// `*out` = the LSN the next append will get (appends racing with this call may take it).
/// Costs a short lock. Like every getter: `WALOGS_CLOSED` after `walogs_shutdown`,
/// `WALOGS_FORKED` in a forked child.
///
/// # Safety
/// `wal` NULL or a live handle; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_next_lsn(wal: *const WalogsWal, out: *mut u64) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe { get("walogs_next_lsn", wal, out, |w| w.next_lsn().0) }
}

/// `*out` = the oldest LSN still in the log (the next LSN when the log is empty): past the
/// purge floor and the checkpointed segments. Costs a short lock.
///
/// # Safety
/// `wal` NULL or a live handle; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_first_lsn(wal: *const WalogsWal, out: *mut u64) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe { get("walogs_first_lsn", wal, out, |w| w.first_lsn().0) }
}

/// `*out` = the highest LSN known to be durable on disk (0: none). Under
/// `WALOGS_DURABILITY_EVERY_APPEND` every acknowledged entry is at or below it. Lock-free.
///
/// # Safety
/// `wal` NULL or a live handle; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_durable_lsn(wal: *const WalogsWal, out: *mut u64) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe { get("walogs_durable_lsn", wal, out, |w| w.durable_lsn().0) }
}

/// `*out` = the purge floor: every LSN at or below it was removed by `walogs_purge_up_to`
/// (0: nothing purged). Lock-free.
///
/// # Safety
/// `wal` NULL or a live handle; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_purged_up_to(wal: *const WalogsWal, out: *mut u64) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe { get("walogs_purged_up_to", wal, out, |w| w.purged_up_to().0) }
}

/// `*out` = the number of segment files in use (completed + active). Costs a short lock.
///
/// # Safety
/// `wal` NULL or a live handle; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_segment_count(
    wal: *const WalogsWal,
    out: *mut usize,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe { get("walogs_segment_count", wal, out, |w| w.segment_count()) }
}

/// `*out` = whether an earlier failed write or fdatasync poisoned the handle (every mutating
/// call then returns `WALOGS_POISONED` until the WAL is reopened).
///
/// # Safety
/// `wal` NULL or a live handle; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_is_poisoned(wal: *const WalogsWal, out: *mut bool) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe { get("walogs_is_poisoned", wal, out, |w| w.is_poisoned()) }
}

/// `*out` = whether the handle was opened read-only.
///
/// # Safety
/// `wal` NULL or a live handle; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_is_read_only(
    wal: *const WalogsWal,
    out: *mut bool,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe { get("walogs_is_read_only", wal, out, |w| w.is_read_only()) }
}
