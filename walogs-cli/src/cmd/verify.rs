//! `walogs verify DIR`: a full integrity check through the read-only open (which checks
//! every frame's CRC, the segment sequence, LSN continuity and the metadata seal), then a
//! full iteration that checks every entry again as it is read, the LSNs are dense, and
//! (with `--generated`) every payload is the one `append --generate` wrote for its LSN.
//!
//! Exit status: 0 clean, 2 torn tail, 3 corruption (the file and offset are printed),
//! 1 usage or I/O error. Takes no lock: works while a writer has the log open.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};
use walogs_core::{Lsn, Wal, WalError};

use crate::cli::VerifyArgs;
use crate::error::{CliError, EXIT_CORRUPT, EXIT_OK, EXIT_TORN, Location, require_dir};
use crate::layout;
use crate::output::{self, lsn_range};
use crate::pattern;
use crate::progress;
use crate::tail::{self, TailInfo};

/// What `verify` reports.
#[derive(Debug, Serialize)]
struct Verdict {
    dir: String,
    /// `clean`, `torn_tail` or `corrupt`.
    status: &'static str,
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
}

/// Run `verify`; returns the exit code.
pub fn run(args: &VerifyArgs, json: bool) -> Result<u8, CliError> {
    let dir = &args.dir;
    require_dir(dir)?;
    let lock_holder = walogs_core::lock_holder(dir).ok().flatten();
    let files = layout::segments(dir)?;
    let mut v = Verdict {
        dir: dir.display().to_string(),
        status: "clean",
        exit_code: EXIT_OK,
        entries: 0,
        bytes: 0,
        first_lsn: None,
        next_lsn: None,
        segments: files.len(),
        tail: None,
        generated_checked: args.generated,
        lock_holder,
        error: None,
    };
    match crate::open::read_only(dir, false) {
        Ok(wal) => check(&wal, args.generated, json, &mut v, &files)?,
        Err(WalError::Corrupt { reason }) => corrupt(&mut v, &reason),
        Err(e) => return Err(e.into()),
    }
    if json {
        output::json(&v)?;
    } else {
        output::text(&render(&v))?;
    }
    Ok(v.exit_code)
}

fn corrupt(v: &mut Verdict, reason: &str) {
    let loc = Location::from_reason(reason);
    v.status = "corrupt";
    v.exit_code = EXIT_CORRUPT;
    v.error = Some(json!({
        "kind": "corrupt",
        "message": reason,
        "file": loc.file,
        "offset": loc.offset,
    }));
}

fn mismatch(v: &mut Verdict, lsn: u64, message: String) {
    v.status = "corrupt";
    v.exit_code = EXIT_CORRUPT;
    v.error = Some(json!({
        "kind": "mismatch",
        "message": message,
        "file": null,
        "offset": null,
        "lsn": lsn,
    }));
}

/// Iterate every entry of an opened log and classify its tail.
fn check(
    wal: &Wal,
    generated: bool,
    json: bool,
    v: &mut Verdict,
    files: &[layout::SegmentFile],
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
            Err(WalError::Corrupt { reason }) => {
                pb.finish_and_clear();
                corrupt(v, &reason);
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
        if generated && !pattern::matches(&mut scratch, lsn.0, data) {
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
    let t = tail::inspect(&report, files)?;
    if t.is_torn() {
        v.status = "torn_tail";
        v.exit_code = EXIT_TORN;
    }
    v.tail = Some(t);
    Ok(())
}

/// The text verdict.
fn render(v: &Verdict) -> String {
    let mut s = String::new();
    let range = match (v.first_lsn, v.next_lsn) {
        (Some(f), Some(n)) => format!("LSN {}", lsn_range(f, n)),
        _ => "LSNs unknown".to_string(),
    };
    let what = if v.generated_checked {
        "entries checked (CRC, LSN order, generated payloads)"
    } else {
        "entries checked (CRC, LSN order)"
    };
    match v.status {
        "corrupt" => {
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
            let _ = writeln!(
                s,
                "  nothing was changed; `walogs repair` cuts a damaged last segment only with --salvage"
            );
        }
        "torn_tail" => {
            let t = v.tail.as_ref();
            let _ = writeln!(
                s,
                "TORN TAIL: {} ({} at offset {})",
                v.dir,
                t.and_then(|t| t.file.as_deref()).unwrap_or("?"),
                t.and_then(|t| t.offset).unwrap_or(0)
            );
            let _ = writeln!(s, "  {} {what}, {range}, all intact", v.entries);
            if let Some(t) = t {
                let _ = writeln!(s, "  tail: {}", t.describe());
            }
        }
        _ => {
            let _ = writeln!(s, "CLEAN: {}", v.dir);
            let _ = writeln!(
                s,
                "  {} {what}, {range}, {} of payload, {} segments",
                v.entries,
                output::bytes(v.bytes),
                v.segments
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
