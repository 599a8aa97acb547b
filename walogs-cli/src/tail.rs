//! The state of the log's tail as people need it: the core's [`TailState`] says where the
//! valid frames end; the bytes after that say whether a write was torn or a writer simply
//! left its preallocated zero tail (still open, or stopped without closing).

use serde::Serialize;
use walogs_core::{RecoveryReport, TailState};

use crate::output::{count, lsn_range};

use crate::error::CliError;
use crate::layout::{self, LogDir, SegmentFile, TailBytes};

/// The state of the tail (serialized in snake case: `clean`, `preallocated`, ...).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TailKind {
    /// The file ends at its last frame.
    Clean,
    /// Only zero bytes follow: a writer is open or stopped without closing; nothing was torn.
    Preallocated,
    /// A live writer appended after the log was opened for reading.
    Growing,
    /// A partial write.
    Torn,
}

/// What lies after the last valid frame of the last segment.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TailInfo {
    /// What the bytes after the last valid frame are.
    pub state: TailKind,
    /// The last segment's file name.
    pub file: Option<String>,
    /// Byte offset in `file` where the valid frames end (absent when clean).
    pub offset: Option<u64>,
    /// Bytes after `offset` that a writable open cuts.
    pub bytes: u64,
}

impl TailInfo {
    /// Whether a partial write was found (the `verify` exit code 2 case).
    pub fn is_torn(&self) -> bool {
        self.state == TailKind::Torn
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        let file = self.file.as_deref().unwrap_or("?");
        let off = self.offset.unwrap_or(0);
        match self.state {
            TailKind::Clean => {
                "clean (the last segment ends exactly after its last frame)".to_string()
            }
            TailKind::Preallocated => format!(
                "{} of preallocated zeros after offset {off} of {file} \
                 (a writer is open or stopped without closing; no frame was torn)",
                crate::output::bytes(self.bytes)
            ),
            TailKind::Growing => {
                format!("a live writer is appending after offset {off} of {file} (not damage)")
            }
            TailKind::Torn => format!(
                "TORN: {} of a partial write at offset {off} of {file} \
                 (a writable open or `walogs repair` cuts them)",
                crate::output::bytes(self.bytes)
            ),
        }
    }
}

/// Inspect the tail the core reported, reading the bytes after the valid frames of the
/// segment that was the last one when the core opened the log (`segments` is a listing made
/// after that open). `writer_live`: a writer holds the lock; its open cut any torn write, so
/// bytes that are no frame are its write in progress, not a torn one. Costs a read of those
/// bytes (at most a few MiB).
pub fn inspect(
    report: &RecoveryReport,
    log: &LogDir,
    segments: &[SegmentFile],
    writer_live: bool,
) -> Result<TailInfo, CliError> {
    let last = last_at_open(report, segments);
    let file = last.map(|s| s.name.clone());
    let TailState::TruncatedAt(offset) = report.tail else {
        return Ok(TailInfo {
            state: TailKind::Clean,
            file,
            offset: None,
            bytes: 0,
        });
    };
    let kind = match last {
        Some(seg) => layout::classify_tail(log, &seg.name, offset, report.next_lsn.0)?,
        None => TailBytes::Empty,
    };
    let state = match kind {
        TailBytes::Empty => TailKind::Clean,
        TailBytes::Zeros => TailKind::Preallocated,
        TailBytes::Growing => TailKind::Growing,
        TailBytes::Partial if writer_live => TailKind::Growing,
        TailBytes::Partial => TailKind::Torn,
    };
    Ok(TailInfo {
        state,
        file,
        offset: Some(offset),
        bytes: report.bytes_truncated,
    })
}

/// The segment that was the last one when the core opened the log. A live writer may have
/// rotated since: every segment it started after the open begins at or after the report's
/// next LSN, while the last one at the open began before it (or, when the open found it
/// without a valid frame, right after those that did).
fn last_at_open<'a>(
    report: &RecoveryReport,
    segments: &'a [SegmentFile],
) -> Option<&'a SegmentFile> {
    let next = report.next_lsn.0;
    let began_before = segments
        .iter()
        .rposition(|s| s.first_lsn.is_some_and(|f| f < next));
    match (report.tail, began_before) {
        (TailState::TruncatedAt(0), Some(i)) => segments.get(i + 1).or(segments.last()),
        (_, Some(i)) => segments.get(i),
        (_, None) => segments.first(),
    }
}

/// What a writable open cut or migrated, one sentence each, for people (empty when it
/// changed nothing).
pub fn recovery_notes(r: &RecoveryReport) -> Vec<String> {
    let mut notes = Vec::new();
    if r.migrated_v1 {
        notes.push("migrated the v1 wal.log to wal-000001.log".to_string());
    }
    if let TailState::TruncatedAt(offset) = r.tail {
        notes.push(format!(
            "recovery cut {} after the last valid frame (offset {offset} of the last segment: \
             a killed writer's preallocated tail or a torn write); the log holds LSN {}",
            count(r.bytes_truncated, "byte", "bytes"),
            lsn_range(r.first_lsn.0, r.next_lsn.0)
        ));
    }
    notes
}
