//! Cold-cache recovery: the page cache is dropped (`echo 3 > /proc/sys/vm/drop_caches`, which
//! needs root) before each pass, so open + iterate reads the log from the disk; a raw
//! `read(2)` of the same files, also cold, is the floor.

use std::path::Path;

use crate::args::ReadMode;
use crate::biglog::BigLog;
use crate::error::{BenchError, Result};
use crate::rawio::syncfs;
use crate::readpass::{self, PassResult};

/// Where the kernel takes the request to drop clean caches.
const DROP_CACHES: &str = "/proc/sys/vm/drop_caches";

/// Flush dirty pages of the file system holding `dir`, then drop the page cache, dentries
/// and inodes. `Ok(false)` when the kernel refuses (not root, or a read-only `/proc/sys`).
pub fn drop_caches(dir: &Path) -> Result<bool> {
    syncfs(dir)?;
    match std::fs::write(DROP_CACHES, b"3\n") {
        Ok(()) => Ok(true),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(BenchError::Io {
            what: format!("write {DROP_CACHES}"),
            source: e,
        }),
    }
}

/// The cold passes: per round, a raw read and an open + `cursor_from` pass, each in a fresh
/// child process right after the caches were dropped.
#[derive(Debug, Clone, Default)]
pub struct ColdPasses {
    /// Raw `read(2)` passes.
    pub raw: Vec<PassResult>,
    /// `Wal::open` + `cursor_from(first)` passes.
    pub cursor: Vec<PassResult>,
}

/// Run `rounds` rounds of cold passes over `log`; `None` when the caches cannot be dropped.
/// Leaves the page cache empty.
pub fn passes(log: &BigLog, rounds: usize) -> Result<Option<ColdPasses>> {
    let mut out = ColdPasses::default();
    for r in 0..rounds {
        for mode in [ReadMode::Raw, ReadMode::Cursor] {
            if !drop_caches(&log.dir)? {
                return Ok(None);
            }
            let p = readpass::in_child(mode, &log.dir)?;
            let (want, got) = if mode == ReadMode::Raw {
                (log.file_bytes, p.bytes)
            } else {
                (log.entries, p.entries)
            };
            if want != got {
                return Err(BenchError::Check(format!(
                    "cold {} pass read {got}, expected {want}",
                    mode.name()
                )));
            }
            eprintln!(
                "  cold round {}/{rounds} {:<8} {:>9.1} ms",
                r + 1,
                mode.name(),
                p.total.as_secs_f64() * 1e3
            );
            if mode == ReadMode::Raw {
                out.raw.push(p);
            } else {
                out.cursor.push(p);
            }
        }
    }
    Ok(Some(out))
}
