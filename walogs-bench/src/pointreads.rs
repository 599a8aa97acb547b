//! Point reads of walogs-core: `read(lsn)` of random LSNs of a warm log, each paired with a
//! raw `pread` of the same frame bytes from an already open file (the floor: one system
//! call, no lookup), and `read` beside durable appenders on the same `SharedWal`, measured
//! next to raw `pread` beside a raw group commit (what the machine alone does to the tail).

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use walogs_core::{Lsn, Wal, WalOptions};

use crate::biglog::{BigLog, stamp, stamped};
use crate::error::{BenchError, Context, Result};
use crate::raw_group::RawGroupCommit;
use crate::rawio::{FRAME_HEADER, Prealloc, create, payload};
use crate::readpass::segment_files;
use crate::stats::Percentiles;
use crate::timing::{latencies, picks};
use crate::wait_lock::StdSync;

/// Entries per `append_many` call of the bulk-written log.
pub const MANY_PER_CALL: usize = 50_000;
/// Payload bytes of the entries of the bulk-written log.
pub const MANY_ENTRY: usize = 128;
/// Bytes a unit member frame adds before its payload (frame header + unit prefix).
const MEMBER_PREFIX: usize = FRAME_HEADER + 8;
/// Durable appenders beside the readers.
pub const APPENDERS: usize = 8;
/// Payload bytes of each of their appends (the raw appenders add a frame header's worth, to
/// move as many bytes as walogs does).
const APPEND_SIZE: usize = 128;
/// Bytes fallocate'd for the raw appenders' file (they may go past it: the file grows).
const RAW_BESIDE_FILE: u64 = 64 << 20;

/// Where each entry's frame lies in a log whose frames all have one size and whose segment
/// files hold nothing else (checked when it is built).
pub struct FrameMap {
    files: Vec<File>,
    /// The first LSN of each file.
    starts: Vec<u64>,
    frame: u64,
    prefix: usize,
}

impl FrameMap {
    /// Map the segment files of `dir`, which hold LSNs `1..=entries`, each a frame of
    /// `prefix + payload` bytes.
    pub fn open(dir: &Path, entries: u64, prefix: usize, payload: usize) -> Result<FrameMap> {
        let frame = (prefix + payload) as u64;
        let (mut files, mut starts) = (Vec::new(), Vec::new());
        let mut next = 1u64;
        for p in segment_files(dir)? {
            let f = File::open(&p).ctx(format!("open {}", p.display()))?;
            let len = f.metadata().ctx("stat a segment")?.len();
            if len % frame != 0 {
                return Err(BenchError::Check(format!(
                    "{} holds {len} bytes, not whole frames of {frame}",
                    p.display()
                )));
            }
            starts.push(next);
            files.push(f);
            next += len / frame;
        }
        if next != entries + 1 {
            return Err(BenchError::Check(format!(
                "the segments of {} hold {} frames of {frame} B, expected {entries}",
                dir.display(),
                next - 1
            )));
        }
        Ok(FrameMap {
            files,
            starts,
            frame,
            prefix,
        })
    }

    /// `pread` the frame of `lsn` into `buf` (one call) and return its payload.
    pub fn pread<'a>(&self, lsn: u64, buf: &'a mut Vec<u8>) -> Result<&'a [u8]> {
        let i = self.starts.partition_point(|&s| s <= lsn).saturating_sub(1);
        let off = (lsn - self.starts[i]) * self.frame;
        buf.resize(self.frame as usize, 0);
        let n = rustix::io::pread(&self.files[i], &mut buf[..], off).ctx("pread")?;
        if n as u64 != self.frame {
            return Err(BenchError::Check(format!("short pread of entry {lsn}")));
        }
        Ok(&buf[self.prefix..])
    }
}

/// `read(lsn)` and the raw `pread` of the same frames, interleaved entry by entry.
#[derive(Debug, Clone, Copy)]
pub struct PairedReads {
    /// walogs-core `read`, microseconds.
    pub read: Percentiles,
    /// Raw `pread`, microseconds.
    pub raw: Percentiles,
}

impl PairedReads {
    /// p50 of `read` / p50 of `pread`.
    pub fn p50_ratio(&self) -> f64 {
        self.read.p50 / self.raw.p50
    }

    /// p99 of `read` / p99 of `pread`.
    pub fn p99_ratio(&self) -> f64 {
        self.read.p99 / self.raw.p99
    }
}

