//! Reading one entry by LSN into a caller's buffer.

use walogs_core::Lsn;

use crate::args::{copy_out, need_out, obj, out_buffer};
use crate::boundary::guard;
use crate::handle::WalogsWal;
use crate::status::WalogsStatus;

/// Read entry `lsn` into `buf` (`cap` bytes; `buf` may be NULL when `cap` is 0);
/// `*len_out` (required) receives its length.
///
/// When the entry is longer than `cap`, returns `WALOGS_BUFFER_TOO_SMALL`, writes the length
/// needed to `*len_out` (the one output written on a failure) and leaves `buf` untouched:
/// call again with a buffer that large. `WALOGS_LSN_OUT_OF_RANGE` when `lsn` was purged,
/// checkpointed or truncated away or not written yet, `WALOGS_CORRUPT` if the file changed
/// under the WAL. Works on read-only and poisoned handles. Cost: one open and reads of at
/// most ~64 KiB plus the entry; the lookup briefly holds a read lock of the segment list.
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
        out_buffer(buf, cap)?;
        let data = h.wal.read(Lsn(lsn))?;
        // SAFETY: `buf` passed `out_buffer` and is valid for `cap` bytes, `len_out` is
        // non-NULL (checked) and valid for a write (caller's contract).
        unsafe { copy_out(&data, buf, cap, len_out, || format!("entry {lsn}")) }?;
        Ok(WalogsStatus::WALOGS_OK)
    })
}
