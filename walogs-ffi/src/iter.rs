//! `walogs_iter`: a zero-copy cursor over entries in LSN order.

use walogs_core::{Lsn, WalCursor, WalError};

use crate::args::{need_out, obj, obj_mut, put};
use crate::boundary::guard;
use crate::handle::WalogsWal;
use crate::status::WalogsStatus;

/// An iterator over entries in LSN order (opaque; create with `walogs_iter_from`, free with
/// `walogs_iter_free`).
///
/// It reads a snapshot of the segment list taken when it was created, through its own file
/// handles: it does not borrow the `walogs_wal`, which may be closed before the iterator is
/// freed. Entries appended after its creation are not seen. A segment removed meanwhile by
/// `walogs_checkpoint` or `walogs_truncate_after` makes the next call fail (`WALOGS_IO`).
///
/// Not synchronized: use one iterator from one thread at a time (it may move between
/// threads); separate iterators are independent. Memory: one 256 KiB read buffer plus the
/// largest frame read; no allocation per entry.
pub struct WalogsIter {
    cursor: WalCursor,
    done: bool,
}

/// Create an iterator starting at `from` (inclusive); `from` 0 means the oldest entry kept.
/// `from` may equal the next LSN (an iterator with no entries); outside the entries kept it
/// is `WALOGS_LSN_OUT_OF_RANGE`. Uses the sparse index: no scan from the start. `*out`
/// receives the iterator. Works on read-only and poisoned handles.
///
/// # Safety
/// `wal` NULL or a live handle; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_iter_from(
    wal: *const WalogsWal,
    from: u64,
    out: *mut *mut WalogsIter,
) -> WalogsStatus {
    guard("walogs_iter_from", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        need_out(out, "out")?;
        let cursor = if from == 0 {
            cursor_from_oldest(h)?
        } else {
            h.wal.cursor_from(Lsn(from))?
        };
        let it = Box::into_raw(Box::new(WalogsIter {
            cursor,
            done: false,
        }));
        // SAFETY: `out` is non-NULL (checked) and valid for a write.
        unsafe { put(out, it) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// A cursor from the oldest entry. A concurrent checkpoint may move the oldest entry between
/// the two calls; then look again.
fn cursor_from_oldest(h: &WalogsWal) -> Result<WalCursor, WalError> {
    let mut tries = 0;
    loop {
        let first = h.wal.first_lsn();
        match h.wal.cursor_from(first) {
            Err(WalError::LsnOutOfRange { first: now, .. }) if now > first.0 && tries < 8 => {
                tries += 1;
            }
            r => return r,
        }
    }
}

/// Advance to the next entry. On `WALOGS_OK`, `*lsn_out` receives its LSN, `*data_out` a
/// pointer to its bytes and `*len_out` their count (all three required). The bytes belong to
/// the iterator: they stay valid and unchanged until the next `walogs_iter_next` or
/// `walogs_iter_free` on this iterator, and must not be freed or written. For an empty entry
/// `*len_out` is 0 and `*data_out` is a non-NULL pointer not to be read.
///
/// Returns `WALOGS_END` (not an error; nothing written) when there are no more entries. On an
/// error (`WALOGS_CORRUPT` when a file was damaged after open, `WALOGS_IO` when a segment
/// was removed or unreadable) the iteration ends: later calls return `WALOGS_END`.
///
/// # Safety
/// `it` NULL or a live iterator not used concurrently; the outputs NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_iter_next(
    it: *mut WalogsIter,
    lsn_out: *mut u64,
    data_out: *mut *const u8,
    len_out: *mut usize,
) -> WalogsStatus {
    guard("walogs_iter_next", || {
        // SAFETY: forwarded from the caller.
        let it = unsafe { obj_mut(it, "it") }?;
        need_out(lsn_out, "lsn_out")?;
        need_out(data_out, "data_out")?;
        need_out(len_out, "len_out")?;
        if it.done {
            return Ok(WalogsStatus::WALOGS_END);
        }
        match it.cursor.next_entry() {
            Some(Ok((lsn, data))) => {
                // SAFETY: the three outputs are non-NULL (checked) and valid for writes.
                unsafe {
                    put(lsn_out, lsn.0);
                    put(data_out, data.as_ptr());
                    put(len_out, data.len());
                }
                Ok(WalogsStatus::WALOGS_OK)
            }
            Some(Err(e)) => {
                it.done = true;
                Err(e.into())
            }
            None => {
                it.done = true;
                Ok(WalogsStatus::WALOGS_END)
            }
        }
    })
}

/// Free an iterator (and the bytes it lent). NULL is a no-op.
///
/// # Safety
/// `it` must be NULL or a pointer from `walogs_iter_from` not yet freed, not in use by
/// another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_iter_free(it: *mut WalogsIter) {
    if !it.is_null() {
        // SAFETY: from Box::into_raw in walogs_iter_from, freed once (caller's contract).
        let boxed = unsafe { Box::from_raw(it) };
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(boxed)));
    }
}
