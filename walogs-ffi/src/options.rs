//! `walogs_options`: the open-time settings, as an opaque builder.

use std::time::Duration;

use walogs_core::{Durability, WalOptions};

use crate::args::{obj_mut, put};
use crate::boundary::guard;
use crate::last_error::Failure;
use crate::status::WalogsStatus;

/// When appended entries are fdatasync'd: one of the `WALOGS_DURABILITY_*` values.
pub type WalogsDurability = u32;

/// Every append (or batch, or group-commit group) is fdatasync'd before it returns
/// `WALOGS_OK`: a power loss loses nothing acknowledged. The default.
pub const WALOGS_DURABILITY_EVERY_APPEND: WalogsDurability = 0;
/// Appends return after the write; a background thread (started by a writable open, stopped
/// by `walogs_shutdown`/`walogs_close`) fdatasyncs whatever is not yet durable once per
/// interval, so an entry becomes durable within about one interval without a further
/// append. A power loss may lose about one interval of entries.
pub const WALOGS_DURABILITY_INTERVAL: WalogsDurability = 1;
/// Appends return after the write; nothing is fdatasync'd until `walogs_sync` (or rotation,
/// or a clean close). A power loss may lose everything after the last sync.
pub const WALOGS_DURABILITY_MANUAL: WalogsDurability = 2;
/// Like MANUAL, for callers that never sync: only rotation and a clean close sync. A power
/// loss may lose everything since the last rotation. (A crash of the process alone loses
/// nothing acknowledged under any policy.)
pub const WALOGS_DURABILITY_NONE: WalogsDurability = 3;

/// Open-time settings for `walogs_open` (opaque; create with `walogs_options_new`, free with
/// `walogs_options_free`). The defaults: 64 MiB segments, `WALOGS_DURABILITY_EVERY_APPEND`,
/// writable, no salvage, preallocation on, private files (mode 0600, directories 0700).
///
/// Every setter checks its value (the core's `WalOptions::validate`): a refused value
/// returns `WALOGS_INVALID_ARGUMENT` and leaves the options as they were.
///
/// `walogs_open` copies what it needs, so one options object can serve any number of opens
/// and may be freed right after. Not synchronized: do not change it from one thread while
/// another uses it.
#[derive(Debug, Default)]
pub struct WalogsOptions {
    pub(crate) inner: WalOptions,
}

/// Create an options object holding the defaults; `*out` receives it. Free it with
/// `walogs_options_free`. Cost: one small allocation.
///
/// # Safety
/// `out` must be NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_options_new(out: *mut *mut WalogsOptions) -> WalogsStatus {
    guard("walogs_options_new", || {
        crate::args::need_out(out, "out")?;
        let boxed = Box::into_raw(Box::new(WalogsOptions::default()));
        // SAFETY: `out` is non-NULL (checked) and valid for a write (caller's contract).
        unsafe { put(out, boxed) };
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Free an options object. NULL is a no-op. Handles opened with it are not affected.
///
/// # Safety
/// `opts` must be NULL or a pointer from `walogs_options_new` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_options_free(opts: *mut WalogsOptions) {
    // SAFETY: `opts` is NULL or a pointer this library handed out and not yet freed, used by
    // no other thread (the caller's contract above).
    unsafe { crate::boundary::free_boxed(opts) }
}

/// Replace the options behind `opts` with `f` of them, inside the panic boundary, once the
/// core accepts the result (`WalOptions::validate`); a refused value changes nothing.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_options_new`.
unsafe fn update(
    func: &str,
    opts: *mut WalogsOptions,
    f: impl FnOnce(WalOptions) -> Result<WalOptions, Failure>,
) -> WalogsStatus {
    guard(func, || {
        // SAFETY: forwarded from the caller.
        let o = unsafe { obj_mut(opts, "opts") }?;
        let changed = f(o.inner.clone())?;
        changed.validate()?;
        o.inner = changed;
        Ok(WalogsStatus::WALOGS_OK)
    })
}

/// Rotate to a new segment before an append that would grow the active one past `size`
/// bytes; 0 means never rotate automatically. Default 64 MiB. A single frame larger than
/// `size` still goes into a segment of its own.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_options_set_max_segment_size(
    opts: *mut WalogsOptions,
    size: u64,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update("walogs_options_set_max_segment_size", opts, |o| {
            Ok(o.max_segment_size((size != 0).then_some(size)))
        })
    }
}

