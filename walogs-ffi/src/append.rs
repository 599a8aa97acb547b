//! Appends: one entry, batches (atomic or not), and explicit sync.

use walogs_core::{LsnRange, MAX_BATCH_SIZE, MAX_ENTRY_SIZE};

use crate::args::{array, entry, obj, put};
use crate::boundary::guard;
use crate::handle::WalogsWal;
use crate::last_error::Failure;
use crate::status::WalogsStatus;

/// The largest entry, in bytes: 16 MiB. Larger ones get `WALOGS_ENTRY_TOO_LARGE`.
pub const WALOGS_MAX_ENTRY_SIZE: usize = 16777216;
/// The largest atomic batch (payloads plus 4 bytes per entry plus 4), in bytes: 64 MiB.
pub const WALOGS_MAX_BATCH_SIZE: usize = 67108864;

const _: () = assert!(WALOGS_MAX_ENTRY_SIZE == MAX_ENTRY_SIZE);
const _: () = assert!(WALOGS_MAX_BATCH_SIZE == MAX_BATCH_SIZE);

/// Append one entry of `len` bytes at `data` (NULL allowed when `len` is 0); `*lsn_out`
/// (optional, may be NULL) receives its LSN.
///
/// Under `WALOGS_DURABILITY_EVERY_APPEND` the entry is written and fdatasync'd before this
/// returns `WALOGS_OK`; appends from several threads at once share one write and one
/// fdatasync (group commit). The bytes are copied; `data` may be reused at once.
/// `WALOGS_ENTRY_TOO_LARGE` over `WALOGS_MAX_ENTRY_SIZE` (nothing written),
/// `WALOGS_READ_ONLY`, `WALOGS_POISONED` after an earlier write/sync failure, `WALOGS_IO`
/// when this write or sync fails (which poisons the handle), `WALOGS_CLOSED`.
///
/// # Safety
/// `wal` NULL or a live handle; `data` NULL or valid for `len` bytes; `lsn_out` NULL or
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_append(
    wal: *mut WalogsWal,
    data: *const u8,
    len: usize,
    lsn_out: *mut u64,
) -> WalogsStatus {
    guard("walogs_append", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        // SAFETY: forwarded from the caller.
        let data = unsafe { entry(data, len, "data") }?;
        let lsn = h.wal.append(data)?;
        // SAFETY: forwarded from the caller.
        unsafe { put(lsn_out, lsn.0) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Gather the `n` entries of a batch argument.
///
/// # Safety
/// As for [`walogs_append_batch`].
unsafe fn batch_entries<'a>(
    datas: *const *const u8,
    lens: *const usize,
    n: usize,
) -> Result<Vec<&'a [u8]>, Failure> {
    if n == 0 {
        return Err(Failure::invalid(
            "a batch must hold at least one entry (n is 0)",
        ));
    }
    // SAFETY: forwarded from the caller.
    let datas = unsafe { array(datas, n, "datas") }?;
    // SAFETY: forwarded from the caller.
    let lens = unsafe { array(lens, n, "lens") }?;
    let mut out = Vec::with_capacity(n);
    for (i, (&d, &l)) in datas.iter().zip(lens).enumerate() {
        // SAFETY: forwarded from the caller.
        let e = unsafe { entry(d, l, &format!("datas[{i}]")) }?;
        out.push(e);
    }
    Ok(out)
}

/// Append `n` entries (entry `i` is `lens[i]` bytes at `datas[i]`, which may be NULL when
/// `lens[i]` is 0) with consecutive LSNs; `*first_out` and `*last_out` (optional, may be
/// NULL) receive the first and last.
///
/// `atomic` true: one unit (a frame per entry, each with its own CRC), one write, one
/// fdatasync; after a crash either every entry is in the log or none is. The total
/// (payloads + 4 bytes per entry + 4) must fit `WALOGS_MAX_BATCH_SIZE`, else
/// `WALOGS_ENTRY_TOO_LARGE` and nothing is written. Multi-entry units are a format extension
/// walogs 0.1 cannot read. `walogs_truncate_after` may later cut inside a batch.
///
/// `atomic` false: any number and total size, written as few units as possible (each one
/// write + one fdatasync). Not atomic as a whole: if a unit fails, the units before it stay
/// in the log and the error is returned; after a crash a prefix may survive.
///
/// `n` of 0 is `WALOGS_INVALID_ARGUMENT`; an entry over `WALOGS_MAX_ENTRY_SIZE` is
/// `WALOGS_ENTRY_TOO_LARGE` before anything is written. Other statuses as `walogs_append`.
///
/// # Safety
/// `wal` NULL or a live handle; `datas` and `lens` NULL or valid for `n` reads; each
/// `datas[i]` NULL or valid for `lens[i]` bytes; `first_out`/`last_out` NULL or valid for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_append_batch(
    wal: *mut WalogsWal,
    datas: *const *const u8,
    lens: *const usize,
    n: usize,
    atomic: bool,
    first_out: *mut u64,
    last_out: *mut u64,
) -> WalogsStatus {
    guard("walogs_append_batch", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        // SAFETY: forwarded from the caller.
        let entries = unsafe { batch_entries(datas, lens, n) }?;
        let LsnRange { first, last } = if atomic {
            h.wal.append_batch(&entries)?
        } else {
            h.wal.append_many(&entries)?
        };
        // SAFETY: forwarded from the caller.
        unsafe {
            put(first_out, first.0);
            put(last_out, last.0);
        }
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Make every appended entry durable (one fdatasync if anything is pending); `*durable_out`
/// (optional, may be NULL) receives the durable LSN. Needed only under the INTERVAL, MANUAL
/// and NONE durability policies. A failed fdatasync is `WALOGS_IO` and poisons the handle;
/// a read-only handle gets `WALOGS_READ_ONLY`.
///
/// # Safety
/// `wal` NULL or a live handle; `durable_out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_sync(wal: *mut WalogsWal, durable_out: *mut u64) -> WalogsStatus {
    guard("walogs_sync", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        let lsn = h.wal.sync()?;
        // SAFETY: forwarded from the caller.
        unsafe { put(durable_out, lsn.0) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}
