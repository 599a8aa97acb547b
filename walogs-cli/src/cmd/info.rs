//! `walogs info DIR`: segments with sizes and LSN ranges, first/next LSN, tail state and
//! lock holder. Opens read-only (no lock); when the core refuses a corrupt log, the
//! segment listing is still shown, with the error.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;
use walogs_core::{RecoveryReport, WalError};

use crate::cli::DirArg;
use crate::error::{CliError, EXIT_CORRUPT, EXIT_OK, require_dir};
use crate::layout::{self, SegmentFile};
use crate::output::{self, lsn_range};
use crate::tail::{self, TailInfo};

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

/// Everything `info` reports.
#[derive(Debug, Serialize)]
struct Info {
    dir: String,
    /// `ok`, or `corrupt` when the core refused to open the log.
    status: &'static str,
    lock_holder: Option<String>,
    first_lsn: Option<u64>,
    next_lsn: Option<u64>,
    entries: Option<u64>,
    total_bytes: u64,
    tail: Option<TailInfo>,
    metadata_file: bool,
    v1_layout: bool,
    segments: Vec<SegmentRow>,
    error: Option<Value>,
}

/// Run `info`; returns the exit code (0, or 3 when the log is corrupt).
pub fn run(args: &DirArg, json: bool) -> Result<u8, CliError> {
    let dir = &args.dir;
    require_dir(dir)?;
    let lock_holder = walogs_core::lock_holder(dir)
        .map_err(|e| CliError::io(format!("cannot check the lock of {}", dir.display()), e))?;
    let opened = crate::open::read_only(dir, false);
    let files = layout::segments(dir)?;
    let (report, error) = match opened {
        Ok(wal) => (Some(wal.recovery_report()), None),
        Err(e @ WalError::Corrupt { .. }) => (None, Some(CliError::Wal(e))),
        Err(e) => return Err(e.into()),
    };
    let tail = match &report {
        Some(r) => Some(tail::inspect(r, &files)?),
        None => None,
    };
    let info = Info {
        dir: dir.display().to_string(),
        status: if error.is_some() { "corrupt" } else { "ok" },
        lock_holder,
        first_lsn: report.as_ref().map(|r| r.first_lsn.0),
        next_lsn: report.as_ref().map(|r| r.next_lsn.0),
        entries: report.as_ref().map(|r| r.next_lsn.0 - r.first_lsn.0),
        total_bytes: files.iter().map(|s| s.size).sum(),
        tail,
        metadata_file: dir.join(walogs_core::META_FILENAME).exists(),
        v1_layout: files.iter().any(|s| s.name == layout::V1_FILENAME),
        segments: rows(&files, report.as_ref()),
        error: error.as_ref().map(CliError::to_json),
    };
    if json {
        output::json(&info)?;
    } else {
        output::text(&render(&info))?;
    }
    Ok(if error.is_some() {
        EXIT_CORRUPT
    } else {
        EXIT_OK
    })
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
    let holder = match &info.lock_holder {
        Some(pid) => format!("pid {pid} (a writer has the log open)"),
        None => "none (no writer has the log open)".to_string(),
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
        "  segments    : {} files, {}",
        info.segments.len(),
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
