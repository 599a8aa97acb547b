//! Damage as data for C: `walogs_last_damage` fills a `walogs_damage` with what the core's
//! `Damage` of the last `WALOGS_CORRUPT` on this thread says.

use std::ffi::c_char;

use walogs_core::{Damage, DamageKind};

use crate::last_error::last_damage;
use crate::status::WalogsStatus;

/// What kind of damage a `WALOGS_CORRUPT` reported: one of the `WALOGS_DAMAGE_*` values.
/// The numbers are part of the ABI: never renumbered or reused.
pub type WalogsDamageKind = u32;

/// No damage: the last failed call on this thread was not `WALOGS_CORRUPT` (or there was
/// none).
pub const WALOGS_DAMAGE_NONE: WalogsDamageKind = 0;
/// A frame of a completed (not the newest) segment fails its checks.
pub const WALOGS_DAMAGE_COMPLETED_SEGMENT: WalogsDamageKind = 1;
/// A bad frame in the newest segment is followed by valid frames: not a torn write. The
/// salvage option cuts it (losing the frames after it).
pub const WALOGS_DAMAGE_MID_LOG: WalogsDamageKind = 2;
/// Consecutive frames do not carry consecutive LSNs.
pub const WALOGS_DAMAGE_LSN_DISCONTINUITY: WalogsDamageKind = 3;
/// Segment numbers are not contiguous (a segment file is missing).
pub const WALOGS_DAMAGE_SEGMENT_GAP: WalogsDamageKind = 4;
/// A completed segment holds no frame.
pub const WALOGS_DAMAGE_EMPTY_COMPLETED_SEGMENT: WalogsDamageKind = 5;
/// `walogs.meta` records a seal the segments do not match (a completed segment's tail was
/// cut, or segments are missing).
pub const WALOGS_DAMAGE_SEAL_MISMATCH: WalogsDamageKind = 6;
/// A segment starts at or below an LSN `walogs.meta` records as sealed in an older one.
pub const WALOGS_DAMAGE_BELOW_SEAL: WalogsDamageKind = 7;
/// `walogs.meta` itself is damaged (size, magic, checksum, version, flags).
pub const WALOGS_DAMAGE_METADATA: WalogsDamageKind = 8;
/// Both a walogs 0.1 `wal.log` and segment files exist.
pub const WALOGS_DAMAGE_MIXED_LAYOUT: WalogsDamageKind = 9;
/// A reader found a frame that no longer matches what was verified when the WAL was opened
/// (the file changed underneath).
pub const WALOGS_DAMAGE_CHANGED_WHILE_READING: WalogsDamageKind = 10;
/// The user data file (`walogs.user`) holds no valid value.
pub const WALOGS_DAMAGE_USER_DATA: WalogsDamageKind = 11;
/// A kind of damage this version of the C API has no number for (the message of
/// `walogs_last_error` describes it).
pub const WALOGS_DAMAGE_OTHER: WalogsDamageKind = 999;

/// The damage behind a `WALOGS_CORRUPT`, as data, filled by `walogs_last_damage`. Read the
/// fields rather than parsing the message.
///
/// Versioned by size: set `struct_size` to `sizeof(walogs_damage)` before the call. Later
/// versions of the library only append fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct WalogsDamage {
    /// Set by the caller: `sizeof(walogs_damage)` as the caller knows it.
    pub struct_size: usize,
    /// One of the `WALOGS_DAMAGE_*` values; `WALOGS_DAMAGE_NONE` when the last failed call
    /// on this thread was not `WALOGS_CORRUPT` (then every other field is 0/false/empty).
    pub kind: WalogsDamageKind,
    /// Whether opening with the salvage option can cut this damage (only
    /// `WALOGS_DAMAGE_MID_LOG`).
    pub salvageable: bool,
    /// Whether one file is concerned; its name is then in `file`.
    pub has_file: bool,
    /// The file holding the damage, a name inside the WAL directory (e.g. `wal-000003.log`,
    /// `walogs.meta`), NUL-terminated; empty without `has_file`.
    pub file: [c_char; 64],
    /// Whether `offset` is known.
    pub has_offset: bool,
    /// With `has_offset`: byte offset of the damage in `file`; 0 otherwise.
    pub offset: u64,
    /// Whether `last_good_lsn` is known.
    pub has_last_good_lsn: bool,
    /// With `has_last_good_lsn`: the last LSN known intact before the damage; 0 otherwise.
    pub last_good_lsn: u64,
    /// Whether a valid frame was found after the damage.
    pub has_first_lsn_after: bool,
    /// With `has_first_lsn_after`: the LSN of the first valid frame after the damage; 0
    /// otherwise.
    pub first_lsn_after: u64,
    /// Valid frames found after the damage in the same file (0 when none).
    pub frames_after: u64,
}

