//! What `purge` and `truncate` share: a writable open of an existing log (never creating
//! one), the state of the log before and after the change, and the lines that say what
//! changed.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use walogs_core::{Wal, WalOptions};

use crate::error::CliError;
use crate::output::{count, lsn_range};
use crate::tail;
use crate::wal_dir::{self, WalDir};

/// An inclusive range of LSNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LsnSpan {
    /// The first LSN.
    pub first: u64,
    /// The last LSN.
    pub last: u64,
    /// How many LSNs.
    pub count: u64,
}

impl LsnSpan {
    /// `first..=last`, or `None` when `last < first`.
    pub fn new(first: u64, last: u64) -> Option<LsnSpan> {
        (last >= first).then(|| LsnSpan {
            first,
            last,
            count: last - first + 1,
        })
    }

    /// `LSN 3..=7 (5 entries)`.
    pub fn text(&self) -> String {
        format!(
            "LSN {} ({})",
            lsn_range(self.first, self.last + 1),
            count(self.count, "entry", "entries")
        )
    }
}

/// The state of a log as a change sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogState {
    /// The oldest LSN kept.
    pub first_lsn: u64,
    /// The LSN the next append gets.
    pub next_lsn: u64,
    /// The purge floor.
    pub purged_up_to: u64,
    /// The segment file names, oldest first.
    pub segments: Vec<String>,
}

impl LogState {
    /// The state of `wal`, whose directory is `dir`. Costs a directory listing.
    pub fn of(wal: &Wal, dir: &WalDir) -> Result<LogState, CliError> {
        Ok(LogState {
            first_lsn: wal.first_lsn().0,
            next_lsn: wal.next_lsn().0,
            purged_up_to: wal.purged_up_to().0,
            segments: dir.log.segment_names()?,
        })
    }

    /// The segment files `self` lists and `after` does not.
    pub fn deleted(&self, after: &LogState) -> Vec<String> {
        self.segments
            .iter()
            .filter(|s| !after.segments.contains(s))
            .cloned()
            .collect()
    }

    /// `the log holds LSN 41..=200 (160 entries), next LSN 201`.
    pub fn holds_text(&self) -> String {
        format!(
            "the log holds LSN {} ({}), next LSN {}",
            lsn_range(self.first_lsn, self.next_lsn),
            count(self.next_lsn - self.first_lsn, "entry", "entries"),
            self.next_lsn
        )
    }
}

/// A writable open of the log in `dir`, which must already hold one (a missing directory or
/// one without a log is refused before anything is created). Returns the directory, the
/// handle, and what the open itself cut or migrated (printed on stderr unless `json`).
pub fn open(dir: &Path, json: bool) -> Result<(WalDir, Wal, Vec<String>), CliError> {
    let probed = wal_dir::open(dir)?;
    let wal = WalOptions::new().open(dir)?;
    let notes = tail::recovery_notes(&wal.recovery_report());
    if !json {
        for n in &notes {
            eprintln!("walogs: {n}");
        }
    }
    Ok((probed, wal, notes))
}

/// What one change did: the log before and after it, the change's own result, and what the
/// open itself cut or migrated first.
pub struct Applied<T> {
    /// The log before the change.
    pub before: LogState,
    /// The log after it.
    pub after: LogState,
    /// What the change returned.
    pub result: T,
    /// The open's own recovery notes.
    pub recovery_notes: Vec<String>,
}

/// Open the log in `dir` writable ([`open`]), run `change` on it, and close it (reporting a
/// failed close), with the state before and after. Costs two directory listings besides the
/// change.
pub fn apply<T>(
    dir: &Path,
    json: bool,
    change: impl FnOnce(&mut Wal) -> Result<T, walogs_core::WalError>,
) -> Result<Applied<T>, CliError> {
    let (probed, mut wal, recovery_notes) = open(dir, json)?;
    let before = LogState::of(&wal, &probed)?;
    let result = change(&mut wal)?;
    let after = LogState::of(&wal, &probed)?;
    wal.close()?;
    Ok(Applied {
        before,
        after,
        result,
        recovery_notes,
    })
}

/// `deleted 2 segment files: wal-000001.log, wal-000002.log`, or `deleted no segment file`.
pub fn deleted_text(files: &[String]) -> String {
    if files.is_empty() {
        return "deleted no segment file".to_string();
    }
    format!(
        "deleted {}: {}",
        count(files.len() as u64, "segment file", "segment files"),
        files.join(", ")
    )
}

/// Append `line` to `s`, indented.
pub fn line(s: &mut String, line: &str) {
    let _ = writeln!(s, "  {line}");
}
