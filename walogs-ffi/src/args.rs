//! Checked conversions of C arguments: handles, paths, byte ranges, output pointers.
//!
//! Every helper checks for NULL and for sizes Rust cannot represent before it forms a
//! reference or slice, and returns a [`Failure`] naming the argument.

use std::ffi::{CStr, OsStr, c_char};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use walogs_core::MAX_ENTRY_SIZE;

use crate::last_error::Failure;
use crate::status::WalogsStatus;

/// `&*ptr`, or a NULL-argument failure naming `name`.
///
/// # Safety
/// `ptr`, when not NULL, must point to a live `T` that stays valid and unaliased by `&mut`
/// for `'a`.
pub(crate) unsafe fn obj<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller guarantees a non-NULL `ptr` is valid for `'a`.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// `&mut *ptr`, or a NULL-argument failure naming `name`.
///
/// # Safety
/// `ptr`, when not NULL, must point to a live `T` not otherwise referenced during `'a`.
pub(crate) unsafe fn obj_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: the caller guarantees a non-NULL `ptr` is valid and unique for `'a`.
    unsafe { ptr.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// Fail unless the required output pointer `ptr` is non-NULL. Outputs are checked before
/// the operation runs (so nothing happens when one is missing) and written after it
/// succeeded.
pub(crate) fn need_out<T>(ptr: *mut T, name: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        Err(Failure::null(name))
    } else {
        Ok(())
    }
}

/// Write `value` to the output `ptr` if it is not NULL.
///
/// # Safety
/// `ptr`, when not NULL, must be valid for a write of a `T`.
pub(crate) unsafe fn put<T>(ptr: *mut T, value: T) {
    if !ptr.is_null() {
        // SAFETY: non-NULL and valid for writes (caller's contract). `write` does not drop
        // the (possibly uninitialised) old value.
        unsafe { ptr.write(value) };
    }
}

/// The `struct_size` a caller declared in the versioned struct at `ptr` (its first field),
/// refused unless it covers this version's `T`: a struct grows only at its end, so a caller
/// built against an older, shorter version is told instead of overrun. `arg` and `c_type`
/// name the argument and the C type in the message.
///
/// # Safety
/// `ptr` non-NULL and valid for a read of its first field (a `usize`).
pub(crate) unsafe fn declared_size<T>(
    ptr: *const T,
    arg: &str,
    c_type: &str,
) -> Result<usize, Failure> {
    // SAFETY: non-NULL and its first field is readable (caller's contract).
    let size = unsafe { ptr.cast::<usize>().read_unaligned() };
    if size < size_of::<T>() {
        return Err(Failure::invalid(format!(
            "{arg}->struct_size is {size}; set it to sizeof({c_type}) ({})",
            size_of::<T>()
        )));
    }
    Ok(size)
}

/// The path in the NUL-terminated string `ptr`. Any bytes are accepted (Unix paths need not
/// be UTF-8); the empty string is an invalid argument.
///
/// # Safety
/// `ptr`, when not NULL, must point to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn path<'a>(ptr: *const c_char, name: &str) -> Result<&'a Path, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: non-NULL and NUL-terminated (caller's contract).
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    if bytes.is_empty() {
        return Err(Failure::invalid(format!(
            "argument `{name}` is an empty path"
        )));
    }
    Ok(Path::new(OsStr::from_bytes(bytes)))
}

/// The name (topic or consumer) in the NUL-terminated string `ptr`: it must be UTF-8 (the
/// core checks the rest: not empty, not too long).
///
/// # Safety
/// `ptr`, when not NULL, must point to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn name<'a>(ptr: *const c_char, arg: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(arg));
    }
    // SAFETY: non-NULL and NUL-terminated (caller's contract).
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes)
        .map_err(|e| Failure::invalid(format!("argument `{arg}` is not UTF-8 ({e})")))
}

/// A C timeout in milliseconds as the core takes it: below 0 waits without limit (`None`),
/// 0 does not wait.
pub(crate) fn timeout(ms: i64) -> Option<std::time::Duration> {
    u64::try_from(ms).ok().map(std::time::Duration::from_millis)
}

/// One entry's bytes. `data` may be NULL when `len` is 0. Lengths over
/// [`MAX_ENTRY_SIZE`] are refused before the pointer is touched.
///
/// # Safety
/// `data`, when not NULL, must be valid for reads of `len` bytes for `'a`.
pub(crate) unsafe fn entry<'a>(
    data: *const u8,
    len: usize,
    name: &str,
) -> Result<&'a [u8], Failure> {
    // SAFETY: forwarded from the caller.
    unsafe { bytes(data, len, MAX_ENTRY_SIZE, name) }
}

