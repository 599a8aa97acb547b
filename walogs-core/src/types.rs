//! Small value types shared by the whole crate.

use std::fmt;

/// A log sequence number: the position of an entry in the log.
///
/// `Lsn(0)` is reserved ("nothing"); the first entry of a fresh WAL is `Lsn(1)`, and every
/// later entry gets the next integer, across segments, with no gaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lsn(pub u64);

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What the most recent open found at the end of the last segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailState {
    /// The last segment ended exactly after its last valid frame.
    Clean,
    /// A torn (partial or damaged) final write, or a zero-filled tail, started at this byte
    /// offset of the last segment. A writable open physically truncated the file here (and
    /// synced it) before accepting writes; a read-only open only reports it.
    TruncatedAt(u64),
}

/// An inclusive range of LSNs, as returned by batch appends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LsnRange {
    /// LSN of the first entry of the batch.
    pub first: Lsn,
    /// LSN of the last entry of the batch.
    pub last: Lsn,
}

impl LsnRange {
    /// Number of entries in the range.
    pub fn len(&self) -> u64 {
        self.last.0 + 1 - self.first.0
    }

    /// Always false: a range holds at least one LSN.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// What opening the WAL found and did. Returned by `recovery_report()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryReport {
    /// The tail state (same as `tail_state()`).
    pub tail: TailState,
    /// Bytes cut (or, read-only, that would be cut) from the end of the last segment.
    pub bytes_truncated: u64,
    /// Set when salvage cut valid frames that followed mid-log damage.
    pub salvaged: Option<SalvageReport>,
    /// A v1 `wal.log` was renamed to `wal-000001.log` by this open.
    pub migrated_v1: bool,
    /// Segment files found (completed + active).
    pub segments: usize,
    /// Oldest LSN kept (equals `next_lsn` when the log is empty).
    pub first_lsn: Lsn,
    /// LSN the next append gets.
    pub next_lsn: Lsn,
    /// True when the open was read-only: nothing on disk was changed.
    pub read_only: bool,
}

/// What a salvaging open cut because of mid-log damage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalvageReport {
    /// Segment file name holding the damage.
    pub file: String,
    /// Byte offset of the first damaged frame.
    pub offset: u64,
    /// Bytes cut from `offset` to the end of the file.
    pub bytes_cut: u64,
    /// Valid frames found after the damage (and cut with it).
    pub valid_frames_cut: u64,
    /// LSN of the first valid frame found after the damage.
    pub first_lsn_cut: Lsn,
}

/// When appended entries are made durable (fdatasync'd).
///
/// After a power loss, what survives depends on this policy; after a crash of the process
/// alone (the OS keeps running), every entry whose append returned `Ok` survives under every
/// policy, because each append is handed to the OS with a `write` before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every append (or batch, or group-commit group) is fdatasync'd before it returns `Ok`.
    /// A power loss loses nothing acknowledged. The default.
    #[default]
    EveryAppend,
    /// Appends return after the `write`; an append that finds the previous fdatasync older than
    /// this interval syncs before returning. A power loss may lose the entries appended since
    /// the last sync (at most about one interval of them, plus any after the last append
    /// call). `sync()` and a clean close sync everything.
    Interval(std::time::Duration),
    /// Appends return after the `write`; nothing is fdatasync'd until `sync()` (or rotation,
    /// or a clean close). A power loss may lose everything after the last `sync()`.
    Manual,
    /// Like `Manual`, for callers that never call `sync()`: only rotation and a clean close
    /// sync. A power loss may lose everything appended since the last rotation.
    None,
}
