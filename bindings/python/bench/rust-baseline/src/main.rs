//! The Rust side of `bench/bench.py`: durable appends straight from Rust, on the same disk
//! and through the same `SharedWal` the Python binding wraps.
//!
//! Usage: `walogs-rust-baseline DIR PAYLOAD_BYTES THREADS`. Opens `DIR` with the options
//! `walogs.Wal(DIR)` uses by default (64 MiB segments, `Durability::EveryAppend`: each append
//! is fdatasync'd before it returns, preallocation on) and serves bench.py: for each line `N`
//! read from stdin it appends `N` entries in total of `PAYLOAD_BYTES` each (bytes 0, 1, ...,
//! 255, 0, 1, ... like bench.py's) from `THREADS` threads started together, and answers one
//! line `appends_per_sec=<float>`. Only the appends are timed (from the moment every thread
//! is ready), as on the Python side. End of input closes the WAL and exits.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Barrier;
use std::time::Instant;

use walogs_core::{DEFAULT_MAX_SEGMENT_SIZE, Durability, SharedWal, WalOptions};

/// Append `count` entries from `threads` threads; returns appends per second.
fn appends(wal: &SharedWal, payload: &[u8], count: usize, threads: usize) -> Result<f64, String> {
    if !count.is_multiple_of(threads) {
        return Err(format!(
            "{count} appends do not split over {threads} threads"
        ));
    }
    let per_thread = count / threads;
    let ready = Barrier::new(threads + 1);
    let secs = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> Result<(), String> {
                    ready.wait();
                    for _ in 0..per_thread {
                        wal.append(payload).map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })
            })
            .collect();
        ready.wait();
        let start = Instant::now();
        for h in handles {
            h.join().map_err(|_| "a thread panicked".to_string())??;
        }
        Ok::<f64, String>(start.elapsed().as_secs_f64())
    })?;
    Ok(count as f64 / secs)
}

fn run(args: &[String]) -> Result<(), String> {
    let [dir, size, threads] = args else {
        return Err("usage: walogs-rust-baseline DIR PAYLOAD_BYTES THREADS".into());
    };
    let dir = PathBuf::from(dir);
    let size: usize = size.parse().map_err(|e| format!("PAYLOAD_BYTES: {e}"))?;
    let threads: usize = threads.parse().map_err(|e| format!("THREADS: {e}"))?;
    if threads == 0 {
        return Err("THREADS must be >= 1".into());
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
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| format!("stdin: {e}"))?;
        let count: usize = line
            .trim()
            .parse()
            .map_err(|e| format!("count {line:?}: {e}"))?;
        let rate = appends(&wal, &payload, count, threads)?;
        writeln!(out, "appends_per_sec={rate:.1}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("stdout: {e}"))?;
    }
    wal.close().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("walogs-rust-baseline: {e}");
            ExitCode::FAILURE
        }
    }
}
