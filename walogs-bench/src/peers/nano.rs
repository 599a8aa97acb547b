//! nano-wal 1.0: one `Wal` per stream, `&self` appends (a mutex around the active segment
//! file), `append(header, content, ingestion_time, durable)` where `durable = true` issues one
//! `fdatasync` after the record's `writev` before returning. It has no group commit: threads
//! sharing a `Wal` take turns, each paying its own write + fdatasync.
//!
//! Equal durability: every durable measurement passes `durable = true`, so every
//! acknowledged record was fdatasync'd (the segment file grows with each record, so that
//! fdatasync also writes the new file size). nano-wal does not sync its directory when it
//! creates a segment; the benchmark creates the segment before the timed loop.
//!
//! Reads need the `(offset, size)` that `append` returned: `read_at` is one `preadv` of the
//! record. There is no way to list or iterate the records of a log, so recovery (open + read
//! everything) cannot be measured.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nano_wal::{Segment, Wal, WalOptions, WriteEntry};

use crate::biglog::{stamp, stamped};
use crate::error::{BenchError, PeerContext, Result};
use crate::rawio::payload;
use crate::stats::{Percentiles, Sample};
use crate::timing::{Limits, latencies, picks, run_threads};

/// The peer's name in the tables.
pub const PEER: &str = "nano-wal";

/// Why recovery is not measured.
pub const NO_RECOVERY: &str = "nano-wal has no reader that finds records: Wal::new reopens the newest segment for appending, and read_at needs each record's (offset, size) kept by the caller";

/// Bytes nano-wal adds to each record without a header: signature (6), header length (2),
/// content length (8).
const RECORD_FRAMING: u64 = 16;
/// Bytes of a segment file's header.
const FILE_HEADER: u64 = 16;

/// One clock-aligned segment window of a day, kept two days: a whole run lands in one
/// segment (unless it crosses midnight UTC, which only adds a segment).
fn options() -> WalOptions {
    WalOptions {
        retention: Duration::from_secs(2 * 86_400),
        segment_duration: Duration::from_secs(86_400),
    }
}

fn now_ms() -> Result<i64> {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| BenchError::Check(format!("clock before 1970: {e}")))?;
    i64::try_from(d.as_millis()).map_err(|_| BenchError::Check("clock out of range".into()))
}

/// A nano-wal log, its ingestion time (every record uses the same one) and its segment,
/// created before any timing.
struct Log {
    wal: Wal,
    time: i64,
    seg: Arc<Segment>,
}

fn open(dir: &Path) -> Result<Log> {
    open_stream(dir, "bench")
}

/// The log of stream `prefix` (nano-wal's unit of a topic: one `Wal`, one segment file).
fn open_stream(dir: &Path, prefix: &str) -> Result<Log> {
    let wal = Wal::new(&dir.join("nano"), prefix, options()).peer_ctx(PEER, "Wal::new")?;
    let time = now_ms()?;
    let seg = wal.ensure_segment(time).peer_ctx(PEER, "ensure_segment")?;
    Ok(Log { wal, time, seg })
}

impl Log {
    /// Fail unless the segment holds exactly `records` records of `len` content bytes.
    fn check(&self, records: u64, len: usize) -> Result<()> {
        let expect = FILE_HEADER + records * (RECORD_FRAMING + len as u64);
        let size = self.seg.file_size();
        if size != expect {
            return Err(BenchError::Check(format!(
                "nano-wal segment holds {size} bytes after {records} records of {len} B, expected {expect}"
            )));
        }
        Ok(())
    }

    fn shutdown(self) -> Result<()> {
        self.wal.shutdown().peer_ctx(PEER, "shutdown")
    }
}

/// `threads` threads appending `payload_len`-byte records to one `Wal`, each call
/// fdatasync'd before it returns when `durable`.
pub fn append(
    dir: &Path,
    threads: usize,
    payload_len: usize,
    durable: bool,
    limits: Limits,
) -> Result<Sample> {
    let log = open(dir)?;
    let data = payload(payload_len, 10);
    let s = run_threads(threads, limits, payload_len as u64, |_, _| {
        log.wal
            .append(None, &data, log.time, durable)
            .map(drop)
            .peer_ctx(PEER, "append")
    })?;
    log.check(s.ops, payload_len)?;
    log.shutdown()?;
    Ok(s)
}

