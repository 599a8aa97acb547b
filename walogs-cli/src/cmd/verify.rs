//! `walogs verify DIR`: a full integrity check through the read-only open (which checks
//! every frame's CRC, the segment sequence, LSN continuity and the metadata seal), then a
//! full iteration that checks every entry again as it is read, the LSNs are dense, and
//! (with `--generated`) every payload is the one `append --generate` wrote for its LSN.
//!
//! On corruption it reports the core's description of the damage (kind, file, offset, the
//! last intact LSN before it and the first after it), which LSNs it affects, and what
//! applies: `repair --salvage` for mid-log damage in the last segment (the core's salvaging
//! read-only open says exactly what it would cut), a restore for damage in or between
//! completed segments.
//!
//! Exit status: 0 clean, 2 torn tail, 3 corruption, 5 no walogs log in DIR, 6 an entry the
//! core refuses (a link, FIFO, ... under a walogs name), 1 usage or I/O error. Takes no lock
//! and needs read access only: works while a writer has the log open (a writer's write in
//! progress is never called torn).

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};
use walogs_core::{DamageKind, Lsn, Wal, WalError};

use crate::cli::VerifyArgs;
use crate::damage::DamageReport;
use crate::error::{CliError, EXIT_CORRUPT, EXIT_OK, EXIT_TORN};
use crate::layout::{LogDir, SegmentFile, segment_seq};
use crate::output::{self, count, lsn_range};
use crate::pattern;
use crate::progress::{self, ReadProgress};
use crate::tail::{self, TailInfo};
use crate::wal_dir::{self, LockState};

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    /// Every entry intact, no torn write.
    Clean,
    /// Every entry intact, but the last write was torn (a writable open cuts it).
    TornTail,
    /// Damage walogs will not repair silently, or (with `--generated`) a wrong payload.
    Corrupt,
}

/// What can be done about corruption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum Remedy {
    /// Nothing can be cut automatically: the damage is in (or between) completed segments,
    /// and cutting there would discard the entries after it. `file` (or, when absent, the
    /// missing segments) must come back from a backup or replica.
    Restore {
        /// The damaged (or missing) segment.
        file: Option<String>,
    },
    /// Mid-log damage in the last segment: `walogs repair --salvage` cuts the segment at
    /// `offset`, discarding the valid frames after the damage.
    Salvage {
        /// The last segment.
        file: String,
        /// Where the cut starts.
        offset: u64,
        /// Bytes the cut removes.
        bytes_cut: u64,
        /// Valid frames after the damage that the cut discards.
        valid_frames_cut: u64,
        /// LSN of the first of them.
        first_lsn_cut: u64,
    },
    /// Damage outside the frames (the metadata file, the user data, both layouts at once):
    /// nothing can be cut automatically; a person must look.
    Inspect,
}

/// What `verify` reports.
#[derive(Debug, Serialize)]
struct Verdict {
    dir: String,
    status: Status,
    exit_code: u8,
    /// Entries read and checked.
    entries: u64,
    /// Payload bytes read and checked.
    bytes: u64,
    first_lsn: Option<u64>,
    next_lsn: Option<u64>,
    segments: usize,
    tail: Option<TailInfo>,
    /// Whether payloads were checked against the `append --generate` pattern.
    generated_checked: bool,
    lock_holder: Option<String>,
    /// For `corrupt`: kind, message, file, offset (and lsn for a payload mismatch).
    error: Option<Value>,
    /// For damage the core refused: the core's description of it.
    damage: Option<DamageReport>,
    /// For damage the core refused: what applies.
    remedy: Option<Remedy>,
}

/// Run `verify`; returns the exit code.
pub fn run(args: &VerifyArgs, json: bool) -> Result<u8, CliError> {
    let dir = &args.dir;
    let probed = wal_dir::open(dir)?;
    let lock = wal_dir::lock_state(dir);
    let mut v = Verdict {
        dir: dir.display().to_string(),
        status: Status::Clean,
        exit_code: EXIT_OK,
        entries: 0,
        bytes: 0,
        first_lsn: None,
        next_lsn: None,
        segments: probed.segments.len(),
        tail: None,
        generated_checked: args.generated,
        lock_holder: lock.holder(),
        error: None,
        damage: None,
        remedy: None,
    };
    let progress = ReadProgress::start(probed.segment_bytes(), json, "checking frames");
    let opened = wal_dir::open_read_only(dir, false);
    progress.finish();
    // Listed after the open, so that a live writer's newest segment is the one inspected.
    let files = probed.log.segments()?;
    match opened {
        Ok(wal) => {
            let writer_live = matches!(lock, LockState::Held(_));
            check(&wal, &probed.log, &files, writer_live, args, json, &mut v)?;
        }
        Err(e) if e.damage().is_some() => corrupt(&mut v, &e, dir, &files),
        Err(e) => return Err(e.into()),
    }
    let printed = if json {
        output::json(&v)
    } else {
        output::text(&render(&v))
    };
    output::finish(printed, v.exit_code)
}

