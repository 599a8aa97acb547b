//! Exit codes and the error type of the command, with the mapping from [`WalError`].

use std::fmt;
use std::io;
use std::path::PathBuf;

use serde_json::{Value, json};
use walogs_core::WalError;
use walogs_streams::StreamsError;

use crate::damage::DamageReport;
use crate::layout::SegmentFile;

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
/// The directory holds, under a walogs file name, something walogs refuses to touch: a
/// symbolic link, a FIFO, a socket, a device or a directory, or a file it would write that
/// has other hard links ([`WalError::UnsafeFile`]). Nothing was read through it or changed.
pub const EXIT_UNSAFE_FILE: u8 = 6;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// An error from the WAL, or from reading the WAL directory through the core's file
    /// system (whose I/O errors name their file).
    Wal(WalError),
    /// The core refused a damaged log; `damage` is its description as shown here.
    Corrupt {
        /// The core's [`WalError::Corrupt`].
        error: WalError,
        /// Where, and which LSNs are around it.
        damage: Box<DamageReport>,
    },
    /// An I/O error outside the WAL directory (reading stdin or an input file, writing
    /// output, ...); `context` names the file.
    Io {
        /// What was being done, naming the file.
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
    /// An error of the streams layer that is not an error of the log itself (unknown topic,
    /// bad name, LSN out of range, not a streams store, an entry that does not decode, ...).
    /// Errors of the log come as [`CliError::Wal`].
    Streams(StreamsError),
    /// Whoever read our stdout closed it (`walogs dump DIR | head`): not a failure, the
    /// command just stops.
    StdoutClosed,
}

impl CliError {
    /// An I/O error outside the WAL directory, with what was being done (naming the file).
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        CliError::Io {
            context: context.into(),
            source,
        }
    }

    /// An error of the core's file system ([`walogs_core::vfs`]): it names its file already
    /// (or is a refused entry, [`WalError::UnsafeFile`]).
    pub fn fs(e: io::Error) -> Self {
        CliError::Wal(WalError::from(e))
    }

    /// A [`WalError`], with the damage of a corrupt log described against `segments` (the
    /// directory's listing, which says where the log continues after the damage).
    pub fn wal(e: WalError, segments: &[SegmentFile]) -> Self {
        match e.damage() {
            Some(d) => CliError::Corrupt {
                damage: Box::new(DamageReport::new(d, segments)),
                error: e,
            },
            None => CliError::Wal(e),
        }
    }

    /// The exit code this error ends the process with.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Wal(WalError::Corrupt { .. })
            | CliError::Corrupt { .. }
            | CliError::Mismatch(_)
            | CliError::Streams(StreamsError::Format { .. }) => EXIT_CORRUPT,
            CliError::Wal(WalError::Locked { .. }) => EXIT_LOCKED,
            CliError::Wal(WalError::UnsafeFile { .. }) => EXIT_UNSAFE_FILE,
            CliError::NoLog { .. } => EXIT_NO_LOG,
            CliError::StdoutClosed => EXIT_OK,
            _ => EXIT_FAILURE,
        }
    }

    /// A short machine name of the error kind (the `kind` field of JSON errors).
    pub fn kind(&self) -> &'static str {
        match self {
            CliError::Wal(e) => wal_kind(e),
            CliError::Corrupt { .. } => "corrupt",
            CliError::Io { .. } => "io",
            CliError::Usage(_) => "usage",
            CliError::Mismatch(_) => "mismatch",
            CliError::NoLog { .. } => "no_log",
            CliError::Streams(e) => streams_kind(e),
            CliError::StdoutClosed => "stdout_closed",
        }
    }

    /// The error as a JSON object: kind, message, exit code, and what the error carries (the
    /// path and errno of an I/O error, the refused entry, the damage of a corrupt log, the
    /// range of an LSN out of range).
    pub fn to_json(&self) -> Value {
        let mut v = json!({ "kind": self.kind(), "message": self.to_string(), "exit_code": self.exit_code() });
        match self {
            CliError::Wal(e) => wal_fields(&mut v, e),
            CliError::Corrupt { error, damage } => {
                v["message"] = json!(error.to_string());
                v["file"] = json!(damage.file);
                v["offset"] = json!(damage.offset);
                v["damage"] = json!(damage);
            }
            CliError::NoLog { dir } => v["dir"] = json!(dir.display().to_string()),
            CliError::Streams(e) => streams_fields(&mut v, e),
            _ => {}
        }
        v
    }
}

