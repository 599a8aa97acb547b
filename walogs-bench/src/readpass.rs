//! One read pass over the big log, run in a fresh child process so that its peak memory
//! (`VmHWM`) is its own. The parent re-executes this binary with the hidden subcommand; the
//! child prints one `RESULT key=value ...` line.

use std::fs::File;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use walogs_core::{Lsn, Wal};

use crate::args::{CHILD_SUBCOMMAND, ReadMode};
use crate::biglog::stamped;
use crate::child::{Fields, result_line};
use crate::error::{BenchError, Context, Result};
use crate::memory::peak_rss_kib;
use crate::peers::Recovery;

/// Buffer size of the raw `read(2)` baseline (the same chunk walogs-core's reader uses).
pub const RAW_READ_BUF: usize = 256 * 1024;

/// What one pass measured.
#[derive(Debug, Clone, PartialEq)]
pub struct PassResult {
    /// The pass.
    pub mode: ReadMode,
    /// Entries read (0 for the raw pass).
    pub entries: u64,
    /// Bytes read: payload bytes for walogs passes, file bytes for the raw pass.
    pub bytes: u64,
    /// Time of `Wal::open` (zero for raw).
    pub open: Duration,
    /// Time of open + the whole iteration.
    pub total: Duration,
    /// `VmHWM` when the pass started (the process baseline), KiB.
    pub hwm_start_kib: u64,
    /// `VmHWM` when it ended, KiB.
    pub hwm_end_kib: u64,
}

impl PassResult {
    /// Peak memory growth during the pass, KiB.
    pub fn hwm_increase_kib(&self) -> u64 {
        self.figures().hwm_increase_kib()
    }

    /// Its figures, as every child pass reports them (walogs' and the peers' alike).
    fn figures(&self) -> Recovery {
        Recovery {
            entries: self.entries,
            bytes: self.bytes,
            open: self.open,
            total: self.total,
            hwm_start_kib: self.hwm_start_kib,
            hwm_end_kib: self.hwm_end_kib,
        }
    }

    fn line(&self) -> String {
        format!(
            "{} mode={}",
            result_line(&self.figures().pairs()),
            self.mode.name()
        )
    }

    /// Parse the `RESULT` line a child printed.
    pub fn parse(mode: ReadMode, out: &str) -> Result<PassResult> {
        let fields = Fields::parse(out)?;
        if fields.text("mode") != Some(mode.name()) {
            return Err(BenchError::Child(format!(
                "expected mode {}, got {fields:?}",
                mode.name()
            )));
        }
        let r = Recovery::from_fields(&fields)?;
        Ok(PassResult {
            mode,
            entries: r.entries,
            bytes: r.bytes,
            open: r.open,
            total: r.total,
            hwm_start_kib: r.hwm_start_kib,
            hwm_end_kib: r.hwm_end_kib,
        })
    }
}

/// The segment files of `dir`, oldest first.
pub fn segment_files(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut segs = Vec::new();
    for e in std::fs::read_dir(dir).ctx(format!("list {}", dir.display()))? {
        let e = e.ctx("list")?;
        if let Some(seq) =
            walogs_core::segment::parse_segment_filename(&e.file_name().to_string_lossy())
        {
            segs.push((seq, e.path()));
        }
    }
    segs.sort();
    Ok(segs.into_iter().map(|(_, p)| p).collect())
}

/// Read every segment file of `dir` with plain `read(2)` calls into one buffer; returns the
/// bytes read.
pub fn raw_read(dir: &Path) -> Result<u64> {
    let mut buf = vec![0u8; RAW_READ_BUF];
    let mut total = 0u64;
    for p in segment_files(dir)? {
        let f = File::open(&p).ctx(format!("open {}", p.display()))?;
        loop {
            match crate::rawio::read(&f, &mut buf).ctx("read")? {
                0 => break,
                n => total += n as u64,
            }
        }
    }
    Ok(total)
}

fn check_dense(what: &str, lsn: u64, expected: u64, data: &[u8]) -> Result<()> {
    if lsn != expected || !stamped(data, lsn) {
        return Err(BenchError::Check(format!(
            "{what}: got entry {lsn} (payload ok: {}) where {expected} was due",
            stamped(data, lsn)
        )));
    }
    Ok(())
}

