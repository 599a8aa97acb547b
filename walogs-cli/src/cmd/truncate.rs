//! `walogs truncate DIR --after LSN`: remove every entry after LSN through the core's
//! `truncate_after` (at any LSN, inside an atomic batch too), and print what was removed:
//! the LSNs and the segment files deleted. At or past the last entry nothing is removed
//! (exit 0); below the oldest entry (or the purge floor) the core refuses (`lsn_out_of_range`,
//! exit 1).
//!
//! Takes the write lock (exit 4 when held). A missing directory or one without a log is
//! refused (exit 1 or 5) and nothing is created.

use std::fmt::Write as _;

use serde::Serialize;
use walogs_core::Lsn;

use crate::cli::TruncateArgs;
use crate::cmd::log_change::{self, LogState, LsnSpan, line};
use crate::error::{CliError, EXIT_OK};
use crate::output;

/// Whether anything changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    /// Entries were removed.
    Truncated,
    /// The LSN was at or past the last entry: nothing changed.
    Nothing,
}

/// What `truncate` reports.
#[derive(Debug, Serialize)]
struct Truncated {
    dir: String,
    status: Status,
    after: u64,
    /// Entries removed, as the core counted them.
    entries_removed: u64,
    /// Their LSNs.
    removed: Option<LsnSpan>,
    /// Segment files the truncation deleted.
    deleted_files: Vec<String>,
    first_lsn: u64,
    next_lsn: u64,
    /// What the writable open itself cut or migrated before the truncation.
    recovery_notes: Vec<String>,
}

/// Run `truncate`; returns the exit code.
pub fn run(args: &TruncateArgs, json: bool) -> Result<u8, CliError> {
    let log_change::Applied {
        before,
        after,
        result: entries_removed,
        recovery_notes,
    } = log_change::apply(&args.dir, json, |wal| wal.truncate_after(Lsn(args.after)))?;
    let out = Truncated {
        dir: args.dir.display().to_string(),
        status: if entries_removed == 0 {
            Status::Nothing
        } else {
            Status::Truncated
        },
        after: args.after,
        entries_removed,
        removed: LsnSpan::new(after.next_lsn, before.next_lsn.saturating_sub(1)),
        deleted_files: before.deleted(&after),
        first_lsn: after.first_lsn,
        next_lsn: after.next_lsn,
        recovery_notes,
    };
    let printed = if json {
        output::json(&out)
    } else {
        output::text(&render(&out, &after))
    };
    output::finish(printed, EXIT_OK)
}

fn render(t: &Truncated, after: &LogState) -> String {
    let mut s = String::new();
    match &t.removed {
        Some(r) if t.status == Status::Truncated => {
            let _ = writeln!(s, "TRUNCATED: {}", t.dir);
            line(&mut s, &format!("removed {}", r.text()));
            line(&mut s, &log_change::deleted_text(&t.deleted_files));
        }
        _ => {
            let _ = writeln!(s, "NOTHING TO TRUNCATE: {}", t.dir);
            line(
                &mut s,
                &format!(
                    "LSN {} is at or past the last entry: nothing removed",
                    t.after
                ),
            );
        }
    }
    line(&mut s, &after.holds_text());
    s
}
