//! Segment file names: `wal-NNNNNN.log`, at least six digits, starting at 1.

/// Name of the single-file layout of walogs' first version, migrated on open.
pub const V1_FILENAME: &str = "wal.log";

/// File name of segment `seq`: `wal-000042.log`; past 999999 the number simply has more digits.
pub fn segment_filename(seq: u64) -> String {
    format!("wal-{seq:06}.log")
}

/// Parse a segment file name. Accepts exactly the names [`segment_filename`] produces
/// (six or more digits, no superfluous leading zero beyond six digits), else `None`.
pub fn parse_segment_filename(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("wal-")?.strip_suffix(".log")?;
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seq: u64 = digits.parse().ok()?;
    (seq >= 1 && segment_filename(seq) == name).then_some(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip_past_six_digits() {
        for seq in [1, 42, 999_999, 1_000_000, 12_345_678] {
            assert_eq!(parse_segment_filename(&segment_filename(seq)), Some(seq));
        }
        assert_eq!(segment_filename(1_000_000), "wal-1000000.log");
    }

    #[test]
    fn foreign_names_are_not_segments() {
        for name in [
            "wal.log",
            "wal-00001.log",
            "wal-0000001.log",
            "wal-000000.log",
            "wal-00000a.log",
            "wal-000001.log.tmp",
            "xwal-000001.log",
            "wal-+00001.log",
        ] {
            assert_eq!(parse_segment_filename(name), None, "{name}");
        }
    }
}
