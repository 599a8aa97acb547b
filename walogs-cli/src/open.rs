//! The read-only open used by `info`, `dump`, `verify` and `repair`'s planning, made safe
//! against a writer that appends while we read.
//!
//! The core's read-only open scans the last segment up to its (preallocated) end. When a
//! live writer appends a frame between the scan reaching the end of the written frames and
//! the core's look for valid frames after that point, the core sees "damage followed by a
//! valid frame" and reports mid-log damage that does not exist. And a checkpoint by the
//! writer can remove a segment between the listing and its open. Both are told apart from
//! real damage here: the directory has a lock holder, and either the reported damage offset
//! now holds a valid frame, or a file vanished. Then the open is simply retried.

use std::path::Path;
use std::time::Duration;

use walogs_core::frame::{self, Decoded};
use walogs_core::{Wal, WalError, WalOptions};

use crate::error::Location;
use crate::layout::read_full_at;

/// How many times a racing open is retried before its error is believed.
const ATTEMPTS: u32 = 50;

/// Open `dir` read-only (with `salvage` as given), coping with a live writer: a spurious
/// mid-log damage report (see the module doc) is answered with a snapshot of the log up to
/// the point the scan reached (a read-only salvaging open, accepted only when the "damage"
/// it cut at is, by now, a valid frame), and a vanished segment with a retry. A log without
/// a live writer is opened exactly once. Each attempt costs one full read of the log.
pub fn read_only(dir: &Path, salvage: bool) -> Result<Wal, WalError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let r = open(dir, salvage);
        let retry = match &r {
            Err(WalError::Corrupt { reason })
                if attempt < ATTEMPTS && raced_append(dir, reason) =>
            {
                if let Ok(w) = open(dir, true)
                    && snapshot_is_sound(dir, &w)
                {
                    return Ok(w);
                }
                true
            }
            Err(WalError::Io(e)) => {
                attempt < ATTEMPTS && e.kind() == std::io::ErrorKind::NotFound && has_writer(dir)
            }
            _ => false,
        };
        if !retry {
            return r;
        }
        std::thread::sleep(Duration::from_millis(u64::from(attempt.min(20))));
    }
}

fn open(dir: &Path, salvage: bool) -> Result<Wal, WalError> {
    WalOptions::new().read_only(true).salvage(salvage).open(dir)
}

/// A salvaging read-only open is a sound snapshot when it cut nothing, or cut only at an
/// offset that now holds a valid frame (an append it saw half-way).
fn snapshot_is_sound(dir: &Path, wal: &Wal) -> bool {
    match wal.recovery_report().salvaged {
        None => true,
        Some(s) => has_writer(dir) && valid_frame_at(&dir.join(&s.file), s.offset),
    }
}

fn has_writer(dir: &Path) -> bool {
    matches!(walogs_core::lock_holder(dir), Ok(Some(_)))
}

/// Whether a "mid-log damage" error is a live writer's append seen half-way: a writer holds
/// the lock and the bytes at the reported damage offset are now a valid frame.
fn raced_append(dir: &Path, reason: &str) -> bool {
    if !reason.starts_with("mid-log damage") || !has_writer(dir) {
        return false;
    }
    let loc = Location::from_reason(reason);
    match (loc.file, loc.offset) {
        (Some(file), Some(offset)) => valid_frame_at(&dir.join(file), offset),
        _ => false,
    }
}

/// Whether the bytes at `offset` of `path` are a complete, valid frame.
fn valid_frame_at(path: &Path, offset: u64) -> bool {
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut header = [0u8; 16];
    if !matches!(read_full_at(&f, &mut header, offset), Ok(16)) {
        return false;
    }
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    if len > walogs_core::MAX_BATCH_SIZE {
        return false;
    }
    let mut buf = vec![0u8; 16 + len];
    match read_full_at(&f, &mut buf, offset) {
        Ok(n) => matches!(frame::decode(&buf[..n]), Decoded::Frame { .. }),
        Err(_) => false,
    }
}
