//! Reading one entry by LSN into a caller's buffer.

use walogs_core::Lsn;

use crate::args::{need_out, obj, put};
use crate::boundary::guard;
use crate::handle::WalogsWal;
use crate::last_error::Failure;
use crate::status::WalogsStatus;

/// Read entry `lsn` into `buf` (`cap` bytes; `buf` may be NULL when `cap` is 0);
/// `*len_out` (required) receives its length.
///
/// When the entry is longer than `cap`, returns `WALOGS_BUFFER_TOO_SMALL`, writes the length
/// needed to `*len_out` (the one output written on a failure) and leaves `buf` untouched:
/// call again with a buffer that large. `WALOGS_LSN_OUT_OF_RANGE` when `lsn` was
/// checkpointed or truncated away or not written yet, `WALOGS_CORRUPT` if the file changed
/// under the WAL. Works on read-only and poisoned handles. Cost: one open and reads of at
/// most ~64 KiB plus the entry; the lookup briefly holds the writer lock.
///
/// # Safety
/// `wal` NULL or a live handle; `buf` NULL or valid for writes of `cap` bytes; `len_out`
/// NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_read(
    wal: *const WalogsWal,
    lsn: u64,
    buf: *mut u8,
    cap: usize,
    len_out: *mut usize,
) -> WalogsStatus {
    guard("walogs_read", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        need_out(len_out, "len_out")?;
        if buf.is_null() && cap > 0 {
            return Err(Failure::new(
                WalogsStatus::WALOGS_NULL_ARGUMENT,
                format!("argument `buf` is NULL but `cap` is {cap}"),
            ));
        }
        let data = h.wal.read(Lsn(lsn))?;
        // SAFETY: `len_out` is non-NULL (checked) and valid for a write.
        unsafe { put(len_out, data.len()) };
        if data.len() > cap {
            return Err(Failure::new(
                WalogsStatus::WALOGS_BUFFER_TOO_SMALL,
                format!(
                    "entry {lsn} is {} bytes but the buffer holds {cap}; *len_out says how many are needed",
                    data.len()
                ),
            ));
        }
        if !data.is_empty() {
            // SAFETY: `buf` is non-NULL (cap >= len > 0 and NULL only with cap 0), valid for
            // `cap >= data.len()` bytes (caller's contract); `data` is our own allocation.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len()) };
        }
        Ok(WalogsStatus::WALOGS_OK)
    })
}
