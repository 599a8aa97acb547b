//! The command line: every subcommand and option, declared with clap's derive API.

use std::ffi::OsString;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::pattern::SizeSpec;

/// The exit statuses, shown under every `--help`.
pub const EXIT_STATUS: &str = "Exit status: 0 ok/clean, 1 usage or I/O error, \
    2 torn tail found (verify), 3 corruption, 4 the directory is locked by another writer, \
    5 the directory holds no walogs log (no wal-NNNNNN.log, wal.log or walogs.meta), \
    6 refused: a walogs file name in the directory is a symbolic link, FIFO, socket, device \
    or directory, or a file walogs would write has other hard links (nothing was read \
    through it or changed).";

/// Look inside, check, repair, fill and benchmark a walogs write-ahead log.
///
/// Only `repair`, `append`, `purge`, `truncate`, `user-data --set`, `stream-append` and
/// `cleanup` take the directory's write lock; every other command opens the log read-only and
/// works while another process is writing to it.
#[derive(Debug, Parser)]
#[command(name = "walogs", version, about, long_about = None)]
#[command(disable_help_subcommand = true)]
#[command(after_help = EXIT_STATUS)]
pub struct Cli {
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Segments with sizes and LSN ranges, first/next/durable LSN, purge floor, user data
    /// size, tail state, lock holder, file modes.
    #[command(after_help = EXIT_STATUS)]
    Info(DirArg),
    /// Print entries, optionally a range of LSNs.
    #[command(after_help = EXIT_STATUS)]
    Dump(DumpArgs),
    /// Full integrity check through a read-only open (0 clean, 2 torn tail, 3 corrupt).
    #[command(after_help = EXIT_STATUS)]
    Verify(VerifyArgs),
    /// Cut a torn tail (or, with --salvage, mid-log damage) and say exactly what was cut.
    #[command(after_help = EXIT_STATUS)]
    Repair(RepairArgs),
    /// Append entries: stdin lines, files, or generated payloads. Prints each acknowledged LSN.
    #[command(after_help = EXIT_STATUS)]
    Append(AppendArgs),
    /// Purge every entry up to and including an LSN, for good (deleting the segment files
    /// that held only those). Prints what was removed.
    #[command(after_help = EXIT_STATUS)]
    Purge(PurgeArgs),
    /// Remove every entry after an LSN (the next append gets LSN+1). Prints what was removed.
    #[command(after_help = EXIT_STATUS)]
    Truncate(TruncateArgs),
    /// Print the durable user data stored next to the log (raw bytes; --hex, --json), or
    /// replace it with --set FILE (- for stdin): atomic and durable when the command exits 0.
    #[command(after_help = EXIT_STATUS)]
    UserData(UserDataArgs),
    /// Measure durable appends, batches and group commit against raw write+fdatasync.
    #[command(after_help = EXIT_STATUS)]
    Bench(BenchArgs),
    /// Print the records of one topic of a streams store in LSN order (read-only; with -f,
    /// keep printing what a writer appends until interrupted).
    #[command(after_help = EXIT_STATUS)]
    Tail(TailArgs),
    /// Append records to a topic of a streams store (created if missing). Prints each
    /// record's LSN once it is durable.
    #[command(after_help = EXIT_STATUS)]
    StreamAppend(StreamAppendArgs),
    /// Run the retention of a streams store once and print what it deleted.
    #[command(after_help = EXIT_STATUS)]
    Cleanup(CleanupArgs),
    /// Print this help, or the help of a command.
    #[command(after_help = EXIT_STATUS)]
    Help(HelpArgs),
}

/// Options of `help`.
#[derive(Debug, Args)]
pub struct HelpArgs {
    /// The command to explain (default: all of them).
    pub command: Option<String>,
}

/// A WAL directory.
#[derive(Debug, Args)]
pub struct DirArg {
    /// The WAL directory.
    pub dir: PathBuf,
}

/// How `dump` prints each entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DumpFormat {
    /// `LSN<TAB>LEN<TAB>payload`, non-printable bytes escaped.
    Text,
    /// A header line per entry, then a classic hex dump.
    Hex,
    /// One JSON object per line: lsn, len, hex, and utf8 when the payload is valid UTF-8.
    Json,
}

/// Options of `dump`.
#[derive(Debug, Args)]
pub struct DumpArgs {
    /// The WAL directory.
    pub dir: PathBuf,
    /// First LSN to print (default: the oldest kept).
    #[arg(long)]
    pub from: Option<u64>,
    /// Last LSN to print, inclusive (default: the newest).
    #[arg(long)]
    pub to: Option<u64>,
    /// Output format (`--json` selects json).
    #[arg(long, value_enum, default_value_t = DumpFormat::Text)]
    pub format: DumpFormat,
}

/// Options of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The WAL directory.
    pub dir: PathBuf,
    /// Also check that every payload is the one `append --generate` writes for its LSN.
    #[arg(long)]
    pub generated: bool,
}

/// Options of `repair`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// The WAL directory.
    pub dir: PathBuf,
    /// Also cut mid-log damage in the last segment, discarding the valid frames after it.
    #[arg(long)]
    pub salvage: bool,
    /// Only say what would be cut; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Before cutting, copy the bytes that will be cut to this file.
    #[arg(long, value_name = "FILE")]
    pub save_cut: Option<PathBuf>,
}

