//! Reading a log the core refuses to open, segment by segment with the core's frame decoder,
//! handing each entry to the caller and stopping at the first damage: a frame that is not
//! valid, an LSN out of sequence, a missing or empty completed segment. Nothing past the
//! damage is ever handed out.
//!
//! Used by `dump` (print what lies before the damage) and `verify` (say where the damage is
//! and which LSNs it affects). The core's read-only open stays the judge of whether a log is
//! sound; this only locates what it refused.

use std::ops::ControlFlow;

use serde::Serialize;

use crate::error::CliError;
use crate::frames::{FrameReader, Step};
use crate::layout::{SegmentFile, V1_FILENAME};

/// What kind of damage stopped the reading, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DamageKind {
    /// The bytes at `offset` of `file` are no valid frame (bad checksum, bad length, cut
    /// short). `completed_segment`: later segments follow, so this cannot be a torn write.
    BadFrame {
        /// The segment file.
        file: String,
        /// Byte offset of the bad frame.
        offset: u64,
        /// Whether a later segment follows this one.
        completed_segment: bool,
    },
    /// A valid frame carries an LSN other than the next one.
    LsnDiscontinuity {
        /// The segment file.
        file: String,
        /// Byte offset of the frame.
        offset: u64,
        /// The LSN it should carry.
        expected: u64,
        /// The LSN it carries.
        found: u64,
    },
    /// A completed segment holds no frame at all.
    EmptyCompletedSegment {
        /// The segment file.
        file: String,
    },
    /// Segment numbers skip: the segments between `before` and `after` are missing.
    SegmentGap {
        /// The last segment before the gap.
        before: String,
        /// The first segment after it.
        after: String,
    },
    /// Both the v1 `wal.log` and numbered segments exist: which one holds the log is unknown.
    BothLayouts,
}

/// Damage found by reading the log in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Damage {
    /// What and where.
    #[serde(flatten)]
    pub kind: DamageKind,
    /// The last LSN read intact before the damage (none when nothing precedes it).
    pub last_good_lsn: Option<u64>,
    /// The first LSN known to be intact after the damage: the next segment's first entry,
    /// or the LSN a discontinuous frame carries (unknown when nothing valid is known after).
    pub first_lsn_after: Option<u64>,
}

impl Damage {
    /// The file holding the damage (for a gap: the last file before it).
    pub fn file(&self) -> Option<&str> {
        match &self.kind {
            DamageKind::BadFrame { file, .. }
            | DamageKind::LsnDiscontinuity { file, .. }
            | DamageKind::EmptyCompletedSegment { file } => Some(file),
            DamageKind::SegmentGap { before, .. } => Some(before),
            DamageKind::BothLayouts => None,
        }
    }

    /// The byte offset of the damage in [`Damage::file`], when it is one place in a file.
    pub fn offset(&self) -> Option<u64> {
        match &self.kind {
            DamageKind::BadFrame { offset, .. } | DamageKind::LsnDiscontinuity { offset, .. } => {
                Some(*offset)
            }
            _ => None,
        }
    }

    /// Whether the damage lies in (or between) completed segments, where no cut applies.
    pub fn in_completed_segment(&self) -> bool {
        !matches!(
            self.kind,
            DamageKind::BadFrame {
                completed_segment: false,
                ..
            } | DamageKind::BothLayouts
        )
    }

    /// The LSNs that cannot be read: from after the last intact one to before the first
    /// intact one after the damage, each end when known. `None` when the damage loses no
    /// LSN that can be named (an LSN that goes backwards).
    pub fn affected(&self) -> Option<(Option<u64>, Option<u64>)> {
        let from = self.last_good_lsn.map(|l| l + 1);
        let to = self.first_lsn_after.map(|f| f.saturating_sub(1));
        match (from, to) {
            (Some(f), Some(t)) if t < f => None,
            (f, t) => Some((f, t)),
        }
    }

    /// The affected LSNs for people: `LSN 13..=35`, `LSN 13 and later`, `LSNs up to 35`.
    pub fn affected_text(&self) -> String {
        match self.affected() {
            Some((Some(f), Some(t))) if f == t => format!("LSN {f}"),
            Some((Some(f), Some(t))) => format!("LSN {f}..={t}"),
            Some((Some(f), None)) => format!("LSN {f} and later"),
            Some((None, Some(t))) => format!("the LSNs up to {t}"),
            Some((None, None)) => "LSNs that cannot be named".to_string(),
            None => "no LSN is missing, but the LSNs are out of order".to_string(),
        }
    }

