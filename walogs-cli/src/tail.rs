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
    /// A partial write (or the first members of a unit whose last members are missing).
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
        // Valid frames past the tail are a live writer's appends only while a writer holds
        // the lock: without one they are the members of a unit whose last members never
        // reached the disk, which recovery cuts like any other torn write.
        TailBytes::Growing | TailBytes::Partial if writer_live => TailKind::Growing,
        TailBytes::Growing | TailBytes::Partial => TailKind::Torn,
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

#[cfg(test)]
mod tests {
    use super::*;
    use walogs_core::Lsn;

    fn report(tail: TailState, next: u64) -> RecoveryReport {
        RecoveryReport {
            tail,
            bytes_truncated: 0,
            salvaged: None,
            migrated_v1: false,
            segments: 0,
            first_lsn: Lsn(1),
            next_lsn: Lsn(next),
            read_only: true,
        }
    }

    fn seg(seq: u64, first_lsn: Option<u64>) -> SegmentFile {
        SegmentFile {
            name: walogs_core::segment::segment_filename(seq),
            seq,
            refused: None,
            size: 0,
            first_lsn,
        }
    }

    #[test]
    fn the_last_segment_at_the_open_is_found_after_a_rotation() {
        let segs = [seg(1, Some(1)), seg(2, Some(50)), seg(3, Some(90))];
        let last = |tail, next| last_at_open(&report(tail, next), &segs).map(|s| s.seq);
        // The open saw segment 2 end at LSN 79; segment 3 was started after it.
        assert_eq!(last(TailState::TruncatedAt(500), 80), Some(2));
        assert_eq!(last(TailState::TruncatedAt(100), 95), Some(3));
        // The open saw segment 3 without a frame; it has frames from LSN 90 on since.
        assert_eq!(last(TailState::TruncatedAt(0), 90), Some(3));
        let fresh = [seg(1, Some(1)), seg(2, None)];
        let at_open = last_at_open(&report(TailState::TruncatedAt(0), 50), &fresh);
        assert_eq!(at_open.map(|s| s.seq), Some(2));
    }

    #[test]
    fn bytes_past_the_frames_are_a_write_in_progress_while_a_writer_holds_the_lock() {
        let d = tempfile::tempdir().unwrap();
        let mut wal = walogs_core::WalOptions::new().open(d.path()).unwrap();
        wal.append(b"entry").unwrap();
        wal.close().unwrap();
        let name = "wal-000001.log";
        let path = d.path().join(name);
        let end = std::fs::metadata(&path).unwrap().len();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&[7u8; 10]);
        std::fs::write(&path, bytes).unwrap();
        let log = LogDir::open(d.path()).unwrap();
        let segs = log.segments().unwrap();
        let r = report(TailState::TruncatedAt(end), 2);
        assert_eq!(
            inspect(&r, &log, &segs, false).unwrap().state,
            TailKind::Torn
        );
        assert_eq!(
            inspect(&r, &log, &segs, true).unwrap().state,
            TailKind::Growing
        );
    }

    #[test]
    fn valid_members_of_a_torn_unit_are_torn_without_a_writer() {
        let d = tempfile::tempdir().unwrap();
        let mut wal = walogs_core::WalOptions::new().open(d.path()).unwrap();
        wal.append(b"entry").unwrap();
        wal.append_batch(&[b"a", b"b", b"c"]).unwrap();
        wal.close().unwrap();
        let path = d.path().join("wal-000001.log");
        let one = 16 + 5;
        let member = 16 + 8 + 1;
        // The last member never reached the disk: the first two are valid frames.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(one + 2 * member)
            .unwrap();
        let log = LogDir::open(d.path()).unwrap();
        let segs = log.segments().unwrap();
        let r = report(TailState::TruncatedAt(one), 2);
        assert_eq!(
            inspect(&r, &log, &segs, false).unwrap().state,
            TailKind::Torn
        );
        assert_eq!(
            inspect(&r, &log, &segs, true).unwrap().state,
            TailKind::Growing
        );
    }
}
