//! `walogs info DIR`: segments with sizes and LSN ranges, first/next LSN, tail state, lock
//! holder, and a warning when others may write the directory. Opens read-only (no lock,
//! read access is enough); when the core refuses a corrupt log, the segment listing is
//! still shown, with the error.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;
use walogs_core::{RecoveryReport, WalError};

use crate::cli::DirArg;
use crate::diagnose::{self, Access};
use crate::error::{CliError, EXIT_CORRUPT, EXIT_OK};
use crate::layout::{self, SegmentFile};
use crate::output::{self, lsn_range};
use crate::progress::ReadProgress;
use crate::tail::{self, TailInfo};
use crate::wal_dir::{self, Exposure};

/// One segment row.
#[derive(Debug, Serialize)]
struct SegmentRow {
    name: String,
    size: u64,
    /// Bytes of valid frames (the size less a cut or preallocated tail).
    valid_bytes: Option<u64>,
    first_lsn: Option<u64>,
    last_lsn: Option<u64>,
    entries: Option<u64>,
    active: bool,
}

/// Whether the core accepted the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    /// The read-only open succeeded.
    Ok,
    /// The core refused the log as corrupt.
    Corrupt,
}

/// Everything `info` reports.
#[derive(Debug, Serialize)]
struct Info {
    dir: String,
    status: Status,
    lock_holder: Option<String>,
    /// Why the lock could not be checked (the holder is then unknown).
    lock_error: Option<String>,
    first_lsn: Option<u64>,
    next_lsn: Option<u64>,
    entries: Option<u64>,
    total_bytes: u64,
    tail: Option<TailInfo>,
    metadata_file: bool,
    v1_layout: bool,
    /// Who may write the directory and its files.
    permissions: Exposure,
    /// Problems people should fix (a directory others may write).
    warnings: Vec<String>,
    segments: Vec<SegmentRow>,
    error: Option<Value>,
}

/// Run `info`; returns the exit code (0, or 3 when the log is corrupt).
pub fn run(args: &DirArg, json: bool) -> Result<u8, CliError> {
    let dir = &args.dir;
    let probed = wal_dir::open(dir)?;
    let lock = wal_dir::lock_state(dir);
    let permissions = Exposure::of(dir, &probed);
    let progress = ReadProgress::start(probed.segment_bytes(), json, "checking frames");
    let opened = crate::open::read_only(dir, false);
    progress.finish();
    let (report, error) = match opened {
        Ok(wal) => (Some(wal.recovery_report()), None),
        Err(e @ WalError::Corrupt { .. }) => (None, Some(CliError::Wal(e))),
        Err(e) => return Err(diagnose::open_error(dir, Access::Read, e)),
    };
    // Listed after the open, so that a live writer's newest segment is the one inspected.
    let files = layout::segments(dir)?;
    let tail = match &report {
        Some(r) => Some(tail::inspect(r, &files)?),
        None => None,
    };
    let info = Info {
        dir: dir.display().to_string(),
        status: if error.is_some() {
            Status::Corrupt
        } else {
            Status::Ok
        },
        lock_holder: lock.holder(),
        lock_error: lock.problem(),
        first_lsn: report.as_ref().map(|r| r.first_lsn.0),
        next_lsn: report.as_ref().map(|r| r.next_lsn.0),
        entries: report.as_ref().map(|r| r.next_lsn.0 - r.first_lsn.0),
        total_bytes: files.iter().map(|s| s.size).sum(),
        tail,
        metadata_file: dir.join(walogs_core::META_FILENAME).exists(),
        v1_layout: files.iter().any(|s| s.name == layout::V1_FILENAME),
        warnings: permissions.warnings(dir),
        permissions,
        segments: rows(&files, report.as_ref()),
        error: error.as_ref().map(CliError::to_json),
    };
    let code = if error.is_some() {
        EXIT_CORRUPT
    } else {
        EXIT_OK
    };
    let printed = if json {
        output::json(&info)
    } else {
        output::text(&render(&info))
    };
    output::finish(printed, code)
}

/// Segment rows; LSN ranges come from each segment's first frame and the next one's.
fn rows(files: &[SegmentFile], report: Option<&RecoveryReport>) -> Vec<SegmentRow> {
    files
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let is_last = i + 1 == files.len();
            let end = if is_last {
                report.map(|r| r.next_lsn.0)
            } else {
                files[i + 1].first_lsn
            };
            let valid_bytes = match (is_last, report) {
                (true, Some(r)) => Some(s.size.saturating_sub(r.bytes_truncated)),
                (true, None) => None,
                (false, _) => report.map(|_| s.size),
            };
            let (last_lsn, entries) = match (s.first_lsn, end) {
                (Some(f), Some(e)) if e > f => (Some(e - 1), Some(e - f)),
                (None, _) if valid_bytes == Some(0) => (None, Some(0)),
                _ => (None, None),
            };
            SegmentRow {
                name: s.name.clone(),
                size: s.size,
                valid_bytes,
                first_lsn: s.first_lsn,
                last_lsn,
                entries,
                active: is_last,
            }
        })
        .collect()
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// The text report.
fn render(info: &Info) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "walogs directory {}", info.dir);
    let holder = match (&info.lock_holder, &info.lock_error) {
        (Some(pid), _) => format!("pid {pid} (a writer has the log open)"),
        (None, Some(why)) => format!("unknown ({why})"),
        (None, None) => "none (no writer has the log open)".to_string(),
    };
    let _ = writeln!(s, "  lock holder : {holder}");
    if let (Some(first), Some(next)) = (info.first_lsn, info.next_lsn) {
        let _ = writeln!(
            s,
            "  entries     : {} (LSN {}), next LSN {next}",
            next - first,
            lsn_range(first, next)
        );
    }
    let _ = writeln!(
        s,
        "  segments    : {}, {}",
        output::count(info.segments.len() as u64, "file", "files"),
        output::bytes(info.total_bytes)
    );
    if let Some(t) = &info.tail {
        let _ = writeln!(s, "  tail        : {}", t.describe());
    }
    let meta = if info.metadata_file {
        "walogs.meta present"
    } else {
        "none (walogs writes walogs.meta at its first rotation; walogs 0.1 never does)"
    };
    let _ = writeln!(s, "  metadata    : {meta}");
    if info.v1_layout {
        let _ = writeln!(
            s,
            "  layout      : v1 single file wal.log (a writable open renames it)"
        );
    }
    for w in &info.warnings {
        let _ = writeln!(s, "  WARNING     : {w}");
    }
    if let Some(e) = &info.error {
        let msg = e["message"].as_str().unwrap_or("corrupt");
        let _ = writeln!(s, "  CORRUPT     : {msg}");
    }
    if !info.segments.is_empty() {
        let _ = writeln!(
            s,
            "\n  {:<16} {:>12} {:>12} {:>12} {:>12} {:>10}",
            "SEGMENT", "SIZE", "VALID", "FIRST LSN", "LAST LSN", "ENTRIES"
        );
        for r in &info.segments {
            let _ = writeln!(
                s,
                "  {:<16} {:>12} {:>12} {:>12} {:>12} {:>10}{}",
                r.name,
                r.size,
                opt(r.valid_bytes),
                opt(r.first_lsn),
                opt(r.last_lsn),
                opt(r.entries),
                if r.active { "  (active)" } else { "" }
            );
        }
    }
    s
}
