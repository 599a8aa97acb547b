//! What a failed call left on disk, checked right after the failure and before any reopen
//! (a reopen's recovery would cut a left-over partial frame as a torn tail and so hide it).
//!
//! * [`Snapshot::compare`], for a handle driven by one thread: after a failed call every
//!   segment file holds exactly the bytes it held before the call, up to trailing zeros
//!   (the preallocated tail may grow or be cut, but must stay zeros); a segment the call
//!   created holds only zeros; a segment is gone only after a checkpoint.
//! * [`scan_tail`], for a handle shared by many threads (where "before the call" is not one
//!   moment): the newest segment holds whole, valid frames followed only by zeros, and the
//!   caller compares the last LSN on disk with the last one acknowledged.

use std::fmt;
use std::io;
use std::path::Path;

use walogs_core::frame::{self, Decoded};
use walogs_core::segment::parse_segment_filename;

/// The segment files of a WAL directory, oldest first, with the bytes of the newest ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// `(file name, contents)` by sequence number; `None` for a segment older than the ones
    /// read (only its presence is compared).
    pub segments: Vec<(String, Option<Vec<u8>>)>,
}

/// How many of the newest segments [`Snapshot::take`] reads: the active one, and the one
/// before it (an append may rotate, so a failed call can touch no other segment's bytes).
pub const READ_NEWEST: usize = 2;

/// Bytes of `b` without its trailing zeros.
fn trimmed(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
    &b[..end]
}

impl Snapshot {
    /// List the segment files of `dir` and read the newest [`READ_NEWEST`] of them. Costs
    /// one directory listing and a read of those segments.
    pub fn take(dir: &Path) -> io::Result<Snapshot> {
        Self::take_newest(dir, READ_NEWEST)
    }

    /// Like [`Snapshot::take`], reading the newest `newest` segments.
    pub fn take_newest(dir: &Path, newest: usize) -> io::Result<Snapshot> {
        let mut segments = Vec::new();
        for e in std::fs::read_dir(dir)? {
            let name = e?.file_name().to_string_lossy().into_owned();
            if let Some(seq) = parse_segment_filename(&name) {
                segments.push((seq, name));
            }
        }
        segments.sort();
        let skip = segments.len().saturating_sub(newest);
        let segments = segments
            .into_iter()
            .enumerate()
            .map(|(i, (_, n))| {
                if i < skip {
                    Ok((n, None))
                } else {
                    std::fs::read(dir.join(&n)).map(|b| (n, Some(b)))
                }
            })
            .collect::<io::Result<_>>()?;
        Ok(Snapshot { segments })
    }

    /// Check `after` (taken right after a failed call) against `self` (taken right before
    /// it); `may_remove` allows segments to disappear (the call was a checkpoint). `Err` says
    /// what was left behind.
    pub fn compare(&self, after: &Snapshot, may_remove: bool) -> Result<(), Residue> {
        for (name, before) in &self.segments {
            match after.segments.iter().find(|(n, _)| n == name) {
                None if may_remove => {}
                None => return Err(Residue(format!("{name} was removed"))),
                Some((_, now)) => {
                    let (Some(before), Some(now)) = (before, now) else {
                        continue;
                    };
                    let (b, a) = (trimmed(before), trimmed(now));
                    if a != b {
                        let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
                        return Err(Residue(format!(
                            "{name} changed: {} bytes before the call, {} after (not counting trailing zeros), first difference at byte {common}",
                            b.len(),
                            a.len()
                        )));
                    }
                }
            }
        }
        for (name, now) in &after.segments {
            if self.segments.iter().any(|(n, _)| n == name) {
                continue;
            }
            let held = now.as_deref().map_or(0, |b| trimmed(b).len());
            if held > 0 {
                return Err(Residue(format!(
                    "{name} was created and holds {held} non-zero bytes"
                )));
            }
        }
        Ok(())
    }
}