/// `len` bytes at `data`, at most `max` (a format limit far below `isize::MAX`). `data` may
/// be NULL when `len` is 0. A length over `max` is `WALOGS_ENTRY_TOO_LARGE`, refused before
/// the pointer is touched (so no slice of an impossible size is ever formed).
///
/// # Safety
/// `data`, when not NULL, must be valid for reads of `len` bytes for `'a`.
pub(crate) unsafe fn bytes<'a>(
    data: *const u8,
    len: usize,
    max: usize,
    name: &str,
) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(Failure::new(
            WalogsStatus::WALOGS_NULL_ARGUMENT,
            format!("argument `{name}` is NULL but its length is {len}"),
        ));
    }
    if len > max {
        return Err(Failure::new(
            WalogsStatus::WALOGS_ENTRY_TOO_LARGE,
            format!("entry too large: `{name}` is {len} bytes, max is {max}"),
        ));
    }
    // SAFETY: non-NULL, `len <= max`, a format limit within isize::MAX, valid for reads of
    // `len` bytes (caller's contract).
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Check a caller's output buffer: `buf` may be NULL only when `cap` is 0.
pub(crate) fn out_buffer(buf: *mut u8, cap: usize) -> Result<(), Failure> {
    if buf.is_null() && cap > 0 {
        return Err(Failure::new(
            WalogsStatus::WALOGS_NULL_ARGUMENT,
            format!("argument `buf` is NULL but `cap` is {cap}"),
        ));
    }
    Ok(())
}

/// Hand `data` (described as `what` in a failure message) to the caller: its length to
/// `*len_out`, its bytes to `buf` when they fit in `cap`, else `WALOGS_BUFFER_TOO_SMALL`
/// with `buf` untouched (the length needed is still written: the one output written on a
/// failure).
///
/// # Safety
/// `buf` passed [`out_buffer`] with `cap` and is valid for writes of `cap` bytes when not
/// NULL; `len_out` is non-NULL and valid for a write.
pub(crate) unsafe fn copy_out(
    data: &[u8],
    buf: *mut u8,
    cap: usize,
    len_out: *mut usize,
    what: impl FnOnce() -> String,
) -> Result<(), Failure> {
    // SAFETY: `len_out` is non-NULL and valid for a write (caller's contract).
    unsafe { put(len_out, data.len()) };
    if data.len() > cap {
        return Err(Failure::new(
            WalogsStatus::WALOGS_BUFFER_TOO_SMALL,
            format!(
                "{} is {} bytes but the buffer holds {cap}; *len_out says how many are needed",
                what(),
                data.len()
            ),
        ));
    }
    if !data.is_empty() {
        // SAFETY: `buf` is non-NULL (cap >= len > 0, and NULL only with cap 0), valid for
        // `cap >= data.len()` bytes (caller's contract); `data` is walogs' own allocation,
        // which cannot overlap the caller's buffer.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len()) };
    }
    Ok(())
}

/// The `n` elements at `ptr` (an array argument). `n` must be at least 1.
///
/// # Safety
/// `ptr`, when not NULL, must be valid for reads of `n` elements for `'a`.
pub(crate) unsafe fn array<'a, T>(ptr: *const T, n: usize, name: &str) -> Result<&'a [T], Failure> {
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    if n.checked_mul(size_of::<T>())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(Failure::invalid(format!(
            "argument `{name}` has {n} elements, more than memory can hold"
        )));
    }
    // SAFETY: non-NULL, the total size fits isize, valid for `n` reads (caller's contract).
    Ok(unsafe { std::slice::from_raw_parts(ptr, n) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_checks_null_before_size_and_never_forms_huge_slices() {
        // SAFETY: no pointer is dereferenced for these arguments.
        unsafe {
            assert_eq!(entry(std::ptr::null(), 0, "d").unwrap(), b"");
            let e = entry(std::ptr::null(), 3, "d").unwrap_err();
            assert_eq!(e.status, WalogsStatus::WALOGS_NULL_ARGUMENT);
            let x = 0u8;
            let e = entry(&x, usize::MAX, "d").unwrap_err();
            assert_eq!(e.status, WalogsStatus::WALOGS_ENTRY_TOO_LARGE);
            let e = entry(&x, MAX_ENTRY_SIZE + 1, "d").unwrap_err();
            assert_eq!(e.status, WalogsStatus::WALOGS_ENTRY_TOO_LARGE);
        }
    }

    #[test]
    fn array_refuses_counts_that_overflow() {
        let x = 0usize;
        // SAFETY: the count is refused before the pointer is read.
        let e = unsafe { array(&x, usize::MAX / 2, "lens") }.unwrap_err();
        assert_eq!(e.status, WalogsStatus::WALOGS_INVALID_ARGUMENT);
        // SAFETY: as above.
        let e = unsafe { array::<usize>(std::ptr::null(), 1, "lens") }.unwrap_err();
        assert_eq!(e.status, WalogsStatus::WALOGS_NULL_ARGUMENT);
    }

    #[test]
    fn paths_accept_any_bytes_but_not_empty() {
        // SAFETY: both are NUL-terminated literals.
        unsafe {
            let p = path(c"/tmp/\xff\xfe".as_ptr(), "dir").unwrap();
            assert_eq!(p.as_os_str().as_bytes(), b"/tmp/\xff\xfe");
            let e = path(c"".as_ptr(), "dir").unwrap_err();
            assert_eq!(e.status, WalogsStatus::WALOGS_INVALID_ARGUMENT);
        }
    }
}
