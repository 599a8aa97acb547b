//! Writing results: JSON documents and text lines on stdout, with errors that name what
//! failed; a closed stdout ends a command quietly ([`CliError::StdoutClosed`]).

use std::io::{self, Write};

use serde::Serialize;

use crate::error::CliError;

/// Print `value` as pretty JSON followed by a newline. Costs one serialization.
pub fn json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::io("cannot encode JSON", io::Error::other(e)))?;
    let mut out = io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(write_error)
}

/// Print `text` (already newline-terminated lines) on stdout.
pub fn text(text: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(write_error)
}

/// The error of a failed write to stdout: [`CliError::StdoutClosed`] when the reader went
/// away (EPIPE), else an I/O error saying so.
pub fn write_error(e: io::Error) -> CliError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CliError::StdoutClosed
    } else {
        CliError::io("cannot write to stdout", e)
    }
}

/// The exit code of a command that printed its result with `printed` and decided `code`:
/// a closed stdout does not change it (a verdict stays a verdict when nobody reads it).
pub fn finish(printed: Result<(), CliError>, code: u8) -> Result<u8, CliError> {
    match printed {
        Ok(()) | Err(CliError::StdoutClosed) => Ok(code),
        Err(e) => Err(e),
    }
}

/// `n` and the noun in the number it needs: `1 segment`, `2 segments`, `0 entries`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Byte counts for people: `512 B`, `4.0 KiB`, `1.5 MiB`, `2.00 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// An inclusive LSN range for people: `1..=1000`, or `none` when `first == next`.
pub fn lsn_range(first: u64, next: u64) -> String {
    if next > first {
        format!("{first}..={}", next - 1)
    } else {
        "none".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_numbers() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 << 20), "3.0 MiB");
        assert_eq!(lsn_range(1, 1), "none");
        assert_eq!(lsn_range(5, 8), "5..=7");
        assert_eq!(count(1u64, "segment", "segments"), "1 segment");
        assert_eq!(count(0u64, "entry", "entries"), "0 entries");
        assert_eq!(count(2u32, "entry", "entries"), "2 entries");
    }
}
