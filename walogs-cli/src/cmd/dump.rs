//! `walogs dump DIR [--from LSN] [--to LSN] [--format text|hex|json]`: print entries.
//! Opens read-only and reads with the core's zero-copy cursor from `--from` (found through
//! the sparse index, no scan from the start); memory stays at one read chunk plus the
//! largest frame.
//!
//! When the core refuses the log as damaged, the segments are read in order with the core's
//! frame decoder instead ([`crate::before_damage`]): the entries before the damage the core
//! found are printed (none at or below the purge floor), then the error (exit 3; a final
//! JSON error object with `--format json`). No entry past the damage is printed. A reader
//! that closes stdout early ends the dump quietly (exit 0).

use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;

use serde::Serialize;
use walogs_core::{Lsn, Wal, WalError};

use crate::before_damage::{self, Bound};
use crate::cli::{DumpArgs, DumpFormat};
use crate::error::{CliError, EXIT_OK};
use crate::output::write_error;
use crate::wal_dir::{self, WalDir};

/// Run `dump`; `json` (the global flag) selects the json format.
pub fn run(args: &DumpArgs, json: bool) -> Result<u8, CliError> {
    let dir = &args.dir;
    let probed = wal_dir::open(dir)?;
    let format = if json { DumpFormat::Json } else { args.format };
    let to = args.to.unwrap_or(u64::MAX);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let result = match wal_dir::open_read_only(dir, false) {
        Ok(wal) => print_opened(&wal, args.from, to, format, &mut out),
        Err(error @ WalError::Corrupt { .. }) => {
            print_damaged(error, &probed, args.from, to, format, &mut out)
        }
        Err(e) => Err(e.into()),
    };
    // What was printed goes out before the error that follows it.
    let flushed = out.flush().map_err(write_error);
    match (result, flushed) {
        (Err(CliError::StdoutClosed), _) | (Ok(()), Err(CliError::StdoutClosed)) => Ok(EXIT_OK),
        (Err(e), _) => Err(e),
        (Ok(()), Err(e)) => Err(e),
        (Ok(()), Ok(())) => Ok(EXIT_OK),
    }
}

/// Print the entries `from..=to` of a log the core opened.
fn print_opened(
    wal: &Wal,
    from: Option<u64>,
    to: u64,
    format: DumpFormat,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let from = from.unwrap_or(wal.first_lsn().0);
    let mut cursor = wal.cursor_from(Lsn(from))?;
    while let Some(item) = cursor.next_entry() {
        let (lsn, data) = item?;
        if lsn.0 > to {
            break;
        }
        write_entry(out, format, lsn.0, data).map_err(write_error)?;
    }
    Ok(())
}

/// Print the entries `from..=to` that lie before the damage the core refused the log for
/// (`error`), then fail with that error. Nothing is printed when the core's description
/// leaves no entry known intact (damaged metadata: the purge floor is unknown).
fn print_damaged(
    error: WalError,
    probed: &WalDir,
    from: Option<u64>,
    to: u64,
    format: DumpFormat,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let from = from.unwrap_or(0);
    let bound = error.damage().and_then(Bound::of);
    // A floor that cannot be read leaves nothing known to count: print nothing, and report
    // the core's error (the one that matters) rather than this one.
    let floor = before_damage::purge_floor(&probed.log);
    if let (Some(bound), Some(floor)) = (bound, floor) {
        before_damage::read(&probed.log, &probed.segments, floor, bound, |lsn, data| {
            if lsn > to {
                return Ok(ControlFlow::Break(()));
            }
            if lsn >= from {
                write_entry(out, format, lsn, data).map_err(write_error)?;
            }
            Ok(ControlFlow::Continue(()))
        })?;
    }
    Err(CliError::wal(error, &probed.segments))
}

/// One line of the json format (fields in this order).
#[derive(Serialize)]
struct JsonEntry<'a> {
    lsn: u64,
    len: usize,
    /// The payload as text when it is valid UTF-8, else null.
    utf8: Option<&'a str>,
    /// The payload in lower-case hex.
    hex: String,
}

/// Write one entry in `format`.
fn write_entry(out: &mut impl Write, format: DumpFormat, lsn: u64, data: &[u8]) -> io::Result<()> {
    match format {
        DumpFormat::Text => {
            write!(out, "{lsn}\t{}\t", data.len())?;
            for &b in data {
                write!(out, "{}", std::ascii::escape_default(b))?;
            }
            writeln!(out)
        }
        DumpFormat::Hex => {
            writeln!(out, "lsn {lsn} len {}", data.len())?;
            for (row, chunk) in data.chunks(16).enumerate() {
                write!(out, "  {:08x} ", row * 16)?;
                for i in 0..16 {
                    match chunk.get(i) {
                        Some(b) => write!(out, " {b:02x}")?,
                        None => write!(out, "   ")?,
                    }
                }
                let ascii: String = chunk
                    .iter()
                    .map(|&b| {
                        if b.is_ascii_graphic() || b == b' ' {
                            b as char
                        } else {
                            '.'
                        }
                    })
                    .collect();
                writeln!(out, "  |{ascii}|")?;
            }
            Ok(())
        }
        DumpFormat::Json => {
            let line = JsonEntry {
                lsn,
                len: data.len(),
                utf8: std::str::from_utf8(data).ok(),
                hex: hex(data),
            };
            // Serialized first, so that a failed write keeps its I/O error kind (EPIPE).
            let text = serde_json::to_string(&line).map_err(io::Error::other)?;
            writeln!(out, "{text}")
        }
    }
}

/// Lower-case hex of `data`.
pub fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(data.len() * 2);
    for &b in data {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(format: DumpFormat, data: &[u8]) -> String {
        let mut v = Vec::new();
        write_entry(&mut v, format, 7, data).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn formats() {
        assert_eq!(render(DumpFormat::Text, b"a\tb\xff"), "7\t4\ta\\tb\\xff\n");
        let h = render(DumpFormat::Hex, b"AB\x00");
        assert!(h.starts_with("lsn 7 len 3\n  00000000  41 42 00"), "{h}");
        assert!(h.ends_with("|AB.|\n"), "{h}");
        let j: serde_json::Value =
            serde_json::from_str(&render(DumpFormat::Json, b"\xff")).unwrap();
        assert_eq!(j["lsn"], 7);
        assert_eq!(j["hex"], "ff");
        assert!(j["utf8"].is_null());
    }
}