/// Do one pass in this process and measure it.
pub fn measure(mode: ReadMode, dir: &Path) -> Result<PassResult> {
    let hwm_start_kib = peak_rss_kib().unwrap_or(0);
    let start = Instant::now();
    let mut open = Duration::ZERO;
    let (mut entries, mut bytes) = (0u64, 0u64);
    match mode {
        ReadMode::Idle => {}
        ReadMode::Raw => bytes = raw_read(dir)?,
        ReadMode::Cursor | ReadMode::Iter => {
            let wal = Wal::open(dir).ctx("open")?;
            open = start.elapsed();
            let first = wal.first_lsn().0;
            if mode == ReadMode::Cursor {
                let mut c = wal.cursor_from(Lsn(first)).ctx("cursor_from")?;
                while let Some(item) = c.next_entry() {
                    let (lsn, data) = item.ctx("cursor next_entry")?;
                    check_dense("cursor", lsn.0, first + entries, data)?;
                    entries += 1;
                    bytes += data.len() as u64;
                }
            } else {
                for item in wal.iter() {
                    let (lsn, data) = item.ctx("iter next")?;
                    check_dense("iter", lsn.0, first + entries, &data)?;
                    entries += 1;
                    bytes += data.len() as u64;
                }
            }
            if first + entries != wal.next_lsn().0 {
                return Err(BenchError::Check(format!(
                    "{} pass read {entries} entries from {first}, but next_lsn is {}",
                    mode.name(),
                    wal.next_lsn()
                )));
            }
            let total = start.elapsed();
            let hwm_end_kib = peak_rss_kib().unwrap_or(0);
            wal.close().ctx("close")?;
            return Ok(PassResult {
                mode,
                entries,
                bytes,
                open,
                total,
                hwm_start_kib,
                hwm_end_kib,
            });
        }
    }
    Ok(PassResult {
        mode,
        entries,
        bytes,
        open,
        total: start.elapsed(),
        hwm_start_kib,
        hwm_end_kib: peak_rss_kib().unwrap_or(0),
    })
}

/// The hidden subcommand: measure one pass and print its `RESULT` line.
pub fn child_main(mode: ReadMode, dir: &Path) -> Result<()> {
    let r = measure(mode, dir)?;
    println!("{}", r.line());
    Ok(())
}

/// Run one pass in a fresh child process (this binary, hidden subcommand) and parse it.
pub fn in_child(mode: ReadMode, dir: &Path) -> Result<PassResult> {
    let exe = std::env::current_exe().ctx("find the benchmark's own executable")?;
    let out = Command::new(exe)
        .arg(CHILD_SUBCOMMAND)
        .arg(mode.name())
        .arg(dir)
        .output()
        .ctx("run the read-pass child")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(BenchError::Child(format!(
            "{} pass exited with {}: {}{}",
            mode.name(),
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    PassResult::parse(mode, &stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_round_trip_and_bad_ones_are_errors() {
        let r = PassResult {
            mode: ReadMode::Cursor,
            entries: 5,
            bytes: 640,
            open: Duration::from_nanos(1234),
            total: Duration::from_nanos(99_999),
            hwm_start_kib: 2000,
            hwm_end_kib: 2600,
        };
        let text = format!("noise\n{}\n", r.line());
        assert_eq!(PassResult::parse(ReadMode::Cursor, &text).unwrap(), r);
        assert_eq!(r.hwm_increase_kib(), 600);
        assert!(PassResult::parse(ReadMode::Raw, &text).is_err());
        assert!(PassResult::parse(ReadMode::Cursor, "nothing").is_err());
        assert!(PassResult::parse(ReadMode::Cursor, "RESULT mode=cursor entries=x").is_err());
    }

    #[test]
    fn passes_read_the_whole_log() {
        let d = std::env::temp_dir().join(format!("walogs-bench-pass-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let log = crate::biglog::create(&d, 200_000, 200).unwrap();
        let raw = measure(ReadMode::Raw, &d).unwrap();
        assert_eq!(raw.bytes, log.file_bytes);
        for mode in [ReadMode::Cursor, ReadMode::Iter] {
            let p = measure(mode, &d).unwrap();
            assert_eq!(p.entries, log.entries, "{mode:?}");
            assert_eq!(p.bytes, log.entries * 200);
            assert!(p.hwm_end_kib >= p.hwm_start_kib);
        }
        std::fs::remove_dir_all(&d).unwrap();
    }
}
