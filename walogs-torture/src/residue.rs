//! What a failed call left on disk, checked right after the failure and before any reopen
//! (a reopen's recovery would cut a left-over partial frame as a torn tail and so hide it).
//!
//! * [`Snapshot::compare`], for a handle driven by one thread: after a failed call every
//!   segment file holds what the [`Rule`] of the call allows: exactly the bytes it held
//!   before, up to trailing zeros (the preallocated tail may grow or be cut, but must stay
//!   zeros), or, for calls that cut (a truncation, a failed fdatasync under a relaxed policy
//!   cutting back to the last sync), a prefix of them ending at a frame boundary; a segment
//!   the call created holds only zeros; segments are gone only where the call deletes them
//!   (the oldest for a checkpoint or purge, the newest for a truncation).
//! * [`scan_tail`], for a handle shared by many threads (where "before the call" is not one
//!   moment): the newest segment holds whole, valid units followed only by zeros, and the
//!   caller compares the last LSN on disk with the last one acknowledged.

use std::fmt;
use std::io;
use std::path::Path;

use walogs_core::segment::parse_segment_filename;

use crate::unit;

/// The segment files of a WAL directory, oldest first, with the bytes of the newest ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// `(file name, contents)` by sequence number; `None` for a segment older than the ones
    /// read (only its presence is compared).
    pub segments: Vec<(String, Option<Vec<u8>>)>,
}

/// How many of the newest segments [`Snapshot::take`] reads: the active one, and the one
/// before it (an append may rotate, so a failed append can touch no other segment's bytes).
pub const READ_NEWEST: usize = 2;

/// What a failed call may have changed in the segment files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Segment contents may be cut back to a frame boundary (not only left as they were).
    pub may_cut: bool,
    /// Which segments may be gone.
    pub may_remove: Removal,
}

/// Which segment files a failed call may have deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// None.
    None,
    /// Some of the oldest (a checkpoint, a purge).
    Oldest,
    /// Some of the newest (a truncation).
    Newest,
}