    /// One line for people: what, where, and the LSNs around it.
    pub fn describe(&self) -> String {
        let what = match &self.kind {
            DamageKind::BadFrame {
                file,
                offset,
                completed_segment: true,
            } => format!("a damaged frame at offset {offset} of the completed segment {file}"),
            DamageKind::BadFrame { file, offset, .. } => {
                format!("a damaged frame at offset {offset} of the last segment {file}")
            }
            DamageKind::LsnDiscontinuity {
                file,
                offset,
                expected,
                found,
            } => format!("LSN {found} where {expected} was due, at offset {offset} of {file}"),
            DamageKind::EmptyCompletedSegment { file } => {
                format!("the completed segment {file} holds no frame")
            }
            DamageKind::SegmentGap { before, after } => {
                format!("the segments between {before} and {after} are missing")
            }
            DamageKind::BothLayouts => {
                format!("both {V1_FILENAME} and numbered segment files exist")
            }
        };
        let before = match self.last_good_lsn {
            Some(l) => format!("the last intact entry before it is LSN {l}"),
            None => "no intact entry precedes it".to_string(),
        };
        let after = match self.first_lsn_after {
            Some(f) => format!("the log continues at LSN {f}"),
            None => "no intact entry is known after it".to_string(),
        };
        format!("{what}; {before}, {after}")
    }
}

/// How reading the log ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// The caller asked to stop (e.g. past the last LSN it wanted).
    Stopped,
    /// Every frame of every segment was read without damage (the last segment may end in a
    /// torn write, which is no damage). The core's objection is then between the files.
    Complete {
        /// The last LSN read.
        last_lsn: Option<u64>,
    },
    /// Reading stopped at damage.
    Damaged(Damage),
}

/// Read `segments` (oldest first, as listed) in order, handing every entry before the first
/// damage to `each`. Costs one read of the log up to the damage.
pub fn read(
    segments: &[SegmentFile],
    mut each: impl FnMut(u64, &[u8]) -> Result<ControlFlow<()>, CliError>,
) -> Result<Reading, CliError> {
    let damaged = |kind, last_good_lsn, first_lsn_after| {
        Ok(Reading::Damaged(Damage {
            kind,
            last_good_lsn,
            first_lsn_after,
        }))
    };
    if segments.len() > 1 && segments.iter().any(|s| s.name == V1_FILENAME) {
        return damaged(DamageKind::BothLayouts, None, None);
    }
    let mut expected: Option<u64> = None;
    for (i, seg) in segments.iter().enumerate() {
        let next = segments.get(i + 1);
        if let Some(prev) = i.checked_sub(1).map(|p| &segments[p])
            && seg.seq != prev.seq + 1
        {
            let kind = DamageKind::SegmentGap {
                before: prev.name.clone(),
                after: seg.name.clone(),
            };
            return damaged(kind, last(expected), seg.first_lsn);
        }
        let mut reader = FrameReader::open(&seg.path)?;
        let mut frames = 0u64;
        loop {
            match reader.next_frame()? {
                Step::Frame {
                    offset,
                    first_lsn,
                    entries,
                } => {
                    if let Some(e) = expected
                        && e != first_lsn
                    {
                        let kind = DamageKind::LsnDiscontinuity {
                            file: seg.name.clone(),
                            offset,
                            expected: e,
                            found: first_lsn,
                        };
                        let after = (first_lsn > e).then_some(first_lsn);
                        return damaged(kind, last(expected), after);
                    }
                    for (k, data) in entries.iter().enumerate() {
                        if each(first_lsn + k as u64, data)?.is_break() {
                            return Ok(Reading::Stopped);
                        }
                    }
                    expected = Some(first_lsn + entries.len() as u64);
                    frames += 1;
                }
                Step::End if frames == 0 && next.is_some() => {
                    let kind = DamageKind::EmptyCompletedSegment {
                        file: seg.name.clone(),
                    };
                    return damaged(kind, last(expected), next.and_then(|n| n.first_lsn));
                }
                Step::End => break,
                Step::Bad { offset } => {
                    if next.is_none() {
                        // A torn write of the last segment, or mid-log damage: either way
                        // nothing after it is handed out.
                        let kind = DamageKind::BadFrame {
                            file: seg.name.clone(),
                            offset,
                            completed_segment: false,
                        };
                        return damaged(kind, last(expected), None);
                    }
                    let kind = DamageKind::BadFrame {
                        file: seg.name.clone(),
                        offset,
                        completed_segment: true,
                    };
                    return damaged(kind, last(expected), next.and_then(|n| n.first_lsn));
                }
            }
        }
    }
    Ok(Reading::Complete {
        last_lsn: last(expected),
    })
}

