//! What the last open found: the tail state and the recovery report.

use std::ffi::c_char;

use walogs_core::{RecoveryReport, TailState};

use crate::args::{declared_size, need_out, obj, put};
use crate::boundary::guard;
use crate::handle::WalogsWal;
use crate::status::WalogsStatus;

/// What the last open found at the end of the last segment: one of the `WALOGS_TAIL_*`
/// values.
pub type WalogsTail = u32;

/// The last segment ended exactly after its last valid frame.
pub const WALOGS_TAIL_CLEAN: WalogsTail = 0;
/// A torn final write (or a zero-filled preallocated tail left by a crash) started at the
/// reported byte offset of the last segment; a writable open cut the file there (and
/// synced) before accepting writes, a read-only open only reports it.
pub const WALOGS_TAIL_TRUNCATED: WalogsTail = 1;

/// What opening the WAL found and did, filled by `walogs_recovery_report`.
///
/// Versioned by size: set `struct_size` to `sizeof(walogs_report)` before the call. Later
/// versions of the library only append fields, and fill only the fields that fit in the
/// `struct_size` the caller passed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct WalogsReport {
    /// Set by the caller: `sizeof(walogs_report)` as the caller knows it.
    pub struct_size: usize,
    /// `WALOGS_TAIL_CLEAN` or `WALOGS_TAIL_TRUNCATED`.
    pub tail: WalogsTail,
    /// With `WALOGS_TAIL_TRUNCATED`, the byte offset in the last segment where the cut was
    /// made; 0 otherwise.
    pub tail_offset: u64,
    /// Bytes cut (read-only: that would be cut) from the end of the last segment.
    pub bytes_truncated: u64,
    /// Segment files found (completed + active).
    pub segments: u64,
    /// Oldest LSN kept (equals `next_lsn` when the log is empty).
    pub first_lsn: u64,
    /// LSN the next append gets, as of the open.
    pub next_lsn: u64,
    /// With `salvaged`: byte offset of the first damaged frame.
    pub salvage_offset: u64,
    /// With `salvaged`: bytes cut from `salvage_offset` to the end of the file.
    pub salvage_bytes_cut: u64,
    /// With `salvaged`: valid frames found after the damage (and cut with it).
    pub salvage_valid_frames_cut: u64,
    /// With `salvaged`: LSN of the first valid frame found after the damage.
    pub salvage_first_lsn_cut: u64,
    /// With `salvaged`: the segment file holding the damage (NUL-terminated); empty
    /// otherwise.
    pub salvage_file: [c_char; 64],
    /// True when a salvaging open cut valid frames that followed mid-log damage.
    pub salvaged: bool,
    /// True when this open renamed a walogs 0.1 `wal.log` to `wal-000001.log`.
    pub migrated_v1: bool,
    /// True when the open was read-only: nothing on disk was changed.
    pub read_only: bool,
}

fn tail_parts(t: TailState) -> (WalogsTail, u64) {
    match t {
        TailState::Clean => (WALOGS_TAIL_CLEAN, 0),
        TailState::TruncatedAt(off) => (WALOGS_TAIL_TRUNCATED, off),
    }
}

/// The C form of `r`, with `struct_size` as the caller set it.
fn fill(struct_size: usize, r: &RecoveryReport) -> WalogsReport {
    let (tail, tail_offset) = tail_parts(r.tail);
    let mut out = WalogsReport {
        struct_size,
        tail,
        tail_offset,
        bytes_truncated: r.bytes_truncated,
        segments: r.segments as u64,
        first_lsn: r.first_lsn.0,
        next_lsn: r.next_lsn.0,
        salvage_offset: 0,
        salvage_bytes_cut: 0,
        salvage_valid_frames_cut: 0,
        salvage_first_lsn_cut: 0,
        salvage_file: [0; 64],
        salvaged: false,
        migrated_v1: r.migrated_v1,
        read_only: r.read_only,
    };
    if let Some(s) = &r.salvaged {
        out.salvaged = true;
        out.salvage_offset = s.offset;
        out.salvage_bytes_cut = s.bytes_cut;
        out.salvage_valid_frames_cut = s.valid_frames_cut;
        out.salvage_first_lsn_cut = s.first_lsn_cut.0;
        // Keep the last byte 0: the name stays NUL-terminated.
        let room = out.salvage_file.len() - 1;
        for (d, &b) in out.salvage_file[..room].iter_mut().zip(s.file.as_bytes()) {
            *d = b as c_char;
        }
    }
    out
}

/// Fill `*out` with what the open of this handle found and did (tail, truncation, salvage,
/// migration). `out->struct_size` must be at least `sizeof(walogs_report)` of this version,
/// else `WALOGS_INVALID_ARGUMENT`; `struct_size` itself is left as the caller set it.
/// `WALOGS_CLOSED` after `walogs_shutdown`, `WALOGS_FORKED` in a forked child.
///
/// # Safety
/// `wal` NULL or a live handle; `out` NULL or valid for reads and writes of
/// `out->struct_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_recovery_report(
    wal: *const WalogsWal,
    out: *mut WalogsReport,
) -> WalogsStatus {
    guard("walogs_recovery_report", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        need_out(out, "out")?;
        h.wal.ensure_usable()?;
        // SAFETY: `out` is non-NULL (checked) and its first field is readable (caller's
        // contract).
        let size = unsafe { declared_size(out, "out", "walogs_report") }?;
        let report = fill(size, &h.wal.recovery_report());
        // SAFETY: `out` is non-NULL and valid for writes of at least
        // `size_of::<WalogsReport>()` bytes (checked above plus the caller's contract). A
        // write, not a `&mut`: the caller's old bytes need not be valid `bool`s.
        unsafe { put(out, report) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// What the open found at the end of the last segment: `*kind_out` receives
/// `WALOGS_TAIL_CLEAN` or `WALOGS_TAIL_TRUNCATED`, `*offset_out` the byte offset of the cut
/// (0 when clean). Both required. `WALOGS_CLOSED` after `walogs_shutdown`, `WALOGS_FORKED`
/// in a forked child.
///
/// # Safety
/// `wal` NULL or a live handle; the outputs NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_tail_state(
    wal: *const WalogsWal,
    kind_out: *mut WalogsTail,
    offset_out: *mut u64,
) -> WalogsStatus {
    guard("walogs_tail_state", || {
        // SAFETY: forwarded from the caller.
        let h = unsafe { obj(wal, "wal") }?;
        need_out(kind_out, "kind_out")?;
        need_out(offset_out, "offset_out")?;
        h.wal.ensure_usable()?;
        let (kind, off) = tail_parts(h.wal.tail_state());
        // SAFETY: both non-NULL (checked) and valid for writes.
        unsafe {
            put(kind_out, kind);
            put(offset_out, off);
        }
        Ok(WalogsStatus::WALOGS_OK)
    })
}
