//! `walogs user-data DIR`: print the durable user data stored next to the log (the core's
//! `user_data`), and with `--set FILE` (`-` for stdin) replace it (the core's
//! `set_user_data`: atomic, durable when the command exits 0, every entry of the log durable
//! before it).
//!
//! Printing opens the log read-only (no lock, nothing changed) and writes the bytes as they
//! are (`--hex`: as lowercase hex on one line; `--json`: length and hex). Setting takes the
//! write lock (exit 4 when held); a value over the core's limit
//! ([`walogs_core::MAX_USER_DATA`]) is refused by the core and nothing changes. A missing
//! directory or one without a log is refused (exit 1 or 5) and nothing is created.

use std::io::{self, Read, Write as _};
use std::path::Path;

use serde::Serialize;
use walogs_core::MAX_USER_DATA;

use crate::cli::UserDataArgs;
use crate::cmd::log_change;
use crate::error::{CliError, EXIT_OK};
use crate::output;
use crate::wal_dir;

/// What `user-data` reports.
#[derive(Debug, Serialize)]
struct UserData {
    dir: String,
    /// Whether this run replaced the value.
    set: bool,
    /// Length of the value now, in bytes.
    len: usize,
    /// Length of the value before a `--set` (absent when printing).
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_len: Option<usize>,
    /// The value now, in lowercase hex.
    hex: String,
}

/// Run `user-data`; returns the exit code.
pub fn run(args: &UserDataArgs, json: bool) -> Result<u8, CliError> {
    match &args.set {
        Some(source) => set(&args.dir, source, json),
        None => show(&args.dir, args.hex, json),
    }
}

fn show(dir: &Path, hex: bool, json: bool) -> Result<u8, CliError> {
    wal_dir::open(dir)?;
    let wal = wal_dir::open_read_only(dir, false)?;
    let data = wal.user_data()?;
    let printed = if json {
        output::json(&UserData {
            dir: dir.display().to_string(),
            set: false,
            len: data.len(),
            previous_len: None,
            hex: to_hex(&data),
        })
    } else if hex {
        output::text(&format!("{}\n", to_hex(&data)))
    } else {
        let mut out = io::stdout().lock();
        out.write_all(&data)
            .and_then(|()| out.flush())
            .map_err(output::write_error)
    };
    output::finish(printed, EXIT_OK)
}

fn set(dir: &Path, source: &Path, json: bool) -> Result<u8, CliError> {
    let data = read_source(source)?;
    let (_, mut wal, _) = log_change::open(dir, json)?;
    let previous = wal.user_data()?;
    wal.set_user_data(&data)?;
    wal.close()?;
    let printed = if json {
        output::json(&UserData {
            dir: dir.display().to_string(),
            set: true,
            len: data.len(),
            previous_len: Some(previous.len()),
            hex: to_hex(&data),
        })
    } else {
        output::text(&format!(
            "SET: {}\n  user data: {} (was {}), durable\n",
            dir.display(),
            output::count(data.len() as u64, "byte", "bytes"),
            output::count(previous.len() as u64, "byte", "bytes"),
        ))
    };
    output::finish(printed, EXIT_OK)
}

/// The bytes of `source` (`-`: all of stdin), read up to one byte past the core's limit (so
/// a huge input costs no more than that, and is still refused as too large).
fn read_source(source: &Path) -> Result<Vec<u8>, CliError> {
    let limit = MAX_USER_DATA as u64 + 1;
    let mut data = Vec::new();
    let read = if source == Path::new("-") {
        io::stdin().lock().take(limit).read_to_end(&mut data)
    } else {
        std::fs::File::open(source).and_then(|f| f.take(limit).read_to_end(&mut data))
    };
    read.map_err(|e| CliError::io(format!("cannot read {}", source_name(source)), e))?;
    Ok(data)
}

fn source_name(source: &Path) -> String {
    if source == Path::new("-") {
        "stdin".to_string()
    } else {
        source.display().to_string()
    }
}

fn to_hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}