fn check(what: &str, data: &[u8], lsn: u64, size: usize) -> Result<()> {
    if data.len() != size || !stamped(data, lsn) {
        return Err(BenchError::Check(format!(
            "{what} returned the wrong entry for {lsn}"
        )));
    }
    Ok(())
}

/// For each of `samples` random LSNs of `1..=entries`: time `wal.read` and the raw `pread`
/// of the same frame, one right after the other (one untimed pass over all of them first).
/// The second of a pair finds the kernel's page-cache lookup for those bytes warm, so the
/// order alternates from pair to pair: each side goes first half of the time.
fn paired(
    wal: &Wal,
    map: &FrameMap,
    entries: u64,
    size: usize,
    samples: usize,
    seed: u64,
) -> Result<PairedReads> {
    let picks = picks(seed, 1, entries, samples);
    let mut buf = Vec::new();
    let ours = |lsn: u64| -> Result<f64> {
        let t = Instant::now();
        let data = wal.read(Lsn(lsn)).ctx("read")?;
        let a = t.elapsed();
        check("Wal::read", &data, lsn, size)?;
        Ok(a.as_secs_f64() * 1e6)
    };
    let mut raw = |lsn: u64| -> Result<f64> {
        let t = Instant::now();
        let data = map.pread(lsn, &mut buf)?;
        let b = t.elapsed();
        check("pread", data, lsn, size)?;
        Ok(b.as_secs_f64() * 1e6)
    };
    for &lsn in &picks {
        ours(lsn)?;
        raw(lsn)?;
    }
    let (mut ra, mut rb) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    for (i, &lsn) in picks.iter().enumerate() {
        if i % 2 == 0 {
            ra.push(ours(lsn)?);
            rb.push(raw(lsn)?);
        } else {
            rb.push(raw(lsn)?);
            ra.push(ours(lsn)?);
        }
    }
    let none = || BenchError::Check("no point read".into());
    Ok(PairedReads {
        read: Percentiles::of(&ra).ok_or_else(none)?,
        raw: Percentiles::of(&rb).ok_or_else(none)?,
    })
}

/// Point reads of the big log (entries appended one by one).
pub fn one_by_one(log: &BigLog, samples: usize) -> Result<PairedReads> {
    let map = FrameMap::open(&log.dir, log.entries, FRAME_HEADER, log.entry_size)?;
    let wal = Wal::open(&log.dir).ctx("open the big log")?;
    let r = paired(
        &wal,
        &map,
        log.entries,
        log.entry_size,
        samples,
        0x6f6e_6531,
    )?;
    wal.close().ctx("close the big log")?;
    Ok(r)
}

/// A log of `MANY_ENTRY`-byte entries written with `append_many`, `MANY_PER_CALL` per call.
#[derive(Debug, Clone)]
pub struct ManyLog {
    /// Entries (LSN 1 ..= entries).
    pub entries: u64,
    /// `append_many` calls.
    pub calls: u64,
}

/// Write a log of about `bytes` bytes of frames with `append_many` (default options: each
/// call durable) under `dir`.
pub fn create_many(dir: &Path, bytes: u64) -> Result<ManyLog> {
    let entries = (bytes / (MEMBER_PREFIX + MANY_ENTRY) as u64).max(1);
    let mut wal = WalOptions::new()
        .open(dir)
        .ctx("open the append_many log")?;
    let mut chunk: Vec<Vec<u8>> = Vec::with_capacity(MANY_PER_CALL);
    let mut calls = 0;
    let mut next = 1u64;
    while next <= entries {
        chunk.clear();
        let end = (next + MANY_PER_CALL as u64 - 1).min(entries);
        for lsn in next..=end {
            let mut p = payload(MANY_ENTRY, lsn);
            stamp(&mut p, lsn);
            chunk.push(p);
        }
        let r = wal.append_many(&chunk).ctx("append_many")?;
        calls += 1;
        if r.first.0 != next {
            return Err(BenchError::Check(format!(
                "append_many started at {} where {next} was due",
                r.first
            )));
        }
        next = end + 1;
    }
    wal.close().ctx("close the append_many log")?;
    Ok(ManyLog { entries, calls })
}

/// Point reads of the `append_many` log in `dir`.
pub fn many(dir: &Path, log: &ManyLog, samples: usize) -> Result<PairedReads> {
    let map = FrameMap::open(dir, log.entries, MEMBER_PREFIX, MANY_ENTRY)?;
    let wal = Wal::open(dir).ctx("open the append_many log")?;
    let r = paired(&wal, &map, log.entries, MANY_ENTRY, samples, 0x6d61_6e79)?;
    wal.close().ctx("close the append_many log")?;
    Ok(r)
}

