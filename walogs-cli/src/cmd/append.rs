//! `walogs append DIR`: append entries from stdin lines, from files (`--file`, one entry
//! each), or generated payloads (`--generate N --size BYTES`), and print each entry's LSN
//! on stdout only after the append that made it durable returned `Ok`. A line printed is an
//! acknowledgment: after a crash that entry is in the log, byte for byte.
//!
//! Takes the write lock (exit 4 if another writer holds it). Each append is one write and
//! one fdatasync; `--batch K` makes K entries one atomic batch (one write, one fdatasync).
//! Files it creates get the core's default mode (0600, directories 0700) or `--mode`.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;

use walogs_core::{DEFAULT_FILE_MODE, DEFAULT_MAX_SEGMENT_SIZE, Lsn, WalOptions};

use crate::cli::AppendArgs;
use crate::error::{CliError, EXIT_OK};
use crate::output::{count, write_error};
use crate::pattern::{self, SizeSpec};
use crate::tail;

/// Where entries come from.
enum Source {
    Lines(io::StdinLock<'static>),
    Files(std::vec::IntoIter<PathBuf>),
    Generate { left: Option<u64>, size: SizeSpec },
}

impl Source {
    /// The next entry; `next_lsn` is the LSN it will get (used by generated payloads).
    fn next(&mut self, next_lsn: u64) -> Result<Option<Vec<u8>>, CliError> {
        match self {
            Source::Lines(stdin) => {
                let mut line = Vec::new();
                let n = stdin
                    .read_until(b'\n', &mut line)
                    .map_err(|e| CliError::io("cannot read stdin", e))?;
                if n == 0 {
                    return Ok(None);
                }
                if line.last() == Some(&b'\n') {
                    line.pop();
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                }
                Ok(Some(line))
            }
            Source::Files(files) => match files.next() {
                None => Ok(None),
                Some(p) => std::fs::read(&p)
                    .map(Some)
                    .map_err(|e| CliError::io(format!("cannot read {}", p.display()), e)),
            },
            Source::Generate { left, size } => {
                match left {
                    Some(0) => return Ok(None),
                    Some(n) => *n -= 1,
                    None => {}
                }
                Ok(Some(pattern::payload(next_lsn, size.size_for(next_lsn))))
            }
        }
    }
}

/// Run `append`; prints one LSN per acknowledged entry (a JSON object per line with --json).
pub fn run(args: &AppendArgs, json: bool) -> Result<u8, CliError> {
    let mut source = if let Some(n) = args.generate {
        Source::Generate {
            left: (n > 0).then_some(n),
            size: args.size,
        }
    } else if !args.files.is_empty() {
        Source::Files(args.files.clone().into_iter())
    } else {
        Source::Lines(io::stdin().lock())
    };
    let mut wal = WalOptions::new()
        .max_segment_size(args.max_segment_size.or(Some(DEFAULT_MAX_SEGMENT_SIZE)))
        .file_mode(args.mode.map_or(DEFAULT_FILE_MODE, |m| m.0))
        .open(&args.dir)?;
    if !json {
        for note in tail::recovery_notes(&wal.recovery_report()) {
            eprintln!("walogs: {note}");
        }
    }
    let first = wal.next_lsn();
    let mut out = io::stdout().lock();
    let batch = args.batch as usize;
    let mut pending: Vec<Vec<u8>> = Vec::with_capacity(batch);
    loop {
        pending.clear();
        while pending.len() < batch {
            let lsn = wal.next_lsn().0 + pending.len() as u64;
            match source.next(lsn)? {
                Some(e) => pending.push(e),
                None => break,
            }
        }
        if pending.is_empty() {
            break;
        }
        let expected = wal.next_lsn();
        let range = if let [one] = pending.as_slice() {
            let l = wal.append(one)?;
            (l, l)
        } else {
            let r = wal.append_batch(&pending)?;
            (r.first, r.last)
        };
        if range.0 != expected {
            // Generated payloads were computed for `expected`; a different LSN would make
            // them unverifiable. The single-owner handle makes this impossible.
            return Err(CliError::Mismatch(format!(
                "append returned LSN {} where {} was expected",
                range.0, expected
            )));
        }
        acknowledge(&mut out, &pending, range.0, json)?;
        if pending.len() < batch {
            break;
        }
    }
    let last = wal.next_lsn();
    wal.close()?;
    if !json && last > first {
        eprintln!(
            "appended {} (LSN {}..={}) to {}",
            count(last.0 - first.0, "entry", "entries"),
            first,
            last.0 - 1,
            args.dir.display()
        );
    }
    Ok(EXIT_OK)
}

/// Print the LSNs of `entries` (appended from `first`) and flush, so that a reader of our
/// stdout sees each acknowledgment as soon as it is true.
fn acknowledge(
    out: &mut impl Write,
    entries: &[Vec<u8>],
    first: Lsn,
    json: bool,
) -> Result<(), CliError> {
    for (i, e) in entries.iter().enumerate() {
        let lsn = first.0 + i as u64;
        if json {
            writeln!(out, "{{\"lsn\":{lsn},\"len\":{}}}", e.len())
        } else {
            writeln!(out, "{lsn}")
        }
        .map_err(write_error)?;
    }
    out.flush().map_err(write_error)
}