/// Record the core's corruption error `e` and what applies.
fn corrupt(v: &mut Verdict, e: &WalError, dir: &Path, segments: &[SegmentFile]) {
    let Some(d) = e.damage() else { return };
    let report = DamageReport::new(d, segments);
    v.status = Status::Corrupt;
    v.exit_code = EXIT_CORRUPT;
    v.error = Some(json!({
        "kind": "corrupt",
        "message": e.to_string(),
        "file": report.file,
        "offset": report.offset,
    }));
    v.remedy = Some(remedy(dir, d.kind, &report));
    v.damage = Some(report);
}

/// What applies to damage of `kind`: mid-log damage is offered to a read-only salvaging
/// open, whose report says exactly what `repair --salvage` would cut (costs one more read
/// of the log); damage in or between segments needs a restore; anything else a person.
fn remedy(dir: &Path, kind: DamageKind, report: &DamageReport) -> Remedy {
    if kind.salvageable() {
        let salvaged = wal_dir::open_read_only(dir, true)
            .ok()
            .and_then(|w| w.recovery_report().salvaged);
        return match salvaged {
            Some(s) => Remedy::Salvage {
                file: s.file,
                offset: s.offset,
                bytes_cut: s.bytes_cut,
                valid_frames_cut: s.valid_frames_cut,
                first_lsn_cut: s.first_lsn_cut.0,
            },
            None => Remedy::Inspect,
        };
    }
    match kind {
        DamageKind::CompletedSegment
        | DamageKind::EmptyCompletedSegment
        | DamageKind::LsnDiscontinuity
        | DamageKind::SegmentGap
        | DamageKind::SealMismatch
        | DamageKind::BelowSeal => Remedy::Restore {
            // Only a segment can be restored (a seal mismatch may name the metadata file:
            // then segments are missing).
            file: report.file.clone().filter(|f| segment_seq(f).is_some()),
        },
        _ => Remedy::Inspect,
    }
}

fn mismatch(v: &mut Verdict, lsn: u64, message: String) {
    v.status = Status::Corrupt;
    v.exit_code = EXIT_CORRUPT;
    v.error = Some(json!({
        "kind": "mismatch",
        "message": message,
        "file": null,
        "offset": null,
        "lsn": lsn,
    }));
}

