//! Exit codes and the error type of the command, with the mapping from [`WalError`].

use std::fmt;
use std::io;
use std::path::PathBuf;

use serde_json::{Value, json};
use walogs_core::WalError;

use crate::damage::Damage;

/// Success; for `verify`: the log is clean.
pub const EXIT_OK: u8 = 0;
/// Bad usage, or an I/O error (missing directory, permission denied, ...).
pub const EXIT_FAILURE: u8 = 1;
/// `verify` found a torn tail (a partial final write that a writable open will cut).
pub const EXIT_TORN: u8 = 2;
/// The log is corrupt: damage walogs will not repair silently.
pub const EXIT_CORRUPT: u8 = 3;
/// Another handle holds the directory's write lock.
pub const EXIT_LOCKED: u8 = 4;
/// The directory holds no walogs log: no segment file, no v1 `wal.log`, no `walogs.meta`.
pub const EXIT_NO_LOG: u8 = 5;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// An error from the WAL itself.
    Wal(WalError),
    /// An I/O error outside the WAL (reading an input file, writing output, ...).
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        source: io::Error,
    },
    /// An argument the command cannot use.
    Usage(String),
    /// A check found the log's content wrong (a payload mismatch, a missing entry).
    Mismatch(String),
    /// The directory exists but holds no walogs log (see [`crate::wal_dir`]).
    NoLog {
        /// The directory.
        dir: PathBuf,
    },
    /// The core refused a damaged log, and reading it frame by frame located the damage
    /// (when it could: damage between files, such as a metadata seal, has no frame position).
    Damaged {
        /// The core's [`WalError::Corrupt`].
        error: WalError,
        /// Where reading the segments in order stopped (boxed: keeps the error small).
        damage: Option<Box<Damage>>,
    },
    /// Whoever read our stdout closed it (`walogs dump DIR | head`): not a failure, the
    /// command just stops.
    StdoutClosed,
}

impl CliError {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        CliError::Io {
            context: context.into(),
            source,
        }
    }

    /// The exit code this error ends the process with.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Wal(WalError::Corrupt { .. })
            | CliError::Damaged { .. }
            | CliError::Mismatch(_) => EXIT_CORRUPT,
            CliError::Wal(WalError::Locked { .. }) => EXIT_LOCKED,
            CliError::NoLog { .. } => EXIT_NO_LOG,
            CliError::StdoutClosed => EXIT_OK,
            _ => EXIT_FAILURE,
        }
    }

    /// A short machine name of the error kind (the `kind` field of JSON errors).
    pub fn kind(&self) -> &'static str {
        match self {
            CliError::Wal(e) => match e {
                WalError::Io(_) => "io",
                WalError::EntryTooLarge { .. } => "entry_too_large",
                WalError::Corrupt { .. } => "corrupt",
                WalError::Locked { .. } => "locked",
                WalError::Poisoned { .. } => "poisoned",
                WalError::ReadOnly => "read_only",
                WalError::Closed => "closed",
                WalError::LsnOutOfRange { .. } => "lsn_out_of_range",
                WalError::InvalidArgument { .. } => "invalid_argument",
                // Kinds added to the core later still get a name.
                #[allow(unreachable_patterns)]
                _ => "wal",
            },
            CliError::Io { .. } => "io",
            CliError::Usage(_) => "usage",
            CliError::Mismatch(_) => "mismatch",
            CliError::NoLog { .. } => "no_log",
            CliError::Damaged { .. } => "corrupt",
            CliError::StdoutClosed => "stdout_closed",
        }
    }

    /// The error as a JSON object: kind, message, and for corruption the file and offset
    /// of the damage (and, when located by reading the frames, the `damage` object).
    pub fn to_json(&self) -> Value {
        let message = match self {
            // The location is in the `damage` object.
            CliError::Damaged { error, .. } => error.to_string(),
            e => e.to_string(),
        };
        let mut v =
            json!({ "kind": self.kind(), "message": message, "exit_code": self.exit_code() });
        match self {
            CliError::Wal(WalError::Corrupt { reason }) => {
                let loc = Location::from_reason(reason);
                v["file"] = json!(loc.file);
                v["offset"] = json!(loc.offset);
            }
            CliError::Damaged { damage, .. } => {
                v["file"] = json!(damage.as_deref().and_then(Damage::file));
                v["offset"] = json!(damage.as_deref().and_then(Damage::offset));
                v["damage"] = json!(damage);
            }
            CliError::NoLog { dir } => v["dir"] = json!(dir.display().to_string()),
            _ => {}
        }
        v
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Wal(e) => write!(f, "{e}"),
            CliError::Io { context, source } => write!(f, "{context}: {source}"),
            CliError::Usage(m) | CliError::Mismatch(m) => f.write_str(m),
            CliError::NoLog { dir } => write!(
                f,
                "{} holds no walogs log (no wal-NNNNNN.log segment, no v1 wal.log, no {})",
                dir.display(),
                walogs_core::META_FILENAME
            ),
            CliError::Damaged { error, damage } => {
                write!(f, "{error}")?;
                if let Some(d) = damage {
                    write!(f, "\n  where: {}", d.describe())?;
                }
                Ok(())
            }
            CliError::StdoutClosed => f.write_str("stdout was closed"),
        }
    }
}

