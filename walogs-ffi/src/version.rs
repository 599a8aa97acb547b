//! The library version: header macros and run-time functions.

use std::ffi::c_char;

/// Major version of the walogs C API this header describes. Bumped only for an incompatible
/// ABI change, together with the soname (`libwalogs.so.0`).
pub const WALOGS_VERSION_MAJOR: u32 = 0;
/// Minor version of the header: new functions or statuses, compatible.
pub const WALOGS_VERSION_MINOR: u32 = 2;
/// Patch version of the header.
pub const WALOGS_VERSION_PATCH: u32 = 0;
/// `MAJOR * 1000000 + MINOR * 1000 + PATCH` of the header, for `#if` checks; compare with
/// `walogs_version_number()` to detect a header/library mismatch.
pub const WALOGS_VERSION_NUMBER: u32 = 2000;

/// Parse a decimal version component at compile time.
const fn parse(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0u32;
    while i < b.len() {
        assert!(b[i].is_ascii_digit(), "version component is not a number");
        n = n * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    n
}

// The header macros must match the package version (the workspace version in Cargo.toml);
// a version bump that forgets them fails to compile.
const _: () = assert!(WALOGS_VERSION_MAJOR == parse(env!("CARGO_PKG_VERSION_MAJOR")));
const _: () = assert!(WALOGS_VERSION_MINOR == parse(env!("CARGO_PKG_VERSION_MINOR")));
const _: () = assert!(WALOGS_VERSION_PATCH == parse(env!("CARGO_PKG_VERSION_PATCH")));
const _: () = assert!(
    WALOGS_VERSION_NUMBER
        == WALOGS_VERSION_MAJOR * 1_000_000 + WALOGS_VERSION_MINOR * 1_000 + WALOGS_VERSION_PATCH
);

/// The version of the loaded library as a static NUL-terminated string, e.g. `"0.2.0"`.
/// Never NULL, never fails, costs nothing.
#[unsafe(no_mangle)]
pub extern "C" fn walogs_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The version of the loaded library as `MAJOR * 1000000 + MINOR * 1000 + PATCH` (compare
/// with `WALOGS_VERSION_NUMBER` from the header). Never fails, costs nothing.
#[unsafe(no_mangle)]
pub extern "C" fn walogs_version_number() -> u32 {
    WALOGS_VERSION_NUMBER
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_and_number_agree_with_the_package_version() {
        // SAFETY: a static NUL-terminated string.
        let s = unsafe { std::ffi::CStr::from_ptr(walogs_version()) };
        assert_eq!(s.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        let parts: Vec<u32> = s
            .to_str()
            .unwrap()
            .split('.')
            .map(|p| p.parse().unwrap())
            .collect();
        assert_eq!(
            walogs_version_number(),
            parts[0] * 1_000_000 + parts[1] * 1_000 + parts[2]
        );
    }
}