/// The number of a damage kind.
fn kind_number(kind: DamageKind) -> WalogsDamageKind {
    match kind {
        DamageKind::CompletedSegment => WALOGS_DAMAGE_COMPLETED_SEGMENT,
        DamageKind::MidLog => WALOGS_DAMAGE_MID_LOG,
        DamageKind::LsnDiscontinuity => WALOGS_DAMAGE_LSN_DISCONTINUITY,
        DamageKind::SegmentGap => WALOGS_DAMAGE_SEGMENT_GAP,
        DamageKind::EmptyCompletedSegment => WALOGS_DAMAGE_EMPTY_COMPLETED_SEGMENT,
        DamageKind::SealMismatch => WALOGS_DAMAGE_SEAL_MISMATCH,
        DamageKind::BelowSeal => WALOGS_DAMAGE_BELOW_SEAL,
        DamageKind::Metadata => WALOGS_DAMAGE_METADATA,
        DamageKind::MixedLayout => WALOGS_DAMAGE_MIXED_LAYOUT,
        DamageKind::ChangedWhileReading => WALOGS_DAMAGE_CHANGED_WHILE_READING,
        DamageKind::UserData => WALOGS_DAMAGE_USER_DATA,
        // `DamageKind` is non-exhaustive: a kind added to the core later is still damage.
        _ => WALOGS_DAMAGE_OTHER,
    }
}

/// The C form of `d` (all zero with `WALOGS_DAMAGE_NONE` when `None`), with `struct_size`
/// as the caller set it.
fn fill(struct_size: usize, d: Option<&Damage>) -> WalogsDamage {
    let mut out = WalogsDamage {
        struct_size,
        kind: WALOGS_DAMAGE_NONE,
        salvageable: false,
        has_file: false,
        file: [0; 64],
        has_offset: false,
        offset: 0,
        has_last_good_lsn: false,
        last_good_lsn: 0,
        has_first_lsn_after: false,
        first_lsn_after: 0,
        frames_after: 0,
    };
    let Some(d) = d else { return out };
    out.kind = kind_number(d.kind);
    out.salvageable = d.kind.salvageable();
    if let Some(name) = &d.file {
        out.has_file = true;
        // Keep the last byte 0: the name stays NUL-terminated. walogs' own file names are
        // at most 28 bytes, so nothing is cut in practice.
        let room = out.file.len() - 1;
        for (dst, &b) in out.file[..room].iter_mut().zip(name.as_bytes()) {
            *dst = b as c_char;
        }
    }
    if let Some(off) = d.offset {
        out.has_offset = true;
        out.offset = off;
    }
    if let Some(lsn) = d.last_good_lsn {
        out.has_last_good_lsn = true;
        out.last_good_lsn = lsn.0;
    }
    if let Some(lsn) = d.first_lsn_after {
        out.has_first_lsn_after = true;
        out.first_lsn_after = lsn.0;
    }
    out.frames_after = d.frames_after;
    out
}