/// The durability policy a `WALOGS_DURABILITY_*` kind and an interval name (the one mapping
/// for the log's and the streams store's options); an unknown kind is refused.
pub(crate) fn durability(kind: WalogsDurability, interval_ms: u64) -> Result<Durability, Failure> {
    Ok(match kind {
        WALOGS_DURABILITY_EVERY_APPEND => Durability::EveryAppend,
        WALOGS_DURABILITY_INTERVAL => Durability::Interval(Duration::from_millis(interval_ms)),
        WALOGS_DURABILITY_MANUAL => Durability::Manual,
        WALOGS_DURABILITY_NONE => Durability::None,
        other => {
            return Err(Failure::invalid(format!(
                "unknown durability kind {other} (expected 0..=3, see WALOGS_DURABILITY_*)"
            )));
        }
    })
}

/// Choose when appends are fdatasync'd: `kind` is one of the `WALOGS_DURABILITY_*` values;
/// `interval_ms` (at least 1) is used only with `WALOGS_DURABILITY_INTERVAL` and ignored
/// otherwise. An unknown kind or a zero interval is `WALOGS_INVALID_ARGUMENT`.
/// `WALOGS_DURABILITY_INTERVAL` starts one background thread per open handle.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_options_set_durability(
    opts: *mut WalogsOptions,
    kind: WalogsDurability,
    interval_ms: u64,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update("walogs_options_set_durability", opts, |o| {
            Ok(o.durability(crate::options::durability(kind, interval_ms)?))
        })
    }
}

/// Open read-only: no write lock, nothing on disk changed (no directory creation, no
/// truncation of a torn tail, no migration); the recovery report says what a writable open
/// would do. Every mutating call on such a handle returns `WALOGS_READ_ONLY`. Default false.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_options_set_read_only(
    opts: *mut WalogsOptions,
    read_only: bool,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update("walogs_options_set_read_only", opts, |o| {
            Ok(o.read_only(read_only))
        })
    }
}

/// When the last segment has mid-log damage (a bad frame followed by valid ones), cut it at
/// the damage instead of failing with `WALOGS_CORRUPT`. The valid frames after the damage
/// are lost; the recovery report's `salvage_*` fields say what was cut. Default false.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_options_set_salvage(
    opts: *mut WalogsOptions,
    salvage: bool,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update("walogs_options_set_salvage", opts, |o| {
            Ok(o.salvage(salvage))
        })
    }
}

/// Preallocate the active segment in 1 MiB steps (`fallocate` and zeros) so that the
/// fdatasync of most appends commits no block allocation; the zero tail is cut on rotation
/// and clean close. Applies under `WALOGS_DURABILITY_EVERY_APPEND` only: under the relaxed
/// policies appends extend the file (cheaper for the kernel when few appends are synced). A
/// failed preallocation is not an error: the frame is written into unallocated space, and
/// only a write that really finds the disk full fails. Default true.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_options_set_preallocate(
    opts: *mut WalogsOptions,
    preallocate: bool,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update("walogs_options_set_preallocate", opts, |o| {
            Ok(o.preallocate(preallocate))
        })
    }
}

/// Permission bits of the files walogs creates (segments, `walogs.meta`, `walogs.lock`,
/// `walogs.user`), applied exactly: the process umask neither narrows nor widens them. A
/// directory walogs creates gets search permission wherever read is granted (0640 gives
/// directories 0750). Default 0600 (directories 0700). `mode` must grant the owner read and
/// write (0600) and hold nothing beyond 0777, else `WALOGS_INVALID_ARGUMENT` and the options
/// keep their mode. Existing files keep their permissions.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `walogs_options_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn walogs_options_set_file_mode(
    opts: *mut WalogsOptions,
    mode: u32,
) -> WalogsStatus {
    // SAFETY: forwarded from the caller.
    unsafe {
        update("walogs_options_set_file_mode", opts, |o| {
            Ok(o.file_mode(mode))
        })
    }
}
