//! The expected result of one golden vector, as `expected.json` holds it (see
//! `tests/golden/README.md` for the meaning of every field).

use serde::{Deserialize, Serialize};

/// How a surface opens the vector's `wal/` directory (on a copy) for the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenMode {
    /// A read-only open: nothing on disk changes, a torn tail is only reported.
    ReadOnly,
}

/// What a read-only open of the vector's `wal/` directory gives, and what a writable open of
/// another copy reports. Built by the generator from what it wrote; compared by every surface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// One sentence: what the vector holds and what it exercises.
    pub description: String,
    /// How to open it.
    pub open: OpenMode,
    /// Every entry, in order: `[lsn, payload as lowercase hex]` (empty when `error` is set).
    pub entries: Vec<(u64, String)>,
    /// `first_lsn()` of the open (`null` when `error` is set).
    pub first_lsn: Option<u64>,
    /// `next_lsn()` of the open (`null` when `error` is set).
    pub next_lsn: Option<u64>,
    /// `purged_up_to()` of the open (`null` when `error` is set).
    pub purged_up_to: Option<u64>,
    /// `user_data()` as lowercase hex, `""` when none was ever set (`null` when `error` is
    /// set).
    pub user_data: Option<String>,
    /// Byte offset of the torn tail the read-only open reports (`null`: clean, or `error`).
    pub tail_truncated_at: Option<u64>,
    /// The error both a read-only and a writable open fail with.
    pub error: Option<ExpectedError>,
    /// What a writable open of a fresh copy reports (`null` when `error` is set).
    pub recovery: Option<Recovery>,
    /// The streams store this log holds (`null`: not a streams store).
    pub streams: Option<StreamsExpected>,
}

/// An open that fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedError {
    /// The error variant: `"Corrupt"`.
    pub kind: String,
    /// The `DamageKind` variant name (`"MidLog"`, `"CompletedSegment"`, `"Metadata"`, ...).
    pub damage: String,
    /// The damaged file, a name inside `wal/` (`null` when the damage names none).
    pub file: Option<String>,
    /// Byte offset of the damage in `file` (`null` when the damage names none).
    pub offset: Option<u64>,
}

/// The recovery report of a writable open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recovery {
    /// Where the torn tail the open cut started (`null`: the tail was clean).
    pub tail_truncated_at: Option<u64>,
    /// Bytes the open cut from the end of the last segment.
    pub bytes_truncated: u64,
    /// Whether the open renamed a v1 `wal.log` to `wal-000001.log`.
    pub migrated_v1: bool,
}

/// A streams store: its topics and consumers, sorted by name (consumers by topic, then name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamsExpected {
    /// Every topic.
    pub topics: Vec<TopicExpected>,
    /// Every registered consumer.
    pub consumers: Vec<ConsumerExpected>,
}

/// One topic and every record it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicExpected {
    /// The name (no whitespace, so that `expected.txt` can hold it as one token).
    pub name: String,
    /// Its oldest LSN held.
    pub first_lsn: u64,
    /// The LSN its next record gets.
    pub next_lsn: u64,
    /// Every record, in LSN order.
    pub records: Vec<RecordExpected>,
}

/// One record of a topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordExpected {
    /// Its topic LSN.
    pub lsn: u64,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The payload, lowercase hex.
    pub data: String,
    /// The header, lowercase hex (`""`: none).
    pub header: String,
}

/// One registered consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerExpected {
    /// Its topic.
    pub topic: String,
    /// Its name (no whitespace).
    pub name: String,
    /// `"strict"` or `"at_least_once"`.
    pub mode: String,
    /// Records between automatic persists (0 for `strict`).
    pub persist_every: u32,
    /// Its persisted position: the LSN it reads next.
    pub position: u64,
}

/// Lowercase hex of `bytes` (`""` for none).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// The bytes of lowercase or uppercase hex; `None` when `s` is not hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks_exact(2)
        .map(|p| {
            let digit = |c: u8| (c as char).to_digit(16);
            Some((digit(p[0])? * 16 + digit(p[1])?) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(unhex(&hex(&all)).unwrap(), all);
        assert_eq!(hex(b""), "");
        assert_eq!(unhex("0G"), None);
        assert_eq!(unhex("abc"), None);
    }
}
