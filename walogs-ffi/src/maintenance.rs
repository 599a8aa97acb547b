//! Segment maintenance and log control: rotate, checkpoint (delete old segments), purge
//! (drop the oldest entries), truncate (drop the newest).

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
/// afterwards, even when every completed segment is gone. Whole segments only: to make
/// entries unreadable up to an exact LSN, use `walogs_purge_up_to`. Cost: one unlink and one
/// directory fsync per segment.
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

/// Remove every entry after `keep_up_to`, durably; the next append gets `keep_up_to + 1`.
/// Works at any LSN of the log, also inside an atomic batch, a non-atomic batch or a write
/// that group commit made for several concurrent appends (a batch is atomic against a
/// crash during its append; it can be cut later on request). `*removed_out` (optional, may
/// be NULL) receives how many entries were removed (0 when `keep_up_to` is at or past the
/// newest). Below the oldest kept entry (e.g. below the purge floor) it is
/// `WALOGS_LSN_OUT_OF_RANGE`. A crash at any point leaves the old or the new log.
///
/// Waiters (`walogs_wait_durable`) and callbacks (`walogs_on_durable`) for removed LSNs end
/// with `WALOGS_LSN_OUT_OF_RANGE`; an iterator made before the truncation stops with
/// `WALOGS_LSN_OUT_OF_RANGE` when it reaches the cut. Only the batch frames written by
/// earlier walogs 0.2 builds cannot be cut inside: `WALOGS_INVALID_ARGUMENT`, the message
/// names their bounds.
///
/// Cost: a truncate + fdatasync; a cut inside a multi-entry write first records it in
/// `walogs.meta` (write + fdatasync + rename + directory fsync); each removed segment an
/// unlink + directory fsync.
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

/// Purge every entry up to and including `up_to`: at once and for good (also after a reopen
/// or a crash at any point) the oldest entry is `up_to + 1`; reading, iterating or
/// truncating below it is `WALOGS_LSN_OUT_OF_RANGE`; segment files wholly at or below it
/// are deleted. `up_to` may be at or past the end of the log: the log is then empty and the
/// next append gets `up_to + 1` (how a Raft log restarts after installing a snapshot at
/// `up_to`). Below the current floor (`walogs_purged_up_to`) it does nothing; LSNs are never
/// reused and the next LSN never moves backwards. `*segments_deleted` (optional, may be
/// NULL) receives how many segment files were deleted.
///
/// Cost: the metadata file (write + fdatasync + rename + directory fsync), a rotation when
/// the active segment holds only purged entries, one unlink and one directory fsync per
/// deleted segment.
///
/// # Safety
/// `wal` NULL or a live handle; `segments_deleted` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_purge_up_to(
    wal: *mut WalogsWal,
    up_to: u64,
    segments_deleted: *mut usize,
) -> WalogsStatus {
    guard("walogs_purge_up_to", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        let n = h.wal.purge_up_to(Lsn(up_to))?;
        // SAFETY: forwarded from the caller.
        unsafe { put(segments_deleted, n) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}