/// How `next_lsn()` moved across a failed call (`None`: it did not): "moved forward from A
/// to B" or "moved back from A to B" (back would hand an LSN out twice).
pub fn next_lsn_moved(before: u64, after: u64) -> Option<String> {
    match after.cmp(&before) {
        std::cmp::Ordering::Equal => None,
        std::cmp::Ordering::Greater => Some(format!(
            "next_lsn() moved forward from {before} to {after} although the call failed"
        )),
        std::cmp::Ordering::Less => Some(format!(
            "next_lsn() moved back from {before} to {after} although the call failed"
        )),
    }
}

/// A violation of the residue rules: what the failed call left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Residue(pub String);

impl fmt::Display for Residue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Check the newest segments of `dir` as a failed handle left them: the newest segment that
/// holds a frame holds only whole, valid frames and then zeros, and every newer (empty)
/// segment only zeros. Returns the last LSN written (`None`: no frame in any segment file).
pub fn scan_tail(dir: &Path) -> Result<Option<u64>, Residue> {
    let snap = Snapshot::take(dir).map_err(|e| Residue(format!("cannot read {dir:?}: {e}")))?;
    for (name, bytes) in snap.segments.iter().rev() {
        let Some(bytes) = bytes else { break };
        let mut off = 0usize;
        let mut last = None;
        while let Decoded::Frame {
            first_lsn,
            entries,
            frame_len,
        } = frame::decode(&bytes[off..])
        {
            last = Some(first_lsn + entries.len() as u64 - 1);
            off += frame_len;
        }
        let rest = trimmed(&bytes[off..]);
        if !rest.is_empty() {
            return Err(Residue(format!(
                "{name}: {} bytes that are not a valid frame and not zeros at offset {off} (after {})",
                rest.len(),
                last.map_or("no frame".to_string(), |l| format!(
                    "the frame ending at LSN {l}"
                ))
            )));
        }
        if last.is_some() {
            return Ok(last);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(files: &[(&str, &[u8])]) -> Snapshot {
        Snapshot {
            segments: files
                .iter()
                .map(|(n, b)| (n.to_string(), Some(b.to_vec())))
                .collect(),
        }
    }

    #[test]
    fn trailing_zeros_may_change_anything_else_is_residue() {
        let before = snap(&[("wal-000001.log", b"abc\0\0\0\0")]);
        assert!(
            before
                .compare(&snap(&[("wal-000001.log", b"abc")]), false)
                .is_ok()
        );
        assert!(
            before
                .compare(&snap(&[("wal-000001.log", b"abc\0\0\0\0\0\0\0\0")]), false)
                .is_ok()
        );
        // A partial frame left behind.
        assert!(
            before
                .compare(&snap(&[("wal-000001.log", b"abc\0\0\0\0xy")]), false)
                .is_err()
        );
        assert!(
            before
                .compare(&snap(&[("wal-000001.log", b"ab")]), false)
                .is_err()
        );
        // A new segment holding zeros is fine, one holding data is not.
        let grown = snap(&[("wal-000001.log", b"abc"), ("wal-000002.log", b"\0\0")]);
        assert!(before.compare(&grown, false).is_ok());
        let grown = snap(&[("wal-000001.log", b"abc"), ("wal-000002.log", b"\0z")]);
        assert!(before.compare(&grown, false).is_err());
        // Removal only for a checkpoint.
        assert!(before.compare(&snap(&[]), false).is_err());
        assert!(before.compare(&snap(&[]), true).is_ok());
    }

    #[test]
    fn next_lsn_moving_either_way_is_named() {
        assert_eq!(next_lsn_moved(5, 5), None);
        assert!(
            next_lsn_moved(5, 6)
                .unwrap()
                .contains("moved forward from 5 to 6")
        );
        assert!(
            next_lsn_moved(5, 4)
                .unwrap()
                .contains("moved back from 5 to 4")
        );
    }
}
