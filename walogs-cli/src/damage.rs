//! The core's description of damage ([`walogs_core::Damage`]) as the CLI shows it: the same
//! fields in JSON, and for people where the damage is, which LSNs it affects and what kind it
//! is. The only thing added is where the log continues after damage in a completed segment
//! (the first LSN of the next segment file, read from the listing), which the core, stopping
//! at the first damage, does not say.

use serde::Serialize;
use walogs_core::Damage;

use crate::layout::{SegmentFile, segment_seq};

/// Damage as reported on the command line (serialized as the `damage` object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DamageReport {
    /// The core's damage kind in snake case (`completed_segment`, `mid_log`, ...).
    pub kind: String,
    /// The file holding the damage (a name inside the WAL directory).
    pub file: Option<String>,
    /// Byte offset of the damage in `file`.
    pub offset: Option<u64>,
    /// The last LSN intact before the damage.
    pub last_good_lsn: Option<u64>,
    /// The first LSN known intact after the damage: the core's (a valid frame after the
    /// damage in the same file), or else the first entry of the next segment file.
    pub first_lsn_after: Option<u64>,
    /// Valid frames the core found after the damage in the same file.
    pub frames_after: u64,
    /// Whether `repair --salvage` can cut it (only mid-log damage in the last segment).
    pub salvageable: bool,
}

impl DamageReport {
    /// The report of `damage`; `segments` (the listing, oldest first; may be empty) gives
    /// where the log continues when the core does not say.
    pub fn new(damage: &Damage, segments: &[SegmentFile]) -> DamageReport {
        let first_lsn_after = damage
            .first_lsn_after
            .map(|l| l.0)
            .or_else(|| next_segment_lsn(damage.file.as_deref()?, segments));
        DamageReport {
            kind: snake_case(&format!("{:?}", damage.kind)),
            file: damage.file.clone(),
            offset: damage.offset,
            last_good_lsn: damage.last_good_lsn.map(|l| l.0),
            first_lsn_after,
            frames_after: damage.frames_after,
            salvageable: damage.kind.salvageable(),
        }
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

    /// One line for people: the LSNs around the damage.
    pub fn describe(&self) -> String {
        let before = match self.last_good_lsn {
            Some(l) => format!("the last intact entry before it is LSN {l}"),
            None => "no intact entry is known before it".to_string(),
        };
        let after = match self.first_lsn_after {
            Some(f) => format!("the log continues at LSN {f}"),
            None => "no intact entry is known after it".to_string(),
        };
        format!("{before}, {after}")
    }
}

/// The first LSN of the first listed segment after the segment `file` (by sequence number).
fn next_segment_lsn(file: &str, segments: &[SegmentFile]) -> Option<u64> {
    let seq = segment_seq(file)?;
    segments.iter().find(|s| s.seq > seq)?.first_lsn
}

/// `CompletedSegment` → `completed_segment`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use walogs_core::DamageKind;
    use walogs_core::segment::parse_segment_filename;

    fn seg(name: &str, first_lsn: Option<u64>) -> SegmentFile {
        SegmentFile {
            name: name.to_string(),
            seq: parse_segment_filename(name).unwrap(),
            refused: None,
            size: 100,
            first_lsn,
        }
    }

    fn report(last_good: u64, after: Option<u64>) -> DamageReport {
        let mut d = Damage::new(DamageKind::CompletedSegment, "x")
            .at("wal-000002.log", 7)
            .last_good(last_good);
        if let Some(a) = after {
            d = d.followed_by(a, 1);
        }
        DamageReport::new(&d, &[])
    }

    #[test]
    fn the_core_fields_are_kept_and_the_next_segment_says_where_the_log_continues() {
        let d = Damage::new(DamageKind::CompletedSegment, "damaged frame")
            .at("wal-000002.log", 40)
            .last_good(12);
        let segs = [
            seg("wal-000001.log", Some(1)),
            seg("wal-000002.log", Some(10)),
            seg("wal-000004.log", Some(36)),
        ];
        let r = DamageReport::new(&d, &segs);
        assert_eq!(r.kind, "completed_segment");
        assert_eq!(
            (r.file.as_deref(), r.offset),
            (Some("wal-000002.log"), Some(40))
        );
        assert_eq!((r.last_good_lsn, r.first_lsn_after), (Some(12), Some(36)));
        assert!(!r.salvageable);
        assert_eq!(r.affected_text(), "LSN 13..=35");
        let mid = Damage::new(DamageKind::MidLog, "mid-log")
            .at("wal-000004.log", 0)
            .last_good(35)
            .followed_by(37, 4);
        let r = DamageReport::new(&mid, &segs);
        assert_eq!(r.kind, "mid_log");
        assert!(r.salvageable);
        assert_eq!((r.first_lsn_after, r.frames_after), (Some(37), 4));
        assert_eq!(DamageReport::new(&mid, &[]).affected_text(), "LSN 36");
    }

    #[test]
    fn affected_lsns_lie_between_the_intact_ones() {
        assert_eq!(report(12, Some(36)).affected_text(), "LSN 13..=35");
        assert_eq!(report(12, Some(14)).affected_text(), "LSN 13");
        assert_eq!(report(0, Some(36)).affected_text(), "the LSNs up to 35");
        assert_eq!(report(12, None).affected_text(), "LSN 13 and later");
        assert_eq!(report(12, Some(5)).affected(), None);
        let d = report(12, Some(36)).describe();
        assert!(d.contains("LSN 12") && d.contains("LSN 36"), "{d}");
    }
}
