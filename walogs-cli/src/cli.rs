//! The command line: every subcommand and option, declared with clap's derive API.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::pattern::SizeSpec;

/// The exit statuses, shown under every `--help`.
pub const EXIT_STATUS: &str = "Exit status: 0 ok/clean, 1 usage or I/O error, \
    2 torn tail found (verify), 3 corruption, 4 the directory is locked by another writer, \
    5 the directory holds no walogs log (no wal-NNNNNN.log, wal.log or walogs.meta).";

/// Look inside, check, repair, fill and benchmark a walogs write-ahead log.
///
/// Only `repair` and `append` take the directory's write lock; every other command opens the
/// log read-only and works while another process is writing to it.
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
    /// Segments with sizes and LSN ranges, first/next LSN, tail state, lock holder.
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
    /// Measure durable appends, batches and group commit against raw write+fdatasync.
    #[command(after_help = EXIT_STATUS)]
    Bench(BenchArgs),
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
