//! `walogs repair DIR [--salvage] [--dry-run] [--save-cut FILE]`: let a writable open cut
//! a torn tail (or, only with `--salvage`, mid-log damage in the last segment), then print
//! exactly what was cut from the core's recovery report. Damage in a completed segment is
//! never cut: that needs a person.
//!
//! It first opens read-only to learn what the writable open will do (for `--dry-run` and
//! `--save-cut`), then takes the write lock. A directory that holds no walogs log (or does
//! not exist) is refused before anything is created in it (exit 5, or 1 when missing); so is
//! one holding an entry the core will not touch (exit 6: a link, FIFO, ... under a walogs
//! name, `walogs.lock` included), and nothing is changed through it.

use std::fmt::Write as _;
use std::fs::File;

use serde::Serialize;
use serde_json::{Value, json};
use walogs_core::{RecoveryReport, SalvageReport, TailState, WalError, WalOptions};

use crate::cli::RepairArgs;
use crate::damage::DamageReport;
use crate::error::{CliError, EXIT_CORRUPT, EXIT_OK};
use crate::layout::{LogDir, SegmentFile, for_each_data_chunk};
use crate::output::{self, count};
use crate::tail::{self, TailInfo, TailKind};
use crate::wal_dir::{self, LockState};

/// What `repair` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    /// Something was cut (or the v1 layout migrated).
    Repaired,
    /// Nothing needed cutting.
    Clean,
    /// `--dry-run`: what would be cut, nothing changed.
    DryRun,
    /// The damage is not one repair cuts (without `--salvage`, or at all): nothing changed.
    Refused,
}

/// The salvage part of a report.
#[derive(Debug, Serialize)]
struct Salvaged {
    file: String,
    offset: u64,
    bytes_cut: u64,
    valid_frames_cut: u64,
    first_lsn_cut: u64,
}

impl From<&SalvageReport> for Salvaged {
    fn from(s: &SalvageReport) -> Self {
        Salvaged {
            file: s.file.clone(),
            offset: s.offset,
            bytes_cut: s.bytes_cut,
            valid_frames_cut: s.valid_frames_cut,
            first_lsn_cut: s.first_lsn_cut.0,
        }
    }
}

/// What `repair` reports.
#[derive(Debug, Serialize)]
struct Outcome {
    dir: String,
    status: Status,
    /// What lay after the valid frames before the repair.
    tail: Option<TailInfo>,
    /// Bytes cut (or, dry run, to be cut) from the end of the last segment.
    bytes_cut: u64,
    salvaged: Option<Salvaged>,
    migrated_v1: bool,
    first_lsn: Option<u64>,
    next_lsn: Option<u64>,
    saved_to: Option<String>,
    error: Option<Value>,
    hint: Option<String>,
}

/// Run `repair`; returns the exit code (0 done or nothing to do, 3 refused, 4 locked).
pub fn run(args: &RepairArgs, json: bool) -> Result<u8, CliError> {
    let dir = &args.dir;
    let probed = wal_dir::open(dir)?;
    // An unreadable (or refused) lock file is left to the writable open, whose error names it.
    if let LockState::Held(_) = wal_dir::lock_state(dir) {
        return Err(WalError::Locked { path: dir.clone() }.into());
    }
    let mut out = Outcome {
        dir: dir.display().to_string(),
        status: Status::Clean,
        tail: None,
        bytes_cut: 0,
        salvaged: None,
        migrated_v1: false,
        first_lsn: None,
        next_lsn: None,
        saved_to: None,
        error: None,
        hint: None,
    };
    let plan = match wal_dir::open_read_only(dir, args.salvage) {
        Ok(w) => w.recovery_report(),
        Err(e) if e.damage().is_some() => {
            refuse(&mut out, &e, &probed.segments, args.salvage);
            return output::finish(print(&out, json), EXIT_CORRUPT);
        }
        Err(e) => return Err(e.into()),
    };
    let files = probed.log.segments()?;
    out.tail = Some(tail::inspect(&plan, &probed.log, &files, false)?);
    if args.dry_run {
        fill(&mut out, &plan);
        out.status = Status::DryRun;
        return output::finish(print(&out, json), EXIT_OK);
    }
    if let Some(path) = &args.save_cut {
        save_cut(&plan, &probed.log, out.tail.as_ref(), path)?;
        out.saved_to = Some(path.display().to_string());
    }
    let wal = WalOptions::new().salvage(args.salvage).open(dir)?;
    let done = wal.recovery_report();
    wal.close()?;
    fill(&mut out, &done);
    out.status = if done.bytes_truncated > 0 || done.migrated_v1 {
        Status::Repaired
    } else {
        Status::Clean
    };
    output::finish(print(&out, json), EXIT_OK)
}

fn fill(out: &mut Outcome, r: &RecoveryReport) {
    out.bytes_cut = r.bytes_truncated;
    out.salvaged = r.salvaged.as_ref().map(Salvaged::from);
    out.migrated_v1 = out.migrated_v1 || r.migrated_v1;
    out.first_lsn = Some(r.first_lsn.0);
    out.next_lsn = Some(r.next_lsn.0);
}