/// The last LSN read, given the next one expected.
fn last(expected: Option<u64>) -> Option<u64> {
    expected.map(|e| e - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn damage(last_good_lsn: Option<u64>, first_lsn_after: Option<u64>) -> Damage {
        Damage {
            kind: DamageKind::BadFrame {
                file: "wal-000001.log".into(),
                offset: 0,
                completed_segment: true,
            },
            last_good_lsn,
            first_lsn_after,
        }
    }

    /// A closed log of 60 entries over several small segments; returns its segment files.
    fn log(dir: &std::path::Path) -> Vec<SegmentFile> {
        let mut wal = walogs_core::WalOptions::new()
            .max_segment_size(Some(512))
            .open(dir)
            .unwrap();
        for i in 0..60u32 {
            wal.append(format!("entry {i:>20}").as_bytes()).unwrap();
        }
        wal.close().unwrap();
        let segs = crate::layout::segments(dir).unwrap();
        assert!(segs.len() >= 4);
        segs
    }

    fn damage_of(segs: &[SegmentFile]) -> Damage {
        let mut seen = Vec::new();
        match read(segs, |lsn, _| {
            seen.push(lsn);
            Ok(ControlFlow::Continue(()))
        })
        .unwrap()
        {
            Reading::Damaged(d) => {
                // Everything handed out is dense from 1 and ends at the last good LSN.
                assert_eq!(seen, (1..=d.last_good_lsn.unwrap_or(0)).collect::<Vec<_>>());
                d
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_kind_of_damage_between_segments_is_located() {
        let d = tempfile::tempdir().unwrap();
        let segs = log(d.path());
        let (s1, s2, s3) = (&segs[1], &segs[2], &segs[3]);
        let healthy = read(&segs, |_, _| Ok(ControlFlow::Continue(()))).unwrap();
        assert_eq!(healthy, Reading::Complete { last_lsn: Some(60) });
        let before_s2 = s2.first_lsn.unwrap() - 1;

        // A missing segment.
        let mut gap = segs.clone();
        gap.remove(2);
        let g = damage_of(&gap);
        assert_eq!(
            g.kind,
            DamageKind::SegmentGap {
                before: s1.name.clone(),
                after: s3.name.clone()
            }
        );
        assert_eq!(g.last_good_lsn, Some(before_s2));
        assert_eq!(g.first_lsn_after, s3.first_lsn);

        // A segment holding the next one's frames.
        let bytes2 = std::fs::read(&s2.path).unwrap();
        std::fs::copy(&s3.path, &s2.path).unwrap();
        let k = damage_of(&segs).kind;
        let want = DamageKind::LsnDiscontinuity {
            file: s2.name.clone(),
            offset: 0,
            expected: before_s2 + 1,
            found: s3.first_lsn.unwrap(),
        };
        assert_eq!(k, want);

        // An empty completed segment.
        std::fs::write(&s2.path, b"").unwrap();
        let e = damage_of(&segs);
        assert_eq!(
            e.kind,
            DamageKind::EmptyCompletedSegment {
                file: s2.name.clone()
            }
        );
        assert_eq!(e.first_lsn_after, s3.first_lsn);
        assert_eq!(
            e.affected_text(),
            format!("LSN {}..={}", before_s2 + 1, s3.first_lsn.unwrap() - 1)
        );
        std::fs::write(&s2.path, bytes2).unwrap();

        // Both layouts.
        std::fs::write(d.path().join(V1_FILENAME), b"").unwrap();
        let both = crate::layout::segments(d.path()).unwrap();
        assert_eq!(damage_of(&both).kind, DamageKind::BothLayouts);
    }

    #[test]
    fn affected_lsns_lie_between_the_intact_ones() {
        assert_eq!(damage(Some(12), Some(36)).affected_text(), "LSN 13..=35");
        assert_eq!(damage(Some(12), Some(14)).affected_text(), "LSN 13");
        assert_eq!(damage(None, Some(36)).affected_text(), "the LSNs up to 35");
        assert_eq!(damage(Some(12), None).affected_text(), "LSN 13 and later");
        assert_eq!(damage(Some(12), Some(5)).affected(), None);
        let d = damage(Some(12), Some(36)).describe();
        assert!(d.contains("completed segment wal-000001.log"), "{d}");
        assert!(d.contains("LSN 12") && d.contains("LSN 36"), "{d}");
    }
}
