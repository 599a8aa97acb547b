//! The `LD_PRELOAD` fault-injection shim (`shim/walogs_fail.c`): building it, configuring a
//! child to run under it, and reading its report and the frame the failed call carried.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Path of the shim's C source in this crate.
pub const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/shim/walogs_fail.c");

/// Compile the shim into `out_dir/walogs_fail.so` with
/// `cc -shared -fPIC -Wall -Wextra -Werror` (the compiler is `$CC`, else `cc`).
/// Costs one C compile (well under a second).
pub fn build(out_dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(out_dir)?;
    let out = out_dir.join("walogs_fail.so");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let o = Command::new(&cc)
        .args([
            "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror", "-O2", "-o",
        ])
        .arg(&out)
        .arg(SOURCE)
        .arg("-ldl")
        .output()?;
    if !o.status.success() {
        return Err(io::Error::other(format!(
            "{cc} failed to build the shim: {}",
            String::from_utf8_lossy(&o.stderr)
        )));
    }
    Ok(out)
}

/// Which calls count towards N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ops {
    /// `write`, `pwrite`, `pwrite64`.
    Write,
    /// `fsync`, `fdatasync`.
    Sync,
}

/// How the N-th call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Only call N fails.
    Once,
    /// Call N and every later counted call fail (a dead disk).
    Sticky,
    /// Call N writes half its bytes and returns a short count; call N+1 fails.
    Short,
}

/// One fault to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// Counted calls.
    pub ops: Ops,
    /// 1-based index of the failing call; 0 only counts.
    pub at: u64,
    /// `libc` errno to return (5 = EIO, 28 = ENOSPC).
    pub errno: i32,
    /// Failure shape.
    pub mode: Mode,
    /// Microseconds the shim sleeps before every counted sync (0: none), so that the
    /// concurrent appenders of a `SharedWal` queue up as followers of the syncing leader.
    pub sync_delay_us: u64,
}

/// `EIO`.
pub const EIO: i32 = 5;
/// `ENOSPC`.
pub const ENOSPC: i32 = 28;

impl Fault {
    /// The environment variables that configure the shim for a child whose WAL is `dir`
    /// (canonical path), whose report goes to `report`, and whose failed call's bytes (the
    /// frame it was writing or syncing) go to `frame`.
    pub fn env(
        &self,
        shim: &Path,
        dir: &Path,
        report: &Path,
        frame: &Path,
    ) -> Vec<(String, String)> {
        vec![
            ("LD_PRELOAD".into(), shim.display().to_string()),
            ("WALOGS_SHIM_DIR".into(), dir.display().to_string()),
            (
                "WALOGS_SHIM_OPS".into(),
                match self.ops {
                    Ops::Write => "write",
                    Ops::Sync => "sync",
                }
                .into(),
            ),
            ("WALOGS_SHIM_FAIL_AT".into(), self.at.to_string()),
            (
                "WALOGS_SHIM_ERRNO".into(),
                if self.errno == ENOSPC {
                    "ENOSPC"
                } else {
                    "EIO"
                }
                .into(),
            ),
            (
                "WALOGS_SHIM_MODE".into(),
                match self.mode {
                    Mode::Once => "once",
                    Mode::Sticky => "sticky",
                    Mode::Short => "short",
                }
                .into(),
            ),
            ("WALOGS_SHIM_REPORT".into(), report.display().to_string()),
            ("WALOGS_SHIM_FRAME".into(), frame.display().to_string()),
            (
                "WALOGS_SHIM_SYNC_DELAY_US".into(),
                self.sync_delay_us.to_string(),
            ),
        ]
    }
}

/// The shim's report, written when the child exits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Writes on WAL files counted.
    pub writes: u64,
    /// Syncs on WAL files (and the directory) counted.
    pub syncs: u64,
    /// Whether the failure was injected.
    pub fired: bool,
    /// Which call failed (`pwrite64`, `fdatasync`, ...).
    pub op: String,
    /// Its index.
    pub n: u64,
    /// The failed call was a write of only zero bytes: walogs' preallocation zero-fill, whose
    /// failure is ignored by design (the frame is then written into unallocated space).
    pub zeros: bool,
    /// Bytes of the failed call saved to the frame file (0: none).
    pub frame_bytes: u64,
    /// The file it was on.
    pub path: String,
}

impl Report {
    /// Parse the report line; `None` if it is missing or malformed.
    pub fn parse(text: &str) -> Option<Report> {
        let mut r = Report::default();
        let line = text.lines().next()?;
        let (head, path) = line.split_once(" path=")?;
        r.path = path.to_string();
        for kv in head.split(' ') {
            let (k, v) = kv.split_once('=')?;
            match k {
                "writes" => r.writes = v.parse().ok()?,
                "syncs" => r.syncs = v.parse().ok()?,
                "fired" => r.fired = v == "1",
                "op" => r.op = v.to_string(),
                "n" => r.n = v.parse().ok()?,
                "zeros" => r.zeros = v == "1",
                "frame" => r.frame_bytes = v.parse().ok()?,
                _ => return None,
            }
        }
        Some(r)
    }

    /// File name part of the failed call's path (empty for the directory itself).
    pub fn file_name(&self, dir: &Path) -> String {
        Path::new(&self.path)
            .strip_prefix(dir)
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }
}

/// The frames whose write or sync the shim failed (one write: a plain frame, or every
/// member of a unit), decoded from the bytes it saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedFrame {
    /// LSN of its first entry.
    pub first: u64,
    /// Its entries' payloads.
    pub entries: Vec<Vec<u8>>,
}

impl FailedFrame {
    /// Decode the saved bytes: `None` unless they start with a whole, valid frame (a failed
    /// call on the metadata file, the user data, the directory, or a zero-fill is not a
    /// frame). A unit's members follow one another in one write; all are taken.
    pub fn decode(bytes: &[u8]) -> Option<FailedFrame> {
        let (first, entries) = crate::unit::payloads(bytes)?;
        (!entries.is_empty()).then_some(FailedFrame { first, entries })
    }

    /// `(first LSN, entry count)`.
    pub fn span(&self) -> (u64, u64) {
        (self.first, self.entries.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_parses() {
        let r = Report::parse(
            "writes=3 syncs=9 fired=1 op=fdatasync n=4 path=/tmp/a b/wal-000001.log\n",
        )
        .unwrap();
        assert_eq!((r.writes, r.syncs, r.fired, r.n), (3, 9, true, 4));
        assert_eq!(r.file_name(Path::new("/tmp/a b")), "wal-000001.log");
        assert!(!r.zeros);
        let z =
            Report::parse("writes=3 syncs=9 fired=1 op=pwrite64 n=2 zeros=1 frame=4096 path=/w\n")
                .unwrap();
        assert!(z.zeros);
        assert_eq!(z.frame_bytes, 4096);
        assert!(Report::parse("").is_none());
    }
}