/// `threads` threads appending `payload_len`-byte records to `topics` streams (one `Wal`
/// each, in one directory), each call fdatasync'd before it returns: operation `i` of thread
/// `t` goes to stream [`crate::peers::walrus::topic_of`]`(t, i, threads, topics)`.
pub fn append_topics(
    dir: &Path,
    topics: usize,
    threads: usize,
    payload_len: usize,
    limits: Limits,
) -> Result<Sample> {
    let logs: Vec<Log> = (0..topics.max(1))
        .map(|k| open_stream(dir, &format!("bench-{k}")))
        .collect::<Result<_>>()?;
    let counts: Vec<std::sync::atomic::AtomicU64> = (0..logs.len())
        .map(|_| std::sync::atomic::AtomicU64::new(0))
        .collect();
    let data = payload(payload_len, 12);
    let s = run_threads(threads, limits, payload_len as u64, |t, i| {
        let k = crate::peers::walrus::topic_of(t, i, threads, logs.len());
        let log = &logs[k];
        log.wal
            .append(None, &data, log.time, true)
            .map(drop)
            .peer_ctx(PEER, "append")?;
        counts[k].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    })?;
    for (log, n) in logs.into_iter().zip(&counts) {
        log.check(n.load(std::sync::atomic::Ordering::Relaxed), payload_len)?;
        log.shutdown()?;
    }
    Ok(s)
}

/// `append_batch` of `count` records of `size` bytes (one `writev`, one fdatasync), one
/// batch per operation. nano-wal batches are not atomic: a torn `writev` may leave a prefix.
pub fn durable_batch(dir: &Path, count: usize, size: usize, limits: Limits) -> Result<Sample> {
    let log = open(dir)?;
    let bodies: Vec<Vec<u8>> = (0..count).map(|i| payload(size, i as u64)).collect();
    let entries: Vec<WriteEntry<'_>> = bodies
        .iter()
        .map(|b| WriteEntry {
            header: None,
            content: b,
        })
        .collect();
    let s = run_threads(1, limits, (count * size) as u64, |_, _| {
        log.wal
            .append_batch(&entries, log.time, true)
            .map(drop)
            .peer_ctx(PEER, "append_batch")
    })?;
    log.check(s.ops * count as u64, size)?;
    log.shutdown()?;
    Ok(s)
}

/// Write `entries` records of `entry_size` bytes one by one (not durable, then one `sync`),
/// then time `read_at` of `samples` random records of that warm log (each checked), after one
/// untimed pass over the same records. Deletes the log.
pub fn point_reads(
    dir: &Path,
    entries: u64,
    entry_size: usize,
    samples: usize,
) -> Result<Percentiles> {
    let log = open(dir)?;
    let mut buf = payload(entry_size, 11);
    let mut refs = Vec::with_capacity(usize::try_from(entries).unwrap_or(0));
    for i in 1..=entries {
        stamp(&mut buf, i);
        refs.push(
            log.wal
                .append(None, &buf, log.time, false)
                .peer_ctx(PEER, "append")?,
        );
    }
    log.wal.sync().peer_ctx(PEER, "sync")?;
    log.check(entries, entry_size)?;
    let picks = picks(0x6e61_6e6f, 1, entries, samples);
    let read = |i: u64| -> Result<()> {
        let r = refs[(i - 1) as usize];
        let rec = log
            .wal
            .read_at(&log.seg, r.file_offset, r.byte_size)
            .peer_ctx(PEER, "read_at")?;
        if rec.content.len() != entry_size || !stamped(&rec.content, i) {
            return Err(BenchError::Check(format!(
                "nano-wal read_at returned the wrong record for {i}"
            )));
        }
        Ok(())
    };
    latencies(&picks, read)?;
    let lat = latencies(&picks, read)?;
    log.shutdown()?;
    std::fs::remove_dir_all(dir.join("nano")).map_err(|e| BenchError::Io {
        what: "remove the nano-wal log".into(),
        source: e,
    })?;
    Percentiles::of(&lat).ok_or_else(|| BenchError::Check("nano-wal: no point read".into()))
}
