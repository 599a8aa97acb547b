//! The Rust baseline of `examples/c/bench_overhead.c`: appends of 128 bytes through
//! `SharedWal` (the handle the C ABI wraps) with `Durability::None`.
//!
//! It opens a WAL in a fresh directory under `DIR_BASE`, then serves batches: for each line
//! `N` read from stdin it times `N` appends and answers `ns_per_op=<float>` on stdout. At end
//! of input it closes the WAL and removes the directory. The C program drives it so that C
//! and Rust batches alternate closely and share the same machine noise.
//!
//! Usage: `bench_overhead [DIR_BASE=/tmp]`

use std::io::{BufRead, Write};
use std::time::Instant;

use walogs_core::{Durability, WalOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp".to_string());
    let tmp = tempfile::Builder::new()
        .prefix("walogs-bench-rust-")
        .tempdir_in(base)?;
    let wal = WalOptions::new()
        .durability(Durability::None)
        .max_segment_size(None)
        .open_shared(tmp.path().join("wal"))?;
    let payload = [0xA5u8; 128];
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let n: u64 = line?.trim().parse()?;
        let start = Instant::now();
        for _ in 0..n {
            wal.append(&payload)?;
        }
        let elapsed = start.elapsed();
        writeln!(
            out,
            "ns_per_op={:.2}",
            elapsed.as_nanos() as f64 / n.max(1) as f64
        )?;
        out.flush()?;
    }
    wal.close()?;
    Ok(())
}
