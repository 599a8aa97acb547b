//! The walogs measurements: durable single appends ([`walogs_core::Wal::append`]), atomic
//! batches ([`walogs_core::Wal::append_batch`]) and group commit (many threads appending
//! to one [`walogs_core::SharedWal`]). Each runs in a fresh WAL directory with default
//! settings (fdatasync before every acknowledgment), through a sync-counting file system.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use walogs_core::WalOptions;

use super::counting::CountingFs;
use super::measure::{Measured, Timer};
use crate::error::CliError;

fn options() -> (WalOptions, Arc<CountingFs>) {
    let fs = Arc::new(CountingFs::new());
    (WalOptions::new().file_system(fs.clone()), fs)
}

/// Durable single appends of `payload`, one after the other, for `dur`.
pub fn append(
    dir: &Path,
    payload: &[u8],
    dur: Duration,
    pb: ProgressBar,
) -> Result<Measured, CliError> {
    let (opts, fs) = options();
    let mut wal = opts.open(dir.join("wal-append"))?;
    let s0 = fs.syncs();
    let mut n = 0u64;
    let mut t = Timer::start(dur, pb);
    t.run(|| {
        wal.append(payload)?;
        n += 1;
        Ok::<(), walogs_core::WalError>(())
    })?;
    let syncs = fs.syncs() - s0;
    let (elapsed, lat) = t.finish();
    wal.close()?;
    Ok(Measured::new(
        "wal_append",
        "walogs append (durable, one by one)".to_string(),
        n,
        syncs,
        elapsed,
        lat,
    ))
}

/// Atomic batches of `batch` copies of `payload`, for `dur`.
pub fn batches(
    dir: &Path,
    payload: &[u8],
    batch: usize,
    dur: Duration,
    pb: ProgressBar,
) -> Result<Measured, CliError> {
    let (opts, fs) = options();
    let mut wal = opts.open(dir.join("wal-batch"))?;
    let entries: Vec<&[u8]> = vec![payload; batch];
    let s0 = fs.syncs();
    let mut n = 0u64;
    let mut t = Timer::start(dur, pb);
    t.run(|| {
        wal.append_batch(&entries)?;
        n += entries.len() as u64;
        Ok::<(), walogs_core::WalError>(())
    })?;
    let syncs = fs.syncs() - s0;
    let (elapsed, lat) = t.finish();
    wal.close()?;
    Ok(Measured::new(
        "wal_batch",
        format!("walogs append_batch ({batch} per batch)"),
        n,
        syncs,
        elapsed,
        lat,
    ))
}

/// `threads` threads appending `payload` to one shared WAL at once, for `dur`. Latencies
/// are those of each thread's appends.
pub fn group_commit(
    dir: &Path,
    payload: &[u8],
    threads: usize,
    dur: Duration,
    pb: ProgressBar,
) -> Result<Measured, CliError> {
    let (opts, fs) = options();
    let wal = opts.open_shared(dir.join("wal-group"))?;
    let stop = AtomicBool::new(false);
    let timer = Timer::start(dur, pb);
    let s0 = fs.syncs();
    let results: Vec<Result<(u64, Vec<Duration>), walogs_core::WalError>> =
        std::thread::scope(|s| {
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
                std::thread::sleep(Duration::from_millis(20));
            }
            stop.store(true, Ordering::Relaxed);
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(walogs_core::WalError::Io(std::io::Error::other(
                            "a benchmark thread panicked",
                        )))
                    })
                })
                .collect()
        });
    let syncs = fs.syncs() - s0;
    let (elapsed, _) = timer.finish();
    let mut n = 0;
    let mut lat = Vec::new();
    for r in results {
        let (k, l) = r?;
        n += k;
        lat.extend(l);
    }
    wal.close()?;
    Ok(Measured::new(
        "group_commit",
        format!("walogs group commit ({threads} threads)"),
        n,
        syncs,
        elapsed,
        lat,
    ))
}
