//! `walogs purge DIR --up-to LSN`: purge every entry up to and including LSN through the
//! core's `purge_up_to`, and print what was removed: the LSNs, the LSNs skipped when LSN lies
//! past the end (the next append then gets LSN+1), the segment files deleted, the floor
//! before and after. At or below the current floor nothing changes (exit 0).
//!
//! Takes the write lock (exit 4 when held). A missing directory or one without a log is
//! refused (exit 1 or 5) and nothing is created.

use std::fmt::Write as _;

use serde::Serialize;
use walogs_core::Lsn;

use crate::cli::PurgeArgs;
use crate::cmd::log_change::{self, LogState, LsnSpan, line};
use crate::error::{CliError, EXIT_OK};
use crate::output;

/// Whether anything changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    /// The floor moved.
    Purged,
    /// The LSN was at or below the floor already: nothing changed.
    Nothing,
}

/// What `purge` reports.
#[derive(Debug, Serialize)]
struct Purged {
    dir: String,
    status: Status,
    up_to: u64,
    /// The floor before (0: nothing was purged).
    purged_up_to_before: u64,
    /// The floor now.
    purged_up_to: u64,
    /// The entries removed.
    removed: Option<LsnSpan>,
    /// LSNs past the old end that will never be handed out (a purge past the end).
    skipped: Option<LsnSpan>,
    /// Segment files the purge deleted, as the core counted them.
    segments_deleted: usize,
    /// Their names.
    deleted_files: Vec<String>,
    first_lsn: u64,
    next_lsn: u64,
    /// What the writable open itself cut or migrated before the purge.
    recovery_notes: Vec<String>,
}

/// Run `purge`; returns the exit code.
pub fn run(args: &PurgeArgs, json: bool) -> Result<u8, CliError> {
    let log_change::Applied {
        before,
        after,
        result: segments_deleted,
        recovery_notes,
    } = log_change::apply(&args.dir, json, |wal| wal.purge_up_to(Lsn(args.up_to)))?;
    let kept_from = after.first_lsn.min(before.next_lsn);
    let out = Purged {
        dir: args.dir.display().to_string(),
        status: if after.purged_up_to == before.purged_up_to {
            Status::Nothing
        } else {
            Status::Purged
        },
        up_to: args.up_to,
        purged_up_to_before: before.purged_up_to,
        purged_up_to: after.purged_up_to,
        removed: LsnSpan::new(before.first_lsn, kept_from.saturating_sub(1)),
        skipped: LsnSpan::new(before.next_lsn, after.next_lsn.saturating_sub(1)),
        segments_deleted,
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

fn floor_text(floor: u64) -> String {
    if floor == 0 {
        "none".to_string()
    } else {
        format!("LSN {floor}")
    }
}

fn render(p: &Purged, after: &LogState) -> String {
    let mut s = String::new();
    if p.status == Status::Nothing {
        let _ = writeln!(s, "NOTHING TO PURGE: {}", p.dir);
        line(
            &mut s,
            &format!(
                "LSN {} is at or below the purge floor ({}): nothing changed",
                p.up_to,
                floor_text(p.purged_up_to)
            ),
        );
    } else {
        let _ = writeln!(s, "PURGED: {}", p.dir);
        match &p.removed {
            Some(r) => line(&mut s, &format!("removed {}", r.text())),
            None => line(&mut s, "removed no entry (none was left at or below it)"),
        }
        if let Some(k) = &p.skipped {
            line(
                &mut s,
                &format!(
                    "skipped LSN {}..={}: never handed out, the next append gets LSN {}",
                    k.first, k.last, p.next_lsn
                ),
            );
        }
        line(&mut s, &log_change::deleted_text(&p.deleted_files));
        line(
            &mut s,
            &format!(
                "purge floor: {} (was {}); every entry at or below it is gone for good",
                floor_text(p.purged_up_to),
                floor_text(p.purged_up_to_before)
            ),
        );
    }
    line(&mut s, &after.holds_text());
    s
}
