//! Core bugs the harnesses found that are reported to the core's owner and not fixed yet.
//!
//! A violation matching one of these is counted under its id instead of failing the run,
//! so that CI stays green while the fix is pending; `WALOGS_SIM_STRICT=1` turns the
//! classification off (every violation counts). Each bug has an `#[ignore]`d regression
//! test in `walogs-sim/tests/core_bugs.rs` that fails until the core is fixed; when it
//! passes, delete the entry here.

use std::sync::OnceLock;

/// One known core bug.
#[derive(Debug)]
pub struct KnownBug {
    /// Short id used in the summary lines.
    pub id: &'static str,
    /// What is wrong.
    pub title: &'static str,
    /// Substrings that must all occur in a violation's message for it to be this bug.
    pub signature: &'static [&'static str],
}

/// The known, reported core bugs.
pub const KNOWN: &[KnownBug] = &[
    KnownBug {
        id: "B1-seal",
        title: "walogs.meta records the active segment as sealed (a rotation interrupted after the \
                metadata rename), then truncate_after cuts below that seal, or the next rotation's \
                segment create survives a power loss without its metadata rename: the next open \
                refuses the directory",
        signature: &[
            "walogs.meta records it was sealed at LSN",
            "its tail was cut",
        ],
    },
    KnownBug {
        id: "B3-dirsync",
        title: "a failed directory fsync during open (or rotate/checkpoint) is never retried: \
                the next open finds the entries in the cache and does not fsync the directory, \
                so acknowledged entries vanish at the next power loss",
        signature: &["after the fault at `sync_dir "],
    },
    KnownBug {
        id: "B4-fsyncgate",
        title: "a frame whose fdatasync failed stays in the file: a reopen in the same boot sees \
                it (page cache) and builds on it, a power loss then loses it under later \
                acknowledged frames",
        signature: &["after the fault at `sync_data /wal/wal-"],
    },
    KnownBug {
        id: "B5-shared-stop",
        title: "SharedWal stops accepting appends (Poisoned: a group commit failed) after an error \
                that does not poison the writer (ENOSPC from fallocate, a failed metadata write), \
                while is_poisoned() says false",
        signature: &["a group commit failed"],
    },
    KnownBug {
        id: "B6-meta-floor",
        title: "recovery accepts a walogs.meta whose sealed_last_lsn is at or above LSNs held by \
                a later segment (an inconsistent or hand-made directory): next_lsn jumps to the \
                metadata floor, first_lsn..next_lsn names LSNs that do not exist and the next \
                append leaves a gap",
        signature: &["next_lsn is walogs.meta's floor"],
    },
];

/// Whether classification is off (`WALOGS_SIM_STRICT=1`).
pub fn strict() -> bool {
    static STRICT: OnceLock<bool> = OnceLock::new();
    *STRICT.get_or_init(|| std::env::var("WALOGS_SIM_STRICT").is_ok_and(|v| v == "1"))
}

/// The known bug a violation message matches, if any (never in strict mode).
pub fn classify(message: &str) -> Option<&'static KnownBug> {
    if strict() {
        return None;
    }
    KNOWN
        .iter()
        .find(|b| b.signature.iter().all(|s| message.contains(s)))
}
