//! Reading a log the core refuses to open: the entries that lie before the damage the core
//! found, segment by segment with the core's frame decoder, for `dump`.
//!
//! The core's [`Damage`] says where to stop (its file and offset, the last intact LSN);
//! entries at or below the purge floor recorded in `walogs.meta` are skipped (they were
//! purged for good even if their bytes remain); and reading also stops at the first frame
//! that does not decode or does not carry the next LSN, so nothing past damage is ever
//! handed out. The core stays the judge of where the damage is; this only reads up to it.

use std::ops::ControlFlow;

use walogs_core::{Damage, DamageKind};

use crate::error::CliError;
use crate::frames::{FrameReader, Step};
use crate::layout::{LogDir, SegmentFile, segment_seq};

/// Where reading must stop, from the core's description of the damage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// Stop at this byte offset of the segment with this sequence number (offset 0: before
    /// it), and at every later segment.
    at: Option<(u64, u64)>,
    /// Hand out no LSN above this one (the last intact LSN before the damage).
    max_lsn: Option<u64>,
}

impl Bound {
    /// The bound `damage` sets, or `None` when nothing can be handed out (damaged metadata:
    /// the purge floor is unknown; both layouts: which files hold the log is unknown).
    pub fn of(damage: &Damage) -> Option<Bound> {
        if matches!(damage.kind, DamageKind::Metadata | DamageKind::MixedLayout) {
            return None;
        }
        let seq = damage.file.as_deref().and_then(segment_seq);
        let max_lsn = damage.last_good_lsn.map(|l| l.0);
        let at = match (seq, damage.offset) {
            (Some(seq), Some(offset)) => Some((seq, offset)),
            // A missing segment (a gap): everything from it on.
            (Some(seq), None) if max_lsn.is_none() => Some((seq, 0)),
            _ => None,
        };
        Some(Bound { at, max_lsn })
    }

    /// Whether a frame at `offset` of segment `seq` lies at or past the stop.
    fn stops(&self, seq: u64, offset: u64) -> bool {
        self.at
            .is_some_and(|(s, o)| seq > s || (seq == s && offset >= o))
    }
}

/// The purge floor to skip up to: 0 when nothing was purged (no metadata file, or none
/// recorded), `None` when `walogs.meta` cannot be read or decoded (then nothing can be said
/// about which entries still count). The core reads it ([`walogs_core::read_purge_floor`]):
/// one read of at most 53 bytes.
pub fn purge_floor(log: &LogDir) -> Option<u64> {
    walogs_core::read_purge_floor(log.path())
        .ok()
        .map(|floor| floor.unwrap_or(0))
}

