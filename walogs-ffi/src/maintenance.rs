//! Segment maintenance: rotate, checkpoint (drop the oldest), truncate (drop the newest).

use walogs_core::Lsn;

use crate::args::{obj, put};
use crate::boundary::guard;
use crate::handle::WalogsWal;
use crate::status::WalogsStatus;

/// Seal the active segment and start the next one; a no-op when the active segment is
/// empty. Waits for appends already queued. Cost: one fdatasync, a metadata file update
/// (write + fdatasync + rename), a create and a directory fsync.
///
/// # Safety
/// `wal` NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_rotate(wal: *mut WalogsWal) -> WalogsStatus {
    guard("walogs_rotate", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        h.wal.rotate()?;
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Delete, oldest first, every completed segment whose entries all have
/// `lsn <= applied_up_to`; never the active segment. `*deleted_out` (optional, may be NULL)
/// receives how many were deleted. `applied_up_to` 0 deletes nothing. LSNs are never reused
/// afterwards, even when every completed segment is gone. Cost: one unlink and one directory
/// fsync per segment.
///
/// # Safety
/// `wal` NULL or a live handle; `deleted_out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_checkpoint(
    wal: *mut WalogsWal,
    applied_up_to: u64,
    deleted_out: *mut usize,
) -> WalogsStatus {
    guard("walogs_checkpoint", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        let n = h.wal.checkpoint(Lsn(applied_up_to))?;
        // SAFETY: forwarded from the caller.
        unsafe { put(deleted_out, n) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Remove every entry after `keep_up_to`, durably (truncate + fdatasync, and for each
/// removed segment an unlink + directory fsync); the next append gets `keep_up_to + 1`.
/// `*removed_out` (optional, may be NULL) receives how many entries were removed (0 when
/// `keep_up_to` is at or past the newest). Below the oldest kept entry it is
/// `WALOGS_LSN_OUT_OF_RANGE`; a point inside an atomic batch is `WALOGS_INVALID_ARGUMENT`
/// (the message names the batch's bounds), and so is a point inside a frame that group
/// commit wrote for several concurrent appends (appends made one at a time can be cut
/// anywhere). Iterators over the removed entries fail.
///
/// # Safety
/// `wal` NULL or a live handle; `removed_out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_truncate_after(
    wal: *mut WalogsWal,
    keep_up_to: u64,
    removed_out: *mut u64,
) -> WalogsStatus {
    guard("walogs_truncate_after", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        let n = h.wal.truncate_after(Lsn(keep_up_to))?;
        // SAFETY: forwarded from the caller.
        unsafe { put(removed_out, n) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}
