//! How `tail` prints a streams record: one line each, as text, hex or JSON.

use std::io::{self, Write};

use serde::Serialize;
use walogs_streams::Record;

use crate::cmd::dump::hex;

/// How records are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordFormat {
    /// One JSON object per line (`--json`).
    pub json: bool,
    /// Data and headers as lowercase hex instead of escaped text (text lines only).
    pub hex: bool,
    /// Print the header too.
    pub headers: bool,
}

/// One JSON line (fields in this order; the header fields only with `--headers`).
#[derive(Serialize)]
struct JsonRecord<'a> {
    lsn: u64,
    timestamp_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    header_utf8: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    header_hex: Option<String>,
    len: usize,
    /// The data as text when it is valid UTF-8, else null.
    utf8: Option<&'a str>,
    /// The data in lowercase hex.
    hex: String,
}

/// Write `bytes` as escaped text (`\t`, `\n`, `\xff`, ...: one line whatever they hold) or
/// as hex.
fn write_bytes(out: &mut impl Write, bytes: &[u8], as_hex: bool) -> io::Result<()> {
    if as_hex {
        return out.write_all(hex(bytes).as_bytes());
    }
    for &b in bytes {
        write!(out, "{}", std::ascii::escape_default(b))?;
    }
    Ok(())
}

/// Write one record: `LSN<TAB>TIMESTAMP_MS<TAB>[HEADER<TAB>]DATA` (text or hex), or a JSON
/// object with `lsn`, `timestamp_ms`, [`header_utf8`, `header_hex`,] `len`, `utf8`, `hex`.
pub fn write_record(out: &mut impl Write, format: RecordFormat, r: &Record) -> io::Result<()> {
    if format.json {
        let line = JsonRecord {
            lsn: r.lsn,
            timestamp_ms: r.timestamp_ms,
            header_utf8: format.headers.then(|| std::str::from_utf8(&r.header).ok()),
            header_hex: format.headers.then(|| hex(&r.header)),
            len: r.data.len(),
            utf8: std::str::from_utf8(&r.data).ok(),
            hex: hex(&r.data),
        };
        // Serialized first, so that a failed write keeps its I/O error kind (EPIPE).
        let text = serde_json::to_string(&line).map_err(io::Error::other)?;
        return writeln!(out, "{text}");
    }
    write!(out, "{}\t{}\t", r.lsn, r.timestamp_ms)?;
    if format.headers {
        write_bytes(out, &r.header, format.hex)?;
        out.write_all(b"\t")?;
    }
    write_bytes(out, &r.data, format.hex)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(format: RecordFormat) -> String {
        let r = Record {
            lsn: 7,
            data: b"a\tb\xff".to_vec(),
            header: b"h1".to_vec(),
            timestamp_ms: 1234,
        };
        let mut v = Vec::new();
        write_record(&mut v, format, &r).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn formats() {
        let plain = RecordFormat {
            json: false,
            hex: false,
            headers: false,
        };
        assert_eq!(render(plain), "7\t1234\ta\\tb\\xff\n");
        let headers = RecordFormat {
            headers: true,
            ..plain
        };
        assert_eq!(render(headers), "7\t1234\th1\ta\\tb\\xff\n");
        let hex = RecordFormat {
            hex: true,
            ..headers
        };
        assert_eq!(render(hex), "7\t1234\t6831\t610962ff\n");
        let j: serde_json::Value = serde_json::from_str(&render(RecordFormat {
            json: true,
            ..headers
        }))
        .unwrap();
        assert_eq!(
            (
                j["lsn"].as_u64(),
                j["timestamp_ms"].as_u64(),
                j["len"].as_u64()
            ),
            (Some(7), Some(1234), Some(4))
        );
        assert_eq!(
            (j["header_utf8"].as_str(), j["hex"].as_str()),
            (Some("h1"), Some("610962ff"))
        );
        assert!(j["utf8"].is_null());
        let no_headers: serde_json::Value = serde_json::from_str(&render(RecordFormat {
            json: true,
            ..plain
        }))
        .unwrap();
        assert!(no_headers.get("header_hex").is_none());
    }
}
