//! The Rust baseline of `examples/c/bench_overhead.c`: `n` appends of 128 bytes through
//! `SharedWal` (the handle the C ABI wraps) with `Durability::None`, timed, printed as
//! `ns_per_op=<float>`. The C program runs this binary between its own rounds and prints the
//! ratio C / Rust.
//!
//! Usage: `bench_overhead [N=200000] [DIR_BASE=/tmp]`

use std::time::Instant;

use walogs_core::{Durability, WalOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(200_000);
    let base = args.next().unwrap_or_else(|| "/tmp".to_string());
    let tmp = tempfile::Builder::new()
        .prefix("walogs-bench-rust-")
        .tempdir_in(base)?;
    let wal = WalOptions::new()
        .durability(Durability::None)
        .open_shared(tmp.path().join("wal"))?;
    let payload = [0xA5u8; 128];
    let start = Instant::now();
    for _ in 0..n {
        wal.append(&payload)?;
    }
    let elapsed = start.elapsed();
    wal.close()?;
    println!("ns_per_op={:.2}", elapsed.as_nanos() as f64 / n as f64);
    Ok(())
}