/// Fill `*out` with the damage behind the last failed call on this thread, when it failed
/// with `WALOGS_CORRUPT`: kind, file, offset, the LSNs around it, whether salvage can cut it.
/// When the last failure was anything else (or there was none) `out->kind` is
/// `WALOGS_DAMAGE_NONE` and the other fields are 0/false/empty. The damage is kept until
/// the next failing call on this thread, like `walogs_last_error`.
///
/// `out->struct_size` must be at least `sizeof(walogs_damage)` of this version, else
/// `WALOGS_INVALID_ARGUMENT`; `struct_size` itself is left as the caller set it. A NULL
/// `out` is `WALOGS_NULL_ARGUMENT`. Like `walogs_last_error`, this call never changes the
/// last error (so its own refusals leave no message). Cost: one copy.
///
/// Thread-local: call it on the thread that made the failing call (for a callback of
/// `walogs_on_durable`, inside the callback).
///
/// # Safety
/// `out` NULL or valid for reads and writes of `out->struct_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_last_damage(out: *mut WalogsDamage) -> WalogsStatus {
    // No `guard` here: it would overwrite the very error being read. Nothing below panics.
    if out.is_null() {
        return WalogsStatus::WALOGS_NULL_ARGUMENT;
    }
    // SAFETY: `out` is non-NULL and its first field is readable (caller's contract).
    let size = unsafe { out.cast::<usize>().read_unaligned() };
    if size < size_of::<WalogsDamage>() {
        return WalogsStatus::WALOGS_INVALID_ARGUMENT;
    }
    let value = fill(size, last_damage().as_ref());
    // SAFETY: `out` is non-NULL and valid for writes of at least `size_of::<WalogsDamage>()`
    // bytes (checked above plus the caller's contract). A write, not a `&mut`: the caller's
    // old bytes need not be valid `bool`s.
    unsafe { out.write(value) };
    WalogsStatus::WALOGS_OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::last_error::{Failure, record};
    use walogs_core::WalError;

    fn read() -> (WalogsStatus, WalogsDamage) {
        // SAFETY: all-zero bytes are a valid `WalogsDamage` (integers, bools, a char array).
        let mut d: WalogsDamage = unsafe { std::mem::zeroed() };
        d.struct_size = size_of::<WalogsDamage>();
        // SAFETY: `d` is a live local of the right size.
        let s = unsafe { walogs_last_damage(&mut d) };
        (s, d)
    }

    #[test]
    fn damage_of_the_last_failure_is_kept_until_the_next_failure() {
        let damage = Damage::new(DamageKind::MidLog, "wal-000002.log is damaged at 40")
            .at("wal-000002.log", 40)
            .last_good(7)
            .followed_by(9, 3);
        let e = WalError::Corrupt {
            reason: Box::new(damage),
        };
        record("walogs_test", &Failure::from(e));
        let (s, d) = read();
        assert_eq!(s, WalogsStatus::WALOGS_OK);
        assert_eq!(d.kind, WALOGS_DAMAGE_MID_LOG);
        assert!(d.salvageable && d.has_file && d.has_offset);
        // SAFETY: `fill` NUL-terminates the name.
        let name = unsafe { std::ffi::CStr::from_ptr(d.file.as_ptr()) };
        assert_eq!(name.to_str().unwrap(), "wal-000002.log");
        assert_eq!((d.offset, d.last_good_lsn, d.first_lsn_after), (40, 7, 9));
        assert!(d.has_last_good_lsn && d.has_first_lsn_after);
        assert_eq!(d.frames_after, 3);

        record("walogs_test", &Failure::from(WalError::ReadOnly));
        let (s, d) = read();
        assert_eq!(s, WalogsStatus::WALOGS_OK);
        assert_eq!(d.kind, WALOGS_DAMAGE_NONE);
        assert!(!d.has_file && !d.has_offset && d.file[0] == 0);
    }

    #[test]
    fn absent_fields_stay_absent_and_bad_arguments_are_refused() {
        let e = WalError::Corrupt {
            reason: Box::new(Damage::new(DamageKind::Metadata, "walogs.meta is damaged")),
        };
        record("walogs_test", &Failure::from(e));
        let (_, d) = read();
        assert_eq!(d.kind, WALOGS_DAMAGE_METADATA);
        assert!(!d.salvageable && !d.has_file && !d.has_offset);
        assert!(!d.has_last_good_lsn && !d.has_first_lsn_after);
        // SAFETY: NULL is refused before any access.
        let s = unsafe { walogs_last_damage(std::ptr::null_mut()) };
        assert_eq!(s, WalogsStatus::WALOGS_NULL_ARGUMENT);
        // SAFETY: all-zero bytes are a valid `WalogsDamage`.
        let mut small: WalogsDamage = unsafe { std::mem::zeroed() };
        small.struct_size = size_of::<WalogsDamage>() - 1;
        small.kind = 77;
        // SAFETY: a live local.
        let s = unsafe { walogs_last_damage(&mut small) };
        assert_eq!(s, WalogsStatus::WALOGS_INVALID_ARGUMENT);
        assert_eq!(small.kind, 77, "nothing written");
        assert_eq!(
            read().1.kind,
            WALOGS_DAMAGE_METADATA,
            "the refusal kept the damage"
        );
    }
}
