//! Shared parts of the fuzz targets: a global allocator that refuses any single allocation
//! larger than the format's largest frame plus slack, so a damaged length field that makes
//! walogs allocate what the header claims (instead of what the file holds) is a crash.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Largest single allocation allowed: one maximal batch frame plus 1 MiB.
pub const ALLOC_LIMIT: usize = walogs_core::MAX_BATCH_SIZE + 16 + (1 << 20);

/// Largest allocation seen so far.
pub static LARGEST: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, refusing allocations above [`ALLOC_LIMIT`] (the refusal aborts the
/// process through Rust's allocation-error handler, which libFuzzer reports as a crash).
pub struct LimitedAlloc;

// SAFETY: every call is forwarded unchanged to `System`, which upholds the GlobalAlloc
// contract; refusing (returning null) is allowed by that contract.
unsafe impl GlobalAlloc for LimitedAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        if layout.size() > ALLOC_LIMIT {
            return std::ptr::null_mut();
        }
        // SAFETY: same layout, forwarded to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        if layout.size() > ALLOC_LIMIT {
            return std::ptr::null_mut();
        }
        // SAFETY: same layout, forwarded to the system allocator.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        if new_size > ALLOC_LIMIT {
            return std::ptr::null_mut();
        }
        // SAFETY: `ptr`/`layout` come from this allocator, i.e. from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Fail the run unless `r` is Ok or a known, reported core bug.
pub fn expect_ok(r: Result<(), String>) {
    if let Err(e) = r
        && walogs_sim::harness::known::classify(&e).is_none()
    {
        panic!("{e}");
    }
}
