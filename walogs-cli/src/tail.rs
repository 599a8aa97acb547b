//! The state of the log's tail as people need it: the core's [`TailState`] says where the
//! valid frames end; the bytes after that say whether a write was torn or a writer simply
//! left its preallocated zero tail (still open, or stopped without closing).

use serde::Serialize;
use walogs_core::{RecoveryReport, TailState};

use crate::error::CliError;
use crate::layout::{self, SegmentFile, TailBytes};

/// What lies after the last valid frame of the last segment.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TailInfo {
    /// `clean` (the file ends at its last frame), `preallocated` (only zero bytes follow:
    /// a writer is open or stopped without closing; nothing was torn), `growing` (a live
    /// writer appended after the log was opened for reading) or `torn` (a partial write).
    pub state: &'static str,
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
        self.state == "torn"
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        let file = self.file.as_deref().unwrap_or("?");
        let off = self.offset.unwrap_or(0);
        match self.state {
            "clean" => "clean (the last segment ends exactly after its last frame)".to_string(),
            "preallocated" => format!(
                "{} of preallocated zeros after offset {off} of {file} \
                 (a writer is open or stopped without closing; no frame was torn)",
                crate::output::bytes(self.bytes)
            ),
            "growing" => {
                format!("a live writer is appending after offset {off} of {file} (not damage)")
            }
            _ => format!(
                "TORN: {} of a partial write at offset {off} of {file} \
                 (a writable open or `walogs repair` cuts them)",
                crate::output::bytes(self.bytes)
            ),
        }
    }
}

/// Inspect the tail the core reported, reading the bytes after the valid frames of the last
/// segment file in `segments`. Costs a read of those bytes (at most a few MiB).
pub fn inspect(report: &RecoveryReport, segments: &[SegmentFile]) -> Result<TailInfo, CliError> {
    let last = segments.last();
    let file = last.map(|s| s.name.clone());
    let TailState::TruncatedAt(offset) = report.tail else {
        return Ok(TailInfo {
            state: "clean",
            file,
            offset: None,
            bytes: 0,
        });
    };
    let kind = match last {
        Some(seg) => layout::classify_tail(&seg.path, offset, report.next_lsn.0)?,
        None => TailBytes::Empty,
    };
    let state = match kind {
        TailBytes::Empty => "clean",
        TailBytes::Zeros => "preallocated",
        TailBytes::Growing => "growing",
        TailBytes::Torn => "torn",
    };
    Ok(TailInfo {
        state,
        file,
        offset: Some(offset),
        bytes: report.bytes_truncated,
    })
}
