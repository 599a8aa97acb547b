//! A short run of the coverage-free structured fuzzer (the CI stand-in for the libFuzzer
//! targets in `fuzz/`), under a global allocator that records the largest single
//! allocation: decoding or opening damaged data must never allocate more than the
//! format's largest frame plus slack, whatever a length field claims.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use walogs_sim::fuzz::{fuzz_decode, fuzz_open};

static LARGEST: AtomicUsize = AtomicUsize::new(0);

struct Counting;

// SAFETY: every call is forwarded unchanged to `System`; only a counter is updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: same layout, forwarded to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: `ptr`/`layout` come from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Inputs here are at most a few hundred KiB, so anything near a whole batch frame would
/// mean a length field was trusted: the hard limit is one batch frame plus 1 MiB.
const LIMIT: usize = walogs_core::MAX_BATCH_SIZE + (1 << 20);

#[test]
fn fuzz_decoder_and_open_briefly() {
    let mut failures = Vec::new();
    let d = fuzz_decode(7, 300_000, |i, e| {
        failures.push(format!("decode {e}: {i:02x?}"))
    });
    let o = fuzz_open(7, 6_000, |i, e| {
        failures.push(format!("open {e}: {i:02x?}"))
    });
    let largest = LARGEST.load(Ordering::Relaxed);
    println!(
        "fuzz-structured: decode {} inputs, open {} images (seed 7), {} failures, {} known core bugs, largest allocation {largest} bytes",
        d.inputs,
        o.inputs,
        d.failures + o.failures,
        o.known
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(largest <= LIMIT, "an allocation of {largest} bytes");
}
