//! `walogs_range`: a bounded run of consecutive entries read in one call.

use walogs_core::Lsn;

use crate::args::{need_out, obj, put};
use crate::boundary::guard;
use crate::handle::WalogsWal;
use crate::last_error::Failure;
use crate::status::WalogsStatus;

/// Consecutive entries read by `walogs_read_range` (opaque; read with `walogs_range_len` and
/// `walogs_range_get`, free with `walogs_range_free`). It owns copies of the entries: it does
/// not depend on its `walogs_wal`, which may be closed first. Immutable: any number of
/// threads may read one range at once.
pub struct WalogsRange {
    entries: Vec<(Lsn, Vec<u8>)>,
}

/// Read up to `max_entries` consecutive entries from `from`, stopping before their total
/// payload would exceed `max_bytes` -- but at least one entry when `from` holds one, even
/// if it alone exceeds `max_bytes`. `*out` receives the range (free it with
/// `walogs_range_free`). `from` equal to the next LSN gives an empty range; outside
/// first..=next LSN (`from` 0 too: start at `walogs_first_lsn`) it is
/// `WALOGS_LSN_OUT_OF_RANGE`; `max_entries` 0 is
/// `WALOGS_INVALID_ARGUMENT`. Works on read-only and poisoned handles; never waits for an
/// append's I/O. Cost: the index lookup, then sequential reads and one copy of each entry
/// (memory: the entries plus one read buffer).
///
/// # Safety
/// `wal` NULL or a live handle; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_read_range(
    wal: *const WalogsWal,
    from: u64,
    max_entries: usize,
    max_bytes: usize,
    out: *mut *mut WalogsRange,
) -> WalogsStatus {
    guard("walogs_read_range", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        need_out(out, "out")?;
        let entries = h.wal.read_range(Lsn(from), max_entries, max_bytes)?;
        let range = Box::into_raw(Box::new(WalogsRange { entries }));
        // SAFETY: `out` is non-NULL (checked) and valid for a write.
        unsafe { put(out, range) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// `*out` = how many entries `range` holds (0 for an empty range). Their LSNs are
/// consecutive: entry `i` has the LSN of entry 0 plus `i`.
///
/// # Safety
/// `range` NULL or a live range; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_range_len(
    range: *const WalogsRange,
    out: *mut usize,
) -> WalogsStatus {
    guard("walogs_range_len", || {
        // SAFETY: forwarded from the caller.
        let r = unsafe { obj(range, "range") }?;
        need_out(out, "out")?;
        // SAFETY: `out` is non-NULL (checked) and valid for a write.
        unsafe { put(out, r.entries.len()) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Entry `index` (0-based) of `range`: `*lsn_out` receives its LSN, `*data_out` a pointer to
/// its bytes, `*len_out` their count (all three required). The bytes belong to the range:
/// valid and unchanged until `walogs_range_free`, not to be freed or written. For an empty
/// entry `*len_out` is 0 and `*data_out` a non-NULL pointer not to be read. An `index` at or
/// past `walogs_range_len` is `WALOGS_INVALID_ARGUMENT` (nothing written).
///
/// # Safety
/// `range` NULL or a live range; the outputs NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_range_get(
    range: *const WalogsRange,
    index: usize,
    lsn_out: *mut u64,
    data_out: *mut *const u8,
    len_out: *mut usize,
) -> WalogsStatus {
    guard("walogs_range_get", || {
        // SAFETY: forwarded from the caller.
        let r = unsafe { obj(range, "range") }?;
        need_out(lsn_out, "lsn_out")?;
        need_out(data_out, "data_out")?;
        need_out(len_out, "len_out")?;
        let Some((lsn, data)) = r.entries.get(index) else {
            return Err(Failure::invalid(format!(
                "index {index} is past the end of a range of {} entries",
                r.entries.len()
            )));
        };
        // SAFETY: the three outputs are non-NULL (checked) and valid for writes.
        unsafe {
            put(lsn_out, lsn.0);
            put(data_out, data.as_ptr());
            put(len_out, data.len());
        }
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Free a range and the bytes it lent. NULL is a no-op.
///
/// # Safety
/// `range` must be NULL or a pointer from `walogs_read_range` not yet freed, with no other
/// thread reading it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_range_free(range: *mut WalogsRange) {
    // SAFETY: `range` is NULL or a pointer this library handed out and not yet freed, used by
    // no other thread (the caller's contract above).
    unsafe { crate::boundary::free_boxed(range) }
}