impl Rule {
    /// Nothing may change but zeros.
    pub const UNCHANGED: Rule = Rule {
        may_cut: false,
        may_remove: Removal::None,
    };
}

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
    /// it) under `rule`. `Err` says what was left behind.
    pub fn compare(&self, after: &Snapshot, rule: Rule) -> Result<(), Residue> {
        let n = self.segments.len();
        for (i, (name, before)) in self.segments.iter().enumerate() {
            match after.segments.iter().find(|(a, _)| a == name) {
                None => {
                    // Removal must leave a contiguous run: every older (or newer) segment
                    // of the allowed side is gone too.
                    let allowed = match rule.may_remove {
                        Removal::None => false,
                        Removal::Oldest => self.segments[..i]
                            .iter()
                            .all(|(o, _)| !after.segments.iter().any(|(a, _)| a == o)),
                        Removal::Newest => self.segments[i + 1..n]
                            .iter()
                            .all(|(o, _)| !after.segments.iter().any(|(a, _)| a == o)),
                    };
                    if !allowed {
                        return Err(Residue(format!("{name} was removed")));
                    }
                }
                Some((_, now)) => {
                    let (Some(before), Some(now)) = (before, now) else {
                        continue;
                    };
                    let (b, a) = (trimmed(before), trimmed(now));
                    if a == b {
                        continue;
                    }
                    // A cut keeps the bytes up to the end of some frame (then zeros).
                    if rule.may_cut
                        && b.starts_with(a)
                        && (a.is_empty()
                            || unit::frames(b)
                                .0
                                .iter()
                                .any(|f| trimmed(&b[..f.end() as usize]) == a))
                    {
                        continue;
                    }
                    if rule.may_cut && b.starts_with(a) {
                        return Err(Residue(format!(
                            "{name} was cut to {} bytes, not at a frame boundary",
                            a.len()
                        )));
                    }
                    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
                    return Err(Residue(format!(
                        "{name} changed: {} bytes before the call, {} after (not counting trailing zeros), first difference at byte {common}",
                        b.len(),
                        a.len()
                    )));
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
/// holds a frame holds only whole units (every member of each; the last may lack members
/// only when a deliberate `truncate_after` ended it there, `cuts` being the LSNs such calls
/// kept up to) and then zeros, and every newer (empty) segment only zeros. Returns the last
/// LSN written (`None`: no frame in any segment file read).
pub fn scan_tail(dir: &Path, cuts: &[u64]) -> Result<Option<u64>, Residue> {
    let snap = Snapshot::take(dir).map_err(|e| Residue(format!("cannot read {dir:?}: {e}")))?;
    for (name, bytes) in snap.segments.iter().rev() {
        let Some(bytes) = bytes else { break };
        let (frames, end) = unit::frames(bytes);
        let units = unit::units(&frames);
        let last = units.last().map(|u| u.last_lsn);
        let rest = trimmed(&bytes[end as usize..]);
        if !rest.is_empty() {
            return Err(Residue(format!(
                "{name}: {} bytes that are not a valid frame and not zeros at offset {end} (after {})",
                rest.len(),
                last.map_or("no frame".to_string(), |l| format!(
                    "the frame ending at LSN {l}"
                ))
            )));
        }
        if let Some(u) = units
            .last()
            .filter(|u| !u.complete && !cuts.contains(&u.last_lsn))
        {
            return Err(Residue(format!(
                "{name}: the unit at offset {} (LSNs {}..={}) lacks members: a partial write",
                u.offset, u.first_lsn, u.last_lsn
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

    const OLDEST: Rule = Rule {
        may_cut: false,
        may_remove: Removal::Oldest,
    };

    #[test]
    fn trailing_zeros_may_change_anything_else_is_residue() {
        let before = snap(&[("wal-000001.log", b"abc\0\0\0\0")]);
        let same = |a: &Snapshot| before.compare(a, Rule::UNCHANGED);
        assert!(same(&snap(&[("wal-000001.log", b"abc")])).is_ok());
        assert!(same(&snap(&[("wal-000001.log", b"abc\0\0\0\0\0\0\0\0")])).is_ok());
        // A partial frame left behind.
        assert!(same(&snap(&[("wal-000001.log", b"abc\0\0\0\0xy")])).is_err());
        assert!(same(&snap(&[("wal-000001.log", b"ab")])).is_err());
        // A new segment holding zeros is fine, one holding data is not.
        assert!(
            same(&snap(&[
                ("wal-000001.log", b"abc"),
                ("wal-000002.log", b"\0\0")
            ]))
            .is_ok()
        );
        assert!(
            same(&snap(&[
                ("wal-000001.log", b"abc"),
                ("wal-000002.log", b"\0z")
            ]))
            .is_err()
        );
        // Removal only where the call deletes.
        assert!(same(&snap(&[])).is_err());
        assert!(before.compare(&snap(&[]), OLDEST).is_ok());
        let two = snap(&[("wal-000001.log", b"a"), ("wal-000002.log", b"b")]);
        let newest = Rule {
            may_cut: true,
            may_remove: Removal::Newest,
        };
        assert!(
            two.compare(&snap(&[("wal-000002.log", b"b")]), OLDEST)
                .is_ok()
        );
        assert!(
            two.compare(&snap(&[("wal-000001.log", b"a")]), OLDEST)
                .is_err()
        );
        assert!(
            two.compare(&snap(&[("wal-000001.log", b"a")]), newest)
                .is_ok()
        );
        assert!(
            two.compare(&snap(&[("wal-000002.log", b"b")]), newest)
                .is_err()
        );
    }

    #[test]
    fn a_cut_must_end_at_a_frame_boundary() {
        let mut seg = Vec::new();
        for (lsn, body) in [(1u64, b"one".as_slice()), (2, b"two!")] {
            // A plain frame: [len][crc][lsn][body], CRC over len ++ lsn ++ body.
            let len = (body.len() as u32).to_le_bytes();
            let h = crc32(&[&len, &lsn.to_le_bytes(), body]);
            seg.extend_from_slice(&len);
            seg.extend_from_slice(&h.to_le_bytes());
            seg.extend_from_slice(&lsn.to_le_bytes());
            seg.extend_from_slice(body);
        }
        assert_eq!(unit::frames(&seg).0.len(), 2, "the test frames decode");
        let before = snap(&[("wal-000001.log", &seg)]);
        let cut = Rule {
            may_cut: true,
            may_remove: Removal::None,
        };
        let first_end = unit::frames(&seg).0[0].end() as usize;
        assert!(
            before
                .compare(&snap(&[("wal-000001.log", &seg[..first_end])]), cut)
                .is_ok()
        );
        assert!(
            before
                .compare(&snap(&[("wal-000001.log", b"")]), cut)
                .is_ok()
        );
        assert!(
            before
                .compare(&snap(&[("wal-000001.log", &seg[..first_end + 3])]), cut)
                .is_err()
        );
        assert!(
            before
                .compare(
                    &snap(&[("wal-000001.log", &seg[..first_end])]),
                    Rule::UNCHANGED
                )
                .is_err()
        );
    }

    /// CRC-32/IEEE (the frame checksum), bit by bit: enough for a test frame.
    fn crc32(parts: &[&[u8]]) -> u32 {
        let mut c = !0u32;
        for p in parts {
            for &b in *p {
                c ^= u32::from(b);
                for _ in 0..8 {
                    c = if c & 1 != 0 {
                        (c >> 1) ^ 0xEDB8_8320
                    } else {
                        c >> 1
                    };
                }
            }
        }
        !c
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
