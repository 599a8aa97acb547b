//! The big log for the read measurements: creating it fast, and timing how long it takes to
//! start reading at an LSN in its middle.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use walogs_core::{Durability, Lsn, Wal, WalOptions};

use crate::error::{BenchError, Context, Result};
use crate::rawio::FRAME_HEADER;

/// A log written for the read measurements.
#[derive(Debug, Clone)]
pub struct BigLog {
    /// Its directory.
    pub dir: PathBuf,
    /// Entries written (LSN 1 ..= entries).
    pub entries: u64,
    /// Payload bytes of each entry.
    pub entry_size: usize,
    /// Bytes of all segment files (frames).
    pub file_bytes: u64,
    /// Segment files.
    pub segments: usize,
    /// How long writing it took (appends + the final sync).
    pub create_time: Duration,
}

/// Fill `buf` as the payload of entry `lsn`: its first 8 bytes (or fewer) are the LSN, the
/// rest a pattern, so that a reader can check it got the right entry.
pub fn stamp(buf: &mut [u8], lsn: u64) {
    let b = lsn.to_le_bytes();
    let n = buf.len().min(8);
    buf[..n].copy_from_slice(&b[..n]);
}

/// Whether `data` is the payload [`stamp`] wrote for `lsn` (its first bytes). One integer
/// compare for entries of 8 bytes or more, so the check costs the readers next to nothing.
pub fn stamped(data: &[u8], lsn: u64) -> bool {
    if let Some(head) = data.first_chunk::<8>() {
        return u64::from_le_bytes(*head) == lsn;
    }
    let b = lsn.to_le_bytes();
    let n = data.len().min(8);
    data[..n] == b[..n]
}

/// Write a log of about `bytes` bytes of frames, entries of `entry_size` bytes, one
/// `append` each (so one frame per entry, as a log written entry by entry has), under
/// `Durability::None` with default 64 MiB segments; `close` syncs it.
pub fn create(dir: &Path, bytes: u64, entry_size: usize) -> Result<BigLog> {
    let frame = (entry_size + FRAME_HEADER) as u64;
    let entries = (bytes / frame).max(1);
    let start = Instant::now();
    let mut wal = WalOptions::new()
        .durability(Durability::None)
        .open(dir)
        .ctx("open the big log")?;
    let mut buf = crate::rawio::payload(entry_size, 9);
    for lsn in 1..=entries {
        stamp(&mut buf, lsn);
        wal.append(&buf).ctx("append to the big log")?;
    }
    let segments = wal.segment_count();
    wal.close().ctx("close the big log")?;
    let create_time = start.elapsed();
    let mut file_bytes = 0;
    for e in std::fs::read_dir(dir).ctx("list the big log")? {
        let e = e.ctx("list the big log")?;
        let name = e.file_name();
        if walogs_core::segment::parse_segment_filename(&name.to_string_lossy()).is_some() {
            file_bytes += e.metadata().ctx("stat a segment")?.len();
        }
    }
    if file_bytes != entries * frame {
        return Err(BenchError::Check(format!(
            "the big log holds {file_bytes} bytes of segments, expected {} ({entries} frames of {frame})",
            entries * frame
        )));
    }
    Ok(BigLog {
        dir: dir.to_path_buf(),
        entries,
        entry_size,
        file_bytes,
        segments,
        create_time,
    })
}

/// Latencies (microseconds) of starting to read at LSNs in the middle of the log.
#[derive(Debug, Clone, Default)]
pub struct MidStart {
    /// `iter_from(lsn)` + the first `next()`.
    pub iter_from: Vec<f64>,
    /// `cursor_from(lsn)` + the first `next_entry()`.
    pub cursor_from: Vec<f64>,
    /// `read(lsn)`.
    pub read: Vec<f64>,
    /// How long `Wal::open` took before the samples.
    pub open: Duration,
}

/// The LSNs sampled: `samples` LSNs spread over the middle half of `1..=entries`.
pub fn middle_lsns(entries: u64, samples: usize) -> Vec<u64> {
    let lo = entries / 4 + 1;
    let span = (entries / 2).max(1);
    (0..samples as u64)
        .map(|k| (lo + k * span / samples.max(1) as u64 + k % 7).min(entries))
        .collect()
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn expect_entry(what: &str, got: Option<(u64, bool)>, lsn: u64) -> Result<()> {
    match got {
        Some((l, true)) if l == lsn => Ok(()),
        other => Err(BenchError::Check(format!(
            "{what}({lsn}) returned {other:?} (lsn, payload ok)"
        ))),
    }
}

/// Open the log (default options) and time, for each sampled LSN, the three ways to start
/// reading there, checking that each returns that entry.
pub fn mid_start(log: &BigLog, samples: usize) -> Result<MidStart> {
    let t = Instant::now();
    let wal = Wal::open(&log.dir).ctx("open the big log")?;
    let mut out = MidStart {
        open: t.elapsed(),
        ..MidStart::default()
    };
    for lsn in middle_lsns(log.entries, samples) {
        let t = Instant::now();
        let mut it = wal.iter_from(Lsn(lsn)).ctx("iter_from")?;
        let first = it.next().transpose().ctx("iter_from next")?;
        out.iter_from.push(micros(t.elapsed()));
        expect_entry(
            "iter_from",
            first.map(|(l, d)| (l.0, stamped(&d, l.0))),
            lsn,
        )?;

        let t = Instant::now();
        let mut c = wal.cursor_from(Lsn(lsn)).ctx("cursor_from")?;
        let got = match c.next_entry() {
            Some(Ok((l, d))) => Some((l.0, stamped(d, l.0))),
            Some(Err(e)) => return Err(e).ctx("cursor next_entry"),
            None => None,
        };
        out.cursor_from.push(micros(t.elapsed()));
        expect_entry("cursor_from", got, lsn)?;

        let t = Instant::now();
        let data = wal.read(Lsn(lsn)).ctx("read")?;
        out.read.push(micros(t.elapsed()));
        expect_entry("read", Some((lsn, stamped(&data, lsn))), lsn)?;
    }
    wal.close().ctx("close the big log")?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip() {
        let mut b = vec![0u8; 20];
        stamp(&mut b, 0x0102_0304_0506_0708);
        assert!(stamped(&b, 0x0102_0304_0506_0708));
        assert!(!stamped(&b, 7));
        let mut small = [0u8; 3];
        stamp(&mut small, 0x0a0b0c);
        assert!(stamped(&small, 0x0a0b0c));
    }

    #[test]
    fn middle_lsns_stay_in_the_middle_half() {
        let l = middle_lsns(1000, 50);
        assert_eq!(l.len(), 50);
        assert!(l.iter().all(|&x| (251..=760).contains(&x)), "{l:?}");
        assert!(middle_lsns(3, 5).iter().all(|&x| (1..=3).contains(&x)));
    }

    #[test]
    fn creates_a_log_and_finds_entries_in_its_middle() {
        let d = std::env::temp_dir().join(format!("walogs-bench-big-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let log = create(&d, 300_000, 100).unwrap();
        assert_eq!(log.entries, 300_000 / 116);
        assert_eq!(log.file_bytes, log.entries * 116);
        let m = mid_start(&log, 20).unwrap();
        assert_eq!(m.iter_from.len(), 20);
        assert_eq!(m.read.len(), 20);
        assert!(m.cursor_from.iter().all(|&us| us > 0.0));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