/// The machine name of a [`StreamsError`] that is not a [`WalError`].
fn streams_kind(e: &StreamsError) -> &'static str {
    match e {
        StreamsError::Wal(w) => wal_kind(w),
        StreamsError::InvalidName { .. } => "invalid_name",
        StreamsError::HeaderTooLarge { .. } => "header_too_large",
        StreamsError::UnknownTopic { .. } => "unknown_topic",
        StreamsError::LsnOutOfRange { .. } => "lsn_out_of_range",
        StreamsError::ConsumerModeMismatch { .. } => "consumer_mode_mismatch",
        StreamsError::ConsumerInUse { .. } => "consumer_in_use",
        StreamsError::InvalidArgument { .. } => "invalid_argument",
        StreamsError::NotAStore { .. } => "not_a_store",
        StreamsError::Format { .. } => "format",
        // Kinds added to the streams layer later still get a name.
        _ => "streams",
    }
}

/// The fields of a [`StreamsError`] beyond its message, added to the JSON object `v`.
fn streams_fields(v: &mut Value, e: &StreamsError) {
    match e {
        StreamsError::Wal(w) => wal_fields(v, w),
        StreamsError::UnknownTopic { topic } => v["topic"] = json!(topic),
        StreamsError::LsnOutOfRange {
            topic,
            lsn,
            first,
            next,
        } => {
            v["topic"] = json!(topic);
            v["lsn"] = json!(lsn);
            v["first_lsn"] = json!(first);
            v["next_lsn"] = json!(next);
        }
        StreamsError::NotAStore { path, .. } => v["dir"] = json!(path.display().to_string()),
        StreamsError::Format { log_lsn, .. } => v["log_lsn"] = json!(log_lsn),
        _ => {}
    }
}

/// The machine name of a [`WalError`].
fn wal_kind(e: &WalError) -> &'static str {
    match e {
        WalError::Io(_) => "io",
        WalError::EntryTooLarge { .. } => "entry_too_large",
        WalError::Corrupt { .. } => "corrupt",
        WalError::Locked { .. } => "locked",
        WalError::Poisoned { .. } => "poisoned",
        WalError::ReadOnly => "read_only",
        WalError::Closed => "closed",
        WalError::LsnOutOfRange { .. } => "lsn_out_of_range",
        WalError::InvalidArgument { .. } => "invalid_argument",
        WalError::Forked { .. } => "forked",
        WalError::Timeout { .. } => "timeout",
        WalError::UnsafeFile { .. } => "unsafe_file",
        // Kinds added to the core later still get a name.
        _ => "wal",
    }
}