fn refuse(out: &mut Outcome, e: &WalError, segments: &[SegmentFile], salvage: bool) {
    let Some(d) = e.damage() else { return };
    let report = DamageReport::new(d, segments);
    out.status = Status::Refused;
    out.hint = Some(if d.kind.salvageable() && !salvage {
        format!(
            "valid entries follow the damage, so cutting it loses them; run `walogs repair --salvage {}` \
             to cut at offset {} anyway (add --save-cut FILE to keep the cut bytes)",
            out.dir,
            report.offset.map_or("?".to_string(), |o| o.to_string())
        )
    } else {
        "walogs repair cuts only the end of the last segment; this damage needs a person \
         (restore the segment from a backup or replica)"
            .to_string()
    });
    out.error = Some(json!({
        "kind": "corrupt",
        "message": e.to_string(),
        "file": report.file,
        "offset": report.offset,
        "damage": report,
    }));
}

/// Copy the bytes the writable open will cut (from the tail offset to the end of the last
/// segment, `tail.file`) to `path`, a new file of mode 0600 (they are the log's data; an
/// existing file keeps its mode and is replaced). The holes of a sparse segment stay holes:
/// only the ranges that hold data are read and written. Costs one read and one write of
/// those bytes, plus an fsync.
fn save_cut(
    plan: &RecoveryReport,
    log: &LogDir,
    tail: Option<&TailInfo>,
    path: &std::path::Path,
) -> Result<(), CliError> {
    use std::os::unix::fs::{FileExt, OpenOptionsExt};
    let ctx = |e| {
        CliError::io(
            format!("cannot save the cut bytes to {}", path.display()),
            e,
        )
    };
    let dest = File::options()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(ctx)?;
    if let (TailState::TruncatedAt(offset), Some(last)) =
        (plan.tail, tail.and_then(|t| t.file.as_deref()))
    {
        let src = log.open_file(last)?;
        let len = src.len().map_err(CliError::fs)?;
        // Holes stay holes: only the bytes that may hold data are copied.
        for_each_data_chunk(src.as_ref(), offset, len, |at, bytes| {
            dest.write_all_at(bytes, at - offset).map_err(ctx)?;
            Ok(true)
        })?;
        dest.set_len(len.saturating_sub(offset)).map_err(ctx)?;
    }
    dest.sync_all().map_err(ctx)
}

fn print(out: &Outcome, json: bool) -> Result<(), CliError> {
    if json {
        return output::json(out);
    }
    let mut s = String::new();
    match out.status {
        Status::Refused => {
            let e = out.error.as_ref().cloned().unwrap_or(Value::Null);
            let _ = writeln!(s, "REFUSED: {} was not changed", out.dir);
            let _ = writeln!(s, "  {}", e["message"].as_str().unwrap_or("corrupt"));
            if let Some(h) = &out.hint {
                let _ = writeln!(s, "  {h}");
            }
        }
        status => {
            let verb = if status == Status::DryRun {
                "would cut"
            } else {
                "cut"
            };
            let head = match status {
                Status::DryRun => "DRY RUN (nothing changed)",
                Status::Repaired => "REPAIRED",
                _ => "NOTHING TO REPAIR",
            };
            let _ = writeln!(s, "{head}: {}", out.dir);
            if out.migrated_v1 {
                let _ = writeln!(s, "  migrated the v1 wal.log to wal-000001.log");
            }
            match (&out.salvaged, &out.tail) {
                (Some(sv), _) => {
                    let _ = writeln!(
                        s,
                        "  {verb} {} of {} from offset {}: mid-log damage and the {} after it, \
                         starting at LSN {}",
                        count(sv.bytes_cut, "byte", "bytes"),
                        sv.file,
                        sv.offset,
                        count(sv.valid_frames_cut, "valid frame", "valid frames"),
                        sv.first_lsn_cut
                    );
                }
                (None, Some(t)) if out.bytes_cut > 0 => {
                    let what = match t.state {
                        TailKind::Preallocated => "preallocated zeros, no entry",
                        TailKind::Torn => "a torn (partial) write, never acknowledged",
                        TailKind::Clean | TailKind::Growing => "data past the last valid frame",
                    };
                    let _ = writeln!(
                        s,
                        "  {verb} {} of {} from offset {}: {what}",
                        count(out.bytes_cut, "byte", "bytes"),
                        t.file.as_deref().unwrap_or("?"),
                        t.offset.unwrap_or(0)
                    );
                }
                _ => {
                    let _ = writeln!(s, "  the log ends exactly after its last frame");
                }
            }
            if let (Some(f), Some(n)) = (out.first_lsn, out.next_lsn) {
                let _ = writeln!(
                    s,
                    "  the log holds LSN {} ({}), next LSN {n}",
                    output::lsn_range(f, n),
                    count(n - f, "entry", "entries")
                );
            }
            if let Some(p) = &out.saved_to {
                let _ = writeln!(s, "  the cut bytes were saved to {p}");
            }
        }
    }
    output::text(&s)
}
