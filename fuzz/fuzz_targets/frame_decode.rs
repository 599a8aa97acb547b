//! Fuzz `walogs_core::frame::decode`: no panic, no oversized allocation, and every decoded
//! frame re-encodes to exactly its bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: walogs_fuzz::LimitedAlloc = walogs_fuzz::LimitedAlloc;

fuzz_target!(|data: &[u8]| {
    walogs_fuzz::expect_ok(walogs_sim::fuzz::check_decode(data));
});