/// The fields of a [`WalError`] beyond its message, added to the JSON object `v`.
fn wal_fields(v: &mut Value, e: &WalError) {
    match e {
        WalError::Io(_) => {
            v["path"] = json!(e.io_path().map(|p| p.display().to_string()));
            v["errno"] = json!(e.errno());
        }
        WalError::UnsafeFile { path, problem } => {
            v["path"] = json!(path.display().to_string());
            v["problem"] = json!(problem.to_string());
        }
        WalError::Locked { path } => v["path"] = json!(path.display().to_string()),
        WalError::Corrupt { reason } => {
            let d = DamageReport::new(reason, &[]);
            v["file"] = json!(d.file);
            v["offset"] = json!(d.offset);
            v["damage"] = json!(d);
        }
        WalError::LsnOutOfRange { lsn, first, next } => {
            v["lsn"] = json!(lsn);
            v["first_lsn"] = json!(first);
            v["next_lsn"] = json!(next);
        }
        _ => {}
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Wal(e) => write!(f, "{e}"),
            CliError::Io { context, source } => write!(f, "{context}: {source}"),
            CliError::Usage(m) | CliError::Mismatch(m) => f.write_str(m),
            CliError::Streams(e) => write!(f, "{e}"),
            CliError::NoLog { dir } => write!(
                f,
                "{} holds no walogs log (no wal-NNNNNN.log segment, no v1 wal.log, no {})",
                dir.display(),
                walogs_core::META_FILENAME
            ),
            CliError::Corrupt { error, damage } => {
                write!(f, "{error}\n  where: {}", damage.describe())
            }
            CliError::StdoutClosed => f.write_str("stdout was closed"),
        }
    }
}

impl std::error::Error for CliError {}

impl From<WalError> for CliError {
    fn from(e: WalError) -> Self {
        CliError::wal(e, &[])
    }
}

impl From<StreamsError> for CliError {
    /// An error of the log keeps the log's exit codes (locked 4, corrupt 3, ...); the
    /// streams layer's own errors exit 1, an entry that does not decode 3.
    fn from(e: StreamsError) -> Self {
        match e {
            StreamsError::Wal(w) => CliError::from(w),
            other => CliError::Streams(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corrupt() -> WalError {
        WalError::Corrupt {
            reason: Box::new(
                walogs_core::Damage::new(walogs_core::DamageKind::CompletedSegment, "damaged")
                    .at("wal-000001.log", 3),
            ),
        }
    }

    #[test]
    fn exit_codes_by_kind() {
        assert_eq!(CliError::from(corrupt()).exit_code(), EXIT_CORRUPT);
        let locked = WalError::Locked {
            path: PathBuf::from("/x"),
        };
        assert_eq!(CliError::from(locked).exit_code(), EXIT_LOCKED);
        let link = WalError::UnsafeFile {
            path: PathBuf::from("/x/wal-000001.log"),
            problem: walogs_core::vfs::FileProblem::NotRegular(
                walogs_core::vfs::EntryKind::Symlink,
            ),
        };
        assert_eq!(CliError::from(link).exit_code(), EXIT_UNSAFE_FILE);
        assert_eq!(CliError::Usage("x".into()).exit_code(), EXIT_FAILURE);
        assert_eq!(CliError::Mismatch("x".into()).exit_code(), EXIT_CORRUPT);
        let locked = StreamsError::Wal(WalError::Locked {
            path: PathBuf::from("/x"),
        });
        assert_eq!(CliError::from(locked).exit_code(), EXIT_LOCKED);
        let unknown = CliError::from(StreamsError::UnknownTopic { topic: "t".into() });
        assert_eq!(
            (unknown.exit_code(), unknown.kind()),
            (EXIT_FAILURE, "unknown_topic")
        );
        let format = StreamsError::Format {
            log_lsn: 3,
            reason: "bad kind".into(),
        };
        assert_eq!(CliError::from(format).exit_code(), EXIT_CORRUPT);
    }

    #[test]
    fn json_errors_carry_the_fields_of_the_core_error() {
        let v = CliError::from(corrupt()).to_json();
        assert_eq!(v["kind"], "corrupt");
        assert_eq!(
            (v["file"].as_str(), v["offset"].as_u64()),
            (Some("wal-000001.log"), Some(3))
        );
        assert_eq!(v["damage"]["kind"], "completed_segment");
        let out = CliError::from(WalError::LsnOutOfRange {
            lsn: 9,
            first: 1,
            next: 5,
        })
        .to_json();
        assert_eq!(
            (out["lsn"].as_u64(), out["next_lsn"].as_u64()),
            (Some(9), Some(5))
        );
    }
}