/// Hand every entry of `segments` (oldest first, as listed) that lies before `bound` and
/// above the purge `floor` to `each`, in LSN order, until `each` breaks. Costs one read of
/// the log up to the bound.
pub fn read(
    log: &LogDir,
    segments: &[SegmentFile],
    floor: u64,
    bound: Bound,
    mut each: impl FnMut(u64, &[u8]) -> Result<ControlFlow<()>, CliError>,
) -> Result<(), CliError> {
    let mut expected: Option<u64> = None;
    for seg in segments {
        if bound.stops(seg.seq, 0) || seg.refused.is_some() {
            return Ok(());
        }
        let mut reader = FrameReader::open(log, &seg.name)?;
        loop {
            match reader.next_frame()? {
                Step::Frame {
                    offset,
                    first_lsn,
                    entries,
                } => {
                    if bound.stops(seg.seq, offset) {
                        return Ok(());
                    }
                    for (k, data) in entries.iter().enumerate() {
                        let lsn = first_lsn + k as u64;
                        if bound.max_lsn.is_some_and(|m| lsn > m) {
                            return Ok(());
                        }
                        if lsn <= floor {
                            continue;
                        }
                        if expected.is_some_and(|e| e != lsn) {
                            return Ok(());
                        }
                        if each(lsn, data)?.is_break() {
                            return Ok(());
                        }
                        expected = Some(lsn + 1);
                    }
                }
                Step::End => break,
                Step::Bad => return Ok(()),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use walogs_core::{Lsn, WalError, WalOptions};

    /// A closed log of 60 entries (single appends and batches) over several small segments.
    fn log(dir: &std::path::Path) {
        let mut wal = WalOptions::new()
            .max_segment_size(Some(512))
            .open(dir)
            .unwrap();
        let mut lsn = 0u64;
        while lsn < 60 {
            if lsn % 7 == 3 {
                let batch: Vec<Vec<u8>> = (1..=3).map(|k| entry(lsn + k)).collect();
                lsn = wal.append_batch(&batch).unwrap().last.0;
            } else {
                lsn = wal.append(&entry(lsn + 1)).unwrap().0;
            }
        }
        wal.close().unwrap();
    }

    fn entry(lsn: u64) -> Vec<u8> {
        format!("entry {lsn:>20}").into_bytes()
    }

    /// What the reader hands out for the core's refusal of `dir`, checking every payload.
    fn readable(dir: &std::path::Path) -> Vec<u64> {
        let err = WalOptions::new().read_only(true).open(dir).unwrap_err();
        let damage = err.damage().expect("the core refuses the log as damaged");
        let log = LogDir::open(dir).unwrap();
        let segs = log.segments().unwrap();
        let mut seen = Vec::new();
        let (Some(bound), Some(floor)) = (Bound::of(damage), purge_floor(&log)) else {
            return seen;
        };
        read(&log, &segs, floor, bound, |lsn, data| {
            assert_eq!(data, entry(lsn).as_slice());
            seen.push(lsn);
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
        seen
    }

    /// Flip a payload byte of the frame holding `lsn`.
    fn damage_entry(dir: &std::path::Path, lsn: u64) {
        let log = LogDir::open(dir).unwrap();
        for seg in log.segments().unwrap() {
            let mut r = FrameReader::open(&log, &seg.name).unwrap();
            while let Step::Frame {
                offset, first_lsn, ..
            } = r.next_frame().unwrap()
            {
                if first_lsn == lsn {
                    let path = dir.join(&seg.name);
                    let mut b = std::fs::read(&path).unwrap();
                    let at = offset as usize + 16 + b[offset as usize] as usize - 1;
                    b[at] ^= 0x40;
                    std::fs::write(&path, b).unwrap();
                    return;
                }
            }
        }
        panic!("no frame holds LSN {lsn}");
    }

    #[test]
    fn entries_before_damage_in_a_completed_segment_units_included() {
        let d = tempfile::tempdir().unwrap();
        log(d.path());
        damage_entry(d.path(), 40);
        assert_eq!(readable(d.path()), (1..40).collect::<Vec<_>>());
    }

    #[test]
    fn purged_entries_are_never_handed_out() {
        let d = tempfile::tempdir().unwrap();
        log(d.path());
        let mut wal = WalOptions::new().open(d.path()).unwrap();
        wal.purge_up_to(Lsn(9)).unwrap();
        wal.close().unwrap();
        damage_entry(d.path(), 40);
        // The oldest segment still holds some purged entries; none is printed.
        let log = LogDir::open(d.path()).unwrap();
        let oldest = log.segments().unwrap()[0].first_lsn.unwrap();
        assert!(oldest <= 9, "the test needs purged entries on disk");
        assert_eq!(readable(d.path()), (10..40).collect::<Vec<_>>());
    }

    #[test]
    fn a_missing_segment_ends_the_reading_before_it() {
        let d = tempfile::tempdir().unwrap();
        log(d.path());
        let log = LogDir::open(d.path()).unwrap();
        let segs = log.segments().unwrap();
        std::fs::remove_file(d.path().join(&segs[2].name)).unwrap();
        let before = segs[2].first_lsn.unwrap();
        assert_eq!(readable(d.path()), (1..before).collect::<Vec<_>>());
    }

    #[test]
    fn damaged_metadata_hands_out_nothing() {
        let d = tempfile::tempdir().unwrap();
        log(d.path());
        std::fs::write(d.path().join(walogs_core::META_FILENAME), b"garbage").unwrap();
        let err = WalOptions::new()
            .read_only(true)
            .open(d.path())
            .unwrap_err();
        assert!(matches!(&err, WalError::Corrupt { .. }), "{err}");
        assert_eq!(readable(d.path()), Vec::<u64>::new());
    }
}
