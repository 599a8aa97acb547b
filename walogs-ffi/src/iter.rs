//! `walogs_iter`: a cursor over entries in LSN order that lends each entry's bytes.

use walogs_core::{Lsn, WalCursor, WalError, WalIter};

use crate::args::{need_out, obj, obj_mut, put};
use crate::boundary::guard;
use crate::handle::WalogsWal;
use crate::status::WalogsStatus;

/// An iterator over entries in LSN order (opaque; create with `walogs_iter_from`, free with
/// `walogs_iter_free`).
///
/// It reads a snapshot of the segment list taken when it was created, through its own file
/// handles; entries appended after its creation are not seen. It does not borrow the
/// `walogs_wal`'s memory: it may be freed after `walogs_close`. But it reads that WAL's log:
/// once the WAL is shut down or closed, its next `walogs_iter_next` returns `WALOGS_CLOSED`
/// (in a forked child `WALOGS_FORKED`), and the iteration ends.
///
/// Concurrent log control: a `walogs_truncate_after` below its position stops it with
/// `WALOGS_LSN_OUT_OF_RANGE` at the cut (it never reads removed entries, nor entries
/// appended later under their LSNs). A `walogs_purge_up_to` past its position: an iterator
/// made with `from` 0 goes on from the new oldest entry; one made with an explicit `from`
/// stops with `WALOGS_LSN_OUT_OF_RANGE`. A segment deleted by `walogs_checkpoint` before it
/// was read: `WALOGS_IO` (errno `ENOENT`).
///
/// Not synchronized: use one iterator from one thread at a time (it may move between
/// threads); separate iterators are independent. Memory: one 256 KiB read buffer plus the
/// largest frame read; with an explicit `from` no allocation per entry, with `from` 0 one
/// copy of each entry.
pub struct WalogsIter {
    source: Source,
    done: bool,
}

/// Where the entries come from.
enum Source {
    /// From an explicit LSN: the core's lending cursor.
    From(WalCursor),
    /// From the oldest entry: the core's `iter()`, which follows the oldest entry when a
    /// purge overtakes it; `current` holds the entry last handed out.
    Oldest { iter: WalIter, current: Vec<u8> },
}

impl Source {
    /// The next entry, borrowed until the next call.
    fn next_entry(&mut self) -> Option<Result<(Lsn, &[u8]), WalError>> {
        match self {
            Source::From(cursor) => cursor.next_entry(),
            Source::Oldest { iter, current } => match iter.next()? {
                Ok((lsn, data)) => {
                    *current = data;
                    Some(Ok((lsn, current.as_slice())))
                }
                Err(e) => Some(Err(e)),
            },
        }
    }
}

/// Create an iterator starting at `from` (inclusive); `from` 0 means the oldest entry kept
/// (and keeps meaning it: a concurrent purge never makes such an iterator fail). `from` may
/// equal the next LSN (an iterator with no entries); outside the entries kept it is
/// `WALOGS_LSN_OUT_OF_RANGE`. Uses the sparse index: no scan from the start. `*out`
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
        let source = if from == 0 {
            // `iter()` reports a closed or forked handle at its first item; this call
            // reports it now, as for an explicit `from`.
            h.wal.ensure_usable()?;
            Source::Oldest {
                iter: h.wal.iter(),
                current: Vec::new(),
            }
        } else {
            Source::From(h.wal.cursor_from(Lsn(from))?)
        };
        let it = Box::into_raw(Box::new(WalogsIter {
            source,
            done: false,
        }));
        // SAFETY: `out` is non-NULL (checked) and valid for a write.
        unsafe { put(out, it) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Advance to the next entry. On `WALOGS_OK`, `*lsn_out` receives its LSN, `*data_out` a
/// pointer to its bytes and `*len_out` their count (all three required). The bytes belong to
/// the iterator: they stay valid and unchanged until the next `walogs_iter_next` or
/// `walogs_iter_free` on this iterator, and must not be freed or written. For an empty entry
/// `*len_out` is 0 and `*data_out` is a non-NULL pointer not to be read.
///
/// Returns `WALOGS_END` (not an error; nothing written) when there are no more entries. On an
/// error the iteration ends (later calls return `WALOGS_END`): `WALOGS_CLOSED` once the WAL
/// was shut down or closed, `WALOGS_FORKED` in a forked child, `WALOGS_LSN_OUT_OF_RANGE` at
/// a truncation (or, for an explicit `from`, a purge) made after the iterator, `WALOGS_CORRUPT`
/// when a file was damaged after open (`walogs_last_damage` says where), `WALOGS_IO` when a
/// segment was removed by a checkpoint or unreadable.
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
        match it.source.next_entry() {
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
    // SAFETY: `it` is NULL or a pointer this library handed out and not yet freed, used by
    // no other thread (the caller's contract above).
    unsafe { crate::boundary::free_boxed(it) }
}
