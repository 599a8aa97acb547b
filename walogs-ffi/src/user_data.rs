//! Durable user data: one small blob kept next to the log (`walogs.user`).

use walogs_core::MAX_USER_DATA;

use crate::args::{bytes, copy_out, need_out, obj, out_buffer};
use crate::boundary::guard;
use crate::handle::WalogsWal;
use crate::status::WalogsStatus;

/// The largest user data, in bytes: 64 KiB. Larger values get `WALOGS_ENTRY_TOO_LARGE`.
pub const WALOGS_MAX_USER_DATA: usize = 65536;

const _: () = assert!(WALOGS_MAX_USER_DATA == MAX_USER_DATA);

/// Replace the durable user data with the `len` bytes at `data` (NULL allowed when `len` is
/// 0): a blob of up to `WALOGS_MAX_USER_DATA` bytes kept next to the log, replaced
/// atomically (after a crash it is the old or the new value, never a mix) and durable when
/// this returns `WALOGS_OK`. Every entry appended before the call is made durable first, so
/// (say) a Raft vote is never durable ahead of the log it covers. The bytes are copied.
///
/// Over `WALOGS_MAX_USER_DATA`: `WALOGS_ENTRY_TOO_LARGE`, nothing changed.
/// `WALOGS_READ_ONLY`, `WALOGS_POISONED`, `WALOGS_CLOSED`, `WALOGS_FORKED` as for appends;
/// `WALOGS_IO` when a write or fdatasync fails (which poisons the handle). Cost: an
/// fdatasync of the log if anything is pending, one write + one fdatasync of `walogs.user`
/// (its first write also creates it).
///
/// # Safety
/// `wal` NULL or a live handle; `data` NULL or valid for reads of `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_set_user_data(
    wal: *mut WalogsWal,
    data: *const u8,
    len: usize,
) -> WalogsStatus {
    guard("walogs_set_user_data", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        // A length over the limit is refused here, before a slice of it is formed.
        // SAFETY: forwarded from the caller.
        let data = unsafe { bytes(data, len, MAX_USER_DATA, "data") }?;
        h.wal.set_user_data(data)?;
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Copy the durable user data into `buf` (`cap` bytes; `buf` may be NULL when `cap` is 0);
/// `*len_out` (required) receives its length. Empty (length 0) before the first
/// `walogs_set_user_data`; kept across reopens; readable by read-only handles (the value as
/// of their open).
///
/// When the value is longer than `cap`, returns `WALOGS_BUFFER_TOO_SMALL`, writes the length
/// needed to `*len_out` (the one output written on a failure) and leaves `buf` untouched:
/// call again with a buffer that large (at most `WALOGS_MAX_USER_DATA` is always enough).
/// Cost: one copy.
///
/// # Safety
/// `wal` NULL or a live handle; `buf` NULL or valid for writes of `cap` bytes; `len_out`
/// NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_user_data(
    wal: *const WalogsWal,
    buf: *mut u8,
    cap: usize,
    len_out: *mut usize,
) -> WalogsStatus {
    guard("walogs_user_data", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        need_out(len_out, "len_out")?;
        out_buffer(buf, cap)?;
        let data = h.wal.user_data()?;
        // SAFETY: `buf` passed `out_buffer` and is valid for `cap` bytes, `len_out` is
        // non-NULL (checked) and valid for a write (caller's contract).
        unsafe { copy_out(&data, buf, cap, len_out, || "the user data".to_string()) }?;
        Ok(WalogsStatus::WALOGS_OK)
    })
}
