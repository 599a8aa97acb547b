//! The walogs measurements: durable single appends ([`walogs_core::Wal::append`]), atomic
//! batches ([`walogs_core::Wal::append_batch`]) and group commit (many threads appending
//! to one [`walogs_core::SharedWal`]). Each runs in a fresh WAL directory with default
//! settings (fdatasync before every acknowledgment), through a sync-counting file system.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use walogs_core::{WalError, WalOptions};

use super::counting::CountingFs;
use super::measure::{Sample, Timer};
use crate::error::CliError;

fn options() -> (WalOptions, Arc<CountingFs>) {
    let fs = Arc::new(CountingFs::new());
    (WalOptions::new().file_system(fs.clone()), fs)
}

/// Durable single appends of `payload`, one after the other, until `timer` expires.
pub fn append(dir: &Path, payload: &[u8], timer: Timer) -> Result<Sample, CliError> {
    batches(dir, payload, 1, timer)
}

/// Atomic batches of `batch` copies of `payload` (single appends when `batch` is 1),
/// until `timer` expires.
pub fn batches(
    dir: &Path,
    payload: &[u8],
    batch: usize,
    mut timer: Timer,
) -> Result<Sample, CliError> {
    let (opts, fs) = options();
    let mut wal = opts.open(dir)?;
    let entries: Vec<&[u8]> = vec![payload; batch];
    let s0 = fs.syncs();
    let mut n = 0u64;
    timer.run(|| {
        if batch == 1 {
            wal.append(payload)?;
        } else {
            wal.append_batch(&entries)?;
        }
        n += batch as u64;
        Ok::<(), WalError>(())
    })?;
    let syncs = fs.syncs() - s0;
    let sample = timer.finish(n, syncs);
    wal.close()?;
    Ok(sample)
}

/// `threads` threads appending `payload` to one shared WAL at once, until `timer` expires.
/// Latencies are those of each thread's appends.
pub fn group_commit(
    dir: &Path,
    payload: &[u8],
    threads: usize,
    timer: Timer,
) -> Result<Sample, CliError> {
    let (opts, fs) = options();
    let wal = opts.open_shared(dir)?;
    let stop = AtomicBool::new(false);
    let s0 = fs.syncs();
    let results: Vec<Result<(u64, Vec<Duration>), WalError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    let mut lat = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        wal.append(payload)?;
                        lat.push(t.elapsed());
                        n += 1;
                    }
                    Ok((n, lat))
                })
            })
            .collect();
        while !timer.expired() && !handles.iter().all(|h| h.is_finished()) {
            timer.tick();
            std::thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(WalError::Io(std::io::Error::other(
                        "a benchmark thread panicked",
                    )))
                })
            })
            .collect()
    });
    let syncs = fs.syncs() - s0;
    let mut n = 0;
    let mut lat = Vec::new();
    for r in results {
        let (k, l) = r?;
        n += k;
        lat.extend(l);
    }
    let sample = timer.finish_with(n, syncs, lat);
    wal.close()?;
    Ok(sample)
}