/// Iterate every entry of an opened log and classify its tail (`files`: the segments listed
/// after the open; `writer_live`: a writer holds the lock).
fn check(
    wal: &Wal,
    log: &LogDir,
    files: &[SegmentFile],
    writer_live: bool,
    args: &VerifyArgs,
    json: bool,
    v: &mut Verdict,
) -> Result<(), CliError> {
    let report = wal.recovery_report();
    let (first, next) = (report.first_lsn.0, report.next_lsn.0);
    v.first_lsn = Some(first);
    v.next_lsn = Some(next);
    v.segments = report.segments;
    let pb = progress::bar(next - first, json, "verifying");
    let mut cursor = wal.cursor_from(Lsn(first))?;
    let mut scratch = Vec::new();
    let mut expected = first;
    while let Some(item) = cursor.next_entry() {
        let (lsn, data) = match item {
            Ok(x) => x,
            Err(e) if e.damage().is_some() => {
                pb.finish_and_clear();
                corrupt(v, &e, &args.dir, files);
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        if lsn.0 != expected {
            pb.finish_and_clear();
            let msg = format!("LSN {} read where {expected} was expected", lsn.0);
            mismatch(v, expected, msg);
            return Ok(());
        }
        if args.generated && !pattern::matches(&mut scratch, lsn.0, data) {
            pb.finish_and_clear();
            let msg = format!(
                "the payload of LSN {} ({} bytes) is not the generated pattern of that LSN",
                lsn.0,
                data.len()
            );
            mismatch(v, lsn.0, msg);
            return Ok(());
        }
        expected += 1;
        v.entries += 1;
        v.bytes += data.len() as u64;
        if v.entries.is_multiple_of(4096) {
            pb.set_position(v.entries);
        }
    }
    pb.finish_and_clear();
    if expected != next {
        let msg = format!("iteration ended before LSN {expected}; the log's next LSN is {next}");
        mismatch(v, expected, msg);
        return Ok(());
    }
    let t = tail::inspect(&report, log, files, writer_live)?;
    if t.is_torn() {
        v.status = Status::TornTail;
        v.exit_code = EXIT_TORN;
    }
    v.tail = Some(t);
    Ok(())
}

/// What applies, for people.
fn remedy_text(r: &Remedy, dir: &str) -> String {
    match r {
        Remedy::Restore { file } => format!(
            "nothing can be cut automatically: the damage is in or between completed \
             segments, and `walogs repair` (with or without --salvage) only ever cuts the end \
             of the last segment. Restore {} from a backup or replica; `walogs dump` prints \
             the entries before the damage.",
            file.as_deref().unwrap_or("the missing segments")
        ),
        Remedy::Salvage {
            file,
            offset,
            bytes_cut,
            valid_frames_cut,
            first_lsn_cut,
        } => format!(
            "`walogs repair --salvage {dir}` cuts {file} at offset {offset} ({}), discarding \
             {} from LSN {first_lsn_cut} on; add --save-cut FILE to keep the cut bytes.",
            output::bytes(*bytes_cut),
            count(*valid_frames_cut, "valid frame", "valid frames")
        ),
        Remedy::Inspect => "nothing can be cut automatically: the damage is not in the \
                            frames of a segment (see the message above); `walogs info` lists \
                            the files."
            .to_string(),
    }
}

/// The text verdict.
fn render(v: &Verdict) -> String {
    let mut s = String::new();
    let range = match (v.first_lsn, v.next_lsn) {
        (Some(f), Some(n)) => format!("LSN {}", lsn_range(f, n)),
        _ => "LSNs unknown".to_string(),
    };
    let checked = format!(
        "{} checked ({})",
        count(v.entries, "entry", "entries"),
        if v.generated_checked {
            "CRC, LSN order, generated payloads"
        } else {
            "CRC, LSN order"
        }
    );
    match v.status {
        Status::Corrupt => {
            let e = v.error.as_ref().cloned().unwrap_or(Value::Null);
            let at = match (e["file"].as_str(), e["offset"].as_u64()) {
                (Some(f), Some(o)) => format!("{f} at offset {o}"),
                (Some(f), None) => f.to_string(),
                _ => match e["lsn"].as_u64() {
                    Some(l) => format!("LSN {l}"),
                    None => "see below".to_string(),
                },
            };
            let _ = writeln!(s, "CORRUPT: {} ({at})", v.dir);
            let _ = writeln!(s, "  {}", e["message"].as_str().unwrap_or("corrupt"));
            if let Some(d) = &v.damage {
                let _ = writeln!(s, "  around it   : {}", d.describe());
                let _ = writeln!(s, "  affected    : {}", d.affected_text());
            }
            if let Some(r) = &v.remedy {
                let _ = writeln!(s, "  what applies: {}", remedy_text(r, &v.dir));
            }
            let _ = writeln!(s, "  nothing was changed");
        }
        Status::TornTail => {
            let t = v.tail.as_ref();
            let _ = writeln!(
                s,
                "TORN TAIL: {} ({} at offset {})",
                v.dir,
                t.and_then(|t| t.file.as_deref()).unwrap_or("?"),
                t.and_then(|t| t.offset).unwrap_or(0)
            );
            let _ = writeln!(s, "  {checked}, {range}, all intact");
            if let Some(t) = t {
                let _ = writeln!(s, "  tail: {}", t.describe());
            }
        }
        Status::Clean => {
            let _ = writeln!(s, "CLEAN: {}", v.dir);
            let _ = writeln!(
                s,
                "  {checked}, {range}, {} of payload, {}",
                output::bytes(v.bytes),
                count(v.segments as u64, "segment", "segments")
            );
            if let Some(t) = &v.tail {
                let _ = writeln!(s, "  tail: {}", t.describe());
            }
        }
    }
    if let Some(pid) = &v.lock_holder {
        let _ = writeln!(s, "  note: pid {pid} has the log open for writing");
    }
    s
}