/// Point-read latencies with nothing else running and beside durable appenders.
#[derive(Debug, Clone, Copy)]
pub struct Beside {
    /// Reads with nothing else running, microseconds.
    pub alone: Percentiles,
    /// Reads while the appenders run, microseconds.
    pub beside: Percentiles,
    /// The appenders' durable appends per second while the reads ran.
    pub append_ops_per_sec: f64,
}

impl Beside {
    /// p99 beside / p99 alone: how much the appenders inflate the tail.
    pub fn p99_ratio(&self) -> f64 {
        self.beside.p99 / self.alone.p99
    }
}

/// Point reads beside [`APPENDERS`] durable appenders, walogs and raw, in one run.
#[derive(Debug, Clone, Copy)]
pub struct BesideAppenders {
    /// `SharedWal::read` beside `SharedWal::append` on the same handle.
    pub walogs: Beside,
    /// Raw `pread` of the same frames beside [`RawGroupCommit`] appenders to a file in the
    /// same directory: what the machine itself (CPU sharing, the disk's interrupts) does to
    /// the reads, with no walogs code on either side.
    pub raw: Beside,
}

/// Time `read` of each of `picks` alone (after one untimed pass), then while [`APPENDERS`]
/// threads call `append` in a loop: they start before the timed reads, each has appended once
/// before they start, and they stop after them. Returns the latencies and the total number
/// of appends.
fn alone_then_beside(
    picks: &[u64],
    mut read: impl FnMut(u64) -> Result<()>,
    append: impl Fn() -> Result<()> + Sync,
) -> Result<(Beside, u64)> {
    latencies(picks, &mut read)?;
    let alone = latencies(picks, &mut read)?;
    let stop = AtomicBool::new(false);
    let appended = AtomicU64::new(0);
    let (beside, append_ops_per_sec) = std::thread::scope(|s| -> Result<(Vec<f64>, f64)> {
        let handles: Vec<_> = (0..APPENDERS)
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    while !stop.load(Ordering::Relaxed) {
                        append()?;
                        appended.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(())
                })
            })
            .collect();
        // Let every appender reach the disk once before the timed reads start.
        while appended.load(Ordering::Relaxed) < APPENDERS as u64
            && !handles.iter().any(|h| h.is_finished())
        {
            std::thread::yield_now();
        }
        let t = Instant::now();
        let before = appended.load(Ordering::Relaxed);
        let lat = latencies(picks, &mut read);
        let elapsed = t.elapsed();
        let during = appended.load(Ordering::Relaxed) - before;
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            h.join()
                .map_err(|_| BenchError::Check("an appender thread panicked".into()))??;
        }
        Ok((lat?, during as f64 / elapsed.as_secs_f64().max(1e-9)))
    })?;
    let none = || BenchError::Check("no point read".into());
    Ok((
        Beside {
            alone: Percentiles::of(&alone).ok_or_else(none)?,
            beside: Percentiles::of(&beside).ok_or_else(none)?,
            append_ops_per_sec,
        },
        appended.into_inner(),
    ))
}

