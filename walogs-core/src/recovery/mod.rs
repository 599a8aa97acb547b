//! Open-time recovery, in two phases: [`plan`] reads the directory and decides (a read-only
//! open stops there), [`apply`] carries the plan out (writable opens only).
//!
//! A read-only open takes no lock, so a writer may be appending, rotating, checkpointing or
//! truncating while it reads. Everything such a writer does can make one reading look
//! inconsistent (a frame half-written when it was read but complete when a later one was, a
//! segment removed between the listing and its open, a seal that changed), and nothing it does
//! can make the *same* damage show up twice: once a later frame is visible, the earlier write
//! has completed. So a read-only open that finds damage reads again, and reports the damage
//! only when two readings in a row agree on it; otherwise what it finds is a snapshot of the
//! log up to the end of what is readable now.

mod apply;
mod plan;

use std::time::Duration;

pub(crate) use plan::RecoverOptions;

use crate::error::WalError;
use crate::index::SegmentInfo;
use crate::meta::Meta;
use crate::types::{Lsn, RecoveryReport, TailState};
use crate::vfs::Dir;

/// What recovery found (and, for a writable open, did).
#[derive(Debug)]
pub(crate) struct Recovered {
    /// Every segment in order; the last one is the active segment. Empty only for a
    /// read-only open of a directory with no segment.
    pub segments: Vec<SegmentInfo>,
    pub next_lsn: u64,
    pub meta: Option<Meta>,
    pub report: RecoveryReport,
}

/// Readings a read-only open makes at most before it believes what it sees.
const READ_ONLY_ATTEMPTS: u32 = 12;

/// Recover the WAL in `dir`. New files (writable opens) get permission bits `file_mode`.
pub(crate) fn recover(
    dir: &dyn Dir,
    opts: RecoverOptions,
    file_mode: u32,
) -> Result<Recovered, WalError> {
    let mut plan = if opts.read_only {
        plan_settled(dir, opts)?
    } else {
        plan::plan(dir, opts)?
    };
    if !opts.read_only {
        apply::apply(dir, &mut plan, file_mode)?;
    }
    let (tail, bytes_truncated) = match plan.cut {
        Some((offset, len)) => (TailState::TruncatedAt(offset), len - offset),
        None => (TailState::Clean, 0),
    };
    let purge_floor = plan.meta.map_or(0, |m| m.floor);
    let first_lsn = plan
        .segments
        .iter()
        .find(|s| !s.is_empty())
        .map_or(plan.next_lsn, |s| s.first_lsn)
        .max(purge_floor + 1)
        .min(plan.next_lsn);
    let report = RecoveryReport {
        tail,
        bytes_truncated,
        salvaged: plan.salvaged.clone(),
        migrated_v1: plan.migrate_v1 && !opts.read_only,
        segments: plan.segments.len(),
        first_lsn: Lsn(first_lsn),
        next_lsn: Lsn(plan.next_lsn),
        read_only: opts.read_only,
    };
    Ok(Recovered {
        segments: plan.segments,
        next_lsn: plan.next_lsn,
        meta: plan.meta,
        report,
    })
}

/// Whether a failed reading may be a live writer's doing (and is worth reading again).
fn may_be_a_writer(e: &WalError) -> bool {
    match e {
        WalError::Corrupt { .. } => true,
        // A segment removed (checkpoint, truncate) or replaced between listing and open.
        WalError::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::NotFound | std::io::ErrorKind::Interrupted
        ),
        _ => false,
    }
}

/// Whether two failed readings found the same thing.
fn same_failure(a: &WalError, b: &WalError) -> bool {
    match (a, b) {
        (WalError::Corrupt { reason: x }, WalError::Corrupt { reason: y }) => x == y,
        (WalError::Io(x), WalError::Io(y)) => {
            x.kind() == y.kind() && x.to_string() == y.to_string()
        }
        _ => false,
    }
}

/// The read-only plan: read until two readings agree on a failure, or one succeeds.
fn plan_settled(dir: &dyn Dir, opts: RecoverOptions) -> Result<plan::Plan, WalError> {
    let mut previous: Option<WalError> = None;
    for attempt in 0..READ_ONLY_ATTEMPTS {
        match plan::plan(dir, opts) {
            Ok(p) => return Ok(p),
            Err(e) if may_be_a_writer(&e) => {
                if let Some(prev) = &previous
                    && same_failure(prev, &e)
                {
                    return Err(e);
                }
                previous = Some(e);
                if attempt > 0 {
                    std::thread::sleep(Duration::from_micros(200 << attempt.min(6)));
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(previous.expect("at least one failed reading"))
}