/// Options of `append`.
#[derive(Debug, Args)]
pub struct AppendArgs {
    /// The WAL directory (created if missing).
    pub dir: PathBuf,
    /// Append each file's whole content as one entry, in order, instead of stdin lines.
    #[arg(long = "file", value_name = "FILE", conflicts_with = "generate")]
    pub files: Vec<PathBuf>,
    /// Append N generated payloads (0: until killed), each a pattern recomputable from its LSN.
    #[arg(long, value_name = "N")]
    pub generate: Option<u64>,
    /// Payload size of --generate: BYTES or MIN-MAX (the size of each LSN is then derived from it).
    #[arg(
        long,
        value_name = "BYTES",
        default_value = "100",
        requires = "generate"
    )]
    pub size: SizeSpec,
    /// Group entries into atomic batches of K (one write + one fdatasync per batch).
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch: u32,
    /// Rotate to a new segment past this many bytes.
    #[arg(long, value_name = "BYTES")]
    pub max_segment_size: Option<u64>,
    /// Permission bits (octal) of the files this creates, e.g. 0640; directories it creates
    /// get search permission where read is granted (0750). Must include 0600. Default 0600.
    #[arg(long, value_name = "OCTAL")]
    pub mode: Option<OctalMode>,
}

/// Permission bits given in octal (`0640`, `640` or `0o640`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OctalMode(pub u32);

impl FromStr for OctalMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix("0o").unwrap_or(s);
        u32::from_str_radix(digits, 8)
            .map(OctalMode)
            .map_err(|_| format!("{s:?} is not an octal file mode such as 0640"))
    }
}

/// Options of `purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// The WAL directory.
    pub dir: PathBuf,
    /// Purge every entry with an LSN up to and including this one. At or past the end of the
    /// log, the log becomes empty and the next append gets LSN+1; at or below the current
    /// purge floor, nothing happens.
    #[arg(long = "up-to", value_name = "LSN")]
    pub up_to: u64,
}

/// Options of `truncate`.
#[derive(Debug, Args)]
pub struct TruncateArgs {
    /// The WAL directory.
    pub dir: PathBuf,
    /// Keep the entries up to and including this LSN, remove every later one. At or past the
    /// last entry nothing is removed; below the oldest entry it is refused.
    #[arg(long, value_name = "LSN")]
    pub after: u64,
}

/// Options of `user-data`.
#[derive(Debug, Args)]
pub struct UserDataArgs {
    /// The WAL directory.
    pub dir: PathBuf,
    /// Replace the user data with the whole content of FILE (`-`: stdin). Takes the write
    /// lock; every entry of the log is durable before the new value is.
    #[arg(long, value_name = "FILE", conflicts_with = "hex")]
    pub set: Option<PathBuf>,
    /// Print the value as lowercase hex on one line instead of raw bytes.
    #[arg(long)]
    pub hex: bool,
}

/// Options of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Directory on the disk to measure (a temporary subdirectory is created and removed).
    /// Default: the current directory.
    pub dir: Option<PathBuf>,
    /// Seconds each measurement runs in total (split over the rounds).
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
    /// Rounds: the measurements run interleaved, one slice of each per round, so that a
    /// disk whose speed drifts affects every measurement alike.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
    /// Payload bytes per entry.
    #[arg(long, default_value_t = 128)]
    pub size: usize,
    /// Entries per atomic batch.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch: u32,
    /// Threads appending at once for group commit.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: u32,
}

/// Options of `tail`.
#[derive(Debug, Args)]
pub struct TailArgs {
    /// The streams store (a walogs directory written by walogs-streams).
    pub dir: PathBuf,
    /// The topic to print.
    #[arg(long, value_name = "NAME")]
    pub topic: String,
    /// First LSN to print (default: the topic's oldest record). Must lie in the topic's live
    /// range: from its oldest record to its next LSN.
    #[arg(long, value_name = "LSN", conflicts_with = "since_ms")]
    pub from: Option<u64>,
    /// Start at the first record whose timestamp is at or after this time (milliseconds
    /// since the Unix epoch).
    #[arg(long, value_name = "T_MS")]
    pub since_ms: Option<u64>,
    /// Keep printing the records another process appends (polling every 100 ms) until
    /// interrupted (SIGINT or SIGTERM: exit 0) or stdout is closed.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Print data (and headers) as lowercase hex instead of escaped text.
    #[arg(long)]
    pub hex: bool,
    /// Print each record's header too (a column between the timestamp and the data).
    #[arg(long)]
    pub headers: bool,
}

/// Options of `stream-append`.
#[derive(Debug, Args)]
pub struct StreamAppendArgs {
    /// The streams store (created if missing; a plain walogs log is refused).
    pub dir: PathBuf,
    /// The topic (created on its first record).
    pub topic: String,
    /// Header of every record appended (text; default none).
    #[arg(long, value_name = "TEXT")]
    pub header: Option<OsString>,
    /// Timestamp of every record appended, milliseconds since the Unix epoch (default: the
    /// wall clock at each append).
    #[arg(long, value_name = "N")]
    pub timestamp_ms: Option<u64>,
    /// The records: each argument is one record, all of them appended as one atomic batch.
    /// None: one record per line of stdin, each appended (and acknowledged) on its own.
    pub data: Vec<OsString>,
}

/// Options of `cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// The streams store.
    pub dir: PathBuf,
    /// Delete records whose time window ended more than SECS seconds ago.
    #[arg(long, value_name = "SECS")]
    pub retention: Option<u64>,
    /// Length of the time windows of --retention, in seconds (default: each record's own
    /// timestamp is its window's end).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub segment_duration: Option<u64>,
    /// Cap every topic at N bytes of data and headers, deleting its oldest records beyond it
    /// (even unread records of strict consumers: the report names them).
    #[arg(long, value_name = "N")]
    pub max_topic_bytes: Option<u64>,
    /// Also delete, in each topic with consumers, the records every consumer has passed.
    #[arg(long)]
    pub delete_consumed: bool,
}
