//! `walogs info DIR`: segments with sizes and LSN ranges, first/next LSN, the purge floor,
//! the durable LSN, the size of the user data, tail state, lock holder, the permission bits
//! of the files, and a warning when others may write the directory; for a walogs-streams
//! store also its topics and consumers ([`super::info_streams`]). Opens read-only (no
//! lock, read access is enough); when the core refuses the log (damage, or an entry it will
//! not touch such as a link or a FIFO under a segment name), the segment listing is still
//! shown, with the error.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;
use walogs_core::segment::V1_FILENAME;
use walogs_core::{RecoveryReport, Wal, WalError};

use crate::cli::DirArg;
use crate::cmd::info_streams::{self, StreamsInfo};
use crate::error::{CliError, EXIT_OK};
use crate::layout::SegmentFile;
use crate::output::{self, lsn_range};
use crate::progress::ReadProgress;
use crate::tail::{self, TailInfo};
use crate::wal_dir::{self, Exposure, LockState};

/// One segment row.
#[derive(Debug, Serialize)]
struct SegmentRow {
    name: String,
    /// What the entry is when it is not a regular file (walogs refuses it): `a symbolic
    /// link`, `a named pipe (FIFO)`, ...
    refused: Option<String>,
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
    /// The core refused an entry under a walogs file name (a link, FIFO, device, ...).
    UnsafeFile,
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
    /// The purge floor: every LSN at or below it is gone for good (0: nothing purged).
    purged_up_to: Option<u64>,
    /// The highest LSN known to be on disk.
    durable_lsn: Option<u64>,
    /// Bytes of user data (`walogs.user`; 0 when none was ever set).
    user_data_bytes: Option<u64>,
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
    /// Topics and consumers when the log is a walogs-streams store (absent for a plain log).
    #[serde(skip_serializing_if = "Option::is_none")]
    streams: Option<StreamsInfo>,
}

/// What the read-only open of the core said.
struct Opened {
    report: RecoveryReport,
    purged_up_to: u64,
    durable_lsn: u64,
    user_data_bytes: u64,
}

impl Opened {
    fn of(wal: &Wal) -> Result<Opened, WalError> {
        Ok(Opened {
            report: wal.recovery_report(),
            purged_up_to: wal.purged_up_to().0,
            durable_lsn: wal.durable_lsn().0,
            user_data_bytes: wal.user_data()?.len() as u64,
        })
    }
}

/// Run `info`; returns the exit code (0, 3 when the log is corrupt, 6 when the core refuses
/// an entry of the directory).
pub fn run(args: &DirArg, json: bool) -> Result<u8, CliError> {
    let dir = &args.dir;
    let probed = wal_dir::open(dir)?;
    let lock = wal_dir::lock_state(dir);
    let permissions = Exposure::of(&probed);
    let progress = ReadProgress::start(probed.segment_bytes(), json, "checking frames");
    let opened = wal_dir::open_read_only(dir, false).and_then(|w| Opened::of(&w));
    progress.finish();
    // Listed after the open, so that a live writer's newest segment is the one inspected.
    let files = probed.log.segments()?;
    let (opened, error) = match opened {
        Ok(o) => (Some(o), None),
        Err(e @ (WalError::Corrupt { .. } | WalError::UnsafeFile { .. })) => {
            (None, Some(CliError::wal(e, &files)))
        }
        Err(e) => return Err(e.into()),
    };
    let report = opened.as_ref().map(|o| &o.report);
    let tail = match report {
        Some(r) => Some(tail::inspect(
            r,
            &probed.log,
            &files,
            matches!(lock, LockState::Held(_)),
        )?),
        None => None,
    };
    let status = match &error {
        None => Status::Ok,
        Some(CliError::Wal(WalError::UnsafeFile { .. })) => Status::UnsafeFile,
        Some(_) => Status::Corrupt,
    };
    let info = Info {
        dir: dir.display().to_string(),
        status,
        lock_holder: lock.holder(),
        lock_error: lock.problem(),
        first_lsn: report.map(|r| r.first_lsn.0),
        next_lsn: report.map(|r| r.next_lsn.0),
        entries: report.map(|r| r.next_lsn.0 - r.first_lsn.0),
        purged_up_to: opened.as_ref().map(|o| o.purged_up_to),
        durable_lsn: opened.as_ref().map(|o| o.durable_lsn),
        user_data_bytes: opened.as_ref().map(|o| o.user_data_bytes),
        total_bytes: files.iter().map(|s| s.size).sum(),
        tail,
        metadata_file: probed.has_meta,
        v1_layout: files.iter().any(|s| s.name == V1_FILENAME),
        warnings: permissions.warnings(dir),
        permissions,
        segments: rows(&files, report),
        error: error.as_ref().map(CliError::to_json),
        // A store keeps its marker in the user data: a log without user data is none, and
        // is not read a second time.
        streams: opened
            .as_ref()
            .filter(|o| o.user_data_bytes > 0)
            .and_then(|_| info_streams::probe(dir)),
    };
    let code = error.as_ref().map_or(EXIT_OK, CliError::exit_code);
    let code = match info.streams.as_ref().and_then(StreamsInfo::error_code) {
        Some(c) if code == EXIT_OK => c,
        _ => code,
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
                refused: s.refused.map(|k| k.to_string()),
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
    if let Some(floor) = info.purged_up_to {
        let purged = if floor == 0 {
            "nothing purged".to_string()
        } else {
            format!("LSN {floor} (every entry at or below it is gone for good)")
        };
        let _ = writeln!(s, "  purged up to: {purged}");
    }
    if let Some(durable) = info.durable_lsn {
        let _ = writeln!(s, "  durable LSN : {durable}");
    }
    if let Some(n) = info.user_data_bytes {
        let user = if n == 0 {
            "none".to_string()
        } else {
            format!(
                "{} in {}",
                output::count(n, "byte", "bytes"),
                walogs_core::USER_DATA_FILENAME
            )
        };
        let _ = writeln!(s, "  user data   : {user}");
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
    let _ = writeln!(
        s,
        "  file modes  : {}; directory {}",
        info.permissions.file_modes_text(),
        info.permissions.mode
    );
    for w in &info.warnings {
        let _ = writeln!(s, "  WARNING     : {w}");
    }
    if let Some(e) = &info.error {
        let msg = e["message"].as_str().unwrap_or("refused");
        let label = match info.status {
            Status::UnsafeFile => "REFUSED     ",
            _ => "CORRUPT     ",
        };
        let _ = writeln!(s, "  {label}: {msg}");
    }
    if let Some(streams) = &info.streams {
        info_streams::render(&mut s, streams);
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
                match (&r.refused, r.active) {
                    (Some(kind), _) => format!("  (REFUSED: {kind})"),
                    (None, true) => "  (active)".to_string(),
                    (None, false) => String::new(),
                }
            );
        }
    }
    s
}
