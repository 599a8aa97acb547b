//! The Rust side of `bench/bench.py`: durable appends straight from Rust, on the same disk
//! and the same `SharedWal` the Python binding wraps.
//!
//! Usage: `walogs-rust-baseline DIR COUNT PAYLOAD_BYTES THREADS`. Opens `DIR` with the
//! options `walogs.Wal(DIR)` uses by default (64 MiB segments, `Durability::EveryAppend`:
//! each append is fdatasync'd before it returns, preallocation on), appends `COUNT` entries
//! in total of `PAYLOAD_BYTES` each (bytes 0, 1, ..., 255, 0, 1, ... like bench.py's) from
//! `THREADS` threads, and prints one line: `appends_per_sec=<float>`. Only the appends are
//! timed (not the process start, the open or the close), as on the Python side.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use walogs_core::{DEFAULT_MAX_SEGMENT_SIZE, Durability, WalOptions};

fn run(args: &[String]) -> Result<f64, String> {
    let [dir, count, size, threads] = args else {
        return Err("usage: walogs-rust-baseline DIR COUNT PAYLOAD_BYTES THREADS".into());
    };
    let dir = PathBuf::from(dir);
    let count: usize = count.parse().map_err(|e| format!("COUNT: {e}"))?;
    let size: usize = size.parse().map_err(|e| format!("PAYLOAD_BYTES: {e}"))?;
    let threads: usize = threads.parse().map_err(|e| format!("THREADS: {e}"))?;
    if threads == 0 || !count.is_multiple_of(threads) {
        return Err("THREADS must be >= 1 and divide COUNT".into());
    }
    let wal = WalOptions::new()
        .max_segment_size(Some(DEFAULT_MAX_SEGMENT_SIZE))
        .durability(Durability::EveryAppend)
        .read_only(false)
        .salvage(false)
        .preallocate(true)
        .open_shared(&dir)
        .map_err(|e| e.to_string())?;
    let payload: Vec<u8> = (0..size).map(|i| (i % 256) as u8).collect();
    let per_thread = count / threads;
    let start = Instant::now();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> Result<(), String> {
                    for _ in 0..per_thread {
                        wal.append(&payload).map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().map_err(|_| "a thread panicked".to_string())?)
    })?;
    let secs = start.elapsed().as_secs_f64();
    wal.close().map_err(|e| e.to_string())?;
    Ok(count as f64 / secs)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(rate) => {
            println!("appends_per_sec={rate:.1}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("walogs-rust-baseline: {e}");
            ExitCode::FAILURE
        }
    }
}