impl std::error::Error for CliError {}

impl From<WalError> for CliError {
    fn from(e: WalError) -> Self {
        CliError::Wal(e)
    }
}

/// The file and byte offset a corruption reason names, as far as they can be read from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The first segment (or metadata) file named.
    pub file: Option<String>,
    /// The first `offset N` named.
    pub offset: Option<u64>,
}

impl Location {
    /// Extract the first file name (`wal-NNNNNN.log`, `wal.log` or `walogs.meta`) and the
    /// first `offset N` from a [`WalError::Corrupt`] reason. Costs one pass over the text.
    pub fn from_reason(reason: &str) -> Location {
        let file = reason
            .split(|c: char| c.is_whitespace() || c == ':' || c == ',' || c == '(' || c == ')')
            .map(|w| w.rsplit('/').next().unwrap_or(w))
            .find(|w| {
                walogs_core::segment::parse_segment_filename(w).is_some()
                    || *w == "wal.log"
                    || *w == walogs_core::META_FILENAME
            })
            .map(str::to_string);
        let offset = reason.match_indices("offset ").find_map(|(i, m)| {
            let digits: String = reason[i + m.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        });
        Location { file, offset }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_read_from_core_reasons() {
        let l = Location::from_reason(
            "mid-log damage in wal-000002.log at offset 4096: a valid frame (LSN 9) follows at offset 5000",
        );
        assert_eq!(l.file.as_deref(), Some("wal-000002.log"));
        assert_eq!(l.offset, Some(4096));
        let l = Location::from_reason(
            "gap in segment sequence: wal-000001.log followed by wal-000003.log in /x",
        );
        assert_eq!(l.file.as_deref(), Some("wal-000001.log"));
        assert_eq!(l.offset, None);
        assert_eq!(Location::from_reason("nothing here"), Location::default());
    }

    #[test]
    fn exit_codes_by_kind() {
        let corrupt = WalError::Corrupt {
            reason: Box::new(walogs_core::Damage::new(
                walogs_core::DamageKind::CompletedSegment,
                "wal-000001.log at offset 3",
            )),
        };
        assert_eq!(CliError::from(corrupt).exit_code(), EXIT_CORRUPT);
        let locked = WalError::Locked {
            path: PathBuf::from("/x"),
        };
        assert_eq!(CliError::from(locked).exit_code(), EXIT_LOCKED);
        assert_eq!(CliError::Usage("x".into()).exit_code(), EXIT_FAILURE);
        assert_eq!(CliError::Mismatch("x".into()).exit_code(), EXIT_CORRUPT);
    }
}
