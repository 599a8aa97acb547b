//! `walogs dump DIR [--from LSN] [--to LSN] [--format text|hex|json]`: print entries.
//! Opens read-only and reads with the core's zero-copy cursor from `--from` (found through
//! the sparse index, no scan from the start); memory stays at one read chunk plus the
//! largest frame.

use std::io::{self, BufWriter, Write};

use serde::Serialize;
use walogs_core::Lsn;

use crate::cli::{DumpArgs, DumpFormat};
use crate::error::{CliError, EXIT_OK, require_dir};

/// Run `dump`; `json` (the global flag) selects the json format.
pub fn run(args: &DumpArgs, json: bool) -> Result<u8, CliError> {
    require_dir(&args.dir)?;
    let format = if json { DumpFormat::Json } else { args.format };
    let wal = crate::open::read_only(&args.dir, false)?;
    let from = args.from.unwrap_or(wal.first_lsn().0);
    let mut cursor = wal.cursor_from(Lsn(from))?;
    let to = args.to.unwrap_or(u64::MAX);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let result = (|| -> Result<(), CliError> {
        while let Some(item) = cursor.next_entry() {
            let (lsn, data) = item?;
            if lsn.0 > to {
                break;
            }
            write_entry(&mut out, format, lsn.0, data).map_err(write_error)?;
        }
        out.flush().map_err(write_error)
    })();
    match result {
        // A reader that stopped early (`walogs dump DIR | head`) is not an error.
        Err(CliError::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => {
            Ok(EXIT_OK)
        }
        Err(e) => Err(e),
        Ok(()) => Ok(EXIT_OK),
    }
}

fn write_error(e: io::Error) -> CliError {
    CliError::io("cannot write to stdout", e)
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
            serde_json::to_writer(&mut *out, &line).map_err(io::Error::other)?;
            writeln!(out)
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
