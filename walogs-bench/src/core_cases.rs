//! walogs-core's write paths, measured the way a user calls them.

use std::path::Path;

use walogs_core::{Durability, WalOptions};

use crate::error::{BenchError, Context, Result};
use crate::rawio::payload;
use crate::stats::Sample;
use crate::timing::{Limits, run_single, run_threads};

fn check_count(what: &str, next_lsn: u64, acked: u64) -> Result<()> {
    if next_lsn != acked + 1 {
        return Err(BenchError::Check(format!(
            "{what}: next_lsn is {next_lsn} after {acked} acknowledged entries"
        )));
    }
    Ok(())
}

/// `Wal::append` of `payload_len`-byte entries on a `Wal` opened with `opts`. Opening and
/// closing are not timed.
pub fn append(dir: &Path, opts: WalOptions, payload_len: usize, limits: Limits) -> Result<Sample> {
    let mut wal = opts.open(dir.join("wal")).ctx("open")?;
    let data = payload(payload_len, 4);
    let s = run_single(limits, payload_len as u64, |_| {
        wal.append(&data).map(drop).ctx("append")
    })?;
    check_count("append", wal.next_lsn().0, s.ops)?;
    wal.close().ctx("close")?;
    Ok(s)
}

/// Durable `Wal::append` with default options.
pub fn durable_append(dir: &Path, payload_len: usize, limits: Limits) -> Result<Sample> {
    append(dir, WalOptions::new(), payload_len, limits)
}

/// Durable `Wal::append` without preallocation (`preallocate(false)`): every append
/// extends the file.
pub fn durable_append_no_prealloc(
    dir: &Path,
    payload_len: usize,
    limits: Limits,
) -> Result<Sample> {
    append(
        dir,
        WalOptions::new().preallocate(false),
        payload_len,
        limits,
    )
}

/// `Wal::append` under `Durability::None` (each append is still one `pwrite`).
pub fn nosync_append(dir: &Path, payload_len: usize, limits: Limits) -> Result<Sample> {
    append(
        dir,
        WalOptions::new().durability(Durability::None),
        payload_len,
        limits,
    )
}

/// Durable `Wal::append_batch` of `count` entries of `size` bytes on a `Wal` opened with
/// `opts`. One operation is one batch; bytes count every entry's payload.
pub fn durable_batch(
    dir: &Path,
    opts: WalOptions,
    count: usize,
    size: usize,
    limits: Limits,
) -> Result<Sample> {
    let mut wal = opts.open(dir.join("wal")).ctx("open")?;
    let entries: Vec<Vec<u8>> = (0..count).map(|i| payload(size, i as u64)).collect();
    let s = run_single(limits, (count * size) as u64, |_| {
        wal.append_batch(&entries).map(drop).ctx("append_batch")
    })?;
    check_count("append_batch", wal.next_lsn().0, s.ops * count as u64)?;
    wal.close().ctx("close")?;
    Ok(s)
}

/// `threads` threads appending `payload_len`-byte entries to one `SharedWal` (default
/// options: each append returns once its entry is durable).
pub fn shared_append(
    dir: &Path,
    threads: usize,
    payload_len: usize,
    limits: Limits,
) -> Result<Sample> {
    let wal = WalOptions::new()
        .open_shared(dir.join("wal"))
        .ctx("open_shared")?;
    let data = payload(payload_len, 5);
    let s = run_threads(threads, limits, payload_len as u64, |_, _| {
        wal.append(&data).map(drop).ctx("SharedWal::append")
    })?;
    check_count("SharedWal::append", wal.next_lsn().0, s.ops)?;
    if wal.durable_lsn().0 != s.ops {
        return Err(BenchError::Check(format!(
            "durable_lsn {} after {} durable appends",
            wal.durable_lsn(),
            s.ops
        )));
    }
    wal.close().ctx("close")?;
    Ok(s)
}

/// `threads` threads appending through the condvar group-commit prototype over one `Wal`
/// (default options). Also returns the number of groups written.
pub fn proto_group(
    dir: &Path,
    threads: usize,
    payload_len: usize,
    limits: Limits,
) -> Result<(Sample, u64)> {
    let wal = WalOptions::new().open(dir.join("wal")).ctx("open")?;
    let g = crate::proto_group::ProtoGroupCommit::new(wal);
    let data = payload(payload_len, 8);
    let s = run_threads(threads, limits, payload_len as u64, |_, _| g.commit(&data))?;
    let groups = g.groups();
    let n = g.close()?;
    if n != s.ops {
        return Err(BenchError::Check(format!(
            "prototype group commit: {n} entries in the log after {} commits",
            s.ops
        )));
    }
    Ok((s, groups))
}