/// Time point reads of `samples` random LSNs of `1..=log.entries` alone and beside
/// [`APPENDERS`] threads appending [`APPEND_SIZE`]-byte entries durably, twice:
///
/// - raw: `pread` of the entries' frames beside a [`RawGroupCommit`] on `std::sync` locks
///   (one `pwrite` and one `fdatasync` per group) to a fallocate'd file in `dir` (removed
///   afterwards);
/// - walogs: `SharedWal::read` on the big log opened with default options (every append
///   durable) beside `SharedWal::append` on the same handle. The log grows by what they
///   append.
///
/// Both read the same entries and check every one of them.
pub fn beside_appenders(dir: &Path, log: &BigLog, samples: usize) -> Result<BesideAppenders> {
    let picks = picks(0x6265_7369, 1, log.entries, samples);
    let size = log.entry_size;

    // Raw first: the frame map holds only while the log has not grown.
    let map = FrameMap::open(&log.dir, log.entries, FRAME_HEADER, size)?;
    let path = dir.join("raw-beside");
    let group =
        RawGroupCommit::<StdSync>::new(create(&path, Prealloc::Fallocate, RAW_BESIDE_FILE)?, 0);
    let record = payload(APPEND_SIZE + FRAME_HEADER, 16);
    let last_ticket = AtomicU64::new(0);
    let mut buf = Vec::new();
    let (raw, raw_total) = alone_then_beside(
        &picks,
        |lsn| check("pread", map.pread(lsn, &mut buf)?, lsn, size),
        || {
            let ticket = group.commit(&record)?;
            last_ticket.fetch_max(ticket, Ordering::Relaxed);
            Ok(())
        },
    )?;
    // Every commit returned its own ticket, so the highest one is their number.
    let last_ticket = last_ticket.into_inner();
    if last_ticket != raw_total || group.groups() == 0 {
        return Err(BenchError::Check(format!(
            "{raw_total} raw commits returned, the highest ticket is {last_ticket} ({} groups)",
            group.groups()
        )));
    }
    drop(group);
    std::fs::remove_file(&path).ctx(format!("remove {}", path.display()))?;

    let wal = WalOptions::new()
        .open_shared(&log.dir)
        .ctx("open_shared the big log")?;
    let data = payload(APPEND_SIZE, 15);
    let (walogs, total) = alone_then_beside(
        &picks,
        |lsn| {
            let data = wal.read(Lsn(lsn)).ctx("SharedWal::read")?;
            check("SharedWal::read", &data, lsn, size)
        },
        || wal.append(&data).ctx("SharedWal::append").map(drop),
    )?;
    if wal.durable_lsn().0 != log.entries + total {
        return Err(BenchError::Check(format!(
            "durable_lsn {} after {} entries and {total} durable appends",
            wal.durable_lsn(),
            log.entries
        )));
    }
    wal.close().ctx("close the shared big log")?;
    Ok(BesideAppenders { walogs, raw })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_maps_find_every_entry_of_both_logs() {
        let d = std::env::temp_dir().join(format!("walogs-bench-point-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let big = crate::biglog::create(&d.join("big"), 100_000, 100).unwrap();
        let map = FrameMap::open(&big.dir, big.entries, FRAME_HEADER, 100).unwrap();
        let mut buf = Vec::new();
        for lsn in [1, big.entries / 2, big.entries] {
            assert!(stamped(map.pread(lsn, &mut buf).unwrap(), lsn));
        }
        let r = one_by_one(&big, 50).unwrap();
        assert_eq!(r.read.count, 50);
        assert!(r.raw.p50 > 0.0 && r.p50_ratio() > 0.0);

        let many_log = create_many(&d.join("many"), 200_000).unwrap();
        assert_eq!(many_log.entries, 200_000 / 152);
        assert_eq!(many_log.calls, 1);
        let r = many(&d.join("many"), &many_log, 50).unwrap();
        assert_eq!(r.raw.count, 50);

        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn raw_and_walogs_reads_beside_appenders_read_every_pick_and_append_durably() {
        let d = std::env::temp_dir().join(format!("walogs-bench-beside-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let big = crate::biglog::create(&d.join("big"), 100_000, 100).unwrap();
        let b = beside_appenders(&d, &big, 40).unwrap();
        for side in [b.raw, b.walogs] {
            assert_eq!((side.alone.count, side.beside.count), (40, 40));
            assert!(side.alone.p99 > 0.0 && side.p99_ratio() > 0.0);
        }
        assert!(!d.join("raw-beside").exists(), "the raw file is removed");
        let w = Wal::open(&big.dir).unwrap();
        assert!(
            w.next_lsn().0 > big.entries + APPENDERS as u64,
            "every walogs appender appended"
        );
        assert!(stamped(&w.read(Lsn(big.entries)).unwrap(), big.entries));
        w.close().unwrap();
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn alone_then_beside_times_every_read_and_fails_on_a_wrong_entry_or_append() {
        let mut reads = Vec::new();
        let (b, appends) = alone_then_beside(
            &[3, 1, 2],
            |lsn| {
                reads.push(lsn);
                Ok(())
            },
            || Ok(()),
        )
        .unwrap();
        // One untimed pass, then alone, then beside.
        assert_eq!(reads, [3, 1, 2, 3, 1, 2, 3, 1, 2]);
        assert_eq!((b.alone.count, b.beside.count), (3, 3));
        assert!(appends >= APPENDERS as u64);

        let mut entry = vec![0u8; 16];
        stamp(&mut entry, 6);
        let wrong = alone_then_beside(&[5], |lsn| check("read", &entry, lsn, 16), || Ok(()));
        assert!(matches!(wrong, Err(BenchError::Check(m)) if m.contains("wrong entry for 5")));
        let full = alone_then_beside(&[1], |_| Ok(()), || Err(BenchError::Check("full".into())));
        assert!(matches!(full, Err(BenchError::Check(m)) if m == "full"));
    }
}
