//! Fuzz `open()` on arbitrary WAL directory images (built by walogs-sim's image interpreter
//! on its simulated file system): no panic, no oversized allocation, and a WAL that opens
//! iterates exactly `first_lsn..next_lsn`, appends, and reopens with the same entries.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: walogs_fuzz::LimitedAlloc = walogs_fuzz::LimitedAlloc;

fuzz_target!(|data: &[u8]| {
    let (disk, read_only) = walogs_sim::image::image_from_bytes(data);
    walogs_fuzz::expect_ok(walogs_sim::image::check_image(&disk, &read_only));
});
